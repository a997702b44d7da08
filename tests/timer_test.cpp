// Timers: send_after, start_timer, cancel_timer, read_timer, as OTP 25's (checked against erl): the time
// left, the end of a timer aimed at a process that ends, absolute deadlines and the accepted range.
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <beam/beam.hpp>

#include "proc/node.hpp"
#include "proc/signals.hpp"
#include "support/runtime_fixture.hpp"
#include "support/subprocess.hpp"
#include "support/waits.hpp"

using namespace beam::literals;
using namespace std::chrono_literals;
using beam::term;

namespace {

class TimerTest : public beam::testing::RuntimeTest {};

// White-box: the entries linked in the runtime's timer wheels, fired or cancelled ones not yet freed
// included. (The tests here make no receive ... after, whose timers would count too.)
std::size_t entries_in_wheels() {
  std::size_t n = 0;
  for (const auto& l : beam::detail::current_node()->locals) {
    std::lock_guard lock(l->timers_mutex);
    n += l->timers.size();
  }
  return n;
}

term as_term(std::optional<std::chrono::milliseconds> left) {
  return left ? term(static_cast<std::int64_t>(left->count())) : term("false"_a);
}

term as_term(bool b) {
  return term(b ? "true"_a : "false"_a);
}

// A process that sends its parent a one-hour timer it aims at itself, then ends when told `stop`.
beam::process sets_a_timer_on_itself(beam::pid parent) {
  beam::send(parent, beam::tuple("timer"_a, beam::send_after(1h, beam::self(), "late"_a)));
  co_await beam::testing::expect("stop"_a);
}

// Stops `p` and waits for its end.
beam::task<> stop_and_wait(beam::pid p) {
  const beam::reference m = beam::monitor(p);
  beam::send(p, "stop"_a);
  co_await beam::testing::down_reason(m);
}

TEST_P(TimerTest, ReadTimerAndCancelTimerGiveTheTimeLeftNeverMoreThanWasAsked) {
  beam::runtime rt(options());
  std::optional<std::chrono::milliseconds> read, cancelled;
  rt.run([&]() -> beam::process {
    const beam::reference r = beam::send_after(1000ms, beam::self(), "x"_a);
    read = beam::read_timer(r);
    cancelled = beam::cancel_timer(r);
    co_return;
  });
  ASSERT_TRUE(read);
  ASSERT_TRUE(cancelled);
  EXPECT_LE(*read, 1000ms);
  EXPECT_GT(*read, 500ms);
  EXPECT_LE(*cancelled, *read);
}

TEST_P(TimerTest, AFiredACancelledOrAnUnknownTimerReadsAndCancelsAsNullopt) {
  beam::runtime rt(options());
  std::vector<std::optional<std::chrono::milliseconds>> answers;
  rt.run([&]() -> beam::process {
    const beam::reference fired = beam::send_after(0ms, beam::self(), "x"_a);
    co_await beam::testing::expect("x"_a);
    const beam::reference cancelled = beam::send_after(1h, beam::self(), "y"_a);
    EXPECT_TRUE(beam::cancel_timer(cancelled));
    const beam::reference unknown = beam::reference::make();
    for (const auto& r : {fired, cancelled, unknown}) {
      answers.push_back(beam::cancel_timer(r));
      answers.push_back(beam::read_timer(r));
    }
    EXPECT_EQ(entries_in_wheels(), 0u);
  });
  EXPECT_EQ(answers, decltype(answers)(6, std::nullopt));
}

TEST_P(TimerTest, ATimerToADeadPidGivesAReferenceToATimerAlreadyCancelled) {
  beam::runtime rt(options());
  std::optional<std::chrono::milliseconds> read, cancelled;
  rt.run([&]() -> beam::process {
    const beam::pid dead = beam::spawn([]() -> beam::process { co_return; });
    co_await beam::testing::wait_for_exit(dead);
    const beam::reference r = beam::send_after(1h, dead, "late"_a);
    read = beam::read_timer(r);
    cancelled = beam::cancel_timer(r);
    EXPECT_EQ(entries_in_wheels(), 0u);
  });
  EXPECT_FALSE(read);
  EXPECT_FALSE(cancelled);
}

// A process that sets a one-hour timer on itself and ends must not leave the entry for an hour.
TEST_P(TimerTest, ATimerAProcessAimsAtItselfIsCancelledAndFreedWhenItEnds) {
  beam::runtime rt(options());
  std::optional<std::chrono::milliseconds> before, after, cancelled;
  std::size_t left_in_wheels = 1;
  rt.run([&]() -> beam::process {
    const beam::pid child = beam::spawn(sets_a_timer_on_itself, beam::self());
    const beam::reference r = (co_await beam::testing::next("timer"_a)).as_reference();
    before = beam::read_timer(r);
    co_await stop_and_wait(child);
    after = beam::read_timer(r);
    cancelled = beam::cancel_timer(r);
    left_in_wheels = entries_in_wheels();
  });
  ASSERT_TRUE(before);
  EXPECT_GT(*before, 59min);
  EXPECT_FALSE(after);
  EXPECT_FALSE(cancelled);
  EXPECT_EQ(left_in_wheels, 0u);
}

// Many processes on several schedulers aim timers at each other and at processes that end while the timers
// are being made (before, during or after each send_after): every timer aimed at a process that has ended is
// gone, freed at once, and the ones aimed at the living still run.
TEST_P(TimerTest, TimersAimedAtProcessesThatEndAreCancelledAndFreedUnderConcurrency) {
  constexpr int victims = 40;
  constexpr int setters = 40;
  beam::runtime rt(options());
  std::vector<beam::reference> at_the_dead, at_the_living;
  std::size_t left_in_wheels = 1;
  const auto reason = rt.run([&]() -> beam::process {
    const beam::pid parent = beam::self();
    std::vector<beam::pid> doomed;
    std::vector<beam::reference> downs;
    for (int i = 0; i < victims; ++i) {
      doomed.push_back(beam::spawn([]() -> beam::process { co_await beam::yield(); }));
      downs.push_back(beam::monitor(doomed.back()));
    }
    std::vector<beam::pid> living;
    for (int i = 0; i < setters; ++i) {
      living.push_back(beam::spawn([parent, doomed]() -> beam::process {
        std::vector<term> refs;
        for (const beam::pid& v : doomed) refs.emplace_back(beam::send_after(1h, v, "late"_a));
        beam::send(parent, beam::tuple("doomed"_a, beam::make_list(std::move(refs))));
        beam::send(parent, beam::tuple("living"_a, beam::send_after(1h, parent, "late"_a)));
        co_await beam::testing::expect("stop"_a);
      }));
    }
    for (int i = 0; i < setters; ++i) {
      const term refs = co_await beam::testing::next("doomed"_a);
      for (const term& r : refs.as_list()) at_the_dead.push_back(r.as_reference());
      at_the_living.push_back((co_await beam::testing::next("living"_a)).as_reference());
    }
    for (const beam::reference& d : downs) co_await beam::testing::down_reason(d);
    for (const beam::pid& p : living) co_await stop_and_wait(p);
    std::size_t still_set = 0;
    for (const beam::reference& r : at_the_dead) still_set += beam::read_timer(r).has_value();
    EXPECT_EQ(still_set, 0u);
    for (const beam::reference& r : at_the_living) EXPECT_TRUE(beam::cancel_timer(r));
    left_in_wheels = entries_in_wheels();
  });
  EXPECT_TRUE(reason.is_normal()) << beam::format_erlang(reason.reason());
  EXPECT_EQ(at_the_dead.size(), std::size_t{victims} * setters);
  EXPECT_EQ(left_in_wheels, 0u);
}

// A process that receives many timers over its life (each fired or cancelled) keeps no record of each: its
// set of references stays under twice the most it had live at once, plus a few.
TEST_P(TimerTest, ALongLivedTargetOfManyEndedTimersKeepsNoRecordOfEach) {
  beam::runtime rt(options());
  std::size_t recorded = 0;
  rt.run([&]() -> beam::process {
    for (int i = 0; i < 10'000; ++i) {
      const beam::reference r = beam::send_after(1h, beam::self(), "never"_a);
      EXPECT_TRUE(beam::cancel_timer(r));
    }
    for (int i = 0; i < 1'000; ++i) beam::send_after(0ms, beam::self(), "tick"_a);
    for (int i = 0; i < 1'000; ++i) co_await beam::testing::expect("tick"_a);
    for (int i = 0; i < 3'000; ++i) beam::cancel_timer(beam::send_after(1h, beam::self(), "never"_a));
    recorded = beam::detail::current_process("test").links->timers.size();
  });
  EXPECT_LT(recorded, 64u);
}

TEST_P(TimerTest, StartTimerDeliversTimeoutRefAndTheMessage) {
  beam::runtime rt(options());
  term expected, got;
  rt.run([&]() -> beam::process {
    const beam::reference r = beam::start_timer(5ms, beam::self(), "hello"_a);
    expected = beam::tuple("timeout"_a, r, "hello"_a);
    got = co_await beam::receive();
  });
  EXPECT_EQ(got, expected);
}

TEST_P(TimerTest, AnAbsoluteDeadlineFiresNoEarlierAndReadsNoMoreThanIsLeft) {
  const auto before_the_runtime = std::chrono::steady_clock::now();
  beam::runtime rt(options());
  std::optional<std::chrono::milliseconds> read;
  std::chrono::steady_clock::time_point deadline, fired;
  term past_error, past_message;
  rt.run([&]() -> beam::process {
    deadline = std::chrono::steady_clock::now() + 30ms;
    beam::start_timer(deadline, beam::self(), "abs"_a);
    read = beam::read_timer(beam::send_after(deadline, "nobody"_a, "x"_a));
    co_await beam::receive(beam::on(beam::tuple("timeout"_a, beam::_, "abs"_a),
                                    [&] { fired = std::chrono::steady_clock::now(); }));
    beam::send_after(std::chrono::steady_clock::now() - 1ms, beam::self(), "past"_a);  // fires at once
    past_message = co_await beam::receive();
    try {
      beam::send_after(before_the_runtime, beam::self(), "before"_a);
    } catch (const beam::error& e) {
      past_error = e.reason();
    }
  });
  ASSERT_TRUE(read);
  EXPECT_LE(*read, 30ms);
  EXPECT_GE(fired, deadline);
  EXPECT_EQ(past_message, term("past"_a));
  EXPECT_EQ(past_error, term("badarg"_a));
}

// The results erl prints for the same calls, and ours in the same form (nullopt as false, as Erlang's).
const char* const observables_erl = R"(-module(t).
-export([run/0]).
run() ->
  R1 = erlang:send_after(1000, self(), x),
  Read = erlang:read_timer(R1),
  Cancel = erlang:cancel_timer(R1),
  R2 = erlang:send_after(0, self(), y),
  receive y -> ok end,
  Dead = spawn(fun() -> ok end),
  DM = monitor(process, Dead),
  receive {'DOWN', DM, _, _, _} -> ok end,
  R3 = erlang:send_after(3600000, Dead, z),
  Self = self(),
  Child = spawn(fun() -> Self ! {timer, erlang:send_after(3600000, self(), w)}, receive stop -> ok end end),
  R4 = receive {timer, R} -> R end,
  Before = erlang:read_timer(R4),
  CM = monitor(process, Child),
  Child ! stop,
  receive {'DOWN', CM, _, _, _} -> ok end,
  R5 = erlang:start_timer(0, self(), hello),
  Msg = receive {timeout, _, _} = T -> T end,
  [Read =< 1000, Read > 500, Cancel =< Read, erlang:cancel_timer(R1), erlang:read_timer(R1),
   erlang:cancel_timer(R2), erlang:read_timer(R2),
   is_reference(R3), erlang:read_timer(R3), erlang:cancel_timer(R3),
   Before > 3500000, erlang:read_timer(R4), erlang:cancel_timer(R4),
   Msg =:= {timeout, R5, hello},
   erlang:cancel_timer(make_ref()), erlang:read_timer(make_ref())].
)";

beam::task<std::vector<term>> observables() {
  using std::chrono::milliseconds;
  std::vector<term> out;
  const beam::reference r1 = beam::send_after(1000ms, beam::self(), "x"_a);
  const auto read = beam::read_timer(r1);
  const auto cancel = beam::cancel_timer(r1);
  const beam::reference r2 = beam::send_after(0ms, beam::self(), "y"_a);
  co_await beam::testing::expect("y"_a);
  const beam::pid dead = beam::spawn([]() -> beam::process { co_return; });
  co_await beam::testing::wait_for_exit(dead);
  const beam::reference r3 = beam::send_after(1h, dead, "z"_a);
  const beam::pid child = beam::spawn(sets_a_timer_on_itself, beam::self());
  const beam::reference r4 = (co_await beam::testing::next("timer"_a)).as_reference();
  const auto before = beam::read_timer(r4);
  co_await stop_and_wait(child);
  const beam::reference r5 = beam::start_timer(0ms, beam::self(), "hello"_a);
  const term msg = co_await beam::receive();
  out = {as_term(read && *read <= 1000ms),
         as_term(read && *read > 500ms),
         as_term(cancel && read && *cancel <= *read),
         as_term(beam::cancel_timer(r1)),
         as_term(beam::read_timer(r1)),
         as_term(beam::cancel_timer(r2)),
         as_term(beam::read_timer(r2)),
         as_term(true),  // a reference, whatever happens to the timer
         as_term(beam::read_timer(r3)),
         as_term(beam::cancel_timer(r3)),
         as_term(before && *before > 3500s),
         as_term(beam::read_timer(r4)),
         as_term(beam::cancel_timer(r4)),
         as_term(msg == beam::tuple("timeout"_a, r5, "hello"_a)),
         as_term(beam::cancel_timer(beam::reference::make())),
         as_term(beam::read_timer(beam::reference::make()))};
  co_return out;
}

// Runs t:run() of `module` (an Erlang source) in erl and returns what it printed with ~w.
std::string erl_prints(const char* module) {
  const beam::testing::temp_dir dir;
  beam::testing::write_file(dir.file("t.erl"), module);
  const auto erl = beam::testing::run_process(
      {"erl", "-noshell", "-eval",
       "{ok, t} = compile:file(\"" + dir.file("t.erl") + "\", [{outdir, \"" + dir.path() +
           "\"}]), code:add_patha(\"" + dir.path() + "\"), io:format(\"~w\", [t:run()]), halt()."});
  EXPECT_EQ(erl.exit_code, 0) << "erl is needed (scripts/setup.sh installs it): " << erl.err;
  return erl.exit_code == 0 ? erl.out : "";
}

std::string printed(const std::vector<term>& terms) {
  std::vector<std::string> each;
  for (const term& t : terms) each.push_back(beam::format_erlang(t));
  return fmt::format("[{}]", fmt::join(each, ","));
}

TEST_P(TimerTest, CancelAndReadOfFiredDeadTargetAndUnknownTimersAnswerAsInErl) {
  const std::string erl = erl_prints(observables_erl);
  ASSERT_FALSE(erl.empty());
  beam::runtime rt(options());
  std::vector<term> ours;
  rt.run([&]() -> beam::process { ours = co_await observables(); });
  EXPECT_EQ(printed(ours), erl);
}

// OTP 25 takes a relative time of 0 up to about 292 years (past 2^32-1 ms, unlike receive's after) and an
// absolute one from the runtime's start on; outside, badarg.
const char* const range_erl = R"(-module(t).
-export([run/0]).
try_it(F) -> try F() of R -> erlang:cancel_timer(R), ok catch error:E -> E end.
run() ->
  Start = erlang:convert_time_unit(erlang:system_info(start_time), native, millisecond),
  Now = erlang:monotonic_time(millisecond),
  [try_it(fun() -> erlang:F(T, self(), a) end) || F <- [send_after, start_timer],
   T <- [-1, 0, 4294967295, 4294967296, 1 bsl 40, 1 bsl 50, 1 bsl 64]] ++
  [try_it(fun() -> erlang:F(T, self(), a, [{abs, true}]) end) || F <- [send_after, start_timer],
   T <- [Start - 1, Now - 1, Now + 1000]].
)";

term try_it(const std::function<beam::reference()>& start) {
  try {
    beam::cancel_timer(start());
    return term("ok"_a);
  } catch (const beam::error& e) {
    return e.reason();
  }
}

TEST_P(TimerTest, TimesOutsideOtpsRangeAreBadargAsInErl) {
  const std::string erl = erl_prints(range_erl);
  ASSERT_FALSE(erl.empty());
  const auto before_the_runtime = std::chrono::steady_clock::now() - 1ms;
  beam::runtime rt(options());
  std::vector<term> ours;
  rt.run([&]() -> beam::process {
    using ms = std::chrono::milliseconds;
    using start_fn = beam::reference (*)(ms, const beam::pid&, term);
    using start_at_fn = beam::reference (*)(std::chrono::steady_clock::time_point, const beam::pid&, term);
    const beam::pid me = beam::self();
    for (start_fn f : {start_fn(beam::send_after), start_fn(beam::start_timer)}) {
      // 2^64 ms does not fit a milliseconds count: its nearest, the largest one.
      for (ms t : {ms(-1), ms(0), ms(4294967295), ms(4294967296), ms(std::int64_t{1} << 40),
                   ms(std::int64_t{1} << 50), ms::max()}) {
        ours.push_back(try_it([&] { return f(t, me, "a"_a); }));
      }
    }
    beam::send_after(2ms, me, "older"_a);  // so that a millisecond ago is after the runtime's start
    co_await beam::testing::expect("older"_a);
    const auto now = std::chrono::steady_clock::now();
    for (start_at_fn f : {start_at_fn(beam::send_after), start_at_fn(beam::start_timer)}) {
      for (auto t : {before_the_runtime, now - 1ms, now + 1000ms}) {
        ours.push_back(try_it([&] { return f(t, me, "a"_a); }));
      }
    }
    co_return;
  });
  EXPECT_EQ(printed(ours), erl);
}

// timer:send_interval: ticks on a schedule until cancelled; after the ticker is gone no tick comes.
TEST_P(TimerTest, SendIntervalTicksUntilCancelledAndNoTickFollowsTheTickersEnd) {
  beam::runtime rt(options());
  int ticks_after_end = -1;
  std::chrono::steady_clock::duration five_ticks{};
  rt.run([&]() -> beam::process {
    const auto started = std::chrono::steady_clock::now();
    const beam::interval_timer t = beam::send_interval(5ms, beam::self(), "tick"_a);
    for (int i = 0; i < 5; ++i) co_await beam::receive(beam::on("tick"_a, [] {}));
    five_ticks = std::chrono::steady_clock::now() - started;
    const beam::reference watch = beam::monitor(t.process());
    beam::cancel_interval(t);
    co_await beam::receive(beam::on(beam::tuple("DOWN"_a, watch, beam::_, beam::_, beam::_), [] {}));
    beam::send(beam::self(), "marker"_a);  // every tick sent before the end is ahead of it
    ticks_after_end = 0;
    bool marker = false;
    while (!marker) {
      co_await beam::receive(beam::on("tick"_a, [] {}), beam::on("marker"_a, [&] { marker = true; }));
    }
    co_await beam::receive(beam::on("tick"_a, [&] { ++ticks_after_end; }), beam::after(30ms, [] {}));
  });
  EXPECT_GE(five_ticks, 25ms);  // never early: the fifth is due 25 ms after the start
  EXPECT_EQ(ticks_after_end, 0);
}

// The ticker is tied to a pid destination: its end stops the ticks. A name destination ties it to the caller.
TEST_P(TimerTest, SendIntervalStopsWhenItsPidDestinationEndsAndRefusesABadInterval) {
  beam::runtime rt(options());
  bool ticker_ended = false;
  std::string refused;
  rt.run([&]() -> beam::process {
    const beam::pid me = beam::self();
    const beam::pid target = beam::spawn([me]() -> beam::process {
      co_await beam::receive(beam::on("tick"_a, [me] { beam::send(me, "target_ticked"_a); }));
      co_await beam::receive(beam::on("never"_a, [] {}));
    });
    const beam::interval_timer t = beam::send_interval(1ms, target, "tick"_a);
    const beam::reference watch = beam::monitor(t.process());
    co_await beam::receive(beam::on("target_ticked"_a, [] {}));
    beam::exit(target, "kill"_a);
    co_await beam::receive(
        beam::on(beam::tuple("DOWN"_a, watch, beam::_, beam::_, beam::_), [&] { ticker_ended = true; }));
    try {
      (void)beam::send_interval(-1ms, me, "tick"_a);
    } catch (const beam::error& e) {
      refused = beam::inspect(e.reason());
    }
  });
  EXPECT_TRUE(ticker_ended);
  EXPECT_EQ(refused, ":badarg");
}

BEAM_SCHEDULER_COUNTS(TimerTest);

}  // namespace
