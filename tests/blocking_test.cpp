// Blocking calls on the dirty threads (beam::blocking_call), files and standard input through them.
#include <atomic>
#include <chrono>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include <beam/beam.hpp>

#include "support/runtime_fixture.hpp"
#include "support/subprocess.hpp"
#include "support/waits.hpp"

using namespace beam::literals;
using beam::term;
using beam::testing::error_of;
using beam::testing::expect;

namespace {

class BlockingTest : public beam::testing::RuntimeTest {
 protected:
  [[nodiscard]] beam::runtime_options options_with_dirty(std::uint32_t dirty_io_threads) const {
    beam::runtime_options o = options();
    o.dirty_io_threads = dirty_io_threads;
    return o;
  }
};

// Counts its live instances: a result dropped by a killed caller must still be destroyed.
struct counted {
  static inline std::atomic<int> live{0};
  counted() { ++live; }
  counted(const counted&) { ++live; }
  counted(counted&&) noexcept { ++live; }
  counted& operator=(const counted&) = default;
  ~counted() { --live; }
};

// A dirty thread's pause (the blocking call itself; the test's processes never sleep).
void block_for(std::chrono::milliseconds d) {
  std::this_thread::sleep_for(d);
}

// Blocks a dirty thread until `gate` opens.
void wait_for_gate(const std::atomic<bool>& gate) {
  gate.wait(false);
}
void open_gate(std::atomic<bool>& gate) {
  gate.store(true);
  gate.notify_all();
}

// Answers {ping, From} with pong until stop.
beam::process ponger() {
  for (bool running = true; running;) {
    co_await beam::receive(
        beam::on(beam::tuple("ping"_a, beam::_pid), [](beam::pid from) { beam::send(from, "pong"_a); }),
        beam::on("stop"_a, [&] { running = false; }));
  }
}

TEST_P(BlockingTest, TheFunctionsValueReachesTheProcess) {
  beam::runtime rt(options());
  std::string text;
  int number = 0;
  bool void_ran = false;
  rt.run([&]() -> beam::process {
    number = co_await beam::blocking_call([] { return 42; });
    text = co_await beam::blocking_call([] { return std::string("from a dirty thread"); });
    co_await beam::blocking_call([&void_ran] { void_ran = true; });
  });
  EXPECT_EQ(number, 42);
  EXPECT_EQ(text, "from a dirty thread");
  EXPECT_TRUE(void_ran);
}

TEST_P(BlockingTest, WhatTheFunctionThrowsIsRethrownInTheProcess) {
  beam::runtime rt(options());
  term reason;
  std::string what;
  rt.run([&]() -> beam::process {
    reason = co_await error_of(beam::blocking_call([]() -> int { throw beam::error("disk_on_fire"_a); }));
    try {
      co_await beam::blocking_call([] { throw std::out_of_range("past the end"); });
    } catch (const std::out_of_range& e) {
      what = e.what();
    }
  });
  EXPECT_EQ(reason, term("disk_on_fire"_a));
  EXPECT_EQ(what, "past the end");
}

TEST_P(BlockingTest, MessagesArrivingDuringTheCallStayInTheMailboxInOrder) {
  beam::runtime rt(options());
  term first, second;
  rt.run([&]() -> beam::process {
    const beam::pid me = beam::self();
    beam::send(me, "before"_a);
    co_await beam::blocking_call([me] { beam::send(me, "during"_a); });
    first = co_await beam::receive();
    second = co_await beam::receive();
  });
  EXPECT_EQ(first, term("before"_a));
  EXPECT_EQ(second, term("during"_a));
}

// 20 calls of 50 ms: the ping-pong pair beside them goes on while they run, on every scheduler count (1
// included: were a call run on the scheduler, no round trip could end while one sleeps).
TEST_P(BlockingTest, BlockingCallsLeaveTheSchedulersToTheirNeighbours) {
  constexpr int calls = 20;
  beam::runtime rt(options());
  std::atomic<int> sleeping{0};
  std::int64_t trips_while_sleeping = 0;
  rt.run([&]() -> beam::process {
    const beam::pid me = beam::self();
    for (int i = 0; i < calls; ++i) {
      beam::spawn([me, &sleeping]() -> beam::process {
        co_await beam::blocking_call([&sleeping] {
          ++sleeping;
          block_for(std::chrono::milliseconds(50));
          --sleeping;
        });
        beam::send(me, "done"_a);
      });
    }
    const beam::pid other = beam::spawn(ponger);
    const term ping = beam::tuple("ping"_a, me);
    for (int done = 0; done < calls;) {
      beam::send(other, ping);
      for (bool ponged = false; !ponged;) {
        co_await beam::receive(beam::on("pong"_a,
                                        [&] {
                                          ponged = true;
                                          if (sleeping.load() > 0) ++trips_while_sleeping;
                                        }),
                               beam::on("done"_a, [&] { ++done; }));
      }
    }
    beam::send(other, "stop"_a);
  });
  EXPECT_GT(trips_while_sleeping, 100);
}

TEST_P(BlockingTest, AtMostDirtyIoThreadsCallsRunAtOnceAndTheRestQueue) {
  constexpr int calls = 5;
  beam::runtime rt(options_with_dirty(2));
  std::atomic<int> running{0}, most{0}, finished{0};
  rt.run([&]() -> beam::process {
    const beam::pid me = beam::self();
    for (int i = 0; i < calls; ++i) {
      beam::spawn([&, me]() -> beam::process {
        co_await beam::blocking_call([&] {
          const int now = ++running;
          for (int seen = most.load(); now > seen && !most.compare_exchange_weak(seen, now);) {
          }
          block_for(std::chrono::milliseconds(50));
          --running;
          ++finished;
        });
        beam::send(me, "done"_a);
      });
    }
    for (int i = 0; i < calls; ++i) co_await expect("done"_a);
  });
  EXPECT_EQ(most.load(), 2);
  EXPECT_EQ(finished.load(), calls);
}

// One dirty thread: the first call holds it; a second caller, queued behind, is killed before its turn (its
// job never runs); the first is killed while its job runs (the job ends, its result is destroyed).
TEST_P(BlockingTest, AKilledCallerEndsAtOnceAndItsCallIsDroppedOrForgotten) {
  counted::live = 0;
  std::atomic<bool> gate{false}, queued_job_ran{false}, running_job_ended{false};
  {
    beam::runtime rt(options_with_dirty(1));
    term first_reason, second_reason;
    rt.run([&]() -> beam::process {
      const beam::pid me = beam::self();
      const beam::pid running = beam::spawn([&, me]() -> beam::process {
        counted result = co_await beam::blocking_call([&, me] {
          beam::send(me, "started"_a);
          wait_for_gate(gate);
          running_job_ended = true;
          return counted{};
        });
        ADD_FAILURE() << "a killed process never resumes";
      });
      co_await expect("started"_a);
      const beam::pid queued = beam::spawn([&, me]() -> beam::process {
        beam::send(me, "queuing"_a);
        co_await beam::blocking_call([&] { queued_job_ran = true; });
        ADD_FAILURE() << "a killed process never resumes";
      });
      const beam::reference queued_down = beam::monitor(queued);
      const beam::reference running_down = beam::monitor(running);
      co_await expect("queuing"_a);
      beam::exit(queued, "kill"_a);
      second_reason = co_await beam::testing::down_reason(queued_down);
      beam::exit(running, "kill"_a);
      first_reason = co_await beam::testing::down_reason(running_down);
      open_gate(gate);
    });
    EXPECT_EQ(first_reason, term("killed"_a));
    EXPECT_EQ(second_reason, term("killed"_a));
  }  // the runtime's end waits for the running job
  EXPECT_TRUE(running_job_ended.load());
  EXPECT_FALSE(queued_job_ran.load());
  EXPECT_EQ(counted::live.load(), 0);
}

TEST(BlockingOptions, DirtyIoThreadsOutsideOneToTenTwentyFourIsRefused) {
  EXPECT_THROW(beam::runtime({.dirty_io_threads = 0}), std::invalid_argument);
  EXPECT_THROW(beam::runtime({.dirty_io_threads = 1025}), std::invalid_argument);
  EXPECT_NO_THROW(beam::runtime({.dirty_io_threads = 1}));
}

// What `erl` prints for file:read_file(Path) (~p), asked once per path.
std::string erl_read_file(const std::string& path) {
  static std::map<std::string, std::string> seen;
  if (auto it = seen.find(path); it != seen.end()) return it->second;
  const auto erl = beam::testing::run_process(
      {"erl", "-noshell", "-eval", "io:format(\"~p\", [file:read_file(\"" + path + "\")]), halt()."});
  EXPECT_EQ(erl.exit_code, 0) << "erl is needed (scripts/setup.sh installs it): " << erl.err;
  return seen[path] = erl.out;
}

// Our read_file(path) as Erlang prints its result: {ok, Binary} or {error, Reason}.
std::string ours_read_file(const beam::runtime_options& options, const std::string& path) {
  beam::runtime rt(options);
  term result;
  rt.run([&]() -> beam::process {
    try {
      result = beam::tuple("ok"_a, co_await beam::file::read_file(path));
    } catch (const beam::error& e) {
      result = beam::tuple("error"_a, e.reason());
    }
  });
  return beam::format_erlang(result);
}

TEST_P(BlockingTest, AWrittenFileReadsBackAsTheSameBinary) {
  beam::testing::temp_dir dir;
  const std::string path = dir.file("data.bin");
  const std::string data("line one\n\0binary\xff", 17);
  beam::runtime rt(options());
  term back;
  rt.run([&]() -> beam::process {
    co_await beam::file::write_file(path, data);
    back = co_await beam::file::read_file(path);
  });
  EXPECT_TRUE(back.is_binary());
  EXPECT_EQ(back.as_string_view(), data);
  EXPECT_EQ(beam::testing::read_file(path), data);
}

TEST_P(BlockingTest, ReadingAMissingFileGivesEnoentAsErlangsReadFile) {
  const std::string path = "/nonexistent";
  const std::string erl = erl_read_file(path);
  ASSERT_FALSE(erl.empty()) << "erl is needed (scripts/setup.sh installs it)";
  EXPECT_EQ(erl, "{error,enoent}");
  EXPECT_EQ(ours_read_file(options(), path), erl);
}

TEST_P(BlockingTest, ReadingADirectoryGivesEisdirAsErlangsReadFile) {
  const std::string path = "/tmp";
  const std::string erl = erl_read_file(path);
  ASSERT_FALSE(erl.empty()) << "erl is needed (scripts/setup.sh installs it)";
  EXPECT_EQ(erl, "{error,eisdir}");
  EXPECT_EQ(ours_read_file(options(), path), erl);
}

TEST_P(BlockingTest, AHandleWritesAppendsReadsToTheEndAndCloses) {
  beam::testing::temp_dir dir;
  const std::string path = dir.file("log.txt");
  namespace file = beam::file;
  beam::runtime rt(options());
  term a, b, at_end, after_close;
  rt.run([&]() -> beam::process {
    file::handle out = co_await file::open(path, file::mode::write);
    co_await out.write("ab");
    co_await out.write("cd");
    co_await out.close();
    file::handle log = co_await file::open(path, file::mode::append);
    co_await log.write("ef");
    co_await log.close();
    file::handle in = co_await file::open(path);
    a = co_await in.read(3);
    b = co_await in.read(100);
    at_end = co_await in.read(100);
    co_await in.close();
    after_close = co_await error_of(in.read(1));
  });
  EXPECT_EQ(a, term("abc"));
  EXPECT_EQ(b, term("def"));
  EXPECT_EQ(at_end, term("eof"_a));
  EXPECT_EQ(after_close, term("einval"_a));
}

TEST_P(BlockingTest, OnlyTheOpeningProcessMayUseAHandle) {
  beam::testing::temp_dir dir;
  const std::string path = dir.file("owned.txt");
  beam::testing::write_file(path, "mine");
  beam::runtime rt(options());
  term reason;
  rt.run([&]() -> beam::process {
    beam::file::handle h = co_await beam::file::open(path);
    const beam::pid me = beam::self();
    beam::spawn([&h, me]() -> beam::process { beam::send(me, co_await error_of(h.read(1))); });
    reason = co_await beam::receive();
    co_await h.close();
  });
  EXPECT_EQ(reason, term("not_on_controlling_process"_a));
}

TEST_P(BlockingTest, OpeningAMissingFileForReadingGivesEnoent) {
  beam::runtime rt(options());
  term reason;
  rt.run([&]() -> beam::process { reason = co_await error_of(beam::file::open("/nonexistent/file")); });
  EXPECT_EQ(reason, term("enoent"_a));
}

// io::gets, in examples/read_lines.cpp, with its standard input a pipe.
TEST(BlockingGets, GetsReadsLinesFromAPipeThenEof) {
  const auto run =
      beam::testing::run_process({BEAM_BINARY_DIR "/examples/example_read_lines"},
                                 "first\nsecond\n\nlast without newline", std::chrono::seconds(30));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out,
            "1 \"first\\n\"\n2 \"second\\n\"\n3 \"\\n\"\n4 \"last without newline\"\n"
            "eof after 4 lines\n");
}

BEAM_SCHEDULER_COUNTS(BlockingTest);

}  // namespace
