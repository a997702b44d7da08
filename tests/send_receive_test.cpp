// Messages: send, selective receive, patterns, guards, timeouts, ordering under load, flush, the mailbox
// limit.
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <beam/beam.hpp>

#include "proc/node.hpp"
#include "support/runtime_fixture.hpp"
#include "support/subprocess.hpp"
#include "support/waits.hpp"

using namespace beam::literals;
using namespace std::chrono_literals;
using beam::term;

namespace {

class SendReceiveTest : public beam::testing::RuntimeTest {};

TEST_P(SendReceiveTest, SendReturnsTheMessageAndTheReceiverSeesItAsSent) {
  beam::runtime rt(options());
  term returned, received;
  rt.run([&]() -> beam::process {
    term msg = beam::tuple("hello3"_a, 42);
    returned = beam::send(beam::self(), msg);
    received = co_await beam::receive();
  });
  EXPECT_EQ(returned, beam::tuple("hello3"_a, 42));
  EXPECT_EQ(received, beam::tuple("hello3"_a, 42));
}

TEST_P(SendReceiveTest, SendToADeadOrNeverExistingPidIsSilentlyDropped) {
  beam::runtime rt(options());
  auto reason = rt.run([]() -> beam::process {
    beam::pid dead = beam::spawn([]() -> beam::process { co_return; });
    co_await beam::testing::wait_for_exit(dead);
    beam::send(dead, "lost"_a);
    beam::send(beam::pid(200'000, 7), "lost"_a);
    beam::send(beam::pid(beam::node_id{beam::atom("other@host"), 1}, 1, 0), "lost"_a);
  });
  EXPECT_TRUE(reason.is_normal());
}

// White-box: what the node hands its router (proc/node.hpp), as {To, Message} or {{Name, Node}, Message};
// each routed message is announced to `watcher` with `routed`.
class recording_router final : public beam::proc::remote_router {
 public:
  beam::pid watcher{0, 0};  // set before the first message is routed

  void route(const beam::pid& to, term message) override { record(beam::tuple(to, std::move(message))); }
  void route(beam::atom name, beam::atom node, term message) override {
    record(beam::tuple(beam::tuple(name, node), std::move(message)));
  }
  void record(term what) {
    {
      std::lock_guard lock(mutex_);
      routed_.push_back(std::move(what));
    }
    beam::send(watcher, "routed"_a);
  }
  [[nodiscard]] std::vector<term> routed() const {
    std::lock_guard lock(mutex_);
    return routed_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<term> routed_;  // mutex_
};

TEST_P(SendReceiveTest, SendsToAnotherNodeGoToTheRouterAndLocalOnesNever) {
  recording_router router;  // outlives the runtime, which may route until it ends
  const beam::pid remote(beam::node_id{beam::atom("other@host"), 1}, 5, 0);
  beam::runtime rt(options());
  beam::detail::current_node()->set_router(router);  // before the first spawn
  auto reason = rt.run([&]() -> beam::process {
    router.watcher = beam::self();
    beam::register_name("me"_a, beam::self());
    beam::pid dead = beam::spawn([]() -> beam::process { co_return; });
    co_await beam::testing::wait_for_exit(dead);
    beam::send(dead, "lost"_a);
    beam::send(beam::self(), "mine"_a);
    beam::send({"me"_a, "nonode@nohost"_a}, "mine_by_name"_a);
    beam::send(remote, "one"_a);
    beam::send({"me"_a, "other@host"_a}, "two"_a);
    for (int i = 0; i < 2; ++i) co_await beam::testing::expect("routed"_a);
    EXPECT_EQ(co_await beam::testing::poll(), term("mine"_a));
    EXPECT_EQ(co_await beam::testing::poll(), term("mine_by_name"_a));
    EXPECT_EQ(co_await beam::testing::poll(), term("empty"_a));
  });
  EXPECT_TRUE(reason.is_normal());
  EXPECT_EQ(router.routed(), (std::vector<term>{beam::tuple(remote, "one"_a),
                                                beam::tuple(beam::tuple("me"_a, "other@host"_a), "two"_a)}));
}

TEST_P(SendReceiveTest, SendToAnUnregisteredNameIsBadarg) {
  beam::runtime rt(options());
  std::string what;
  rt.run([&]() -> beam::process {
    try {
      beam::send("nobody_here"_a, 1);
    } catch (const beam::error& e) {
      if (e.reason() == term("badarg"_a)) what = e.what();
    }
    co_return;
  });
  EXPECT_NE(what.find("nobody_here"), std::string::npos) << what;
}

TEST_P(SendReceiveTest, FourSendersOfAQuarterMillionEachArriveCompleteAndInPerSenderOrder) {
  beam::runtime rt(options());
  constexpr int senders = 4;
  constexpr std::int64_t per_sender = 250'000;
  std::vector<std::int64_t> next(senders, 0);
  bool in_order = true;
  rt.run([&]() -> beam::process {
    const beam::pid sink = beam::self();
    for (int s = 0; s < senders; ++s) {
      beam::spawn([sink, s]() -> beam::process {
        for (std::int64_t i = 0; i < per_sender; ++i) {
          beam::send(sink, beam::tuple(s, i));
          if (i % 1000 == 0) co_await beam::yield();
        }
      });
    }
    for (std::int64_t n = 0; n < senders * per_sender; ++n) {
      co_await beam::receive(
          beam::on(beam::tuple(beam::_int, beam::_int), [&](std::int64_t s, std::int64_t i) {
            if (next[static_cast<std::size_t>(s)] != i) in_order = false;
            next[static_cast<std::size_t>(s)] = i + 1;
          }));
    }
  });
  EXPECT_TRUE(in_order);
  for (auto n : next) EXPECT_EQ(n, per_sender);
}

TEST_P(SendReceiveTest, SelectiveReceiveTakesTheOldestMatchAndKeepsTheRestInOrder) {
  beam::runtime rt(options());
  std::vector<term> rest;
  term taken;
  rt.run([&]() -> beam::process {
    for (term m : {term("a"_a), beam::tuple("x"_a, 1), term("b"_a), beam::tuple("x"_a, 2), term("c"_a)}) {
      beam::send(beam::self(), m);
    }
    taken = co_await beam::receive(
        beam::on(beam::tuple("x"_a, beam::_int), [](std::int64_t n) { return term(n); }));
    for (int i = 0; i < 4; ++i) rest.push_back(co_await beam::receive());
  });
  EXPECT_EQ(taken, term(1));
  EXPECT_EQ(rest, (std::vector<term>{"a"_a, "b"_a, beam::tuple("x"_a, 2), "c"_a}));
}

TEST_P(SendReceiveTest, PatternsCaptureEveryKindAndGuardsFilter) {
  beam::runtime rt(options());
  std::vector<std::string> seen;
  rt.run([&]() -> beam::process {
    const beam::reference ref = beam::reference::make();
    beam::send(beam::self(), beam::tuple("n"_a, 5));
    beam::send(beam::self(), beam::tuple("n"_a, 50));
    beam::send(beam::self(), beam::list(1.5, "atom"_a, "bin", beam::self(), ref));
    co_await beam::receive(beam::on(beam::tuple("n"_a, beam::_int),
                                    beam::when([](std::int64_t n) { return n > 10; }),
                                    [&](std::int64_t n) { seen.push_back("big " + std::to_string(n)); }));
    co_await beam::receive(beam::on(beam::tuple("n"_a, beam::_int),
                                    [&](std::int64_t n) { seen.push_back("any " + std::to_string(n)); }));
    co_await beam::receive(
        beam::on(beam::list(beam::_float, beam::_atom, beam::_binary, beam::_pid, beam::_ref),
                 [&](double f, beam::atom a, term b, beam::pid p, beam::reference r) {
                   seen.push_back(std::to_string(f) + " " + std::string(a.text()) + " " +
                                  std::string(b.as_string_view()) + " " + (p == beam::self() ? "self" : "?") +
                                  " " + (r == ref ? "ref" : "?"));
                 }));
  });
  EXPECT_EQ(seen, (std::vector<std::string>{"big 50", "any 5", "1.500000 atom bin self ref"}));
}

// A receive of a list pattern, a guard that throws (a std::exception and a plain int), and a conversion that
// throws: none of them matches anything but the list [1, x]; the rest stays queued.
beam::task<term> receive_list_past_throwing_clauses() {
  co_return co_await beam::receive(
      beam::on(beam::_int, beam::when([](std::int64_t) -> bool { throw std::runtime_error("guard"); }),
               [](std::int64_t) { return term("guard"_a); }),
      beam::on(beam::_term, beam::when([](const term&) -> bool { throw 42; }),
               [](const term&) { return term(); }),
      beam::on(beam::tuple("s"_a, beam::as<std::string>), [](const std::string&) { return term("conv"_a); }),
      beam::on(beam::list(1, beam::_term), [](term x) { return x; }));
}

TEST_P(SendReceiveTest, PatternsThatMeetOtherKindsOrThrowDoNotMatchOnEntry) {
  beam::runtime rt(options());
  term got, left;
  auto reason = rt.run([&]() -> beam::process {
    beam::send(beam::self(), "not_a_list"_a);
    beam::send(beam::self(), 7);
    beam::send(beam::self(), beam::tuple("s"_a, 5));  // 5 does not convert to std::string
    beam::send(beam::self(), beam::list(1, "x"_a));
    got = co_await receive_list_past_throwing_clauses();
    left = co_await beam::receive();
  });
  EXPECT_EQ(reason.reason(), term("normal"_a));
  EXPECT_EQ(got, term("x"_a));
  EXPECT_EQ(left, term("not_a_list"_a));
}

TEST_P(SendReceiveTest, PatternsThatMeetOtherKindsOrThrowDoNotMatchWhileWaiting) {
  beam::runtime rt(options());
  term got, reason;
  rt.run([&]() -> beam::process {
    const beam::pid parent = beam::self();
    auto [child, ref] = beam::spawn_monitor([parent]() -> beam::process {
      beam::send(parent, beam::tuple("got"_a, co_await receive_list_past_throwing_clauses()));
    });
    while (beam::process_info(child)->status != beam::process_status::waiting) co_await beam::yield();
    for (term m : {term("not_a_list"_a), term(7), beam::tuple("s"_a, 5), beam::list(1, 2)})
      beam::send(child, m);
    got = co_await beam::testing::next("got"_a);
    reason = co_await beam::testing::down_reason(ref);
  });
  EXPECT_EQ(got, term(2));
  EXPECT_EQ(reason, term("normal"_a));
}

TEST_P(SendReceiveTest, ReceiveOfACppTypeTakesTheOldestMessageThatConverts) {
  beam::runtime rt(options());
  std::vector<int> numbers;
  std::string text;
  term left;
  rt.run([&]() -> beam::process {
    beam::send(beam::self(), "not a list"_a);
    beam::send(beam::self(), beam::list(1, 2, 3));
    beam::send(beam::self(), "hello");
    numbers = co_await beam::receive<std::vector<int>>();
    text = co_await beam::receive<std::string>();
    co_await beam::receive(
        beam::on(beam::tuple(beam::as<std::string>, beam::_int), [](std::string, std::int64_t) {}),
        beam::after(0ms, [] {}));
    left = co_await beam::receive();
  });
  EXPECT_EQ(numbers, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(text, "hello");
  EXPECT_EQ(left, term("not a list"_a));
}

TEST_P(SendReceiveTest, AfterZeroPollsAndANegativeTimeoutIsAnError) {
  beam::runtime rt(options());
  int timeouts = 0;
  bool negative_refused = false;
  rt.run([&]() -> beam::process {
    co_await beam::receive(beam::on(beam::_, [] {}), beam::after(0ms, [&] { ++timeouts; }));
    beam::send(beam::self(), "here"_a);
    co_await beam::receive(beam::on("here"_a, [] {}), beam::after(0ms, [&] { ++timeouts; }));
    try {
      co_await beam::receive(beam::on(beam::_, [] {}), beam::after(-1ms, [] {}));
    } catch (const beam::error& e) {
      negative_refused = e.reason() == term("timeout_value"_a);
    }
  });
  EXPECT_EQ(timeouts, 1);
  EXPECT_TRUE(negative_refused);
}

TEST_P(SendReceiveTest, InfinityOrAnyDurationsMaxWaitsForeverWithoutOverflow) {
  beam::runtime rt(options());
  int got = 0;
  rt.run([&]() -> beam::process {
    beam::send(beam::self(), "x"_a);
    co_await beam::receive(beam::on("x"_a, [&] { ++got; }), beam::after(std::chrono::hours::max(), [] {}));
    beam::send(beam::self(), "y"_a);
    co_await beam::receive(beam::on("y"_a, [&] { ++got; }), beam::after(beam::infinity, [] {}));
  });
  EXPECT_EQ(got, 2);
}

// What a receive `after T` does, with and without a matching message there: as Erlang, whose answers come
// from a compiled module run by erl (`timeout_value` only when the receive would wait; OTP's largest is
// 2^32-1 ms).
beam::task<term> receive_after(std::chrono::milliseconds timeout, bool message_there) {
  if (message_there) beam::send(beam::self(), "x"_a);
  try {
    co_return co_await beam::receive(beam::on("x"_a, [] { return term("ok"_a); }),
                                     beam::after(timeout, [] { return term("timeout"_a); }));
  } catch (const beam::error& e) {
    co_return e.reason();
  }
}

TEST_P(SendReceiveTest, TimeoutsOutsideOtpsRangeAreTimeoutValueWhenTheReceiveWouldWaitAsInErlang) {
  const beam::testing::temp_dir dir;
  beam::testing::write_file(dir.file("t.erl"), R"(-module(t).
-export([r/2]).
r(T, There) ->
  There andalso (self() ! x),
  try receive x -> ok after T -> timeout end catch error:E -> E end.
)");
  const auto erl = beam::testing::run_process(
      {"erl", "-noshell", "-eval",
       "{ok, t} = compile:file(\"" + dir.file("t.erl") + "\", [{outdir, \"" + dir.path() +
           "\"}]), code:add_patha(\"" + dir.path() +
           "\"), io:format(\"~w\", [[t:r(0, false), t:r(4294967296, false), t:r(-1, false), t:r(0, true), "
           "t:r(4294967295, true), t:r(4294967296, true), t:r(-1, true)]]), halt()."});
  ASSERT_EQ(erl.exit_code, 0) << "erl is needed for this test (scripts/setup.sh test installs it): "
                              << erl.err;
  beam::runtime rt(options());
  std::vector<std::string> ours;
  rt.run([&]() -> beam::process {
    using ms = std::chrono::milliseconds;
    for (const auto& [t, there] : {std::pair{ms(0), false},
                                   {ms(4294967296), false},
                                   {ms(-1), false},
                                   {ms(0), true},
                                   {ms(4294967295), true},
                                   {ms(4294967296), true},
                                   {ms(-1), true}}) {
      ours.push_back(beam::format_erlang(co_await receive_after(t, there)));
    }
  });
  EXPECT_EQ(fmt::format("[{}]", fmt::join(ours, ",")), erl.out);
}

TEST_P(SendReceiveTest, ATimeoutFiresNoEarlierThanAsked) {
  beam::runtime rt(options());
  std::chrono::steady_clock::duration waited{};
  rt.run([&]() -> beam::process {
    const auto start = std::chrono::steady_clock::now();
    co_await beam::receive(beam::on("never"_a, [] {}), beam::after(30ms, [] {}));
    waited = std::chrono::steady_clock::now() - start;
  });
  EXPECT_GE(waited, 30ms);
}

TEST_P(SendReceiveTest, AMessageBeforeTheTimeoutWinsAndTheTimerDoesNotFireLater) {
  beam::runtime rt(options());
  int got = 0, timeouts = 0;
  rt.run([&]() -> beam::process {
    const beam::pid me = beam::self();
    beam::spawn([me]() -> beam::process {
      beam::send(me, "early"_a);
      co_return;
    });
    co_await beam::receive(beam::on("early"_a, [&] { ++got; }), beam::after(50ms, [&] { ++timeouts; }));
    // A later receive must not see the earlier wait's timer.
    beam::send(me, "second"_a);
    co_await beam::receive(beam::on("second"_a, [&] { ++got; }), beam::after(1000ms, [&] { ++timeouts; }));
  });
  EXPECT_EQ(got, 2);
  EXPECT_EQ(timeouts, 0);
}

TEST_P(SendReceiveTest, SelectiveReceiveStaysLinearWithAHundredThousandUnmatchedMessages) {
  beam::runtime rt(options());
  std::uint64_t examined = 0;
  std::size_t left = 0;
  rt.run([&]() -> beam::process {
    const beam::pid me = beam::self();
    for (int i = 0; i < 100'000; ++i) beam::send(me, beam::tuple("noise"_a, i));
    // While we wait, a sender adds 20,000 more unmatched messages one at a time (each one wakes us), then the
    // one we want. Rescanning the queue on each arrival would examine about 2.4e9 messages; a kept position,
    // 120,001.
    beam::spawn([me]() -> beam::process {
      for (int i = 0; i < 20'000; ++i) {
        beam::send(me, beam::tuple("late_noise"_a, i));
        co_await beam::yield();
      }
      beam::send(me, "wanted"_a);
    });
    const std::uint64_t before = beam::process_info(me)->reductions;
    co_await beam::receive(beam::on("wanted"_a, [] {}));
    examined = beam::process_info(me)->reductions - before;
    left = beam::process_info(me)->message_queue_len;
  });
  EXPECT_LE(examined, 120'001u + 100u);  // each message skipped costs one reduction, and the receive one
  EXPECT_EQ(left, 120'000u);             // the unmatched ones stay, in order
}

// The inbox word counts up to 65,535 messages not yet taken; past that, pushes are counted beside it. Both
// must add up, before the owner takes them and after.
TEST_P(SendReceiveTest, MessageQueueLenCountsMessagesNotYetTakenPastTheInboxWordsCount) {
  beam::runtime rt(options());
  std::vector<std::size_t> lens;
  rt.run([&]() -> beam::process {
    const beam::pid me = beam::self();
    const auto len = [me] { return beam::process_info(me)->message_queue_len; };
    for (int i = 0; i < 100'000; ++i) beam::send(me, i);
    lens.push_back(len());  // all in the inbox
    co_await beam::receive(beam::on(0, [] {}));
    lens.push_back(len());  // all taken into the private queue
    for (int i = 0; i < 70'000; ++i) beam::send(me, i);
    lens.push_back(len());
    for (int i = 0; i < 170'000 - 1; ++i) co_await beam::receive();
    lens.push_back(len());
  });
  EXPECT_EQ(lens, (std::vector<std::size_t>{100'000, 99'999, 169'999, 0}));
}

TEST_P(SendReceiveTest, FlushPrintsTheLessonsMessagesAsIexDoes) {
  beam::testing::captured_output out;
  term result;
  {
    beam::runtime rt(options());
    rt.run([&]() -> beam::process {
      beam::send(beam::self(), "hello1"_a);
      beam::send(beam::self(), "hello2"_a);
      beam::send(beam::self(), beam::tuple("hello3"_a, 42));
      beam::send(beam::self(),
                 beam::list("message", "can"_a, beam::tuple(beam::charlist("be"), "any"), "data"_a));
      result = beam::flush();
      co_return;
    });
  }
  EXPECT_EQ(result, term("ok"_a));
  EXPECT_EQ(out.text(), ":hello1\n:hello2\n{:hello3, 42}\n[\"message\", :can, {'be', \"any\"}, :data]\n");
}

TEST_P(SendReceiveTest, AFloodedProcessIsKilledAtItsMailboxLimit) {
  beam::testing::captured_log log;
  beam::runtime rt(options());
  term reason;
  rt.run([&]() -> beam::process {
    beam::pid victim = beam::spawn_opt({.max_message_queue_len = 1000}, []() -> beam::process {
      co_await beam::receive(beam::on("never"_a, [] {}));
    });
    const beam::reference ref = beam::monitor(victim);
    for (int i = 0; i < 5000 && beam::alive(victim); ++i) {
      beam::send(victim, i);
      if (i % 100 == 0) co_await beam::yield();
    }
    reason = co_await beam::testing::down_reason(ref);
  });
  EXPECT_EQ(reason, term("message_queue_limit"_a));
  EXPECT_TRUE(log.contains("message queue")) << ::testing::PrintToString(log.lines());
}

BEAM_SCHEDULER_COUNTS(SendReceiveTest);

}  // namespace
