// Request/reply (beam/call.hpp): replies, a dead or dying server, timeouts, late replies, calls by name, and
// failures shaped as OTP 25's gen_server:call's (checked with erl).
#include <chrono>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <beam/beam.hpp>
#include <beam/call.hpp>

#include "support/runtime_fixture.hpp"
#include "support/subprocess.hpp"
#include "support/waits.hpp"

using namespace beam::literals;
using namespace std::chrono_literals;
using beam::term;

namespace {

using beam::testing::call_failure;
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
  const beam::pid dead(200'000, 1);
  rt.run([&]() -> beam::process { reason = co_await error_of(beam::call(dead, 1, beam::infinity)); });
  EXPECT_EQ(reason, call_failure("noproc"_a, beam::list(dead, 1, "infinity"_a)));
}

TEST_P(CallTest, ACallToOneselfFailsAtOnceWithCallingSelf) {
  beam::runtime rt(options());
  term by_pid, by_name, expected_by_pid;
  rt.run([&]() -> beam::process {
    beam::register_name("me"_a, beam::self());
    by_pid = co_await error_of(beam::call(beam::self(), 1, beam::infinity));
    by_name = co_await error_of(beam::call("me"_a, 1));
    expected_by_pid = call_failure("calling_self"_a, beam::list(beam::self(), 1, "infinity"_a));
  });
  EXPECT_EQ(by_pid, expected_by_pid);
  EXPECT_EQ(by_name, call_failure("calling_self"_a, beam::list("me"_a, 1)));  // call/2: no timeout named
}

TEST_P(CallTest, ACallTimeoutOutsideOtpsRangeIsTimeoutValueAtOnce) {
  beam::runtime rt(options());
  term too_long, negative, got, expected_too_long, expected_negative;
  rt.run([&]() -> beam::process {
    beam::pid server = beam::spawn(adder);
    too_long = co_await error_of(beam::call(server, 1, std::chrono::milliseconds(4'294'967'296)));
    negative = co_await error_of(beam::call(server, 1, std::chrono::milliseconds(-1)));
    got = co_await beam::call(server, 1, std::chrono::milliseconds(4'294'967'295));
    expected_too_long = call_failure("timeout_value"_a, beam::list(server, 1, std::int64_t{4'294'967'296}));
    expected_negative = call_failure("timeout_value"_a, beam::list(server, 1, -1));
  });
  EXPECT_EQ(too_long, expected_too_long);
  EXPECT_EQ(negative, expected_negative);
  EXPECT_EQ(got, term(2));
}

TEST_P(CallTest, AServerThatEndsBeforeReplyingRaisesItsExitReason) {
  beam::runtime rt(options());
  term reason, expected;
  rt.run([&]() -> beam::process {
    beam::pid server = beam::spawn(adder);
    reason = co_await error_of(beam::call(server, "crash"_a, beam::infinity));
    expected = call_failure("crashed"_a, beam::list(server, "crash"_a, "infinity"_a));
  });
  EXPECT_EQ(reason, expected);
}

TEST_P(CallTest, ATimeoutRaisesTimeoutAndTheLateReplyNeverArrives) {
  beam::runtime rt(options());
  term reason, next, stray, expected;
  rt.run([&]() -> beam::process {
    beam::pid server = beam::spawn(adder);
    reason = co_await error_of(beam::call(server, "late"_a, 10ms));
    expected = call_failure("timeout"_a, beam::list(server, "late"_a, 10));
    next = co_await beam::call(server, 1);  // the server replies to the late call first
    stray = co_await beam::receive(beam::on(beam::_term, [](term t) { return t; }),
                                   beam::after(0ms, [] { return term("empty"_a); }));
  });
  EXPECT_EQ(reason, expected);
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
  EXPECT_EQ(missing, call_failure("noproc"_a, beam::list("nobody"_a, 1)));
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

// The caller's pid in `reason`, as Erlang writes it, replaced by `server` (pids differ between runtimes).
std::string with_server_named(const term& reason, const beam::pid& server) {
  std::string text = beam::format_erlang(reason);
  const std::string pid_text = beam::format_erlang(term(server));
  for (std::size_t at = text.find(pid_text); at != std::string::npos; at = text.find(pid_text, at))
    text.replace(at, pid_text.size(), "server");
  return text;
}

// Takes one message, then exits with `crashed`.
beam::process crash_on_first_message() {
  (void)co_await beam::receive();
  beam::exit("crashed"_a);
}

TEST_P(CallTest, FailedCallsExitWithGenServerCallsReasonAsInErlang) {
  const auto erl = beam::testing::run_process({"erl", "-noshell", "-eval", R"(
Dead = spawn(fun() -> ok end), Ref = monitor(process, Dead), receive {'DOWN', Ref, _, _, _} -> ok end,
Silent = spawn(fun() -> receive never -> ok end end),
Crashing = spawn(fun() -> receive _ -> exit(crashed) end end),
register(me, self()),
N = fun(P, {'EXIT', {R, {gen_server, call, [P | Rest]}}}) -> {R, {gen_server, call, [server | Rest]}};
       (_, {'EXIT', R}) -> R end,
io:format("~w", [[N(Dead, catch gen_server:call(Dead, req)),
                  N(Dead, catch gen_server:call(Dead, req, 100)),
                  N(none, catch gen_server:call(nobody, req, infinity)),
                  N(Silent, catch gen_server:call(Silent, req, 10)),
                  N(self(), catch gen_server:call(self(), req, 10)),
                  N(none, catch gen_server:call(me, req)),
                  N(Crashing, catch gen_server:call(Crashing, req, infinity))]]),
halt().)"});
  ASSERT_EQ(erl.exit_code, 0) << "erl is needed (scripts/setup.sh installs it): " << erl.err;
  beam::runtime rt(options());
  std::vector<std::string> ours;
  rt.run([&]() -> beam::process {
    const beam::pid dead = beam::spawn([]() -> beam::process { co_return; });
    (void)co_await beam::testing::wait_for_exit(dead);
    const beam::pid silent = beam::spawn([]() -> beam::process { co_await beam::testing::wait_forever(); });
    const beam::pid crashing = beam::spawn(crash_on_first_message);
    beam::register_name("me"_a, beam::self());
    const auto named = [&](const beam::pid& p, beam::task<term> call) -> beam::task<> {
      ours.push_back(with_server_named(co_await error_of(std::move(call)), p));
    };
    co_await named(dead, beam::call(dead, "req"_a));
    co_await named(dead, beam::call(dead, "req"_a, 100ms));
    co_await named(dead, beam::call("nobody"_a, "req"_a, beam::infinity));
    co_await named(silent, beam::call(silent, "req"_a, 10ms));
    co_await named(beam::self(), beam::call(beam::self(), "req"_a, 10ms));
    co_await named(dead, beam::call("me"_a, "req"_a));
    co_await named(crashing, beam::call(crashing, "req"_a, beam::infinity));
    beam::exit(silent, "kill"_a);
  });
  EXPECT_EQ(fmt::format("[{}]", fmt::join(ours, ",")), erl.out);
}

// `t` with every pid written `pid` and every reference `ref`, to compare shapes with erl's.
term shape_of(const term& t) {
  if (t.is_pid()) return term("pid"_a);
  if (t.is_reference()) return term("ref"_a);
  const auto shapes = [](std::span<const term> elements) {
    std::vector<term> out;
    for (const term& e : elements) out.push_back(shape_of(e));
    return out;
  };
  if (t.is_tuple()) return beam::make_tuple(shapes(t.as_tuple()));
  if (t.is_list()) return beam::make_list(shapes(t.as_list()), shape_of(t.list_tail()));
  return t;
}

TEST_P(CallTest, TheRequestAndTheRepliesHaveTheShapesOfErlangs) {
  const auto erl = beam::testing::run_process({"erl", "-noshell", "-eval", R"(
N = fun N(T) when is_pid(T) -> pid; N(T) when is_reference(T) -> ref; N([H | T]) -> [N(H) | N(T)];
        N(T) when is_tuple(T) -> list_to_tuple(N(tuple_to_list(T))); N(T) -> T end,
Self = self(),
Raw = spawn(fun() -> receive {_, From, _} = Got -> Self ! {seen, Got}, gen_server:reply(From, world) end end),
Result = gen_server:call(Raw, hello),
Request = receive {seen, R} -> R end,
gen_server:reply({self(), make_ref()}, plain), Plain = receive P -> P end,
gen_server:reply({self(), [alias | alias()]}, aliased), Aliased = receive A -> A end,
io:format("~w", [N([Request, Result, Plain, Aliased])]), halt().)"});
  ASSERT_EQ(erl.exit_code, 0) << "erl is needed (scripts/setup.sh installs it): " << erl.err;
  beam::runtime rt(options());
  term ours;
  rt.run([&]() -> beam::process {
    const beam::pid self = beam::self();
    const beam::pid raw = beam::spawn([self]() -> beam::process {
      const term got = co_await beam::receive();
      beam::send(self, beam::tuple("seen"_a, got));
      beam::reply(got.as_tuple()[1], "world"_a);
    });
    const term result = co_await beam::call(raw, "hello"_a);
    const term request = co_await beam::testing::next("seen"_a);
    beam::reply(beam::tuple(self, beam::reference::make()), "plain"_a);
    const term plain = co_await beam::receive();
    const term aliased_tag = beam::make_list(std::vector<term>{"alias"_a}, term(beam::alias()));
    beam::reply(beam::tuple(self, aliased_tag), "aliased"_a);
    ours = shape_of(beam::list(request, result, plain, co_await beam::receive()));
  });
  EXPECT_EQ(beam::format_erlang(ours), erl.out);
}

TEST_P(CallTest, TheTagIsAnAliasOfTheCallerWhileTheCallWaits) {
  beam::runtime rt(options());
  term first, after_reply, from;
  rt.run([&]() -> beam::process {
    const beam::pid self = beam::self();
    const beam::pid server = beam::spawn([self]() -> beam::process {
      const term request = co_await beam::receive();
      const term tag = request.as_tuple()[1].as_tuple()[1];
      beam::send(tag.list_tail().as_reference(), beam::tuple(tag, "via_alias"_a));
      co_await beam::testing::expect("again"_a);
      beam::send(tag.list_tail().as_reference(), beam::tuple(tag, "dropped"_a));  // the call is over
      beam::send(self, beam::tuple("sent"_a, request.as_tuple()[1]));
    });
    first = co_await beam::call(server, "hello"_a);
    beam::send(server, "again"_a);
    from = co_await beam::testing::next("sent"_a);  // after the send to the alias: it came first
    after_reply = co_await beam::testing::poll();
  });
  EXPECT_EQ(first, term("via_alias"_a));
  EXPECT_TRUE(beam::is_call_from(from));
  EXPECT_EQ(after_reply, term("empty"_a));
}

TEST_P(CallTest, IsCallFromAcceptsBothTagFormsAndReplyRefusesAnythingElse) {
  beam::runtime rt(options());
  const beam::pid p(1, 0);
  const term ref(beam::reference::make());
  EXPECT_TRUE(beam::is_call_from(beam::tuple(p, ref)));
  EXPECT_TRUE(beam::is_call_from(beam::tuple(p, beam::make_list(std::vector<term>{"alias"_a}, ref))));
  EXPECT_FALSE(beam::is_call_from(beam::tuple(p, beam::list("alias"_a, ref))));
  EXPECT_FALSE(beam::is_call_from(beam::tuple(p, beam::make_list(std::vector<term>{"other"_a}, ref))));
  EXPECT_FALSE(beam::is_call_from(beam::tuple(p, "tag"_a)));
  EXPECT_THROW(beam::reply(beam::tuple(p, "tag"_a), 1), beam::error);
  rt.run([]() -> beam::process { co_return; });
}

TEST_P(CallTest, AnUncaughtCallFailureIsTheCallersExitReason) {
  beam::testing::captured_log log;  // the caller's crash report
  beam::runtime rt(options());
  term reason, expected;
  rt.run([&]() -> beam::process {
    const beam::pid dead = beam::spawn([]() -> beam::process { co_return; });
    (void)co_await beam::testing::wait_for_exit(dead);
    auto [caller, ref] =
        beam::spawn_monitor([dead]() -> beam::process { (void)co_await beam::call(dead, "req"_a, 100ms); });
    reason = co_await beam::testing::down_reason(ref);
    expected = call_failure("noproc"_a, beam::list(dead, "req"_a, 100));
  });
  EXPECT_EQ(reason, expected);
}

TEST_P(CallTest, CallOutsideAProcessIsALogicError) {
  beam::runtime rt(options());
  EXPECT_THROW((void)beam::call(beam::pid(1, 0), 1), std::logic_error);
  rt.run([]() -> beam::process { co_return; });
}

BEAM_SCHEDULER_COUNTS(CallTest);

}  // namespace
