// tools/workloads_blocking.cpp: W13, blocking calls beside a ping-pong pair (issue 11, point 4).
#include <atomic>
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include <beam/beam.hpp>

#include "workloads.hpp"

namespace beampp {
namespace {

using namespace beam::literals;
using clock = std::chrono::steady_clock;

// Round trips per second of a fresh ping-pong pair (the caller and a ponger) over `window`. The clock is read
// every 1,024 round trips, so reading it costs the loop little.
beam::task<double> pingpong_rate(std::chrono::milliseconds window) {
  const beam::pid ponger = beam::spawn(pong_until_stopped);
  const beam::term ping = beam::tuple("ping"_a, beam::self());
  const auto start = clock::now();
  std::int64_t trips = 0;
  for (auto now = start; now < start + window; now = clock::now()) {
    for (int i = 0; i < 1024; ++i, ++trips) {
      beam::send(ponger, ping);
      co_await beam::receive(beam::on("pong"_a, [] {}));
    }
  }
  const double seconds = std::chrono::duration<double>(clock::now() - start).count();
  beam::send(ponger, "stop"_a);
  co_return static_cast<double>(trips) / seconds;
}

// Calls blocking_call(sleep `sleep_ms`) until `stop`, then sends `done` to `parent`; counts its calls.
beam::process blocker(beam::pid parent, std::int64_t sleep_ms, const std::atomic<bool>* stop,
                      std::atomic<std::int64_t>* calls) {
  while (!stop->load(std::memory_order_relaxed)) {
    co_await beam::blocking_call(
        [sleep_ms] { std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms)); });
    calls->fetch_add(1, std::memory_order_relaxed);
  }
  beam::send(parent, "done"_a);
}

}  // namespace

// W13: the ping-pong rate alone, then beside `blockers` processes each in a loop of blocking calls that sleep
// `sleep_ms` on a dirty thread; both in one run, on one runtime.
results w13_blocking_neighbours(const parameters& p, std::uint32_t schedulers) {
  const std::int64_t blockers = p.at("blockers"), sleep_ms = p.at("sleep_ms");
  const std::chrono::milliseconds window(p.at("window_ms"));
  double alone = 0, beside = 0;
  std::atomic<bool> stop{false};
  std::atomic<std::int64_t> calls{0};
  beam::runtime rt(options_for(schedulers, blockers + 2));
  rt.run([&]() -> beam::process {
    alone = co_await pingpong_rate(window);
    for (std::int64_t i = 0; i < blockers; ++i) beam::spawn(blocker, beam::self(), sleep_ms, &stop, &calls);
    beside = co_await pingpong_rate(window);
    stop = true;
    for (std::int64_t i = 0; i < blockers; ++i) co_await beam::receive(beam::on("done"_a, [] {}));
  });
  return {{"round_trips_per_sec", fmt::format("{:.0f}", beside)},
          {"baseline_round_trips_per_sec", fmt::format("{:.0f}", alone)},
          {"ratio", fmt::format("{:.3f}", beside / alone)},
          {"blocking_calls", std::to_string(calls.load())}};
}

}  // namespace beampp
