// Tasks (beam/async.hpp, issue 5 point 8): Elixir's Task.async / await / yield / shutdown.
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <beam/async.hpp>
#include <beam/beam.hpp>

#include "support/runtime_fixture.hpp"
#include "support/waits.hpp"

using namespace beam::literals;
using namespace std::chrono_literals;
using beam::term;

namespace {

using beam::testing::down_reason;
using beam::testing::expect;
using beam::testing::next;
using beam::testing::poll;

class AsyncTest : public beam::testing::RuntimeTest {};

// A task body that waits for `go` and returns 7.
beam::task<std::int64_t> wait_for_go() {
  co_await expect("go"_a);
  co_return 7;
}

TEST_P(AsyncTest, AwaitGivesTheResultOfAnyKindOfFunction) {
  beam::runtime rt(options());
  term doubled, text, nothing, from_coroutine;
  rt.run([&]() -> beam::process {
    beam::async_task a = beam::task_async([](std::int64_t n) { return n * 2; }, 21);
    beam::async_task b = beam::task_async([] { return std::string("done"); });
    beam::async_task c = beam::task_async([] {});
    beam::async_task d = beam::task_async([]() -> beam::task<std::int64_t> {
      co_await beam::sleep(1ms);
      co_return 5;
    });
    doubled = co_await a.await();
    text = co_await b.await();
    nothing = co_await c.await();
    from_coroutine = co_await d.await();
    EXPECT_EQ(co_await poll(), term("empty"_a));  // neither results nor DOWNs left behind
  });
  EXPECT_EQ(doubled, term(42));
  EXPECT_EQ(text, term("done"));
  EXPECT_EQ(nothing, term("ok"_a));
  EXPECT_EQ(from_coroutine, term(5));
}

TEST_P(AsyncTest, AwaitAfterTheTaskHasEndedStillGivesTheResult) {
  beam::runtime rt(options());
  term result;
  rt.run([&]() -> beam::process {
    beam::async_task t = beam::task_async([] { return "early"_a; });
    co_await down_reason(beam::monitor(t.pid()));  // the task is gone; its result waits in the mailbox
    result = co_await t.await(0ms);
  });
  EXPECT_EQ(result, term("early"_a));
}

TEST_P(AsyncTest, ACrashInTheTaskReachesTheOwnerThroughTheLink) {
  beam::testing::captured_log log;
  beam::runtime rt(options());
  term owner_reason, trapping_reason, expected;
  rt.run([&]() -> beam::process {
    auto [owner, ref] = beam::spawn_monitor([]() -> beam::process {
      beam::async_task t = beam::task_async([]() -> std::int64_t { throw beam::error("boom"_a); });
      (void)co_await t.await();
    });
    owner_reason = co_await down_reason(ref);

    const beam::pid self = beam::self();
    auto [trapper, trapper_ref] = beam::spawn_monitor([self]() -> beam::process {
      beam::trap_exit(true);
      beam::async_task t = beam::task_async([]() -> std::int64_t { throw beam::error("boom"_a); });
      beam::send(self, beam::tuple("task"_a, t.to_term()));
      (void)co_await t.await();
    });
    const term task = co_await next("task"_a);
    trapping_reason = co_await down_reason(trapper_ref);
    expected = beam::tuple("boom"_a, beam::tuple("Elixir.Task"_a, "await"_a, beam::list(task, 5000)));
  });
  EXPECT_EQ(owner_reason, term("boom"_a));
  EXPECT_EQ(trapping_reason, expected);
}

TEST_P(AsyncTest, AnAwaitTimeoutEndsTheOwnerAndTheLinkedTask) {
  beam::runtime rt(options());
  term owner_reason, task_reason, expected;
  rt.run([&]() -> beam::process {
    const beam::pid self = beam::self();
    auto [owner, ref] = beam::spawn_monitor([self]() -> beam::process {
      beam::async_task t = beam::task_async(wait_for_go);
      beam::send(self, beam::tuple("task"_a, t.to_term()));
      beam::send(self, beam::tuple("task_pid"_a, t.pid()));
      co_await expect("await"_a);
      (void)co_await t.await(10ms);
    });
    const term task = co_await next("task"_a);
    const beam::reference task_ref = beam::monitor((co_await next("task_pid"_a)).as_pid());
    beam::send(owner, "await"_a);
    owner_reason = co_await down_reason(ref);
    task_reason = co_await down_reason(task_ref);
    expected = beam::tuple("timeout"_a, beam::tuple("Elixir.Task"_a, "await"_a, beam::list(task, 10)));
  });
  EXPECT_EQ(owner_reason, expected);
  EXPECT_EQ(task_reason, expected);
}

TEST_P(AsyncTest, YieldGivesNothingUntilTheTaskEndsAndAwaitCanFollow) {
  beam::testing::captured_log log;
  beam::runtime rt(options());
  std::optional<beam::async_outcome> early, crashed;
  term later, crashed_term;
  rt.run([&]() -> beam::process {
    beam::async_task t = beam::task_async(wait_for_go);
    early = co_await t.yield(10ms);
    beam::send(t.pid(), "go"_a);
    later = co_await t.await();

    beam::trap_exit(true);
    beam::async_task bad = beam::task_async([] { beam::exit("gave_up"_a); });
    crashed = co_await bad.yield(beam::infinity);
    crashed_term = crashed ? crashed->to_term() : term();
  });
  EXPECT_FALSE(early.has_value());
  EXPECT_EQ(later, term(7));
  ASSERT_TRUE(crashed.has_value());
  EXPECT_EQ(*crashed, (beam::async_outcome{false, "gave_up"_a}));
  EXPECT_EQ(crashed_term, beam::tuple("exit"_a, "gave_up"_a));
}

// Traps exits, so a shutdown signal does not end it: only the kill after the timeout does.
beam::task<std::int64_t> stubborn(beam::pid owner) {
  beam::trap_exit(true);
  beam::send(owner, "trapping"_a);
  co_await expect("never"_a);
  co_return 0;
}

TEST_P(AsyncTest, ShutdownStopsARunningTaskWithoutHurtingTheOwner) {
  beam::runtime rt(options());
  std::optional<beam::async_outcome> polite, brutal, forced, finished;
  term polite_reason, brutal_reason, forced_reason, leftover;
  rt.run([&]() -> beam::process {
    beam::trap_exit(true);  // so any stray EXIT would show in the mailbox
    beam::async_task a = beam::task_async(wait_for_go);
    beam::reference ra = beam::monitor(a.pid());
    polite = co_await a.shutdown();
    polite_reason = co_await down_reason(ra);

    beam::async_task b = beam::task_async(wait_for_go);
    beam::reference rb = beam::monitor(b.pid());
    brutal = co_await b.shutdown(beam::async_task::brutal_kill);
    brutal_reason = co_await down_reason(rb);

    beam::async_task c = beam::task_async(stubborn, beam::self());
    beam::reference rc = beam::monitor(c.pid());
    co_await expect("trapping"_a);
    forced = co_await c.shutdown(20ms);
    forced_reason = co_await down_reason(rc);

    beam::async_task d = beam::task_async([] { return 3; });
    co_await down_reason(beam::monitor(d.pid()));
    finished = co_await d.shutdown();
    co_await beam::receive(
        beam::on(beam::tuple("EXIT"_a, d.pid(), "normal"_a), [] {}));  // d ended while linked
    leftover = co_await poll();  // a, b and c were unlinked before the signal: no EXIT from them
  });
  EXPECT_FALSE(polite.has_value());
  EXPECT_EQ(polite_reason, term("shutdown"_a));
  EXPECT_FALSE(brutal.has_value());
  EXPECT_EQ(brutal_reason, term("killed"_a));
  EXPECT_FALSE(forced.has_value());
  EXPECT_EQ(forced_reason, term("killed"_a));
  ASSERT_TRUE(finished.has_value());
  EXPECT_EQ(*finished, (beam::async_outcome{true, 3}));
  EXPECT_EQ(leftover, term("empty"_a));
}

TEST_P(AsyncTest, MisuseIsALogicError) {
  beam::runtime rt(options());
  bool twice = false, stranger = false;
  rt.run([&]() -> beam::process {
    beam::async_task t = beam::task_async([] { return 1; });
    (void)co_await t.await();
    try {
      (void)co_await t.await();
    } catch (const std::logic_error&) {
      twice = true;
    }
    beam::async_task u = beam::task_async([] { return 2; });
    const beam::pid self = beam::self();
    beam::spawn([u, self]() mutable -> beam::process {
      try {
        (void)co_await u.await();
      } catch (const std::logic_error&) {
        beam::send(self, "refused"_a);
      }
    });
    co_await expect("refused"_a);
    stranger = true;
    EXPECT_EQ(co_await u.await(), term(2));
  });
  EXPECT_TRUE(twice);
  EXPECT_TRUE(stranger);
  EXPECT_THROW((void)beam::task_async([] { return 1; }), std::logic_error);
}

TEST_P(AsyncTest, ManyTasksRunAtOnceOnAllSchedulers) {
  beam::testing::captured_log log;  // slow sanitizer builds may report long schedules
  beam::runtime rt(options());
  std::int64_t sum = 0;
  rt.run([&]() -> beam::process {
    std::vector<beam::async_task> tasks;
    for (std::int64_t i = 1; i <= 200; ++i) {
      tasks.push_back(beam::task_async(
          [](std::int64_t n) -> beam::task<std::int64_t> {
            for (int k = 0; k < 4; ++k) co_await beam::yield();  // the tasks interleave on every scheduler
            co_return n;
          },
          i));
    }
    for (auto& t : tasks) sum += (co_await t.await()).as_int();
  });
  EXPECT_EQ(sum, 200 * 201 / 2);
}

BEAM_SCHEDULER_COUNTS(AsyncTest);

}  // namespace
