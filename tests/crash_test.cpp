// Reliability (issue 5): a million processes that each throw. The runtime stays up, a neighbour keeps
// answering, and the process count and the live heap bytes come back to their baseline.
#include <atomic>
#include <cstdint>

#include <gtest/gtest.h>

#include <beam/beam.hpp>

#include "support/counted_heap.hpp"
#include "support/runtime_fixture.hpp"

using namespace beam::literals;
using beam::term;

namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr std::int64_t crashes = 40'000;  // the sanitizers are ~20x slower; the property is the same
#else
constexpr std::int64_t crashes = 1'000'000;
#endif
constexpr std::int64_t batch = 10'000;

class CrashTest : public beam::testing::RuntimeTest {};

// Answers every {:ping, from} with :pong.
beam::process neighbour() {
  for (;;) {
    beam::pid from =
        co_await beam::receive(beam::on(beam::tuple("ping"_a, beam::_pid), [](beam::pid p) { return p; }));
    beam::send(from, "pong"_a);
  }
}

beam::process thrower() {
  throw std::runtime_error("let it crash");
  co_return;
}

// Spawns `n` throwing processes, monitored, and waits for every DOWN; true if each names the exception.
beam::task<bool> crash_batch(std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) beam::spawn_monitor(thrower);
  bool all_crashed = true;
  for (std::int64_t i = 0; i < n; ++i) {
    co_await beam::receive(
        beam::on(beam::tuple("DOWN"_a, beam::_, "process"_a, beam::_, beam::_term), [&](term r) {
          all_crashed = all_crashed && r.is_tuple() && r.as_tuple()[0] == term("exception"_a);
        }));
  }
  co_return all_crashed;
}

std::int64_t pooled_bytes_in_use() {
  return static_cast<std::int64_t>(beam::system_info().pool_used_bytes);
}

beam::task<bool> neighbour_answers(beam::pid n) {
  beam::send(n, beam::tuple("ping"_a, beam::self()));
  co_return co_await beam::receive(beam::on("pong"_a, [] { return true; }),
                                   beam::after(std::chrono::seconds(10), [] { return false; }));
}

TEST_P(CrashTest, AMillionThrowingProcessesLeaveTheRuntimeAsItWas) {
  std::atomic<std::int64_t> reports{0};
  beam::log_sink previous = beam::set_logger([&](beam::log_level level, std::string_view text) {
    if (level == beam::log_level::error && text.find("let it crash") != std::string_view::npos) ++reports;
  });
  // A limit just above a batch: the table hands out every fresh pid number before it reuses freed ones (so a
  // stale pid stays stale longest), and its free list grows until then; warming up past the limit lets it
  // settle.
  constexpr std::uint32_t limit = 16'384;
  beam::runtime rt(options(limit));
  bool all_crashed = true, answered = true;
  std::int64_t heap_before = 0, heap_after = 0;
  std::size_t count_before = 0, count_after = 0;
  std::int64_t pools_before = 0, pools_half = 0, pools_after = 0;
  rt.run([&]() -> beam::process {
    const beam::pid n = beam::spawn(neighbour);
    for (std::int64_t warm = 0; warm < 2 * limit; warm += batch)
      co_await crash_batch(batch);  // pools, caches, table
    heap_before = beam::testing::heap_live_bytes();
    count_before = beam::process_count();
    pools_before = pooled_bytes_in_use();
    for (std::int64_t done = 0; done < crashes; done += batch) {
      all_crashed = co_await crash_batch(batch) && all_crashed;
      answered = co_await neighbour_answers(n) && answered;
      if (done + batch == crashes / 2) pools_half = pooled_bytes_in_use();
    }
    heap_after = beam::testing::heap_live_bytes();
    count_after = beam::process_count();
    pools_after = pooled_bytes_in_use();
  });
  beam::set_logger(std::move(previous));
  EXPECT_TRUE(all_crashed);
  EXPECT_TRUE(answered);
  EXPECT_EQ(reports.load(), crashes + 4 * batch);  // one crash report each, warm-up included
  EXPECT_EQ(count_after, count_before);
  EXPECT_LE(heap_after - heap_before, 256 * 1024) << "live heap bytes grew by " << heap_after - heap_before;
  // Pooled blocks (control blocks, frames, term nodes, messages) in use: the neighbour's and the test's, and
  // those of the few processes still ending when their DOWN arrived (either side), no more. A block kept per
  // crash would show as hundreds of times the margin.
  EXPECT_GT(pools_before, 0);
  constexpr std::int64_t in_flight = 64 * 1024;
  EXPECT_LE(std::abs(pools_half - pools_before), in_flight);
  EXPECT_LE(std::abs(pools_after - pools_before), in_flight)
      << "pooled bytes in use: " << pools_before << " before, " << pools_half << " halfway, " << pools_after
      << " after";
}

BEAM_SCHEDULER_COUNTS(CrashTest);

}  // namespace
