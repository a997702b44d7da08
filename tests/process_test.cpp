// Processes: the runtime's options, spawn/1 and spawn/3, self, exit reasons, crashes, pids and the process
// limit.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include <beam/beam.hpp>

#include "support/runtime_fixture.hpp"
#include "support/subprocess.hpp"
#include "support/waits.hpp"

using namespace beam::literals;
using beam::term;
using beam::testing::captured_log;

namespace process_test_bodies {  // not in an anonymous namespace: exported, so dladdr finds it
beam::process throwing_body(int code) {
  throw std::runtime_error(std::to_string(code));
  co_return;
}
}  // namespace process_test_bodies

namespace {

class ProcessTest : public beam::testing::RuntimeTest {};

TEST(Runtime, RejectsOptionsOutsideTheirRanges) {
  try {
    beam::runtime rt({.schedulers = 1, .process_limit = 1023});
    FAIL() << "a limit below 1,024 must be refused";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("1024 ... 134217727"), std::string::npos) << e.what();
  }
  EXPECT_THROW(beam::runtime({.schedulers = 1, .process_limit = 134'217'728}), std::invalid_argument);
  EXPECT_THROW(beam::runtime({.schedulers = 5000}), std::invalid_argument);
}

TEST(Runtime, OneRuntimeAtATime) {
  beam::runtime rt({.schedulers = 1});
  EXPECT_THROW(beam::runtime({.schedulers = 1}), std::logic_error);
}

TEST(Runtime, DefaultSchedulersAreTheUsableCores) {
  beam::runtime rt;
  EXPECT_EQ(rt.schedulers(), beam::default_schedulers());
  EXPECT_GE(rt.schedulers(), 1u);
}

// CPU time this program has used so far (every thread).
std::chrono::microseconds cpu_time_used() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return std::chrono::seconds(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         std::chrono::microseconds(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

TEST(Runtime, IdleSchedulersSleep) {
  beam::runtime rt({.schedulers = 2});
  std::chrono::microseconds used{};
  rt.run([&]() -> beam::process {
    const auto before = cpu_time_used();
    co_await beam::sleep(std::chrono::milliseconds(500));  // nothing runnable for half a second
    used = cpu_time_used() - before;
  });
  EXPECT_LT(used, std::chrono::milliseconds(50)) << "idle schedulers must not spin (10% of one core at most)";
}

TEST(Runtime, StartsAndStopsWithoutLeavingThreadsBehind) {
  for (int i = 0; i < 50; ++i) {
    beam::runtime rt({.schedulers = 2});
    EXPECT_TRUE(rt.run([]() -> beam::process { co_return; }).is_normal());
  }
  std::ifstream status("/proc/self/status");
  std::string line;
  int threads = 0;
  while (std::getline(status, line)) {
    if (line.rfind("Threads:", 0) == 0) threads = std::stoi(line.substr(8));
  }
  EXPECT_LE(threads, 2) << "every runtime joins its threads when it ends";
}

TEST(Runtime, ProcessOnlyCallsOutsideAProcessAreLogicErrors) {
  EXPECT_THROW((void)beam::self(), std::logic_error);  // no runtime at all
  beam::runtime rt({.schedulers = 1});
  EXPECT_THROW((void)beam::self(), std::logic_error);
  EXPECT_THROW((void)beam::flush(), std::logic_error);
  EXPECT_THROW(beam::send_after(std::chrono::milliseconds(1), beam::pid(0, 0), term()), std::logic_error);
  EXPECT_THROW(beam::exit("boom"_a), std::logic_error);
}

TEST(Runtime, SpawnAfterRunIsALogicErrorAndOutputAfterRunIsWrittenInOrder) {
  beam::testing::captured_output out;
  {
    beam::runtime rt({.schedulers = 2});
    rt.run([]() -> beam::process {
      beam::io::puts("during");
      co_return;
    });
    try {
      (void)beam::spawn([]() -> beam::process { co_return; });
      ADD_FAILURE() << "a spawn after run() returned must be refused";
    } catch (const std::logic_error& e) {
      EXPECT_NE(std::string(e.what()).find("after beam::runtime::run() has returned"), std::string::npos)
          << e.what();
    }
    beam::io::puts("after");
  }  // the runtime's end writes everything queued
  EXPECT_EQ(out.text(), "during\nafter\n");
}

// A body that hands back an empty beam::process (moved from) is refused at spawn, not a crash when it runs.
TEST(Runtime, ABodyReturningAnEmptyProcessIsALogicErrorAtSpawn) {
  beam::runtime rt({.schedulers = 2});
  std::string refused;
  rt.run([&]() -> beam::process {
    try {
      (void)beam::spawn([]() -> beam::process {
        beam::process body = []() -> beam::process { co_return; }();
        beam::process taken = std::move(body);
        return body;  // NOLINT(bugprone-use-after-move): the mistake under test
      });
    } catch (const std::logic_error& e) {
      refused = e.what();
    }
    co_return;
  });
  EXPECT_NE(refused.find("the body returned an empty beam::process"), std::string::npos) << refused;
}

// OTP rounds +P up to a power of two (but not past the largest limit); so do we. Checked against erl itself.
TEST(Runtime, TheProcessLimitRoundsUpAsErlangsPlusPDoes) {
  for (const std::uint32_t asked : {1'024u, 2'000u, 100'000u, 262'144u, 300'000u, 134'217'727u}) {
    const auto erl =
        beam::testing::run_process({"erl", "+P", std::to_string(asked), "-noshell", "-eval",
                                    "io:format(\"~p\", [erlang:system_info(process_limit)]), halt()."});
    ASSERT_EQ(erl.exit_code, 0) << "erl is needed for this test (scripts/setup.sh test installs it): "
                                << erl.err;
    std::size_t ours = 0;
    beam::runtime rt({.schedulers = 1, .process_limit = asked});
    rt.run([&]() -> beam::process {
      ours = beam::system_info().process_limit;
      co_return;
    });
    EXPECT_EQ(std::to_string(ours), erl.out) << "+P " << asked;
  }
}

TEST_P(ProcessTest, RunReturnsTheInitialProcessExitReason) {
  beam::runtime rt(options());
  EXPECT_TRUE(rt.run([]() -> beam::process { co_return; }).is_normal());
}

TEST_P(ProcessTest, ExitEndsTheProcessWithItsReason) {
  beam::runtime rt(options());
  auto reason = rt.run([]() -> beam::process {
    beam::exit(beam::tuple("shutdown"_a, 42));
    co_return;
  });
  EXPECT_EQ(reason.reason(), beam::tuple("shutdown"_a, 42));
}

TEST_P(ProcessTest, ANonStandardExceptionIsReportedWithItsType) {
  captured_log log;
  beam::runtime rt(options());
  auto reason = rt.run([]() -> beam::process {
    throw 42;
    co_return;
  });
  EXPECT_EQ(reason.reason(), beam::tuple("exception"_a, "int", "a non-standard exception"));
}

TEST_P(ProcessTest, ACaughtExceptionsReasonIsReadWithExitReasonOf) {
  beam::runtime rt(options());
  std::vector<term> reasons;
  rt.run([&]() -> beam::process {
    const auto reason_of = [](auto raise) {
      try {
        raise();
      } catch (...) {
        return beam::exit_reason_of(std::current_exception());
      }
      return term();
    };
    reasons.push_back(reason_of([] { beam::exit("bye"_a); }));
    reasons.push_back(reason_of([] { throw beam::error("badarg"_a); }));
    reasons.push_back(reason_of([] { throw std::out_of_range("nope"); }));
    reasons.push_back(reason_of([] { throw 42; }));
    co_return;
  });
  EXPECT_EQ(reasons,
            (std::vector<term>{"bye"_a, "badarg"_a, beam::tuple("exception"_a, "std::out_of_range", "nope"),
                               beam::tuple("exception"_a, "int", "a non-standard exception")}));
}

TEST_P(ProcessTest, AThrowingProcessIsReportedWithPidInitialCallAndReason) {
  captured_log log;
  beam::runtime rt(options());
  auto reason = rt.run([]() -> beam::process {
    throw std::runtime_error("boom");
    co_return;
  });
  EXPECT_EQ(reason.reason(), beam::tuple("exception"_a, "std::runtime_error", "boom"));
  EXPECT_TRUE(log.contains("#PID<0.")) << ::testing::PrintToString(log.lines());
  EXPECT_TRUE(log.contains("boom"));
  EXPECT_TRUE(log.contains("initial call"));
}

// A plain function body (with external linkage: one the program exports) is named by its function, not by its
// type (beam::process (*)(int)).
TEST_P(ProcessTest, ACrashReportNamesAFunctionBodyByItsName) {
  captured_log log;
  beam::runtime rt(options());
  rt.run(process_test_bodies::throwing_body, 7);
  EXPECT_TRUE(log.contains("initial call: process_test_bodies::throwing_body(int)"))
      << ::testing::PrintToString(log.lines());
}

TEST_P(ProcessTest, AThrowingProcessLeavesAThousandNeighboursRunning) {
  captured_log log;
  beam::runtime rt(options());
  int answered = 0;
  rt.run([&]() -> beam::process {
    std::vector<beam::pid> neighbours;
    for (int i = 0; i < 1000; ++i) {
      neighbours.push_back(beam::spawn([]() -> beam::process {
        for (;;) {
          co_await beam::receive(beam::on(beam::tuple("ping"_a, beam::_pid),
                                          [](beam::pid from) { beam::send(from, "pong"_a); }));
        }
      }));
    }
    std::vector<beam::pid> crashers;
    for (int i = 0; i < 100; ++i) {
      crashers.push_back(beam::spawn([]() -> beam::process {
        throw std::logic_error("crash");
        co_return;
      }));
    }
    for (const beam::pid& c : crashers) {
      co_await beam::testing::wait_for_exit(c);  // every crash has happened before the neighbours are asked
    }
    for (const beam::pid& n : neighbours) beam::send(n, beam::tuple("ping"_a, beam::self()));
    for (int i = 0; i < 1000; ++i) co_await beam::receive(beam::on("pong"_a, [&] { ++answered; }));
  });
  EXPECT_EQ(answered, 1000);
  // One crash report per crasher, and nothing else but long_schedule warnings (this body's loops without a
  // suspension point can pass 10 ms under the sanitizers).
  const std::vector<std::string> lines = log.lines();
  EXPECT_EQ(
      std::count_if(lines.begin(), lines.end(),
                    [](const std::string& l) { return l.find("raised an exception") != std::string::npos; }),
      100)
      << ::testing::PrintToString(lines);
  for (const std::string& l : lines) {
    EXPECT_TRUE(l.find("raised an exception") != std::string::npos ||
                l.find("long_schedule") != std::string::npos)
        << l;
  }
}

TEST_P(ProcessTest, AHundredThousandProcessesSpawnedByOneProcessAllFinish) {
  beam::runtime rt(options());
  int done = 0;
  rt.run([&]() -> beam::process {
    const beam::pid parent = beam::self();
    for (int i = 0; i < 100'000; ++i) {
      beam::spawn([parent]() -> beam::process {
        beam::send(parent, "done"_a);
        co_return;
      });
    }
    for (int i = 0; i < 100'000; ++i) co_await beam::receive(beam::on("done"_a, [&] { ++done; }));
  });
  EXPECT_EQ(done, 100'000);
}

TEST_P(ProcessTest, ArgumentsAreCopiedAtSpawnAndCapturesLiveAsLongAsTheProcess) {
  beam::runtime rt(options());
  std::string seen;
  rt.run([&]() -> beam::process {
    std::string text = "before";
    const beam::pid parent = beam::self();
    beam::pid child = beam::spawn(
        [parent, suffix = std::string("-captured")](std::string arg) -> beam::process {
          co_await beam::receive(beam::on("go"_a, [] {}));  // suspend: captures and args must survive
          beam::send(parent, arg + suffix);
        },
        text);
    text = "after";
    beam::send(child, "go"_a);
    term reply = co_await beam::receive();
    seen = std::string(reply.as_string_view());
  });
  EXPECT_EQ(seen, "before-captured");
}

TEST_P(ProcessTest, TasksNestedInABodyCanReceive) {
  beam::runtime rt(options());
  std::int64_t sum = 0;
  rt.run([&]() -> beam::process {
    auto take_int = []() -> beam::task<std::int64_t> {
      std::int64_t n = co_await beam::receive(beam::on(beam::_int, [](std::int64_t v) { return v; }));
      co_return n;
    };
    auto take_two = [&]() -> beam::task<std::int64_t> {
      co_return co_await take_int() + co_await take_int();
    };
    beam::send(beam::self(), 20);
    beam::send(beam::self(), 22);
    sum = co_await take_two();
  });
  EXPECT_EQ(sum, 42);
}

TEST_P(ProcessTest, SpawnOfModuleFunctionArgsRunsTheExportedFunction) {
  beam::export_function("Elixir.Test"_a, "reply"_a, [](std::span<const term> args) -> beam::process {
    beam::send(args[0].as_pid(), beam::tuple("replied"_a, args[1]));
    co_return;
  });
  beam::runtime rt(options());
  term got;
  rt.run([&]() -> beam::process {
    beam::spawn("Test"_a, "reply"_a, {beam::self(), 7});
    got = co_await beam::receive();
  });
  EXPECT_EQ(got, beam::tuple("replied"_a, 7));
}

// An export_call is a function for spawn/3 too: it runs (a task co_awaited in the process), its value is
// dropped, and what it throws is the process's exit reason.
TEST_P(ProcessTest, SpawnOfAnExportedCallRunsItAndWhatItThrowsIsTheExitReason) {
  beam::export_call("Elixir.Test"_a, "call_reply"_a, [](std::span<const term> args) -> beam::task<term> {
    co_await beam::yield();
    beam::send(args[0].as_pid(), beam::tuple("called"_a, args[1]));
    co_return args[1];
  });
  beam::export_call("Elixir.Test"_a, "call_fail"_a, [](std::span<const term>) -> std::int64_t {
    throw beam::error(term("oops"_a), "asked to fail");
  });
  EXPECT_THROW(beam::export_call("m"_a, "f"_a, beam::exported_call()), std::invalid_argument);
  beam::runtime rt(options());
  term got, down;
  rt.run([&]() -> beam::process {
    // Named pairs, not structured bindings: GCC 12 mishandles those in coroutines (see dist/connection.cpp).
    const std::pair<beam::pid, beam::reference> ok =
        beam::spawn_monitor("Test"_a, "call_reply"_a, {beam::self(), 7});
    got = co_await beam::receive(
        beam::on(beam::tuple("called"_a, beam::_term), [](const term& v) { return v; }));
    co_await beam::receive(
        beam::on(beam::tuple("DOWN"_a, ok.second, "process"_a, ok.first, "normal"_a), [] {}));
    const std::pair<beam::pid, beam::reference> failing = beam::spawn_monitor("Test"_a, "call_fail"_a, {});
    down = co_await beam::receive(
        beam::on(beam::tuple("DOWN"_a, failing.second, "process"_a, failing.first, beam::_term),
                 [](const term& why) { return why; }));
  });
  EXPECT_EQ(got, term(7));
  EXPECT_EQ(down, term("oops"_a));
}

TEST_P(ProcessTest, SpawnOfAnUnknownFunctionGivesAPidThatExitsWithUndef) {
  captured_log log;
  beam::runtime rt(options());
  bool was_pid = false;
  rt.run([&]() -> beam::process {
    beam::pid p = beam::spawn("Nope"_a, "nothing"_a, {1, 2});
    was_pid = true;
    co_await beam::testing::wait_for_exit(p);
  });
  EXPECT_TRUE(was_pid);
  EXPECT_TRUE(log.contains("undefined function Nope.nothing/2")) << ::testing::PrintToString(log.lines());
}

TEST_P(ProcessTest, IOPutsIsExportedForSpawn3) {
  beam::testing::captured_output out;
  {
    beam::runtime rt(options());
    rt.run([]() -> beam::process {
      const beam::pid p = beam::spawn("IO"_a, "puts"_a, {"Hello"});
      co_await beam::testing::wait_for_exit(p);
    });
  }
  EXPECT_EQ(out.text(), "Hello\n");
}

TEST_P(ProcessTest, PidsPrintAndCompareAsErlangsAndAStalePidNeverReachesAReusedSlot) {
  beam::runtime rt(options(1024));
  bool stale_reached = false;
  rt.run([&]() -> beam::process {
    const beam::pid parent = beam::self();
    // Fill and empty the table twice, so every slot is reused; old pids must not reach the new processes.
    std::vector<beam::pid> old;
    for (int i = 0; i < 900; ++i) old.push_back(beam::spawn([]() -> beam::process { co_return; }));
    while (beam::process_count() > 2) co_await beam::yield();
    std::set<beam::pid> fresh;
    for (int i = 0; i < 900; ++i) {
      fresh.insert(beam::spawn([parent]() -> beam::process {
        co_await beam::receive(beam::on(beam::_term, [parent](term m) { beam::send(parent, m); }),
                               beam::after(std::chrono::milliseconds(200), [] {}));
      }));
    }
    for (const beam::pid& p : old) {
      EXPECT_FALSE(fresh.contains(p));
      beam::send(p, "stale"_a);
    }
    co_await beam::receive(beam::on("stale"_a, [&] { stale_reached = true; }),
                           beam::after(std::chrono::milliseconds(300), [] {}));
  });
  EXPECT_FALSE(stale_reached);
  EXPECT_EQ(beam::format("{}", beam::pid(109, 0)), "#PID<0.109.0>");
  EXPECT_TRUE(beam::pid(100, 0) < beam::pid(5, 1));  // serial first, as Erlang orders local pids
  EXPECT_EQ(term(beam::pid(3, 4)).as_pid(), beam::pid(3, 4));
}

TEST_P(ProcessTest, SpawningPastTheLimitIsASystemLimitErrorAndFreedSlotsComeBack) {
  captured_log log;
  beam::runtime rt(options(1024));
  bool limit_hit = false;
  bool recovered = false;
  rt.run([&]() -> beam::process {
    std::vector<beam::pid> waiting;
    try {
      for (;;) waiting.push_back(beam::spawn([]() -> beam::process { co_await beam::receive(); }));
    } catch (const beam::error& e) {
      limit_hit = e.reason() == term("system_limit"_a);
    }
    EXPECT_EQ(beam::process_count(), 1024u);
    for (const beam::pid& p : waiting) beam::send(p, "stop"_a);
    while (beam::process_count() > 2) co_await beam::yield();
    recovered = beam::alive(beam::spawn([]() -> beam::process { co_await beam::receive(); }));
  });
  EXPECT_TRUE(limit_hit);
  EXPECT_TRUE(recovered);
  EXPECT_TRUE(log.contains("Too many processes"));
}

BEAM_SCHEDULER_COUNTS(ProcessTest);

}  // namespace

namespace {

class HogTest : public beam::testing::RuntimeTest {};

// As many hogs as schedulers spin without ever calling the runtime; a ping-pong pair must still run to the
// end while they spin (the monitor hands the stuck schedulers' queues to spares), and the hogs are reported.
TEST_P(HogTest, HogsOnEverySchedulerDoNotStopAPingPongPair) {
  captured_log log;
  beam::runtime rt(options());
  std::atomic<bool> release_hogs{false};
  std::atomic<int> hogs_spinning{0};
  bool pair_done_while_hogs_spun = false;
  rt.run([&]() -> beam::process {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(20);  // never hang the suite
    for (std::uint32_t i = 0; i < GetParam(); ++i) {
      beam::spawn(
          [&release_hogs, &hogs_spinning, deadline]() -> beam::process {  // the test's locals outlive them
            ++hogs_spinning;
            while (!release_hogs.load() && std::chrono::steady_clock::now() < deadline) {
            }
            --hogs_spinning;
            co_return;
          });
    }
    while (hogs_spinning.load() < static_cast<int>(GetParam()) && std::chrono::steady_clock::now() < deadline)
      co_await beam::yield();  // every scheduler is stuck
    const beam::pid me = beam::self();
    beam::pid ponger = beam::spawn([]() -> beam::process {
      for (;;) {
        co_await beam::receive(
            beam::on(beam::tuple("ping"_a, beam::_pid), [](beam::pid from) { beam::send(from, "pong"_a); }));
      }
    });
    for (int i = 0; i < 1000; ++i) {
      beam::send(ponger, beam::tuple("ping"_a, me));
      co_await beam::receive(beam::on("pong"_a, [] {}));
    }
    pair_done_while_hogs_spun = hogs_spinning.load() > 0 && !release_hogs.load();
    // The pair may finish before a hog has used the CPU time that gets it reported (spares take a stuck queue
    // over sooner than that): keep them spinning, without competing with them for a core, until one is
    // reported.
    while (!log.contains("long_schedule") && std::chrono::steady_clock::now() < deadline) {
      co_await beam::sleep(std::chrono::milliseconds(1));
    }
    release_hogs = true;
  });
  EXPECT_TRUE(pair_done_while_hogs_spun);
  EXPECT_TRUE(log.contains("long_schedule")) << ::testing::PrintToString(log.lines());
}

// A spare that takes over a hog's queue runs the waiting processes it took; their receive timeouts sit in its
// timer wheel and must still fire after the hog has ended and the spare has nothing else to do.
TEST_P(HogTest, AReceiveTimeoutStartedOnASpareFiresAfterTheHogEnds) {
  beam::runtime rt(options());
  bool child_timed_out = false;
  rt.run([&]() -> beam::process {
    const beam::pid me = beam::self();
    beam::spawn([me]() -> beam::process {
      co_await beam::receive(beam::on("never"_a, [] {}), beam::after(std::chrono::milliseconds(100), [me] {
                               beam::send(me, "timed_out"_a);
                             }));
    });
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(30);
    while (std::chrono::steady_clock::now() <
           until) {  // a hog: the child goes to a spare (or another scheduler)
    }
    co_await beam::sleep(std::chrono::milliseconds(5));  // the monitor sees that nothing is stuck any more
    for (int i = 0; i < 200; ++i) {  // work that wakes the idle spare, which then finds nothing more to do
      beam::spawn([]() -> beam::process { co_return; });
    }
    co_await beam::receive(beam::on("timed_out"_a, [&] { child_timed_out = true; }),
                           beam::after(std::chrono::seconds(5), [] {}));
  });
  EXPECT_TRUE(child_timed_out) << "the child's timeout never fired";
}

// Each stuck scheduler gets a spare, spares included: with more hogs than schedulers and as many spares
// (the cap before), a receive timeout still fires and a ping-pong pair still runs while all of them spin.
TEST_P(HogTest, MoreHogsThanTwiceTheSchedulersDoNotStopTimersOrOtherProcesses) {
  beam::runtime rt(options());
  std::atomic<bool> release_hogs{false};
  std::atomic<int> hogs_spinning{0};
  const int hogs = 2 * static_cast<int>(GetParam()) + 1;
  bool done_while_hogs_spun = false;
  rt.run([&]() -> beam::process {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(20);  // never hang the suite
    for (int i = 0; i < hogs; ++i) {
      beam::spawn([&release_hogs, &hogs_spinning, deadline]() -> beam::process {
        ++hogs_spinning;
        while (!release_hogs.load() && std::chrono::steady_clock::now() < deadline) {
        }
        --hogs_spinning;
        co_return;
      });
      co_await beam::yield();  // on one scheduler: let it start before the next (it takes this one)
    }
    while (hogs_spinning.load() < hogs && std::chrono::steady_clock::now() < deadline) co_await beam::yield();
    const beam::pid me = beam::self();
    const beam::pid ponger = beam::spawn([]() -> beam::process {
      for (;;) {
        co_await beam::receive(
            beam::on(beam::tuple("ping"_a, beam::_pid), [](beam::pid from) { beam::send(from, "pong"_a); }));
      }
    });
    for (int i = 0; i < 100; ++i) {
      beam::send(ponger, beam::tuple("ping"_a, me));
      co_await beam::receive(beam::on("pong"_a, [] {}));
    }
    bool timed_out = false;
    co_await beam::receive(beam::on("never"_a, [] {}),
                           beam::after(std::chrono::milliseconds(20), [&] { timed_out = true; }));
    done_while_hogs_spun = timed_out && hogs_spinning.load() == hogs;
    release_hogs = true;
  });
  EXPECT_TRUE(done_while_hogs_spun);
}

// Past max_spare_schedulers the processes behind the newest hog wait; that is reported once.
TEST(Hogs, MoreHogsThanSparesAreReportedAsSuch) {
  captured_log log;
  beam::runtime rt({.schedulers = 1, .max_spare_schedulers = 1});
  rt.run([&]() -> beam::process {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(20);  // never hang the suite
    const beam::pid me = beam::self();
    for (int i = 0; i < 3; ++i) {
      beam::spawn([&log, deadline, me]() -> beam::process {  // the test's locals outlive them
        while (!log.contains("every spare scheduler") && std::chrono::steady_clock::now() < deadline) {
        }
        beam::send(me, "done"_a);
        co_return;
      });
    }
    for (int i = 0; i < 3; ++i) co_await beam::receive(beam::on("done"_a, [] {}));
  });
  EXPECT_TRUE(log.contains("every spare scheduler (1, runtime_options::max_spare_schedulers) is taken"))
      << ::testing::PrintToString(log.lines());
}

BEAM_SCHEDULER_COUNTS(HogTest);

beam::task<beam::pid> start_short_lived() {
  co_return beam::spawn([]() -> beam::process { co_return; });
}

// On one scheduler, a loop that spawns 10,000 processes through a beam::task gives the scheduler to the
// process queued behind it as soon as its reductions are spent (spawns cost them), and is no long_schedule.
TEST(Reductions, ALoopSpawningTenThousandProcessesSharesItsScheduler) {
  captured_log log;
  beam::runtime rt({.schedulers = 1});
  // Atomic: a slice that runs long is handed to a spare scheduler's thread (see below).
  std::atomic<int> spawned = 0;
  std::atomic<int> spawned_when_the_other_ran = -1;
  rt.run([&]() -> beam::process {
    beam::spawn([&]() -> beam::process {
      spawned_when_the_other_ran = spawned.load();
      co_return;
    });
    for (; spawned < 10'000; ++spawned) co_await start_short_lived();
  });
  EXPECT_GE(spawned_when_the_other_ran, 1);
  EXPECT_LT(spawned_when_the_other_ran, 1'000) << "the loop kept its scheduler past its reductions";
#if !defined(__SANITIZE_THREAD__)
  // Under ThreadSanitizer a spawn costs some 30 us, so even a slice within its reductions passes 10 ms.
  EXPECT_FALSE(log.contains("long_schedule")) << ::testing::PrintToString(log.lines());
#endif
}

TEST(Reductions, SpawnSignalsAndBuildingLargeTermsCostReductions) {
  beam::runtime rt({.schedulers = 1});
  std::uint64_t for_spawns = 0, for_monitors = 0, for_a_large_list = 0;
  rt.run([&]() -> beam::process {
    const beam::pid me = beam::self();
    const auto reductions = [me] { return beam::process_info(me)->reductions; };
    std::uint64_t before = reductions();
    for (int i = 0; i < 100; ++i) (void)beam::spawn([]() -> beam::process { co_return; });
    for_spawns = reductions() - before;
    const beam::pid idle =
        beam::spawn([]() -> beam::process { co_await beam::receive(beam::on("stop"_a, [] {})); });
    before = reductions();
    for (int i = 0; i < 100; ++i) beam::demonitor(beam::monitor(idle));
    for_monitors = reductions() - before;
    before = reductions();
    const beam::term large = beam::to_term(std::vector<int>(100'000, 7));  // 1.6 MB of list
    beam::send(idle, "stop"_a);                                            // counts what was built
    for_a_large_list = reductions() - before;
    EXPECT_EQ(large.as_list().size(), 100'000u);
    co_return;
  });
  EXPECT_GE(for_spawns, 1'000u);        // 10 a spawn
  EXPECT_GE(for_monitors, 200u);        // 1 a signal
  EXPECT_GE(for_a_large_list, 4'000u);  // a slice's budget at once
}

}  // namespace
