// Processes that never suspend (hogs) and plain recursion: they must not hang run() or take the runtime down
// silently. The fatal cases run in a child process (GoogleTest death tests), which must end with a clear
// report.
#include <signal.h>
#include <sys/mman.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <beam/beam.hpp>

#include "support/runtime_fixture.hpp"

using namespace beam::literals;
using beam::testing::captured_log;

namespace {

// A loop the compiler cannot drop, that never reaches a co_await. Sets `spinning` once inside.
void spin_forever(std::atomic<bool>& spinning) {
  spinning.store(true);
  volatile unsigned n = 0;
  for (;;) n = n + 1;
}

// The body of the death tests below: a runtime whose initial process starts a hog and ends at once.
beam::exit_reason run_with_a_hog(const beam::runtime_options& options, std::string& hog_text) {
  beam::runtime rt(options);
  static std::atomic<bool> spinning{false};  // static: the hog outlives run()
  return rt.run([&]() -> beam::process {
    const beam::pid hog = beam::spawn([]() -> beam::process {
      spin_forever(spinning);
      co_return;
    });
    hog_text = fmt::format("#PID<0.{}.{}>", hog.number(), hog.serial());
    while (!spinning.load()) co_await beam::yield();
  });
}

// The child process: run() must come back after the shutdown timeout with a report naming the hog.
[[noreturn]] void hog_left_at_shutdown() {
  captured_log log;
  std::string hog_text;
  const auto started = std::chrono::steady_clock::now();
  const beam::exit_reason reason =
      run_with_a_hog({.schedulers = 2, .shutdown_timeout = std::chrono::milliseconds(200)}, hog_text);
  const auto took = std::chrono::steady_clock::now() - started;
  bool named = false;
  for (const std::string& line : log.lines()) {
    named = named || (line.find("shutdown: process " + hog_text + " (initial call") != std::string::npos &&
                      line.find("run() returns and leaves it running") != std::string::npos);
  }
  std::fprintf(stderr, "normal=%d named=%d within=%d\n", reason.is_normal(), named,
               took < std::chrono::seconds(20));
  std::_Exit(0);
}

TEST(ShutdownDeathTest, RunReturnsAfterTheTimeoutAndNamesAProcessThatNeverSuspends) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(hog_left_at_shutdown(), ::testing::ExitedWithCode(0), "normal=1 named=1 within=1");
}

TEST(ShutdownDeathTest, WithStuckShutdownAbortTheProgramAbortsAfterTheReport) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  std::string hog_text;
  EXPECT_EXIT(
      run_with_a_hog({.schedulers = 1,
                      .shutdown_timeout = std::chrono::milliseconds(100),
                      .on_stuck_shutdown = beam::stuck_shutdown::abort},
                     hog_text),
      ::testing::KilledBySignal(SIGABRT),
      "shutdown: process #PID<0\\.[0-9]+\\.[0-9]+> \\(initial call .*\\) still runs on scheduler 1 100 ms "
      "after the initial process ended.*aborting");
}

// Plain (non-coroutine) recursion runs on the scheduler thread's stack. noinline and the volatile buffer
// keep the compiler from turning it into a loop.
[[gnu::noinline]] unsigned recurse(unsigned depth) {
  volatile char frame[512];
  frame[0] = static_cast<char>(depth);
  if (depth == ~0U) return 0;  // far deeper than any stack
  return recurse(depth + 1) + frame[0];
}

// Writes the overflowing process's pid to `pid_text` (shared with the parent of the death test).
[[noreturn]] void overflow_in_a_process(char* pid_text) {
  beam::runtime rt({.schedulers = 2, .scheduler_stack_size = std::size_t{256} << 10});
  rt.run([pid_text]() -> beam::process {
    const beam::pid deep = beam::spawn([]() -> beam::process {
      co_await beam::receive(beam::on("go"_a, [] {}));
      std::fprintf(stderr, "%u\n", recurse(0));
    });
    std::snprintf(pid_text, 64, "#PID<0.%u.%u>", deep.number(), deep.serial());
    beam::send(deep, "go"_a);
    co_await beam::receive(beam::on("never"_a, [] {}));
  });
  std::_Exit(0);
}

TEST(ShutdownDeathTest, AStackOverflowInAProcessIsAFatalReportNamingTheProcess) {
  GTEST_FLAG_SET(death_test_style, "fast");  // a fork: the child writes the pid to a page shared with us
  void* shared = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(shared, MAP_FAILED);
  char* pid_text = static_cast<char*>(shared);
  const auto names_the_process = [pid_text](const std::string& message) {
    return pid_text[0] != '\0' &&
           message.find(fmt::format("beampp: fatal: process {} overflowed the stack of scheduler ",
                                    pid_text)) != std::string::npos &&
           message.find("(runtime_options::scheduler_stack_size bytes)") != std::string::npos;
  };
  EXPECT_EXIT(overflow_in_a_process(pid_text), ::testing::KilledBySignal(SIGSEGV),
              ::testing::Truly(names_the_process));
  munmap(shared, 4096);
}

TEST(Shutdown, ProcessesThatSuspendEndWithoutWaitingForTheTimeout) {
  beam::runtime rt({.schedulers = 2, .shutdown_timeout = std::chrono::seconds(100)});
  const auto started = std::chrono::steady_clock::now();
  rt.run([]() -> beam::process {
    for (int i = 0; i < 100; ++i) {
      beam::spawn([]() -> beam::process { co_await beam::receive(beam::on("never"_a, [] {})); });
    }
    co_return;
  });
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(50));
}

TEST(Shutdown, OptionsOutsideTheirRangesAreRefusedByName) {
  const auto refused = [](const beam::runtime_options& options) -> std::string {
    try {
      beam::runtime rt(options);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "accepted";
  };
  EXPECT_EQ(refused({.schedulers = 1, .max_spare_schedulers = 1025}),
            "max_spare_schedulers 1025 is outside the accepted range 0 ... 1024");
  EXPECT_EQ(refused({.schedulers = 1, .scheduler_stack_size = 4096}),
            "scheduler_stack_size 4096 is outside the accepted range 131072 ... 1073741824");
  EXPECT_EQ(refused({.schedulers = 1, .shutdown_timeout = std::chrono::milliseconds(-1)}),
            "shutdown_timeout -1 ms is negative");
}

}  // namespace
