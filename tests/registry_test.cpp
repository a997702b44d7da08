// Registered names, introspection and timers of processes, over 1, 2 and 4 schedulers.
#include <atomic>
#include <chrono>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <beam/beam.hpp>

#include "support/runtime_fixture.hpp"
#include "support/subprocess.hpp"
#include "support/waits.hpp"

using namespace beam::literals;
using namespace std::chrono_literals;
using beam::term;

namespace {

class RegistryTest : public beam::testing::RuntimeTest {};

beam::process wait_for_stop() {
  co_await beam::receive(beam::on("stop"_a, [] {}));
}

// The reason of the badarg that `f` raises, or "" when it raises none.
template <class F>
std::string badarg_of(F f) {
  try {
    f();
  } catch (const beam::error& e) {
    if (e.reason() == term("badarg"_a)) return e.what();
    return "other error";
  }
  return "";
}

TEST_P(RegistryTest, ANameFindsItsProcessUntilItEnds) {
  beam::runtime rt(options());
  std::vector<std::string> steps;
  rt.run([&]() -> beam::process {
    const beam::pid p = beam::spawn(wait_for_stop);
    beam::register_name("keeper"_a, p);
    if (beam::whereis("keeper"_a) == p) steps.push_back("whereis");
    for (beam::atom a : beam::registered()) {
      if (a == "keeper"_a) steps.push_back("registered");
    }
    if (beam::process_info(p)->registered_name == "keeper"_a) steps.push_back("process_info");
    beam::send("keeper"_a, "stop"_a);  // sending to the name reaches the process
    co_await beam::testing::wait_for_exit(p);
    if (!beam::whereis("keeper"_a)) steps.push_back("released");
    const beam::pid q = beam::spawn(wait_for_stop);
    beam::register_name("keeper"_a, q);  // the name is free again
    beam::unregister_name("keeper"_a);
    if (!beam::whereis("keeper"_a) && !beam::process_info(q)->registered_name)
      steps.push_back("unregistered");
    beam::send(q, "stop"_a);
  });
  EXPECT_EQ(steps,
            (std::vector<std::string>{"whereis", "registered", "process_info", "released", "unregistered"}));
}

TEST_P(RegistryTest, RegisterRefusesWhatErlangRefuses) {
  beam::runtime rt(options());
  std::vector<std::string> errors;
  rt.run([&]() -> beam::process {
    const beam::pid a = beam::spawn(wait_for_stop);
    const beam::pid b = beam::spawn(wait_for_stop);
    const beam::pid dead = beam::spawn([]() -> beam::process { co_return; });
    co_await beam::testing::wait_for_exit(dead);
    beam::register_name("taken"_a, a);
    errors.push_back(badarg_of([&] { beam::register_name("taken"_a, b); }));
    errors.push_back(badarg_of([&] { beam::register_name("second_name"_a, a); }));
    errors.push_back(badarg_of([&] { beam::register_name("ghost"_a, dead); }));
    errors.push_back(badarg_of([&] { beam::register_name("undefined"_a, b); }));
    errors.push_back(badarg_of([&] { beam::unregister_name("never_registered"_a); }));
    beam::send(a, "stop"_a);
    beam::send(b, "stop"_a);
  });
  ASSERT_EQ(errors.size(), 5u);
  EXPECT_NE(errors[0].find("already registered"), std::string::npos) << errors[0];
  EXPECT_NE(errors[1].find("already has a registered name"), std::string::npos) << errors[1];
  EXPECT_NE(errors[2].find("not alive"), std::string::npos) << errors[2];
  EXPECT_NE(errors[3].find("undefined"), std::string::npos) << errors[3];
  EXPECT_NE(errors[4].find("not a registered name"), std::string::npos) << errors[4];
}

TEST_P(RegistryTest, SendingToNameAtNodeReachesALocalNameAndDropsTheRestAsInErlang) {
  const auto erl = beam::testing::run_process({"erl", "-noshell", "-eval", R"(
register(me, self()),
Sent = [{me, nonode@nohost} ! hello, {nobody, nonode@nohost} ! lost, {me, elsewhere@host} ! lost],
Take = fun() -> receive M -> M after 0 -> empty end end,
First = Take(), Then = Take(),
io:format("~w", [Sent ++ [First, Then]]), halt().)"});
  ASSERT_EQ(erl.exit_code, 0) << "erl is needed (scripts/setup.sh installs it): " << erl.err;
  beam::runtime rt(options());
  term ours;
  rt.run([&]() -> beam::process {
    beam::register_name("me"_a, beam::self());
    std::vector<term> seen{beam::send({"me"_a, "nonode@nohost"_a}, "hello"_a),
                           beam::send({"nobody"_a, "nonode@nohost"_a}, "lost"_a),
                           beam::send({"me"_a, "elsewhere@host"_a}, "lost"_a)};
    seen.push_back(co_await beam::testing::poll());  // hello
    seen.push_back(co_await beam::testing::poll());  // empty: the others went nowhere
    ours = beam::make_list(std::move(seen));
  });
  EXPECT_EQ(beam::format_erlang(ours), erl.out);
}

TEST_P(RegistryTest, ProcessInfoDescribesALiveProcessAndNothingForADeadOne) {
  beam::runtime rt(options());
  std::optional<beam::process_info_t> waiting_info, dead_info, own_info;
  std::size_t listed = 0;
  beam::system_info_t sys{};
  rt.run([&]() -> beam::process {
    const beam::pid p = beam::spawn(wait_for_stop);
    for (int i = 0; i < 3; ++i) beam::send(p, i);
    while (beam::process_info(p)->status != beam::process_status::waiting) co_await beam::yield();
    waiting_info = beam::process_info(p);
    own_info = beam::process_info(beam::self());
    for (const beam::pid& q : beam::processes()) listed += q == p || q == beam::self();
    sys = beam::system_info();
    beam::send(p, "stop"_a);
    co_await beam::testing::wait_for_exit(p);
    dead_info = beam::process_info(p);
  });
  ASSERT_TRUE(waiting_info);
  EXPECT_EQ(waiting_info->message_queue_len, 3u);
  EXPECT_GT(waiting_info->memory, 0u);
  EXPECT_GE(waiting_info->reductions, 1u);
  EXPECT_EQ(waiting_info->initial_call, beam::tuple("erlang"_a, "apply"_a, 2));
  EXPECT_GE(waiting_info->scheduler, 1u);
  EXPECT_LE(waiting_info->scheduler, 2 * GetParam());  // a regular scheduler or a spare
  ASSERT_TRUE(own_info);
  EXPECT_EQ(own_info->status, beam::process_status::running);
  EXPECT_EQ(listed, 2u);
  EXPECT_EQ(sys.process_limit, 262'144u);
  EXPECT_EQ(sys.schedulers, GetParam());
  EXPECT_GE(sys.process_count, 2u);
  EXPECT_GT(sys.atom_count, 0u);
  EXPECT_EQ(sys.atom_limit, beam::default_atom_limit);
  EXPECT_GE(sys.pool_bytes, 64u * 1024);  // at least a chunk: two processes live
  EXPECT_FALSE(dead_info);
}

TEST_P(RegistryTest, SendAfterDeliversAndCancelAndReadTellTheTimeLeft) {
  beam::runtime rt(options());
  term first;
  std::optional<std::chrono::milliseconds> left, cancelled, cancelled_again, read_after_cancel;
  bool cancelled_message_arrived = false;
  rt.run([&]() -> beam::process {
    const auto start = std::chrono::steady_clock::now();
    beam::send_after(20ms, beam::self(), "soon"_a);
    const beam::reference late = beam::send_after(10s, beam::self(), "late"_a);
    left = beam::read_timer(late);
    first = co_await beam::receive();
    EXPECT_GE(std::chrono::steady_clock::now() - start, 20ms);
    cancelled = beam::cancel_timer(late);
    cancelled_again = beam::cancel_timer(late);
    read_after_cancel = beam::read_timer(late);
    co_await beam::receive(beam::on("late"_a, [&] { cancelled_message_arrived = true; }),
                           beam::after(50ms, [] {}));
  });
  EXPECT_EQ(first, term("soon"_a));
  ASSERT_TRUE(left);
  EXPECT_GT(*left, 9s);
  ASSERT_TRUE(cancelled);
  EXPECT_GT(*cancelled, 9s);
  EXPECT_FALSE(cancelled_again);
  EXPECT_FALSE(read_after_cancel);
  EXPECT_FALSE(cancelled_message_arrived);
}

TEST_P(RegistryTest, SendAfterToANameAndSleepWithoutTakingMessages) {
  beam::runtime rt(options());
  term got;
  std::size_t queued_after_sleep = 0;
  rt.run([&]() -> beam::process {
    beam::register_name("me"_a, beam::self());
    beam::send_after(5ms, "me"_a, "by_name"_a);
    beam::send(beam::self(), "already_here"_a);
    co_await beam::sleep(30ms);
    queued_after_sleep = beam::process_info(beam::self())->message_queue_len;
    got = co_await beam::receive(beam::on("by_name"_a, [] { return term("by_name"_a); }));
  });
  EXPECT_EQ(queued_after_sleep, 2u);  // sleep is a receive with only an after clause: messages stay
  EXPECT_EQ(got, term("by_name"_a));
}

TEST_P(RegistryTest, ProcessesAliveAtTheEndAreShutDownAndTheirFramesDestroyed) {
  static std::atomic<int> started{0};
  static std::atomic<int> destroyed{0};
  struct guard {
    guard() { ++started; }
    ~guard() { ++destroyed; }
  };
  started = 0;
  destroyed = 0;
  int destroyed_before_end = -1;
  {
    beam::runtime rt(options());
    rt.run([&]() -> beam::process {
      for (int i = 0; i < 1000; ++i) {
        beam::spawn([]() -> beam::process {
          guard g;
          co_await beam::receive();
        });
      }
      while (started.load() < 1000) co_await beam::yield();  // all of them wait in receive, holding a guard
      destroyed_before_end = destroyed.load();
    });
  }
  EXPECT_EQ(destroyed_before_end, 0);
  EXPECT_EQ(destroyed.load(), 1000);  // ended with reason shutdown: each frame destroyed, so each guard
}

TEST_P(RegistryTest, OneProcessLinesComeOutInOrder) {
  beam::testing::captured_output out;
  {
    beam::runtime rt(options());
    rt.run([]() -> beam::process {
      for (int w = 0; w < 4; ++w) {
        beam::spawn([w]() -> beam::process {
          for (int i = 0; i < 200; ++i) {
            beam::io::puts(beam::format("{} {}", w, i));
            if (i % 10 == 0) co_await beam::yield();
          }
        });
      }
      while (beam::process_count() > 2) co_await beam::yield();
    });
  }
  std::vector<int> next(4, 0);
  std::istringstream lines(out.text());
  int w = 0, i = 0, count = 0;
  while (lines >> w >> i) {
    EXPECT_EQ(i, next[static_cast<std::size_t>(w)]) << "writer " << w;
    next[static_cast<std::size_t>(w)] = i + 1;
    ++count;
  }
  EXPECT_EQ(count, 800);
}

// On one scheduler, so that the other process can run only when this one gives way.
TEST(Reductions, AProcessThatSpendsItsBudgetGivesWayAtItsNextReceive) {
  beam::runtime rt({.schedulers = 1});
  // Under a lock: a slice that runs long (ThreadSanitizer slows it past 10 ms) is handed to a spare
  // scheduler's thread, so the two processes may push from two threads.
  std::mutex order_mutex;
  std::vector<int> order;
  const auto note = [&](int what) {
    std::lock_guard lock(order_mutex);
    order.push_back(what);
  };
  rt.run([&]() -> beam::process {
    const beam::pid me = beam::self();
    for (int i = 0; i < 10'000; ++i) beam::send(me, i);  // 10,000 reductions: more than one slice's budget
    beam::spawn([&]() -> beam::process {
      note(-1);  // runs while the initial process still has messages to take
      co_return;
    });
    for (int i = 0; i < 10'000; ++i) {
      co_await beam::receive(beam::on(beam::_int, [&](std::int64_t n) {
        if (n % 2000 == 0) note(static_cast<int>(n));
      }));
    }
  });
  ASSERT_EQ(order.size(), 6u);
  EXPECT_NE(order.back(), -1) << "the spawned process ran only after every receive: the budget never yielded";
}

BEAM_SCHEDULER_COUNTS(RegistryTest);

}  // namespace
