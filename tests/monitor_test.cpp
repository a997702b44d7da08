// Monitors and DOWN messages (issue 5, points 4 and 5).
#include <chrono>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include <beam/beam.hpp>

#include "support/runtime_fixture.hpp"
#include "support/waits.hpp"

using namespace beam::literals;
using namespace std::chrono_literals;
using beam::term;

namespace {

class MonitorTest : public beam::testing::RuntimeTest {};

// The whole DOWN message for `ref`.
beam::task<term> down_for(beam::reference ref) {
  co_return co_await beam::receive(beam::on(
      beam::tuple("DOWN"_a, ref, "process"_a, beam::_term, beam::_term),
      [ref](term who, term reason) { return beam::tuple("DOWN"_a, ref, "process"_a, who, reason); }));
}

// Whether a DOWN for `ref` is in the mailbox now.
beam::task<bool> has_down(beam::reference ref) {
  co_return co_await beam::receive(
      beam::on(beam::tuple("DOWN"_a, ref, beam::_, beam::_, beam::_), [] { return true; }),
      beam::after(0ms, [] { return false; }));
}

using beam::testing::expect;

beam::process exit_on_stop(term reason) {
  co_await expect("stop"_a);
  beam::exit(reason);
}

TEST_P(MonitorTest, TheMonitoringProcessGetsDownWithTheExitReason) {
  beam::runtime rt(options());
  term got, expected;
  rt.run([&]() -> beam::process {
    beam::pid target = beam::spawn(exit_on_stop, term("bye"_a));
    beam::reference ref = beam::monitor(target);
    beam::send(target, "stop"_a);
    got = co_await down_for(ref);
    expected = beam::tuple("DOWN"_a, ref, "process"_a, target, "bye"_a);
  });
  EXPECT_EQ(got, expected);
}

TEST_P(MonitorTest, MonitoringADeadProcessDeliversNoprocAtOnce) {
  beam::runtime rt(options());
  term got, expected;
  rt.run([&]() -> beam::process {
    beam::pid never(200'000, 9);
    beam::reference ref = beam::monitor(never);
    got = co_await down_for(ref);
    expected = beam::tuple("DOWN"_a, ref, "process"_a, never, "noproc"_a);
  });
  EXPECT_EQ(got, expected);
}

TEST_P(MonitorTest, MonitorsStackAndEachGetsItsOwnDown) {
  beam::runtime rt(options());
  term first, second;
  bool distinct = false;
  rt.run([&]() -> beam::process {
    beam::pid target = beam::spawn(exit_on_stop, term("bye"_a));
    beam::reference a = beam::monitor(target), b = beam::monitor(target);
    distinct = a != b;
    beam::send(target, "stop"_a);
    first = (co_await down_for(a)).as_tuple()[4];
    second = (co_await down_for(b)).as_tuple()[4];
  });
  EXPECT_TRUE(distinct);
  EXPECT_EQ(first, term("bye"_a));
  EXPECT_EQ(second, term("bye"_a));
}

TEST_P(MonitorTest, AfterDemonitorNoDownArrives) {
  beam::runtime rt(options());
  int stray = 0;
  rt.run([&]() -> beam::process {
    for (int i = 0; i < 200; ++i) {
      beam::pid target = beam::spawn(exit_on_stop, term("bye"_a));
      beam::reference dropped = beam::monitor(target), kept = beam::monitor(target);
      beam::send(target, "stop"_a);  // races the demonitor
      EXPECT_TRUE(beam::demonitor(dropped));
      co_await down_for(kept);  // the target's DOWN for `dropped`, if any was sent, came before this one
      if (co_await has_down(dropped)) ++stray;
    }
  });
  EXPECT_EQ(stray, 0);
}

// Waits until the DOWN for `ref` is in the mailbox, and leaves it there.
beam::task<> wait_until_down_is_queued(beam::reference ref) {
  bool seen = false;  // a guard that never matches looks at the DOWN without taking it
  while (!seen) {
    co_await beam::receive(beam::on(beam::tuple("DOWN"_a, ref, beam::_, beam::_, beam::_), beam::when([&] {
                                      seen = true;
                                      return false;
                                    }),
                                    [] {}),
                           beam::after(0ms, [] {}));
    if (!seen) co_await beam::yield();
  }
}

TEST_P(MonitorTest, DemonitorWithFlushRemovesADownAlreadyQueued) {
  beam::runtime rt(options());
  bool after = true;
  rt.run([&]() -> beam::process {
    beam::pid target = beam::spawn(exit_on_stop, term("bye"_a));
    beam::reference ref = beam::monitor(target);
    beam::send(target, "stop"_a);
    co_await wait_until_down_is_queued(ref);
    beam::demonitor(ref, beam::demonitor_option::flush);
    after = co_await has_down(ref);
  });
  EXPECT_FALSE(after);
}

// erlang:demonitor(Ref, [info]) and [flush, info]: true when the monitor was still there to remove.
TEST_P(MonitorTest, DemonitorInfoSaysWhetherTheMonitorWasStillThere) {
  beam::runtime rt(options());
  std::vector<bool> answers;
  bool down_left = true;
  rt.run([&]() -> beam::process {
    const beam::pid live = beam::spawn(exit_on_stop, term("bye"_a));
    answers.push_back(beam::demonitor(beam::monitor(live), beam::demonitor_option::info));
    answers.push_back(beam::demonitor(beam::monitor(live), beam::demonitor_option::flush_info));
    const beam::reference queued = beam::monitor(live);
    const beam::reference taken = beam::monitor(live);
    beam::send(live, "stop"_a);
    co_await beam::testing::down_reason(taken);
    answers.push_back(beam::demonitor(taken, beam::demonitor_option::info));
    co_await wait_until_down_is_queued(queued);
    answers.push_back(beam::demonitor(queued, beam::demonitor_option::flush_info));
    down_left = co_await has_down(queued);
  });
  EXPECT_EQ(answers, (std::vector<bool>{true, true, false, false}));
  EXPECT_FALSE(down_left);
}

TEST_P(MonitorTest, DemonitorFlushOfAQueuedDownLeavesOtherMessages) {
  beam::runtime rt(options());
  term rest;
  rt.run([&]() -> beam::process {
    beam::pid target = beam::spawn(exit_on_stop, term("bye"_a));
    beam::reference ref = beam::monitor(target), probe = beam::monitor(target);
    beam::send(target, "stop"_a);
    co_await down_for(probe);
    beam::send(beam::self(), "after_down"_a);
    beam::demonitor(ref, beam::demonitor_option::flush);
    rest = co_await beam::receive();
  });
  EXPECT_EQ(rest, term("after_down"_a));
}

TEST_P(MonitorTest, SpawnMonitorSeesEvenAnImmediateExit) {
  beam::testing::captured_log log;
  beam::runtime rt(options());
  term got, expected;
  rt.run([&]() -> beam::process {
    auto [child, ref] = beam::spawn_monitor([]() -> beam::process {
      throw std::runtime_error("at once");
      co_return;
    });
    got = (co_await down_for(ref)).as_tuple()[3];
    expected = term(child);
  });
  EXPECT_EQ(got, expected);
}

TEST_P(MonitorTest, SpawnMonitorOfModuleFunctionArgsRunsTheExportedFunctionUnderAMonitor) {
  beam::export_function("Elixir.MonitorTest"_a, "exit_with"_a,
                        [](std::span<const term> args) -> beam::process {
                          beam::exit(args[0]);
                          co_return;
                        });
  beam::testing::captured_log log;  // the undefined function's report
  beam::runtime rt(options());
  term got, expected, undefined, expected_undefined;
  rt.run([&]() -> beam::process {
    auto [child, ref] = beam::spawn_monitor("MonitorTest"_a, "exit_with"_a, {"chosen"_a});
    got = co_await down_for(ref);
    expected = beam::tuple("DOWN"_a, ref, "process"_a, child, "chosen"_a);
    auto [missing, missing_ref] = beam::spawn_monitor("MonitorTest"_a, "nothing"_a, {});
    undefined = co_await down_for(missing_ref);
    expected_undefined = beam::tuple("DOWN"_a, missing_ref, "process"_a, missing, "undef"_a);
  });
  EXPECT_EQ(got, expected);
  EXPECT_EQ(undefined, expected_undefined);
}

TEST_P(MonitorTest, MonitoringARegisteredNameNamesItInTheDown) {
  beam::runtime rt(options());
  term got, expected, missing, expected_missing;
  rt.run([&]() -> beam::process {
    beam::pid target = beam::spawn(exit_on_stop, term("bye"_a));
    beam::register_name("watched"_a, target);
    beam::reference ref = beam::monitor("watched"_a);
    beam::send(target, "stop"_a);
    got = co_await down_for(ref);
    expected = beam::tuple("DOWN"_a, ref, "process"_a, beam::tuple("watched"_a, "nonode@nohost"_a), "bye"_a);
    beam::reference none = beam::monitor("nobody"_a);
    missing = co_await down_for(none);
    expected_missing =
        beam::tuple("DOWN"_a, none, "process"_a, beam::tuple("nobody"_a, "nonode@nohost"_a), "noproc"_a);
  });
  EXPECT_EQ(got, expected);
  EXPECT_EQ(missing, expected_missing);
}

TEST_P(MonitorTest, MonitoringSelfGivesAReferenceAndNothingElse) {
  beam::runtime rt(options());
  bool any = true;
  rt.run([&]() -> beam::process {
    beam::reference ref = beam::monitor(beam::self());
    beam::demonitor(ref);
    beam::reference again = beam::monitor(beam::self());
    any = co_await has_down(again);
  });
  EXPECT_FALSE(any);
}

TEST_P(MonitorTest, ADownComesAfterEveryMessageItsProcessSentWithBothSchedulersBusy) {
  beam::runtime rt(options());
  constexpr int senders = 64;
  constexpr std::int64_t per_sender = 2'000;
  int late = 0, downs = 0;
  rt.run([&]() -> beam::process {
    const beam::pid sink = beam::self();
    std::vector<std::int64_t> count(senders, 0);
    std::vector<beam::reference> refs;
    for (int s = 0; s < senders; ++s) {
      refs.push_back(beam::spawn_monitor([sink, s]() -> beam::process {
                       for (std::int64_t i = 0; i < per_sender; ++i) {
                         beam::send(sink, beam::tuple(s, i));
                         if (i % 100 == 0) co_await beam::yield();
                       }
                     }).second);
    }
    while (downs < senders) {
      co_await beam::receive(
          beam::on(beam::tuple(beam::_int, beam::_int), [&](std::int64_t s, std::int64_t) { ++count[s]; }),
          beam::on(beam::tuple("DOWN"_a, beam::_ref, "process"_a, beam::_, "normal"_a),
                   [&](beam::reference r) {
                     ++downs;
                     const auto s =
                         static_cast<std::size_t>(std::find(refs.begin(), refs.end(), r) - refs.begin());
                     if (count[s] != per_sender) ++late;
                   }));
    }
  });
  EXPECT_EQ(downs, senders);
  EXPECT_EQ(late, 0);
}

TEST_P(MonitorTest, ATenThousandMonitorsOnExitingProcessesAllDeliverDown) {
  beam::runtime rt(options());
  int downs = 0;
  rt.run([&]() -> beam::process {
    constexpr int n = 10'000;
    for (int i = 0; i < n; ++i) beam::monitor(beam::spawn([]() -> beam::process { co_return; }));
    while (downs < n) {
      co_await beam::receive(
          beam::on(beam::tuple("DOWN"_a, beam::_, "process"_a, beam::_, beam::_term), [&](term r) {
            if (r == term("normal"_a) || r == term("noproc"_a)) ++downs;
          }));
    }
  });
  EXPECT_EQ(downs, 10'000);
}

TEST_P(MonitorTest, MonitorCallsOutsideAProcessAreLogicErrors) {
  beam::runtime rt(options());
  EXPECT_THROW(beam::monitor(beam::pid(1, 0)), std::logic_error);
  EXPECT_THROW(beam::demonitor(beam::reference::make()), std::logic_error);
  EXPECT_THROW(beam::spawn_monitor([]() -> beam::process { co_return; }), std::logic_error);
  EXPECT_THROW(beam::spawn_monitor("IO"_a, "puts"_a, {"x"}), std::logic_error);
  rt.run([]() -> beam::process { co_return; });
}

BEAM_SCHEDULER_COUNTS(MonitorTest);

}  // namespace
