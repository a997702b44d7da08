// gen_server (beam/gen_server.hpp, issue 5 point 7, issue 10 point 10): start and init outcomes, call/cast
// results, termination paths, stop, names, bad input, many clients with both schedulers busy; timeouts,
// hibernate and continuations in results (their order checked with erl).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include <beam/beam.hpp>
#include <beam/gen_server.hpp>

#include "support/runtime_fixture.hpp"
#include "support/subprocess.hpp"
#include "support/waits.hpp"

using namespace beam::literals;
using namespace std::chrono_literals;
using beam::term;
namespace gs = beam::gen_server;

namespace {

using beam::testing::call_failure;
using beam::testing::down_reason;
using beam::testing::error_of;
using beam::testing::next;
using beam::testing::poll;

class GenServerTest : public beam::testing::RuntimeTest {};

// A server that reports handle_info and terminate to `observer`.
struct probe {
  beam::pid observer;
  std::int64_t n = 0;
  term held;  // a caller answered later (noreply)

  explicit probe(beam::pid o) : observer(o) {}

  gs::call_result handle_call(const term& request, const term& from) {
    if (request == term("get"_a)) return gs::reply(n);
    if (request == term("hold"_a)) {
      held = from;
      beam::send(observer, "holding"_a);
      return gs::noreply();
    }
    if (request == term("stop_with_reply"_a)) return gs::stop("done"_a, "bye"_a);
    if (request == term("stop"_a)) return gs::stop("done"_a);
    if (request == term("throw"_a)) throw beam::error("crashed"_a);
    if (request == term("std_throw"_a)) throw std::runtime_error("oops");
    if (request == term("exit"_a)) beam::exit("exited"_a);
    return gs::reply(request);
  }
  gs::handler_result handle_cast(const term& message) {
    if (message == term("release"_a)) {
      beam::reply(held, "released"_a);
      return gs::noreply();
    }
    if (message == term("stop"_a)) return gs::stop("cast_stop"_a);
    n += message.as_int();
    return gs::noreply();
  }
  gs::handler_result handle_info(const term& message) {
    if (message == term("stop"_a)) return gs::stop(beam::tuple("shutdown"_a, "info"_a));
    beam::send(observer, beam::tuple("info"_a, message));
    return gs::noreply();
  }
  void terminate(const term& reason) { beam::send(observer, beam::tuple("terminated"_a, reason)); }
};

// A probe that traps exits from init on.
struct trapping_probe : probe {
  using probe::probe;
  gs::init_result init() {
    beam::trap_exit(true);
    return gs::ok();
  }
};

TEST_P(GenServerTest, CallsAndCastsReachTheServerByPidAndByName) {
  beam::runtime rt(options());
  term by_pid, by_name, echoed;
  rt.run([&]() -> beam::process {
    beam::pid server = co_await gs::start_link<probe>({.name = "probe"_a}, beam::self());
    EXPECT_EQ(beam::whereis("probe"_a), server);
    beam::cast(server, 2);
    beam::cast("probe"_a, 3);
    by_pid = co_await beam::call(server, "get"_a);
    by_name = co_await beam::call("probe"_a, "get"_a);
    echoed = co_await beam::call(server, beam::tuple("echo"_a, 1));
    co_await beam::stop(server);
    EXPECT_EQ(co_await next("terminated"_a), term("normal"_a));
  });
  EXPECT_EQ(by_pid, term(5));
  EXPECT_EQ(by_name, term(5));
  EXPECT_EQ(echoed, beam::tuple("echo"_a, 1));
}

// Its init takes 5 ms and two yields before it marks itself ready.
struct slow_init {
  std::atomic<bool>* ready;
  explicit slow_init(std::atomic<bool>* r) : ready(r) {}
  beam::task<gs::init_result> init() {
    co_await beam::yield();
    co_await beam::sleep(5ms);
    co_await beam::yield();
    ready->store(true);
    co_return gs::ok();
  }
};

TEST_P(GenServerTest, StartReturnsThePidOnlyOnceInitHasFinished) {
  beam::runtime rt(options());
  std::atomic<bool> ready{false};
  bool ready_at_return = false;
  rt.run([&]() -> beam::process {
    beam::pid server = co_await gs::start<slow_init>(&ready);
    ready_at_return = ready.load();
    co_await beam::stop(server);
  });
  EXPECT_TRUE(ready_at_return);
}

// init's outcome is chosen by the argument: ok, ignore, {stop, reason}, throw, or wait (forever).
struct chosen_init {
  term outcome;
  explicit chosen_init(term o) : outcome(std::move(o)) {
    if (outcome == term("throw_in_constructor"_a)) throw beam::error("constructor_failed"_a);
  }
  beam::task<gs::init_result> init() {
    if (outcome == term("ignore"_a)) co_return gs::ignore();
    if (outcome == term("throw"_a)) throw beam::error("init_failed"_a);
    if (outcome == term("std_throw"_a)) throw std::invalid_argument("bad init");
    if (outcome == term("wait"_a)) co_await beam::receive(beam::on("never"_a, [] {}));
    if (outcome.is_tuple()) co_return gs::stop(outcome.as_tuple()[1]);
    co_return gs::ok();
  }
};

TEST_P(GenServerTest, InitOutcomesBecomeStartErrorsAndTheServerIsGone) {
  beam::runtime rt(options());
  term stopped, thrown, in_constructor, ignored, timed_out, std_thrown;
  bool name_free_after_failure = false;
  rt.run([&]() -> beam::process {
    stopped =
        co_await error_of(gs::start<chosen_init>({.name = "once"_a}, beam::tuple("stop"_a, "no_config"_a)));
    name_free_after_failure = !beam::whereis("once"_a).has_value();
    thrown = co_await error_of(gs::start<chosen_init>("throw"_a));
    std_thrown = co_await error_of(gs::start<chosen_init>("std_throw"_a));
    in_constructor = co_await error_of(gs::start<chosen_init>("throw_in_constructor"_a));
    ignored = co_await error_of(gs::start<chosen_init>("ignore"_a));
    timed_out = co_await error_of(gs::start<chosen_init>({.timeout = 20ms}, "wait"_a));
    EXPECT_EQ(co_await poll(), term("empty"_a));  // no ack, DOWN or EXIT left behind
    EXPECT_EQ(beam::process_count(), 2u);         // this process and the I/O server: every server is gone
  });
  EXPECT_EQ(stopped, term("no_config"_a));
  EXPECT_TRUE(name_free_after_failure);
  EXPECT_EQ(thrown, term("init_failed"_a));
  EXPECT_EQ(std_thrown.as_tuple()[0], term("exception"_a));
  EXPECT_EQ(in_constructor, term("constructor_failed"_a));
  EXPECT_EQ(ignored, term("ignore"_a));
  EXPECT_EQ(timed_out, term("timeout"_a));
}

TEST_P(GenServerTest, AFailedStartLinkKillsACallerThatDoesNotTrapExitsAsInOtp25) {
  beam::runtime rt(options());
  term caller_reason, seen_error, trapped_exit, expected_exit;
  rt.run([&]() -> beam::process {
    // The caller may see the error or be killed first: the server's exit signal follows its ack at once.
    auto [caller, ref] = beam::spawn_monitor([]() -> beam::process {
      (void)co_await error_of(gs::start_link<chosen_init>(beam::tuple("stop"_a, "boom"_a)));
      co_await beam::receive(beam::on("never"_a, [] {}));
    });
    caller_reason = co_await down_reason(ref);
    beam::trap_exit(true);
    seen_error = co_await error_of(gs::start_link<chosen_init>("throw"_a));
    trapped_exit = co_await beam::receive(beam::on(beam::tuple("EXIT"_a, beam::_pid, beam::_term),
                                                   [](beam::pid, term reason) { return reason; }));
    expected_exit = "init_failed"_a;
  });
  EXPECT_EQ(seen_error, term("init_failed"_a));
  EXPECT_EQ(caller_reason, term("boom"_a));
  EXPECT_EQ(trapped_exit, expected_exit);
}

TEST_P(GenServerTest, ATakenNameGivesAlreadyStartedWithTheHolder) {
  beam::runtime rt(options());
  term reason, expected;
  rt.run([&]() -> beam::process {
    beam::pid first = co_await gs::start<probe>({.name = "taken"_a}, beam::self());
    reason = co_await error_of(gs::start<probe>({.name = "taken"_a}, beam::self()));
    expected = beam::tuple("already_started"_a, first);
    EXPECT_EQ(beam::whereis("taken"_a), first);
    co_await beam::stop("taken"_a);
  });
  EXPECT_EQ(reason, expected);
}

TEST_P(GenServerTest, NoreplyLetsAnotherCallbackReplyLater) {
  beam::runtime rt(options());
  term answer;
  rt.run([&]() -> beam::process {
    beam::pid server = co_await gs::start<probe>(beam::self());
    const beam::pid self = beam::self();
    beam::spawn([server, self]() -> beam::process {
      beam::send(self, beam::tuple("got"_a, co_await beam::call(server, "hold"_a)));
    });
    co_await beam::receive(beam::on("holding"_a, [] {}));
    EXPECT_EQ(co_await beam::call(server, "get"_a), term(0));  // the server goes on while the caller waits
    beam::cast(server, "release"_a);
    answer = co_await next("got"_a);
    co_await beam::stop(server);
  });
  EXPECT_EQ(answer, term("released"_a));
}

TEST_P(GenServerTest, StopResultsRunTerminateAndTheCallerSeesTheReplyOrTheReason) {
  beam::testing::captured_log log;
  beam::runtime rt(options());
  term replied, reply_terminate, reply_down, raised, expected_raised, raise_terminate, cast_terminate,
      info_terminate;
  rt.run([&]() -> beam::process {
    beam::pid a = co_await gs::start<probe>(beam::self());
    beam::reference ra = beam::monitor(a);
    replied = co_await beam::call(a, "stop_with_reply"_a);
    reply_terminate = co_await next("terminated"_a);
    reply_down = co_await down_reason(ra);

    beam::pid b = co_await gs::start<probe>(beam::self());
    raised = co_await error_of(beam::call(b, "stop"_a));
    raise_terminate = co_await next("terminated"_a);
    expected_raised = call_failure("done"_a, beam::list(b, "stop"_a));

    beam::pid c = co_await gs::start<probe>(beam::self());
    beam::reference rc = beam::monitor(c);
    beam::cast(c, "stop"_a);
    cast_terminate = beam::tuple(co_await next("terminated"_a), co_await down_reason(rc));

    beam::pid d = co_await gs::start<probe>(beam::self());
    beam::reference rd = beam::monitor(d);
    beam::send(d, "stop"_a);
    info_terminate = beam::tuple(co_await next("terminated"_a), co_await down_reason(rd));
  });
  EXPECT_EQ(replied, term("bye"_a));
  EXPECT_EQ(reply_terminate, term("done"_a));
  EXPECT_EQ(reply_down, term("done"_a));
  EXPECT_EQ(raised, expected_raised);
  EXPECT_EQ(raise_terminate, term("done"_a));
  EXPECT_EQ(cast_terminate, beam::tuple("cast_stop"_a, "cast_stop"_a));
  const term shutdown_info = beam::tuple("shutdown"_a, "info"_a);
  EXPECT_EQ(info_terminate, beam::tuple(shutdown_info, shutdown_info));
  EXPECT_TRUE(log.contains("** (stop) :done"));
  EXPECT_FALSE(log.contains("{:shutdown, :info}"));  // a shutdown reason is quiet
}

TEST_P(GenServerTest, AThrowingHandlerRunsTerminateReportsAndExitsWithItsReason) {
  beam::testing::captured_log log;
  beam::runtime rt(options());
  term raised, expected_raised, terminated, down, std_raised, exit_raised;
  std::string server_text;
  rt.run([&]() -> beam::process {
    beam::pid server = co_await gs::start<probe>({.name = "crashy"_a}, beam::self());
    beam::reference ref = beam::monitor(server);
    raised = co_await error_of(beam::call(server, "throw"_a));
    expected_raised = call_failure("crashed"_a, beam::list(server, "throw"_a));
    terminated = co_await next("terminated"_a);
    down = co_await down_reason(ref);
    server_text = beam::inspect(beam::self());

    beam::pid other = co_await gs::start<probe>(beam::self());
    std_raised = (co_await error_of(beam::call(other, "std_throw"_a))).as_tuple()[0];
    EXPECT_EQ(co_await next("terminated"_a), std_raised);
    beam::pid third = co_await gs::start<probe>(beam::self());
    exit_raised = (co_await error_of(beam::call(third, "exit"_a))).as_tuple()[0];
    EXPECT_EQ(co_await next("terminated"_a), exit_raised);
  });
  EXPECT_EQ(raised, expected_raised);
  EXPECT_EQ(terminated, term("crashed"_a));
  EXPECT_EQ(down, term("crashed"_a));
  EXPECT_EQ(std_raised.as_tuple()[0], term("exception"_a));
  EXPECT_EQ(exit_raised, term("exited"_a));
  EXPECT_TRUE(log.contains("GenServer :crashy terminating\n** (stop) :crashed\nLast message (from " +
                           server_text + "): :throw"));
}

// Its terminate throws.
struct bad_terminate {
  gs::handler_result handle_cast(const term&) { return gs::stop("normal"_a); }
  void terminate(const term&) { throw beam::error("terminate_failed"_a); }
};

// Tries beam::stop on itself when cast `go`.
struct self_stopping {
  beam::pid observer;
  explicit self_stopping(beam::pid o) : observer(o) {}
  beam::task<gs::handler_result> handle_cast(const term&) {
    try {
      co_await beam::stop(beam::self());
    } catch (const beam::error& e) {
      beam::send(observer, beam::tuple("self_stop"_a, e.reason()));
    }
    co_return gs::noreply();
  }
};

TEST_P(GenServerTest, ATerminateThatThrowsReplacesTheReason) {
  beam::testing::captured_log log;
  beam::runtime rt(options());
  term down;
  rt.run([&]() -> beam::process {
    beam::pid server = co_await gs::start<bad_terminate>();
    beam::reference ref = beam::monitor(server);
    beam::cast(server, "go"_a);
    down = co_await down_reason(ref);
  });
  EXPECT_EQ(down, term("terminate_failed"_a));
  EXPECT_TRUE(log.contains("terminate_failed"));
}

TEST_P(GenServerTest, AnExitFromTheParentTerminatesATrappingServerOthersGoToHandleInfo) {
  beam::testing::captured_log log;
  beam::runtime rt(options());
  term from_other, terminated, supervisor_saw, expected;
  rt.run([&]() -> beam::process {
    const beam::pid self = beam::self();
    // A supervisor-like parent: traps exits, starts the child with start_link as its start function ("a
    // coroutine that returns the pid of a child linked to it"), then ends it with exit(child, shutdown).
    beam::pid supervisor = beam::spawn([self]() -> beam::process {
      beam::trap_exit(true);
      auto start_child = [self]() -> beam::task<beam::pid> {
        co_return co_await gs::start_link<trapping_probe>(self);
      };
      beam::pid child = co_await start_child();
      beam::send(self, beam::tuple("child"_a, child));
      co_await beam::receive(beam::on("shutdown_child"_a, [] {}));
      beam::exit(child, "shutdown"_a);
      term reason = co_await beam::receive(
          beam::on(beam::tuple("EXIT"_a, child, beam::_term), [](term r) { return r; }));
      beam::send(self, beam::tuple("supervisor_saw"_a, reason));
    });
    beam::pid child = (co_await next("child"_a)).as_pid();
    beam::pid stranger = beam::spawn([child]() -> beam::process {
      beam::link(child);
      beam::exit("stranger_left"_a);
      co_return;
    });
    from_other = co_await next("info"_a);
    expected = beam::tuple("EXIT"_a, stranger, "stranger_left"_a);
    beam::send(supervisor, "shutdown_child"_a);
    terminated = co_await next("terminated"_a);
    supervisor_saw = co_await next("supervisor_saw"_a);
  });
  EXPECT_EQ(from_other, expected);
  EXPECT_EQ(terminated, term("shutdown"_a));
  EXPECT_EQ(supervisor_saw, term("shutdown"_a));
  EXPECT_FALSE(log.contains("terminating"));  // shutdown is quiet
}

TEST_P(GenServerTest, StopWaitsForTheEndAndRaisesNoprocTimeoutOrTheOtherReason) {
  beam::testing::captured_log log;
  beam::runtime rt(options());
  term stopped_with, missing_pid, expected_missing_pid, missing_name, not_a_server, replaced, itself;
  rt.run([&]() -> beam::process {
    beam::pid server = co_await gs::start<probe>(beam::self());
    co_await beam::stop(server, "bored"_a);
    stopped_with = co_await next("terminated"_a);
    missing_pid =
        beam::tuple(co_await error_of(beam::stop(server)), co_await error_of(beam::call(server, "get"_a)));
    expected_missing_pid = beam::tuple("noproc"_a, call_failure("noproc"_a, beam::list(server, "get"_a)));
    missing_name = co_await error_of(beam::stop("nobody"_a));
    beam::pid plain =
        beam::spawn([]() -> beam::process { co_await beam::receive(beam::on("never"_a, [] {})); });
    not_a_server = co_await error_of(beam::stop(plain, "normal"_a, 20ms));
    beam::exit(plain, "kill"_a);
    beam::pid bad = co_await gs::start<bad_terminate>();
    replaced = co_await error_of(beam::stop(bad));
    beam::pid self_stopper = co_await gs::start<self_stopping>(beam::self());
    beam::cast(self_stopper, "go"_a);
    itself = co_await next("self_stop"_a);
    co_await beam::stop(self_stopper);
  });
  EXPECT_EQ(stopped_with, term("bored"_a));
  EXPECT_EQ(missing_pid,
            expected_missing_pid);  // stop (gen_server:stop's bare reason) and call of a dead server
  EXPECT_EQ(missing_name, term("noproc"_a));
  EXPECT_EQ(not_a_server, term("timeout"_a));
  EXPECT_EQ(replaced, term("terminate_failed"_a));
  EXPECT_EQ(itself, term("calling_self"_a));
}

// A result of the wrong kind does not compile (OTP would exit with {:bad_return_value, v} at run time).
static_assert(!std::is_convertible_v<gs::call_result, gs::handler_result>,
              "reply() from handle_cast/handle_info");
static_assert(!std::is_convertible_v<gs::call_result, gs::init_result>, "reply() from init");
static_assert(!std::is_convertible_v<gs::handler_result, gs::init_result>, "noreply() from init");
static_assert(std::is_convertible_v<gs::stop_request, gs::init_result> &&
              std::is_convertible_v<gs::stop_request, gs::handler_result> &&
              std::is_convertible_v<gs::stop_request, gs::call_result>);

// No callbacks at all.
struct empty_server {};

TEST_P(GenServerTest, BadInputGivesOtpsOutcomes) {
  beam::testing::captured_log log;
  beam::runtime rt(options());
  term non_server, expected_non_server, bad_call, expected_bad_call, bad_call_down, cast_result;
  rt.run([&]() -> beam::process {
    beam::pid plain = beam::spawn([]() -> beam::process {
      for (;;) (void)co_await beam::receive();  // takes every message, answers none
    });
    non_server = co_await error_of(beam::call(plain, "hello"_a, 20ms));
    expected_non_server = call_failure("timeout"_a, beam::list(plain, "hello"_a, 20));
    beam::exit(plain, "kill"_a);

    beam::pid empty = co_await gs::start<empty_server>();
    beam::reference ref = beam::monitor(empty);
    beam::send(empty, "unexpected"_a);  // logged, dropped; the server goes on
    bad_call = co_await error_of(beam::call(empty, "anything"_a));
    expected_bad_call =
        call_failure(beam::tuple("bad_call"_a, "anything"_a), beam::list(empty, "anything"_a));
    bad_call_down = co_await down_reason(ref);

    beam::cast("nobody"_a, "lost"_a);  // does nothing, as OTP's cast to a missing name
    beam::cast(beam::pid(200'000, 1), "lost"_a);
    cast_result = "survived"_a;
  });
  EXPECT_EQ(non_server, expected_non_server);
  EXPECT_EQ(bad_call, expected_bad_call);
  EXPECT_EQ(bad_call_down, beam::tuple("bad_call"_a, "anything"_a));
  EXPECT_EQ(cast_result, term("survived"_a));
  EXPECT_TRUE(log.contains("received unexpected message in handle_info"));
  EXPECT_TRUE(log.contains(":unexpected"));
}

TEST_P(GenServerTest, StartOutsideAProcessIsALogicErrorAndAnUndefinedNameIsBadarg) {
  beam::runtime rt(options());
  EXPECT_THROW((void)gs::start<empty_server>(), std::logic_error);
  term reason;
  rt.run([&]() -> beam::process {
    try {
      (void)gs::start<empty_server>({.name = "undefined"_a});
    } catch (const beam::error& e) {
      reason = e.reason();
    }
    co_return;
  });
  EXPECT_EQ(reason, term("badarg"_a));
}

TEST_P(GenServerTest, ACallThatTimesOutLeavesNoLateReplyInTheMailbox) {
  beam::runtime rt(options());
  term reason, expected_reason, after_release, stray;
  rt.run([&]() -> beam::process {
    beam::pid server = co_await gs::start<probe>(beam::self());
    reason = co_await error_of(beam::call(server, "hold"_a, 10ms));
    expected_reason = call_failure("timeout"_a, beam::list(server, "hold"_a, 10));
    co_await beam::receive(beam::on("holding"_a, [] {}));
    beam::cast(server, "release"_a);  // replies to the call that gave up
    after_release = co_await beam::call(server, "get"_a);
    stray = co_await poll();
    co_await beam::stop(server);
  });
  EXPECT_EQ(reason, expected_reason);
  EXPECT_EQ(after_release, term(0));
  EXPECT_EQ(stray, term("empty"_a));
}

// A front server whose handle_call is a coroutine that calls a back server, and whose terminate is a
// coroutine that waits for the back server's end.
struct front {
  beam::pid back;
  explicit front(beam::pid b) : back(b) {}
  beam::task<gs::call_result> handle_call(const term& request, const term&) {
    term answer = co_await beam::call(back, request);
    co_return gs::reply(beam::tuple("via_front"_a, answer));
  }
  beam::task<> terminate(const term&) { co_await beam::stop(back, "front_gone"_a); }
};

TEST_P(GenServerTest, CallbacksMayBeCoroutinesThatCallOtherServers) {
  beam::testing::captured_log log;
  beam::runtime rt(options());
  term answer, back_end;
  rt.run([&]() -> beam::process {
    beam::pid back = co_await gs::start<probe>(beam::self());
    beam::pid f = co_await gs::start<front>(back);
    answer = co_await beam::call(f, "ping"_a);
    co_await beam::stop(f);
    back_end = co_await next("terminated"_a);
  });
  EXPECT_EQ(answer, beam::tuple("via_front"_a, "ping"_a));
  EXPECT_EQ(back_end, term("front_gone"_a));
}

TEST_P(GenServerTest, ManyClientsCallAndCastOneServerWithAllSchedulersBusy) {
  beam::runtime rt(options());
  term total;
  int correct = 0;
  rt.run([&]() -> beam::process {
    beam::pid server = co_await gs::start<probe>({.name = "shared"_a}, beam::self());
    const beam::pid self = beam::self();
    constexpr int clients = 40, calls = 200;
    for (int c = 0; c < clients; ++c) {
      beam::spawn([self, c]() -> beam::process {
        int ok = 0;
        for (int i = 0; i < calls; ++i) {
          beam::cast("shared"_a, 1);
          ok += (co_await beam::call("shared"_a, beam::tuple(c, i))) == beam::tuple(c, i);
        }
        beam::send(self, beam::tuple("done"_a, ok));
      });
    }
    for (int c = 0; c < clients; ++c) correct += static_cast<int>((co_await next("done"_a)).as_int());
    total = co_await beam::call(server, "get"_a);  // every client's casts came before its last call
    co_await beam::stop(server);
  });
  EXPECT_EQ(correct, 40 * 200);
  EXPECT_EQ(total, term(40 * 200));
}

// Reports handle_info, handle_continue and terminate to `observer`. Its results carry what it is asked for:
// init returns ok(first); a call of n replies ok with a timeout of n ms, `hibernate` with hibernate; a cast
// of {arm, n} gives noreply(n ms); the cast `wait_for_go` waits (selectively) for `go`, then gives noreply(0
// ms).
struct timed {
  beam::pid observer;
  gs::next_action first;
  timed(beam::pid o, gs::next_action f) : observer(o), first(std::move(f)) {}

  gs::init_result init() { return gs::ok(first); }
  gs::call_result handle_call(const term& request, const term&) {
    if (request == term("hibernate"_a)) return gs::reply("ok"_a, gs::hibernate);
    return gs::reply("ok"_a, std::chrono::milliseconds(request.as_int()));
  }
  beam::task<gs::handler_result> handle_cast(const term& message) {
    if (message == term("wait_for_go"_a)) {
      co_await beam::receive(beam::on("go"_a, [] {}));
      co_return gs::noreply(0ms);
    }
    co_return gs::noreply(std::chrono::milliseconds(message.as_tuple()[1].as_int()));
  }
  gs::handler_result handle_info(const term& message) {
    beam::send(observer, beam::tuple("info"_a, message));
    return gs::noreply();
  }
  void terminate(const term& reason) { beam::send(observer, beam::tuple("terminated"_a, reason)); }
};

TEST_P(GenServerTest, ATimeoutInAResultDeliversTimeoutToHandleInfoWhenNoMessageComesInTime) {
  beam::testing::captured_log log;
  beam::runtime rt(options());
  term after_init, after_reply, after_cast, after_hibernate;
  rt.run([&]() -> beam::process {
    beam::pid server = co_await gs::start<timed>(beam::self(), gs::next_action(10ms));
    after_init = co_await next("info"_a);
    EXPECT_EQ(co_await beam::call(server, 20), term("ok"_a));
    after_reply = co_await next("info"_a);
    beam::cast(server, beam::tuple("arm"_a, 0));
    after_cast = co_await next("info"_a);
    EXPECT_EQ(co_await beam::call(server, "hibernate"_a), term("ok"_a));
    after_hibernate = co_await beam::call(server, "hibernate"_a);  // woken by the next message
    co_await beam::stop(server);
    EXPECT_EQ(co_await next("terminated"_a), term("normal"_a));
    EXPECT_EQ(co_await poll(), term("empty"_a));  // no timeout after hibernate
  });
  EXPECT_EQ(after_init, term("timeout"_a));
  EXPECT_EQ(after_reply, term("timeout"_a));
  EXPECT_EQ(after_cast, term("timeout"_a));
  EXPECT_EQ(after_hibernate, term("ok"_a));
}

TEST_P(GenServerTest, AMessageThereBeforeTheTimeoutWinsAndCancelsIt) {
  beam::runtime rt(options());
  term first, second;
  rt.run([&]() -> beam::process {
    beam::pid server = co_await gs::start<timed>(beam::self(), gs::next_action());
    beam::cast(server, "wait_for_go"_a);
    beam::send(server, "ping"_a);  // queued while the server waits for `go`: there when noreply(0 ms) is
    beam::send(server, "go"_a);
    first = co_await next("info"_a);
    EXPECT_EQ(co_await beam::call(server, 0), term("ok"_a));  // now the mailbox is empty: the timeout fires
    second = co_await next("info"_a);
    co_await beam::stop(server);
  });
  EXPECT_EQ(first, term("ping"_a));
  EXPECT_EQ(second, term("timeout"_a));
}

TEST_P(GenServerTest, ATimeoutOutsideOtpsRangeEndsTheServerWithTimeoutValueWithoutTerminateAsOtpsLoop) {
  beam::testing::captured_log log;
  beam::runtime rt(options());
  term reason;
  rt.run([&]() -> beam::process {
    beam::trap_exit(true);
    beam::pid server = co_await gs::start_link<timed>(beam::self(), gs::next_action(-1ms));
    reason = co_await beam::receive(
        beam::on(beam::tuple("EXIT"_a, server, beam::_term), [](term r) { return r; }));
    EXPECT_EQ(co_await poll(), term("empty"_a));  // terminate did not run
  });
  EXPECT_EQ(reason, term("timeout_value"_a));
}

// init queues a message for itself and asks for handle_continue(first); each step is reported to `observer`.
struct continuing {
  beam::pid observer;
  explicit continuing(beam::pid o) : observer(o) {}

  gs::init_result init() {
    beam::send(beam::self(), "early"_a);
    return gs::ok(gs::continue_with("first"_a));
  }
  beam::task<gs::handler_result> handle_continue(const term& step) {
    beam::send(observer, beam::tuple("step"_a, step));
    if (step == term("first"_a)) co_return gs::noreply(gs::continue_with("second"_a));
    if (step == term("stop"_a)) co_return gs::stop("stopped_in_continue"_a);
    co_return gs::noreply();
  }
  gs::call_result handle_call(const term& request, const term&) {
    return gs::reply(request, gs::continue_with(request));
  }
  gs::handler_result handle_info(const term& message) {
    beam::send(observer, beam::tuple("step"_a, message));
    return gs::noreply();
  }
  void terminate(const term& reason) { beam::send(observer, beam::tuple("terminated"_a, reason)); }
};

TEST_P(GenServerTest, AContinueRunsHandleContinueBeforeAnyOtherMessage) {
  beam::testing::captured_log log;
  beam::runtime rt(options());
  std::vector<term> steps;
  term replied, terminated;
  rt.run([&]() -> beam::process {
    beam::pid server = co_await gs::start<continuing>(beam::self());
    for (int i = 0; i < 3; ++i) steps.push_back(co_await next("step"_a));
    replied = co_await beam::call(server, "after_call"_a);  // replied before its continuation runs
    steps.push_back(co_await next("step"_a));
    EXPECT_EQ(co_await beam::call(server, "stop"_a), term("stop"_a));
    steps.push_back(co_await next("step"_a));
    terminated = co_await next("terminated"_a);
  });
  EXPECT_EQ(steps, (std::vector<term>{"first"_a, "second"_a, "early"_a, "after_call"_a, "stop"_a}));
  EXPECT_EQ(replied, term("after_call"_a));
  EXPECT_EQ(terminated, term("stopped_in_continue"_a));
  EXPECT_TRUE(log.contains("** (stop) :stopped_in_continue\nLast message: {:continue, :stop}"));
}

// Asks for a continuation it has no handle_continue for.
struct no_continue {
  gs::init_result init() { return gs::ok(gs::continue_with("x"_a)); }
};

TEST_P(GenServerTest, AContinueWithoutHandleContinueStopsTheServerWithBadContinue) {
  beam::testing::captured_log log;
  beam::runtime rt(options());
  term reason;
  rt.run([&]() -> beam::process {
    beam::trap_exit(true);
    beam::pid server = co_await gs::start_link<no_continue>();  // init has finished: start succeeds
    reason = co_await beam::receive(
        beam::on(beam::tuple("EXIT"_a, server, beam::_term), [](term r) { return r; }));
  });
  EXPECT_EQ(reason, beam::tuple("bad_continue"_a, "x"_a));
}

// Takes its arguments by value and is final (its callbacks are then found by a direct look-up); it also has
// an unrelated overload of handle_call, which the server never calls.
struct by_value final {
  gs::call_result handle_call(term request, term /*from*/) {
    return gs::reply(beam::tuple("got"_a, request));
  }
  gs::call_result handle_call(int, int, int) { return gs::noreply(); }
  gs::handler_result handle_continue(term) { return gs::noreply(); }
};

TEST_P(GenServerTest, CallbacksMayTakeTheirTermsByValueInAFinalServerType) {
  beam::runtime rt(options());
  term answer;
  rt.run([&]() -> beam::process {
    beam::pid server = co_await gs::start<by_value>();
    answer = co_await beam::call(server, "ping"_a);
    co_await beam::stop(server);
  });
  EXPECT_EQ(answer, beam::tuple("got"_a, "ping"_a));
}

// The script of gs_t in the test below, callback for callback: continuations, timeouts and hibernate chained,
// each callback recorded; the trace goes to `starter` at the second timeout.
struct scripted {
  beam::pid starter;
  std::vector<term> trace;
  int timeouts = 0;
  explicit scripted(beam::pid s) : starter(s) {}

  gs::init_result init() {
    beam::send(beam::self(), "early"_a);
    return gs::ok(gs::continue_with("first"_a));
  }
  gs::handler_result handle_continue(const term& step) {
    trace.push_back(beam::tuple("continue"_a, step));
    if (step == term("first"_a)) return gs::noreply(gs::continue_with("second"_a));
    return gs::noreply(0ms);
  }
  gs::handler_result handle_info(const term& message) {
    trace.push_back(beam::tuple("info"_a, message));
    if (message == term("early"_a)) return gs::noreply(0ms);
    if (++timeouts == 1) {
      beam::cast(beam::self(), "c"_a);
      return gs::noreply(gs::hibernate);
    }
    beam::send(starter, beam::tuple("trace"_a, beam::make_list(std::move(trace))));
    return gs::stop("normal"_a);
  }
  gs::handler_result handle_cast(const term& message) {
    trace.push_back(beam::tuple("cast"_a, message));
    return gs::noreply(5ms);
  }
};

TEST_P(GenServerTest, ContinuationsTimeoutsAndHibernateRunCallbacksInOtpsOrder) {
  const beam::testing::temp_dir dir;
  beam::testing::write_file(dir.file("gs_t.erl"), R"(-module(gs_t).
-behaviour(gen_server).
-export([run/0, init/1, handle_call/3, handle_cast/2, handle_info/2, handle_continue/2]).
run() -> {ok, _} = gen_server:start(?MODULE, self(), []), receive {trace, T} -> T end.
init(Starter) -> self() ! early, {ok, {Starter, [], 0}, {continue, first}}.
handle_continue(first, {S, T, N}) -> {noreply, {S, [{continue, first} | T], N}, {continue, second}};
handle_continue(second, {S, T, N}) -> {noreply, {S, [{continue, second} | T], N}, 0}.
handle_info(early, {S, T, N}) -> {noreply, {S, [{info, early} | T], N}, 0};
handle_info(timeout, {S, T, 0}) ->
  gen_server:cast(self(), c), {noreply, {S, [{info, timeout} | T], 1}, hibernate};
handle_info(timeout, {S, T, 1}) ->
  S ! {trace, lists:reverse([{info, timeout} | T])}, {stop, normal, {S, T, 2}}.
handle_cast(c, {S, T, N}) -> {noreply, {S, [{cast, c} | T], N}, 5}.
handle_call(_, _, State) -> {reply, ok, State}.
)");
  const auto erl = beam::testing::run_process(
      {"erl", "-noshell", "-eval",
       "{ok, gs_t} = compile:file(\"" + dir.file("gs_t.erl") + "\", [{outdir, \"" + dir.path() +
           "\"}]), code:add_patha(\"" + dir.path() + "\"), io:format(\"~w\", [gs_t:run()]), halt()."});
  ASSERT_EQ(erl.exit_code, 0) << "erl is needed (scripts/setup.sh installs it): " << erl.err;
  beam::runtime rt(options());
  std::string ours;
  rt.run([&]() -> beam::process {
    (void)co_await gs::start<scripted>(beam::self());
    ours = beam::format_erlang(co_await next("trace"_a));
  });
  EXPECT_EQ(ours, erl.out);
}

BEAM_SCHEDULER_COUNTS(GenServerTest);

}  // namespace
