// Request/reply (beam/call.hpp): replies, a dead or dying server, timeouts, late replies, calls by name.
#include <chrono>
#include <stdexcept>

#include <gtest/gtest.h>

#include <beam/beam.hpp>
#include <beam/call.hpp>

#include "support/runtime_fixture.hpp"
#include "support/waits.hpp"

using namespace beam::literals;
using namespace std::chrono_literals;
using beam::term;

namespace {

using beam::testing::error_of;

class CallTest : public beam::testing::RuntimeTest {};

// Answers each {:"$gen_call", from, n} with n + 1; {:"$gen_call", from, :crash} ends it with reason
// `crashed`;
// {:"$gen_call", from, :late} is answered only after the next call arrives.
beam::process adder() {
  term held;
  for (;;) {
    term message = co_await beam::receive();
    const auto fields = message.as_tuple();
    if (fields[2] == term("crash"_a)) beam::exit("crashed"_a);
    if (fields[2] == term("late"_a)) {
      held = fields[1];
      continue;
    }
    if (!held.is_nil()) beam::reply(std::exchange(held, term()), "too_late"_a);
    beam::reply(fields[1], fields[2].as_int() + 1);
  }
}

TEST_P(CallTest, ACallGetsTheServersReply) {
  beam::runtime rt(options());
  term got;
  rt.run([&]() -> beam::process {
    beam::pid server = beam::spawn(adder);
    got = co_await beam::call(server, 41);
  });
  EXPECT_EQ(got, term(42));
}

TEST_P(CallTest, ACallToADeadServerRaisesNoprocAtOnce) {
  beam::runtime rt(options());
  term reason;
  rt.run([&]() -> beam::process {
    reason = co_await error_of(beam::call(beam::pid(200'000, 1), 1, beam::infinity));
  });
  EXPECT_EQ(reason, term("noproc"_a));
}

TEST_P(CallTest, ACallToOneselfFailsAtOnceWithCallingSelf) {
  beam::runtime rt(options());
  term by_pid, by_name;
  rt.run([&]() -> beam::process {
    beam::register_name("me"_a, beam::self());
    by_pid = co_await error_of(beam::call(beam::self(), 1, beam::infinity));
    by_name = co_await error_of(beam::call("me"_a, 1, beam::infinity));
  });
  EXPECT_EQ(by_pid, term("calling_self"_a));
  EXPECT_EQ(by_name, term("calling_self"_a));
}

TEST_P(CallTest, ACallTimeoutOutsideOtpsRangeIsTimeoutValueAtOnce) {
  beam::runtime rt(options());
  term too_long, negative, got;
  rt.run([&]() -> beam::process {
    beam::pid server = beam::spawn(adder);
    too_long = co_await error_of(beam::call(server, 1, std::chrono::milliseconds(4'294'967'296)));
    negative = co_await error_of(beam::call(server, 1, std::chrono::milliseconds(-1)));
    got = co_await beam::call(server, 1, std::chrono::milliseconds(4'294'967'295));
  });
  EXPECT_EQ(too_long, term("timeout_value"_a));
  EXPECT_EQ(negative, term("timeout_value"_a));
  EXPECT_EQ(got, term(2));
}

TEST_P(CallTest, AServerThatEndsBeforeReplyingRaisesItsExitReason) {
  beam::runtime rt(options());
  term reason;
  rt.run([&]() -> beam::process {
    beam::pid server = beam::spawn(adder);
    reason = co_await error_of(beam::call(server, "crash"_a, beam::infinity));
  });
  EXPECT_EQ(reason, term("crashed"_a));
}

TEST_P(CallTest, ATimeoutRaisesTimeoutAndTheLateReplyNeverArrives) {
  beam::runtime rt(options());
  term reason, next, stray;
  rt.run([&]() -> beam::process {
    beam::pid server = beam::spawn(adder);
    reason = co_await error_of(beam::call(server, "late"_a, 10ms));
    next = co_await beam::call(server, 1);  // the server replies to the late call first
    stray = co_await beam::receive(beam::on(beam::_term, [](term t) { return t; }),
                                   beam::after(0ms, [] { return term("empty"_a); }));
  });
  EXPECT_EQ(reason, term("timeout"_a));
  EXPECT_EQ(next, term(2));
  EXPECT_EQ(stray, term("empty"_a));
}

TEST_P(CallTest, CallsByNameReachTheRegisteredServer) {
  beam::runtime rt(options());
  term got, missing;
  rt.run([&]() -> beam::process {
    beam::register_name("adder"_a, beam::spawn(adder));
    got = co_await beam::call("adder"_a, 1);
    missing = co_await error_of(beam::call("nobody"_a, 1));
  });
  EXPECT_EQ(got, term(2));
  EXPECT_EQ(missing, term("noproc"_a));
}

TEST_P(CallTest, ReplyToSomethingThatIsNotACallerIsBadarg) {
  beam::runtime rt(options());
  term reason;
  rt.run([&]() -> beam::process {
    try {
      beam::reply("nobody"_a, 1);
    } catch (const beam::error& e) {
      reason = e.reason();
    }
    co_return;
  });
  EXPECT_EQ(reason, term("badarg"_a));
}

TEST_P(CallTest, ManyClientsCallOneServerWithBothSchedulersBusy) {
  beam::runtime rt(options());
  int correct = 0;
  rt.run([&]() -> beam::process {
    beam::pid server = beam::spawn(adder);
    const beam::pid self = beam::self();
    constexpr int clients = 50, calls = 200;
    for (int c = 0; c < clients; ++c) {
      beam::spawn([server, self, c]() -> beam::process {
        int ok = 0;
        for (int i = 0; i < calls; ++i)
          ok += (co_await beam::call(server, c * calls + i)) == term(c * calls + i + 1);
        beam::send(self, ok);
      });
    }
    for (int c = 0; c < clients; ++c) correct += static_cast<int>(co_await beam::receive<std::int64_t>());
  });
  EXPECT_EQ(correct, 50 * 200);
}

TEST_P(CallTest, CallOutsideAProcessIsALogicError) {
  beam::runtime rt(options());
  EXPECT_THROW((void)beam::call(beam::pid(1, 0), 1), std::logic_error);
  rt.run([]() -> beam::process { co_return; });
}

BEAM_SCHEDULER_COUNTS(CallTest);

}  // namespace
