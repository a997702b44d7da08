// Supervisors (beam/supervisor.hpp, issue 5 points 6 and 9): strategies, restart types, intensity, shutdown,
// nested trees, the child API and its errors, and the reports.
#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <stdexcept>
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
namespace sup = beam::supervisor;

namespace {

using beam::testing::down_reason;
using beam::testing::error_of;
using beam::testing::next;

class SupervisorTest : public beam::testing::RuntimeTest {};

// A child that tells `observer` {started, Id, Pid} when it starts, then acks its start to `parent` (so the
// supervisor starts children one after another, as OTP's start_link does), and tells {stopped, Id, Reason}
// when an exit signal stops it (it traps exits to see it). It ends with R on {exit_with, R}; with `stubborn`,
// it ignores exit signals.
beam::process recorded(beam::pid observer, term id, bool stubborn, beam::pid parent) {
  beam::trap_exit(true);
  beam::send(observer, beam::tuple("started"_a, id, beam::self()));
  beam::send(parent, beam::tuple("ack"_a, beam::self()));
  for (;;) {
    term m = co_await beam::receive();
    const auto f = m.as_tuple();
    if (f[0] == term("exit_with"_a)) beam::exit(f[1]);
    if (f[0] == term("EXIT"_a) && !stubborn) {
      beam::send(observer, beam::tuple("stopped"_a, id, f[2]));
      beam::exit(f[2]);
    }
  }
}

// Starts a recorded child linked to the caller (the supervisor) and waits for its ack.
beam::task<sup::start_result> start_recorded(beam::pid observer, term id, bool stubborn) {
  const beam::pid child = beam::spawn_link(recorded, observer, id, stubborn, beam::self());
  co_await beam::receive(beam::on(beam::tuple("ack"_a, child), [] {}));
  co_return child;
}

sup::child_spec recorded_spec(term id, sup::restart_type restart = sup::restart_type::permanent,
                              beam::pid observer = beam::self(), bool stubborn = false) {
  return {.id = id,
          .start = [observer, id, stubborn] { return start_recorded(observer, id, stubborn); },
          .restart = restart};
}

beam::process idle() {
  co_await beam::receive(beam::on("never"_a, [] {}));
}

// The next {started, Id, Pid} or {stopped, Id, Reason}, as {Kind, Id}; the pid of a start goes to `started`.
beam::task<term> next_event(beam::pid* started = nullptr) {
  co_return co_await beam::receive(
      beam::on(beam::tuple("started"_a, beam::_term, beam::_pid),
               [&](term id, beam::pid p) {
                 if (started != nullptr) *started = p;
                 return beam::tuple("started"_a, id);
               }),
      beam::on(beam::tuple("stopped"_a, beam::_term, beam::_term),
               [](term id, term reason) { return beam::tuple("stopped"_a, id, reason); }));
}

beam::task<std::vector<term>> next_events(int n) {
  std::vector<term> events;
  for (int i = 0; i < n; ++i) events.push_back(co_await next_event());
  co_return events;
}

// The child `id` as which_children shows it.
beam::task<term> child_of(beam::pid s, term id) {
  for (const sup::child_info& c : co_await sup::which_children(s)) {
    if (c.id == id) co_return c.child;
  }
  co_return "absent"_a;
}

// Asks until the supervisor shows the child `id` other than `before` (it has handled the child's exit).
beam::task<term> child_after(beam::pid s, term id, term before) {
  for (int i = 0; i < 100'000; ++i) {
    term now = co_await child_of(s, id);
    if (now != before) co_return now;
    co_await beam::yield();
  }
  co_return before;
}

// The ids of the supervisor's children, as which_children lists them (newest first).
beam::task<term> ids_of(beam::pid s) {
  std::vector<term> ids;
  for (const sup::child_info& c : co_await sup::which_children(s)) ids.push_back(c.id);
  co_return beam::make_list(std::move(ids));
}

term started(term id) {
  return beam::tuple("started"_a, id);
}
term stopped(term id) {
  return beam::tuple("stopped"_a, id, "shutdown"_a);
}

TEST_P(SupervisorTest, StartLinkStartsTheChildrenInOrderAndListsThemNewestFirst) {
  beam::runtime rt(options());
  std::vector<term> events;
  term ids;
  rt.run([&]() -> beam::process {
    beam::pid s = co_await sup::start_link(
        {}, sup::child_specs(recorded_spec("a"_a), recorded_spec("b"_a), recorded_spec("c"_a)));
    events = co_await next_events(3);
    ids = co_await ids_of(s);
  });
  EXPECT_EQ(events, (std::vector<term>{started("a"_a), started("b"_a), started("c"_a)}));
  EXPECT_EQ(ids, beam::list("c"_a, "b"_a, "a"_a));
}

TEST_P(SupervisorTest, OneForOneRestartsOnlyTheChildThatCrashed) {
  beam::testing::captured_log log;
  beam::runtime rt(options());
  std::vector<term> events;
  bool others_kept = false, new_pid = false;
  rt.run([&]() -> beam::process {
    beam::pid a(0, 0), b(0, 0), c(0, 0), b2(0, 0);
    beam::pid s = co_await sup::start_link(
        {.intensity = 5}, sup::child_specs(recorded_spec("a"_a), recorded_spec("b"_a), recorded_spec("c"_a)));
    co_await next_event(&a), co_await next_event(&b), co_await next_event(&c);
    beam::send(b, beam::tuple("exit_with"_a, "boom"_a));
    events.push_back(co_await next_event(&b2));
    const term b_now = co_await child_of(s, "b"_a), a_now = co_await child_of(s, "a"_a);
    const term c_now = co_await child_of(s, "c"_a);
    new_pid = b2 != b && b_now == term(b2);
    others_kept = a_now == term(a) && c_now == term(c);
  });
  EXPECT_EQ(events, std::vector<term>{started("b"_a)});
  EXPECT_TRUE(new_pid);
  EXPECT_TRUE(others_kept);
  EXPECT_TRUE(log.contains("context=child_terminated"));
  EXPECT_TRUE(log.contains("context=child_restarted"));
}

TEST_P(SupervisorTest, OneForAllStopsTheOthersInReverseOrderThenRestartsAllInOrder) {
  beam::testing::captured_log log;
  beam::runtime rt(options());
  std::vector<term> events;
  rt.run([&]() -> beam::process {
    beam::pid b(0, 0);
    (void)co_await sup::start_link({.strategy = sup::restart_strategy::one_for_all, .intensity = 5},
                                   sup::child_specs(recorded_spec("a"_a), recorded_spec("b"_a),
                                                    recorded_spec("c"_a), recorded_spec("d"_a)));
    co_await next_event(), co_await next_event(&b), co_await next_event(), co_await next_event();
    beam::send(b, beam::tuple("exit_with"_a, "boom"_a));
    events = co_await next_events(7);
  });
  EXPECT_EQ(events, (std::vector<term>{stopped("d"_a), stopped("c"_a), stopped("a"_a), started("a"_a),
                                       started("b"_a), started("c"_a), started("d"_a)}));
}

TEST_P(SupervisorTest, RestForOneRestartsTheCrashedChildAndThoseStartedAfterIt) {
  beam::testing::captured_log log;
  beam::runtime rt(options());
  std::vector<term> events;
  rt.run([&]() -> beam::process {
    beam::pid b(0, 0);
    (void)co_await sup::start_link({.strategy = sup::restart_strategy::rest_for_one, .intensity = 5},
                                   sup::child_specs(recorded_spec("a"_a), recorded_spec("b"_a),
                                                    recorded_spec("c"_a), recorded_spec("d"_a)));
    co_await next_event(), co_await next_event(&b), co_await next_event(), co_await next_event();
    beam::send(b, beam::tuple("exit_with"_a, "boom"_a));
    events = co_await next_events(5);
  });
  EXPECT_EQ(events, (std::vector<term>{stopped("d"_a), stopped("c"_a), started("b"_a), started("c"_a),
                                       started("d"_a)}));
}

TEST_P(SupervisorTest, OneForAllForgetsATemporaryChildInsteadOfRestartingIt) {
  beam::testing::captured_log log;
  beam::runtime rt(options());
  std::vector<term> events;
  term ids;
  rt.run([&]() -> beam::process {
    beam::pid a(0, 0);
    beam::pid s = co_await sup::start_link(
        {.strategy = sup::restart_strategy::one_for_all, .intensity = 5},
        sup::child_specs(recorded_spec("a"_a), recorded_spec("t"_a, sup::restart_type::temporary),
                         recorded_spec("b"_a)));
    co_await next_event(&a), co_await next_event(), co_await next_event();
    beam::send(a, beam::tuple("exit_with"_a, "boom"_a));
    events = co_await next_events(4);
    ids = co_await ids_of(s);
  });
  EXPECT_EQ(events, (std::vector<term>{stopped("b"_a), stopped("t"_a), started("a"_a), started("b"_a)}));
  EXPECT_EQ(ids, beam::list("b"_a, "a"_a));
}

TEST_P(SupervisorTest, PastTheIntensityTheSupervisorStopsEveryChildAndExitsWithShutdown) {
  beam::testing::captured_log log;
  beam::runtime rt(options());
  term reason;
  std::vector<term> last;
  rt.run([&]() -> beam::process {
    beam::trap_exit(true);
    beam::pid a(0, 0), b(0, 0);
    beam::pid s = co_await sup::start_link({.intensity = 2, .period = 60s},
                                           sup::child_specs(recorded_spec("a"_a), recorded_spec("b"_a)));
    beam::reference ref = beam::monitor(s);
    co_await next_event(&a), co_await next_event(&b);
    for (int i = 0; i < 2; ++i) {  // two restarts are allowed
      beam::send(b, beam::tuple("exit_with"_a, "boom"_a));
      co_await next_event(&b);
    }
    beam::send(b, beam::tuple("exit_with"_a, "boom"_a));  // the third is one too many
    last = co_await next_events(1);
    reason = co_await down_reason(ref);
  });
  EXPECT_EQ(last, std::vector<term>{stopped("a"_a)});
  EXPECT_EQ(reason, term("shutdown"_a));
  EXPECT_TRUE(log.contains("context=shutdown"));
  EXPECT_TRUE(log.contains("reason=:reached_max_restart_intensity"));
  EXPECT_TRUE(log.contains("restarts=3"));
}

TEST_P(SupervisorTest, ANestedSupervisorThatGivesUpIsRestartedByItsParent) {
  beam::testing::captured_log log;
  beam::runtime rt(options());
  bool inner_replaced = false, inner_alive = false;
  std::vector<term> events;
  rt.run([&]() -> beam::process {
    const beam::pid self = beam::self();
    sup::child_spec inner{.id = "inner"_a,
                          .start = sup::from_start_link([self] {
                            return sup::start_link(
                                {.intensity = 0},
                                {recorded_spec("leaf"_a, sup::restart_type::permanent, self)});
                          }),
                          .type = sup::child_type::supervisor};
    beam::pid top = co_await sup::start_link({.intensity = 3},
                                             sup::child_specs(std::move(inner), recorded_spec("sibling"_a)));
    beam::pid leaf(0, 0);
    co_await next_event(&leaf), co_await next_event();
    const term inner_before = co_await child_of(top, "inner"_a);
    beam::send(leaf, beam::tuple("exit_with"_a, "boom"_a));  // intensity 0: the inner supervisor gives up
    events = co_await next_events(1);                        // its new leaf, under a new inner supervisor
    const term inner_after = co_await child_of(top, "inner"_a);
    inner_replaced = inner_after.is_pid() && inner_after != inner_before;
    inner_alive = beam::alive(inner_after.as_pid());
  });
  EXPECT_EQ(events, std::vector<term>{started("leaf"_a)});
  EXPECT_TRUE(inner_replaced);
  EXPECT_TRUE(inner_alive);
  EXPECT_TRUE(log.contains("reason=:reached_max_restart_intensity"));
  EXPECT_TRUE(log.contains("child=:inner"));
}

TEST_P(SupervisorTest, RestartTypesDecideWhichExitsRestartAChild) {
  beam::testing::captured_log log;
  beam::runtime rt(options());
  std::vector<term> seen;
  rt.run([&]() -> beam::process {
    beam::pid p(0, 0), tn(0, 0), ta(0, 0), tmp(0, 0);
    beam::pid s = co_await sup::start_link(
        {.intensity = 10}, sup::child_specs(recorded_spec("perm"_a),
                                            recorded_spec("trans_normal"_a, sup::restart_type::transient),
                                            recorded_spec("trans_abnormal"_a, sup::restart_type::transient),
                                            recorded_spec("temp"_a, sup::restart_type::temporary)));
    co_await next_event(&p), co_await next_event(&tn), co_await next_event(&ta), co_await next_event(&tmp);
    beam::send(p, beam::tuple("exit_with"_a, "normal"_a));  // permanent: restarted even after `normal`
    seen.push_back(co_await next_event());
    beam::send(ta, beam::tuple("exit_with"_a, "boom"_a));  // transient, abnormal: restarted
    seen.push_back(co_await next_event());
    beam::send(tn,
               beam::tuple("exit_with"_a, beam::tuple("shutdown"_a, "done"_a)));  // transient, clean: kept
    seen.push_back(co_await child_after(s, "trans_normal"_a, tn));
    beam::send(tmp, beam::tuple("exit_with"_a, "boom"_a));  // temporary: forgotten
    seen.push_back(co_await child_after(s, "temp"_a, tmp));
  });
  EXPECT_EQ(seen,
            (std::vector<term>{started("perm"_a), started("trans_abnormal"_a), "undefined"_a, "absent"_a}));
  EXPECT_TRUE(log.contains("child=:perm"));
  EXPECT_FALSE(log.contains("child=:trans_normal"));  // a clean exit of a transient child is no error
  EXPECT_TRUE(log.contains("child=:temp"));
}

TEST_P(SupervisorTest, AChildThatIgnoresShutdownIsKilledWhenItsTimeoutPasses) {
  beam::runtime rt(options());
  term reason;
  std::chrono::steady_clock::duration took{};
  rt.run([&]() -> beam::process {
    const beam::pid self = beam::self();
    beam::pid s = co_await sup::start_link(
        {}, sup::child_specs(
                recorded_spec("stubborn"_a, sup::restart_type::permanent, self, true).with_shutdown(50ms)));
    beam::pid child(0, 0);
    co_await next_event(&child);
    beam::reference ref = beam::monitor(child);
    const auto start = std::chrono::steady_clock::now();
    co_await sup::terminate_child(s, "stubborn"_a);
    took = std::chrono::steady_clock::now() - start;
    reason = co_await down_reason(ref);
  });
  EXPECT_EQ(reason, term("killed"_a));
  EXPECT_GE(took, 50ms);
}

TEST_P(SupervisorTest, BrutalKillKillsAtOnceAndATimeoutLetsTheChildEndWithShutdown) {
  beam::runtime rt(options());
  term brutal, polite;
  std::vector<term> events;
  rt.run([&]() -> beam::process {
    beam::pid s = co_await sup::start_link(
        {}, sup::child_specs(recorded_spec("brutal"_a).with_shutdown(sup::brutal_kill),
                             recorded_spec("polite"_a).with_shutdown(5s)));
    beam::pid b(0, 0), p(0, 0);
    co_await next_event(&b), co_await next_event(&p);
    beam::reference rb = beam::monitor(b), rp = beam::monitor(p);
    co_await sup::terminate_child(s, "brutal"_a);
    co_await sup::terminate_child(s, "polite"_a);
    brutal = co_await down_reason(rb);
    polite = co_await down_reason(rp);
    events = co_await next_events(1);  // only the polite child saw its shutdown
  });
  EXPECT_EQ(brutal, term("killed"_a));
  EXPECT_EQ(polite, term("shutdown"_a));
  EXPECT_EQ(events, std::vector<term>{stopped("polite"_a)});
}

TEST_P(SupervisorTest, AnExitFromTheParentStopsTheChildrenInReverseOrderWithThatReason) {
  beam::runtime rt(options());
  term reason;
  std::vector<term> events;
  rt.run([&]() -> beam::process {
    const beam::pid self = beam::self();
    auto [parent, parent_ref] = beam::spawn_monitor([self]() -> beam::process {
      beam::pid s = co_await sup::start_link(
          {}, sup::child_specs(recorded_spec("a"_a, sup::restart_type::permanent, self),
                               recorded_spec("b"_a, sup::restart_type::permanent, self)));
      beam::send(self, beam::tuple("supervisor"_a, s));
      co_await beam::receive(beam::on("stop"_a, [] {}));
      beam::exit("going_away"_a);
    });
    beam::pid s = co_await beam::receive(
        beam::on(beam::tuple("supervisor"_a, beam::_pid), [](beam::pid p) { return p; }));
    beam::reference ref = beam::monitor(s);
    co_await next_events(2);
    beam::send(parent, "stop"_a);
    events = co_await next_events(2);
    reason = co_await down_reason(ref);
    (void)co_await down_reason(parent_ref);
  });
  EXPECT_EQ(events, (std::vector<term>{stopped("b"_a), stopped("a"_a)}));
  EXPECT_EQ(reason, term("going_away"_a));
}

// A start function that fails with {error, nope}.
sup::child_spec failing_spec(term id) {
  return {.id = std::move(id), .start = []() -> beam::task<sup::start_result> {
            throw beam::error("nope"_a);
            co_return sup::ignore;
          }};
}

TEST_P(SupervisorTest, AChildThatFailsToStartFailsStartLinkAfterTheStartedOnesStop) {
  beam::testing::captured_log log;
  beam::runtime rt(options());
  term reason, exit_message;
  std::vector<term> events;
  rt.run([&]() -> beam::process {
    beam::trap_exit(true);  // the supervisor's exit reaches the caller through the link, as in OTP 25
    reason = co_await error_of(sup::start_link(
        {}, sup::child_specs(recorded_spec("a"_a), failing_spec("b"_a), recorded_spec("c"_a))));
    events = co_await next_events(2);
    exit_message = co_await beam::receive(
        beam::on(beam::tuple("EXIT"_a, beam::_pid, beam::_term), [](beam::pid, term r) { return r; }));
  });
  const term expected = beam::tuple("shutdown"_a, beam::tuple("failed_to_start_child"_a, "b"_a, "nope"_a));
  EXPECT_EQ(reason, expected);
  EXPECT_EQ(exit_message, expected);
  EXPECT_EQ(events, (std::vector<term>{started("a"_a), stopped("a"_a)}));
  EXPECT_TRUE(log.contains("context=start_error"));
}

TEST_P(SupervisorTest, InvalidFlagsAndSpecsAreRejectedWithOtpsReasons) {
  beam::runtime rt(options());
  std::vector<term> reasons;
  rt.run([&]() -> beam::process {
    const auto attempt = [](sup::flags f, std::vector<sup::child_spec> specs) -> beam::task<term> {
      try {
        (void)co_await sup::start_link(f, std::move(specs));
      } catch (const beam::error& e) {
        co_return e.reason();
      }
      co_return term();
    };
    reasons.push_back(co_await attempt({.intensity = -1}, {}));
    reasons.push_back(co_await attempt({.period = 0ms}, {}));
    reasons.push_back(co_await attempt({.strategy = static_cast<sup::restart_strategy>(7)}, {}));
    reasons.push_back(co_await attempt({}, sup::child_specs(recorded_spec("a"_a), recorded_spec("a"_a))));
    reasons.push_back(co_await attempt({}, sup::child_specs(recorded_spec("a"_a).with_shutdown(-1ms))));
    reasons.push_back(co_await attempt({}, sup::child_specs(sup::child_spec{.id = "empty"_a})));
  });
  EXPECT_EQ(reasons, (std::vector<term>{
                         beam::tuple("supervisor_data"_a, beam::tuple("invalid_intensity"_a, -1)),
                         beam::tuple("supervisor_data"_a, beam::tuple("invalid_period"_a, 0)),
                         beam::tuple("supervisor_data"_a, beam::tuple("invalid_strategy"_a, 7)),
                         beam::tuple("start_spec"_a, beam::tuple("duplicate_child_name"_a, "a"_a)),
                         beam::tuple("start_spec"_a, beam::tuple("invalid_shutdown"_a, -1)),
                         beam::tuple("start_spec"_a, "missing_start"_a),  // as OTP 25's
                     }));
}

TEST_P(SupervisorTest, TheChildApiGivesOtpsErrors) {
  beam::testing::captured_log log;
  beam::runtime rt(options());
  std::vector<term> got;
  beam::pid a(0, 0);
  rt.run([&]() -> beam::process {
    beam::pid s = co_await sup::start_link({}, sup::child_specs(recorded_spec("a"_a)));
    co_await next_event(&a);
    got.push_back(co_await error_of(sup::start_child(s, recorded_spec("a"_a))));
    got.push_back(co_await error_of(sup::restart_child(s, "a"_a)));
    got.push_back(co_await error_of(sup::delete_child(s, "a"_a)));
    got.push_back(co_await error_of(sup::terminate_child(s, "zz"_a)));
    got.push_back(co_await error_of(sup::restart_child(s, "zz"_a)));
    got.push_back(co_await error_of(sup::delete_child(s, "zz"_a)));
    co_await sup::terminate_child(s, "a"_a);
    got.push_back(co_await error_of(sup::start_child(s, recorded_spec("a"_a))));
    got.push_back(co_await error_of(sup::start_child(s, failing_spec("f"_a))));
    got.push_back(co_await error_of(sup::start_child(s, recorded_spec("g"_a).with_shutdown(-5ms))));
    got.push_back(co_await error_of(sup::which_children(beam::pid(200'000, 1))));
    got.push_back(co_await error_of(sup::count_children("nobody"_a)));
  });
  EXPECT_EQ(got, (std::vector<term>{
                     beam::tuple("already_started"_a, a), "running"_a, "running"_a, "not_found"_a,
                     "not_found"_a, "not_found"_a, "already_present"_a, beam::tuple("nope"_a, "f"_a),
                     beam::tuple("invalid_shutdown"_a, -5),
                     beam::testing::call_failure(
                         "noproc"_a, beam::list(beam::pid(200'000, 1), "which_children"_a, "infinity"_a)),
                     beam::testing::call_failure("noproc"_a,
                                                 beam::list("nobody"_a, "count_children"_a, "infinity"_a))}));
}

TEST_P(SupervisorTest, StartTerminateRestartAndDeleteManageChildrenAtRunTime) {
  beam::runtime rt(options());
  sup::child_counts counts{}, after_terminate{}, after_delete{};
  term restarted_state, ignored;
  std::vector<term> events;
  rt.run([&]() -> beam::process {
    beam::pid s = co_await sup::start_link({}, sup::child_specs(recorded_spec("a"_a)));
    std::optional<beam::pid> b = co_await sup::start_child(s, recorded_spec("b"_a));
    sup::child_spec inner{.id = "inner"_a,
                          .start = sup::from_start_link([] { return sup::start_link({}, {}); }),
                          .type = sup::child_type::supervisor};
    (void)co_await sup::start_child(s, std::move(inner));
    const std::optional<beam::pid> none = co_await sup::start_child(
        s, {.id = "ignored"_a, .start = []() -> beam::task<sup::start_result> { co_return sup::ignore; }});
    ignored = none ? term(*none) : term("undefined"_a);
    events = co_await next_events(2);
    counts = co_await sup::count_children(s);
    co_await sup::terminate_child(s, "b"_a);
    after_terminate = co_await sup::count_children(s);
    std::optional<beam::pid> b2 = co_await sup::restart_child(s, "b"_a);
    const term b_now = co_await child_of(s, "b"_a);
    restarted_state = b2 && *b2 != *b && b_now == term(*b2) ? term("ok"_a) : term("bad"_a);
    co_await sup::terminate_child(s, "b"_a);
    co_await sup::delete_child(s, "b"_a);
    after_delete = co_await sup::count_children(s);
  });
  EXPECT_EQ(events, (std::vector<term>{started("a"_a), started("b"_a)}));
  EXPECT_EQ(ignored, term("undefined"_a));
  EXPECT_EQ(counts, (sup::child_counts{.specs = 4, .active = 3, .supervisors = 1, .workers = 3}));
  EXPECT_EQ(after_terminate, (sup::child_counts{.specs = 4, .active = 2, .supervisors = 1, .workers = 3}));
  EXPECT_EQ(restarted_state, term("ok"_a));
  EXPECT_EQ(after_delete, (sup::child_counts{.specs = 3, .active = 2, .supervisors = 1, .workers = 2}));
}

TEST_P(SupervisorTest, AFailedRestartIsRetriedAndTheChildReadsRestartingMeanwhile) {
  beam::testing::captured_log log;
  beam::runtime rt(options());
  std::vector<term> events;
  rt.run([&]() -> beam::process {
    const beam::pid self = beam::self();
    // Starts at once, then fails twice, then starts again.
    sup::child_spec flaky{.id = "flaky"_a,
                          .start = [self, starts = 0]() mutable -> beam::task<sup::start_result> {
                            ++starts;
                            if (starts == 2 || starts == 3) throw beam::error("not_yet"_a);
                            co_return co_await start_recorded(self, "flaky"_a, false);
                          }};
    beam::pid s = co_await sup::start_link({.intensity = 5}, sup::child_specs(std::move(flaky)));
    beam::pid f(0, 0);
    co_await next_event(&f);
    beam::send(f, beam::tuple("exit_with"_a, "boom"_a));
    events = co_await next_events(1);
    const term now = co_await child_of(s, "flaky"_a);
    events.push_back(now == term(f) ? term("old") : term("new"));
  });
  EXPECT_EQ(events, (std::vector<term>{started("flaky"_a), term("new")}));
  EXPECT_TRUE(log.contains("context=start_error"));
  EXPECT_TRUE(log.contains("reason=:not_yet"));
}

TEST_P(SupervisorTest, ARegisteredSupervisorIsReachedByNameAndItsNameIsTakenOnce) {
  beam::runtime rt(options());
  sup::child_counts counts{};
  term second;
  beam::pid first(0, 0);
  rt.run([&]() -> beam::process {
    beam::trap_exit(true);
    first = co_await sup::start_link("the_sup"_a, {}, sup::child_specs(sup::worker("a"_a, idle)));
    counts = co_await sup::count_children("the_sup"_a);
    second = co_await error_of(sup::start_link("the_sup"_a, {}, {}));
  });
  EXPECT_EQ(counts, (sup::child_counts{.specs = 1, .active = 1, .supervisors = 0, .workers = 1}));
  EXPECT_EQ(second, beam::tuple("already_started"_a, first));
}

TEST_P(SupervisorTest, ReportsAreOneLineEachWithTheSupervisorTheChildAndTheReason) {
  beam::testing::captured_log log;
  beam::runtime rt(options());
  std::string expected_pids;
  rt.run([&]() -> beam::process {
    beam::pid s =
        co_await sup::start_link("reporting"_a, {.intensity = 5}, sup::child_specs(recorded_spec("w"_a)));
    beam::pid w(0, 0);
    co_await next_event(&w);
    beam::send(w, beam::tuple("exit_with"_a, "boom"_a));
    co_await next_event();
    expected_pids = beam::inspect(term(s)) + " " + beam::inspect(term(w));
  });
  std::vector<std::string> terminated;
  for (const std::string& line : log.lines()) {
    if (line.find("context=child_terminated") != std::string::npos) terminated.push_back(line);
  }
  ASSERT_EQ(terminated.size(), 1u);
  EXPECT_EQ(terminated[0].find('\n'), std::string::npos);
  const std::string sup_pid = expected_pids.substr(0, expected_pids.find(' '));
  const std::string child_pid = expected_pids.substr(expected_pids.find(' ') + 1);
  EXPECT_EQ(terminated[0], "SUPERVISOR REPORT context=child_terminated supervisor=" + sup_pid +
                               " name=:reporting child=:w pid=" + child_pid +
                               " reason=:boom restart=permanent restarts=0");
}

// A gen_server child: tells `observer` {started, pid} from init and {terminated, reason} from terminate;
// `crash` stops it with `boom`. It traps exits, so the supervisor's shutdown reaches terminate.
struct observed_server {
  beam::pid observer;
  explicit observed_server(beam::pid o) : observer(o) {}
  beam::gen_server::init_result init() {
    beam::trap_exit(true);
    beam::send(observer, beam::tuple("started"_a, beam::self()));
    return beam::gen_server::ok();
  }
  beam::gen_server::call_result handle_call(const term& request, const term&) {
    if (request == term("crash"_a)) return beam::gen_server::stop("boom"_a);
    return beam::gen_server::reply(request);
  }
  void terminate(const term& reason) { beam::send(observer, beam::tuple("terminated"_a, reason)); }
};

// A gen_server whose init returns ignore().
struct ignoring_server {
  beam::gen_server::init_result init() { return beam::gen_server::ignore(); }
};

TEST_P(SupervisorTest, GenServerChildrenRestartAfterACrashAndTerminateWhenTheTreeStops) {
  beam::testing::captured_log log;
  beam::runtime rt(options());
  term ignored, crash_terminate, echo, shutdown_terminate, first, second;
  rt.run([&]() -> beam::process {
    // The tree's `shutdown` reaches us through the start_link link, maybe before the child's last message is
    // received: as in Erlang, an untrapped exit signal ends a process at once, whatever its mailbox holds.
    beam::trap_exit(true);
    const beam::pid self = beam::self();
    const beam::pid s = co_await sup::start_link(
        {.intensity = 5},
        sup::child_specs(
            sup::child_spec{.id = "ignored"_a, .start = sup::from_start_link([] {
                                                 return beam::gen_server::start_link<ignoring_server>();
                                               })},
            sup::child_spec{.id = "server"_a, .start = sup::from_start_link([self] {
                                                return beam::gen_server::start_link<observed_server>(
                                                    {.name = "observed"_a}, self);
                                              })}));
    first = co_await next("started"_a);
    ignored = co_await child_of(s, "ignored"_a);
    try {
      (void)co_await beam::call("observed"_a, "crash"_a);
    } catch (const beam::error&) {
    }
    crash_terminate = co_await next("terminated"_a);
    second = co_await next("started"_a);  // restarted, under its name again
    echo = co_await beam::call("observed"_a, "echo"_a);
    const beam::reference ref = beam::monitor(s);
    beam::exit(s, "shutdown"_a);  // from its parent: the tree stops
    shutdown_terminate = co_await next("terminated"_a);
    (void)co_await down_reason(ref);
  });
  EXPECT_EQ(ignored, term("undefined"_a));
  EXPECT_EQ(crash_terminate, term("boom"_a));
  EXPECT_NE(first, second);
  EXPECT_EQ(echo, term("echo"_a));
  EXPECT_EQ(shutdown_terminate, term("shutdown"_a));
  EXPECT_TRUE(log.contains("context=child_terminated")) << ::testing::PrintToString(log.lines());
}

// --- checked against erl (OTP 25) itself ---

// The Erlang twin of the tests below: a supervisor module whose init takes its children (or its flags and
// children, or says ignore, or crashes), idle workers, a start that fails and one that waits for `go`.
constexpr std::string_view oracle_module = R"(-module(sup_oracle).
-export([init/1, start_idle/0, start_failing/0, start_blocked/1, idle/0]).
init(ignore) -> ignore;
init(crash) -> exit(boom);
init({Flags, Children}) -> {ok, {Flags, Children}};
init(Children) -> {ok, {#{strategy => one_for_one, intensity => 5, period => 5}, Children}}.
start_idle() -> {ok, spawn_link(fun idle/0)}.
start_failing() -> {error, nope}.
start_blocked(Test) -> Test ! blocked, receive go -> ok end, start_idle().
idle() -> receive never -> ok end.
)";

// Runs `expression` in erl (which must print its result and not halt) with sup_oracle loaded, the shell
// process trapping exits and the logger quiet (its crash reports go to stdout).
beam::testing::process_result run_erl(const std::string& expression) {
  const beam::testing::temp_dir dir;
  beam::testing::write_file(dir.file("sup_oracle.erl"), oracle_module);
  return beam::testing::run_process(
      {"erl", "-noshell", "-eval",
       "{ok, sup_oracle} = compile:file(\"" + dir.file("sup_oracle.erl") + "\", [{outdir, \"" + dir.path() +
           "\"}]), code:add_patha(\"" + dir.path() +
           "\"), process_flag(trap_exit, true), logger:set_primary_config(level, none), " + expression +
           ", halt()."});
}

constexpr std::string_view erl_needed = "erl is needed (scripts/setup.sh installs it): ";

// OTP's result of a check: ok or {error, Reason}.
term check_result(const std::optional<term>& error) {
  return error ? beam::tuple("error"_a, *error) : term("ok"_a);
}

term shutdown_term(const sup::shutdown_spec& s) {
  if (s.is_brutal_kill()) return "brutal_kill"_a;
  if (s.is_infinity()) return "infinity"_a;
  return s.timeout().count();
}

// [Id, Restart, Shutdown, Type] of a spec, as the erl twin prints them from get_childspec's map.
term spec_fields(const sup::child_spec& s) {
  constexpr std::string_view restarts[] = {"permanent", "transient", "temporary"};
  return beam::list(*s.id, beam::atom(restarts[static_cast<int>(s.restart)]),
                    shutdown_term(s.shutdown.value()),
                    s.type == sup::child_type::worker ? term("worker"_a) : term("supervisor"_a));
}

// [Specs, Active, Supervisors, Workers], as the erl twin prints count_children's values.
term count_values(const sup::child_counts& c) {
  return beam::list(c.specs, c.active, c.supervisors, c.workers);
}

beam::task<term> count_values_of(beam::pid s) {
  co_return count_values(co_await sup::count_children(s));
}

// The reason `t` raises as OTP's {error, Reason}; ok when it raises none.
template <class T>
beam::task<term> result_of(beam::task<T> t) {
  const term reason = co_await error_of(std::move(t));
  co_return reason.is_nil() ? term("ok"_a) : beam::tuple("error"_a, reason);
}

// The reason of the next {'EXIT', Pid, Reason}.
beam::task<term> next_exit_reason() {
  co_return co_await beam::receive(
      beam::on(beam::tuple("EXIT"_a, beam::_pid, beam::_term), [](beam::pid, term r) { return r; }));
}

TEST_P(SupervisorTest, ChildSpecsAreCheckedWithOtpsReasonsInOtpsOrderAsErlChecksThem) {
  const auto erl = run_erl(
      "C = fun supervisor:check_childspecs/1, S = #{start => {sup_oracle, start_idle, []}}, "
      "io:format(\"~w\", [[C([S]), C([#{}]), C([#{id => a}]), C([S#{id => a}, S#{id => a}]), "
      "C([S#{id => a, shutdown => -1}]), C([]), C([S#{id => a}, S]), C([S#{id => []}]), "
      "supervisor:start_link(sup_oracle, [S])]])");
  ASSERT_EQ(erl.exit_code, 0) << erl_needed << erl.err;
  beam::runtime rt(options());
  term ours;
  rt.run([&]() -> beam::process {
    beam::trap_exit(true);
    const auto idless = [] { return sup::child_spec{.start = sup::worker("x"_a, idle).start}; };
    const auto a = [] { return sup::worker("a"_a, idle); };
    const auto check = [](std::vector<sup::child_spec> specs) {
      return check_result(sup::check_childspecs(specs));
    };
    ours = beam::list(check(sup::child_specs(idless())), check(sup::child_specs(sup::child_spec{})),
                      check(sup::child_specs(sup::child_spec{.id = "a"_a})),
                      check(sup::child_specs(a(), a())), check(sup::child_specs(a().with_shutdown(-1ms))),
                      check({}), check(sup::child_specs(a(), idless())),
                      check(sup::child_specs(sup::worker(beam::list(), idle))),
                      co_await result_of(sup::start_link({}, sup::child_specs(idless()))));
  });
  EXPECT_EQ(beam::format_erlang(ours), erl.out);
}

// One tree in both: a (worker), b (a transient supervisor), c (a temporary worker killed brutally).
const std::string oracle_tree =
    "W = fun(Id) -> #{id => Id, start => {sup_oracle, start_idle, []}} end, "
    "{ok, S} = supervisor:start_link(sup_oracle, [W(a), (W(b))#{type => supervisor, restart => transient, "
    "start => {supervisor, start_link, [sup_oracle, []]}}, (W(c))#{restart => temporary, shutdown => "
    "brutal_kill}]), ";

beam::task<beam::pid> start_oracle_tree() {
  co_return co_await sup::start_link(
      {},
      sup::child_specs(sup::worker("a"_a, idle),
                       sup::child_spec{.id = "b"_a,
                                       .start = sup::from_start_link([] { return sup::start_link({}, {}); }),
                                       .restart = sup::restart_type::transient,
                                       .type = sup::child_type::supervisor},
                       sup::worker("c"_a, idle)
                           .with_restart(sup::restart_type::temporary)
                           .with_shutdown(sup::brutal_kill)));
}

TEST_P(SupervisorTest, GetChildspecGivesTheSpecWithItsDefaultsAsErlDoes) {
  const auto erl =
      run_erl(oracle_tree +
              "F = fun(Id) -> case supervisor:get_childspec(S, Id) of {ok, M} -> [maps:get(K, M) "
              "|| K <- [id, restart, shutdown, type]]; E -> E end end, "
              "io:format(\"~w\", [[F(a), F(b), F(c), F(zz)]])");
  ASSERT_EQ(erl.exit_code, 0) << erl_needed << erl.err;
  beam::runtime rt(options());
  term ours;
  rt.run([&]() -> beam::process {
    const beam::pid s = co_await start_oracle_tree();
    std::vector<term> got;
    for (const term id : {"a"_a, "b"_a, "c"_a})
      got.push_back(spec_fields(co_await sup::get_childspec(s, id)));
    got.push_back(co_await result_of(sup::get_childspec(s, "zz"_a)));
    ours = beam::make_list(std::move(got));
  });
  EXPECT_EQ(beam::format_erlang(ours), erl.out);
}

TEST_P(SupervisorTest, TheSpecFromGetChildspecStartsTheChildAgain) {
  beam::runtime rt(options());
  std::vector<term> events;
  rt.run([&]() -> beam::process {
    const beam::pid s = co_await sup::start_link({}, sup::child_specs(recorded_spec("a"_a)));
    sup::child_spec copy = co_await sup::get_childspec(s, "a"_a);
    co_await sup::terminate_child(s, "a"_a);
    co_await sup::delete_child(s, "a"_a);
    (void)co_await sup::start_child(s, std::move(copy));
    events = co_await next_events(3);
  });
  EXPECT_EQ(events, (std::vector<term>{started("a"_a), stopped("a"_a), started("a"_a)}));
}

TEST_P(SupervisorTest, CountAndTerminateChildAsErlDoThemAlsoForAChildAlreadyTerminated) {
  const auto erl = run_erl(oracle_tree +
                           "C = fun() -> [V || {_, V} <- supervisor:count_children(S)] end, "
                           "T = fun(Id) -> supervisor:terminate_child(S, Id) end, "
                           "io:format(\"~w\", [[C(), T(a), T(a), C(), T(c), T(c), C(), T(b), C(), "
                           "supervisor:delete_child(S, a), C()]])");
  ASSERT_EQ(erl.exit_code, 0) << erl_needed << erl.err;
  beam::runtime rt(options());
  term ours;
  rt.run([&]() -> beam::process {
    const beam::pid s = co_await start_oracle_tree();
    const auto terminate = [s](term id) { return result_of(sup::terminate_child(s, std::move(id))); };
    std::vector<term> got;
    got.push_back(co_await count_values_of(s));
    got.push_back(co_await terminate("a"_a));
    got.push_back(co_await terminate("a"_a));  // already terminated: ok
    got.push_back(co_await count_values_of(s));
    got.push_back(co_await terminate("c"_a));
    got.push_back(co_await terminate("c"_a));  // temporary: forgotten when terminated
    got.push_back(co_await count_values_of(s));
    got.push_back(co_await terminate("b"_a));
    got.push_back(co_await count_values_of(s));
    got.push_back(co_await result_of(sup::delete_child(s, "a"_a)));
    got.push_back(co_await count_values_of(s));
    ours = beam::make_list(std::move(got));
  });
  EXPECT_EQ(beam::format_erlang(ours), erl.out);
}

// Waits until `p` has a message queued.
beam::task<> until_queued(beam::pid p) {
  while (beam::process_info(p)->message_queue_len == 0) co_await beam::yield();
}

TEST_P(SupervisorTest, ACrashedChildWhoseExitIsNotHandledYetIsNotActiveAsInErl) {
  // The supervisor is held in a start (b waits for `go`) while a count is queued, then a is killed: the count
  // comes before a's exit is handled.
  const auto erl = run_erl(
      "Self = self(), {ok, S} = supervisor:start_link(sup_oracle, [#{id => a, start => {sup_oracle, "
      "start_idle, []}}]), [{a, A, _, _}] = supervisor:which_children(S), "
      "spawn(fun() -> Self ! {started, supervisor:start_child(S, #{id => b, start => {sup_oracle, "
      "start_blocked, [Self]}})} end), receive blocked -> ok end, "
      "spawn(fun() -> Self ! {counted, supervisor:count_children(S)} end), "
      "Wait = fun Wait() -> case erlang:process_info(S, message_queue_len) of {_, 0} -> erlang:yield(), "
      "Wait(); _ -> ok end end, Wait(), M = monitor(process, A), exit(A, kill), "
      "receive {'DOWN', M, _, _, _} -> ok end, S ! go, receive {counted, C} -> ok end, "
      "io:format(\"~w\", [[[V || {_, V} <- C], [V || {_, V} <- supervisor:count_children(S)]]])");
  ASSERT_EQ(erl.exit_code, 0) << erl_needed << erl.err;
  beam::runtime rt(options());
  term ours;
  rt.run([&]() -> beam::process {
    const beam::pid self = beam::self();
    const beam::pid s = co_await sup::start_link({}, sup::child_specs(sup::worker("a"_a, idle)));
    const beam::pid a = (co_await child_of(s, "a"_a)).as_pid();
    beam::spawn([s, self]() -> beam::process {
      sup::child_spec blocked{.id = "b"_a, .start = [self]() -> beam::task<sup::start_result> {
                                beam::send(self, "blocked"_a);
                                co_await beam::testing::expect("go"_a);
                                co_return beam::spawn_link(idle);
                              }};
      (void)co_await sup::start_child(s, std::move(blocked));
    });
    co_await beam::testing::expect("blocked"_a);
    beam::spawn([s, self]() -> beam::process {
      beam::send(self, beam::tuple("counted"_a, co_await count_values_of(s)));
    });
    co_await until_queued(s);
    const beam::reference m = beam::monitor(a);
    beam::exit(a, "kill"_a);
    (void)co_await down_reason(m);
    beam::send(s, "go"_a);
    const term counted = co_await next("counted"_a);
    ours = beam::list(counted, co_await count_values_of(s));
  });
  EXPECT_EQ(beam::format_erlang(ours), erl.out);
}

// --- supervisors defined by a type ---

// A supervisor type: its init returns one_for_all over two recorded children that tell `observer`.
struct pair_sup {
  beam::pid observer;
  explicit pair_sup(beam::pid o) : observer(o) {}
  sup::init_result init() {
    return sup::init_spec{
        .options = {.strategy = sup::restart_strategy::one_for_all, .intensity = 5},
        .children = sup::child_specs(recorded_spec("a"_a, sup::restart_type::permanent, observer),
                                     recorded_spec("b"_a, sup::restart_type::permanent, observer))};
  }
};

TEST_P(SupervisorTest, ASupervisorTypeStartsWhatItsInitReturnsAndRestartsByItsFlags) {
  beam::testing::captured_log log;
  beam::runtime rt(options());
  std::vector<term> events;
  sup::child_counts counts{};
  bool by_name = false;
  rt.run([&]() -> beam::process {
    const beam::pid s = co_await sup::start_link<pair_sup>({.name = "pair"_a}, beam::self());
    beam::pid a(0, 0);
    co_await next_event(&a), co_await next_event();
    by_name = beam::whereis("pair"_a) == s;
    beam::send(a, beam::tuple("exit_with"_a, "boom"_a));  // one_for_all: b stops, both start again
    events = co_await next_events(3);
    counts = co_await sup::count_children("pair"_a);
  });
  EXPECT_TRUE(by_name);
  EXPECT_EQ(events, (std::vector<term>{stopped("b"_a), started("a"_a), started("b"_a)}));
  EXPECT_EQ(counts, (sup::child_counts{.specs = 2, .active = 2, .supervisors = 0, .workers = 2}));
}

// A supervisor type whose init is a coroutine running in the supervisor: it tells `observer` which process it
// runs in, then waits for `go` before returning its one child.
struct waiting_sup {
  beam::pid observer;
  explicit waiting_sup(beam::pid o) : observer(o) {}
  beam::task<sup::init_result> init() {
    beam::send(observer, beam::tuple("init_in"_a, beam::self()));
    co_await beam::testing::expect("go"_a);
    co_return sup::init_spec{
        .children = sup::child_specs(recorded_spec("only"_a, sup::restart_type::permanent, observer))};
  }
};

// A supervisor type whose init says ignore.
struct ignoring_sup {
  sup::init_result init() { return sup::ignore; }
};

TEST_P(SupervisorTest, ASupervisorTypesInitMayBeACoroutineAndMaySayIgnore) {
  beam::runtime rt(options());
  term first, ignored, nested;
  bool init_in_supervisor = false;
  rt.run([&]() -> beam::process {
    const beam::pid self = beam::self();
    beam::spawn([self]() -> beam::process {
      const beam::pid s = co_await sup::start_link<waiting_sup>(self);
      beam::send(self, beam::tuple("supervisor"_a, s));
      co_await beam::testing::wait_forever();
    });
    const term init_in = co_await next("init_in"_a);
    beam::send(init_in.as_pid(), "go"_a);
    first = co_await next_event();
    init_in_supervisor = co_await next("supervisor"_a) == init_in;
    ignored = co_await error_of(sup::start_link<ignoring_sup>());
    const beam::pid top = co_await sup::start_link(
        {}, sup::child_specs(
                sup::child_spec{.id = "nested"_a,
                                .start = sup::from_start_link([] { return sup::start_link<ignoring_sup>(); }),
                                .type = sup::child_type::supervisor}));
    nested = co_await child_of(top, "nested"_a);
  });
  EXPECT_EQ(first, started("only"_a));
  EXPECT_TRUE(init_in_supervisor);
  EXPECT_EQ(ignored, term("ignore"_a));
  EXPECT_EQ(nested, term("undefined"_a));
}

// The C++ twin of sup_oracle's init: what `which` says.
struct oracle_sup {
  int which;
  explicit oracle_sup(int w) : which(w) {}
  sup::init_result init() const {
    switch (which) {
      case 0:
        return sup::init_spec{.options = {.intensity = -1}};
      case 1:
        return sup::init_spec{.children =
                                  sup::child_specs(sup::child_spec{.start = sup::worker("x"_a, idle).start})};
      case 2:
        return sup::ignore;
      case 3:
        return sup::init_spec{.children = sup::child_specs(sup::worker("a"_a, idle), failing_spec("b"_a))};
      default:
        beam::exit("boom"_a);
    }
  }
};

TEST_P(SupervisorTest, ASupervisorTypesStartFailsAndExitsAsErlsDoes) {
  const auto erl = run_erl(
      "W = fun(Id) -> #{id => Id, start => {sup_oracle, start_idle, []}} end, "
      "R = fun(Arg) -> Res = supervisor:start_link(sup_oracle, Arg), "
      "receive {'EXIT', _, Why} -> {Res, Why} end end, "
      "io:format(\"~w\", [[R({#{intensity => -1}, []}), R([maps:remove(id, W(x))]), R(ignore), "
      "R([W(a), (W(b))#{start => {sup_oracle, start_failing, []}}]), R(crash)]])");
  ASSERT_EQ(erl.exit_code, 0) << erl_needed << erl.err;
  beam::testing::captured_log log;
  beam::runtime rt(options());
  term ours;
  rt.run([&]() -> beam::process {
    beam::trap_exit(true);
    std::vector<term> got;
    for (int which = 0; which < 5; ++which) {
      term result = co_await result_of(sup::start_link<oracle_sup>(which));
      if (result == beam::tuple("error"_a, "ignore"_a)) result = "ignore"_a;  // OTP returns the atom
      got.push_back(beam::tuple(result, co_await next_exit_reason()));
    }
    ours = beam::make_list(std::move(got));
  });
  EXPECT_EQ(beam::format_erlang(ours), erl.out);
}

TEST_P(SupervisorTest, CallsOutsideAProcessAreALogicError) {
  beam::runtime rt(options());
  EXPECT_THROW((void)sup::start_link({}, {}), std::logic_error);
  rt.run([]() -> beam::process { co_return; });
}

BEAM_SCHEDULER_COUNTS(SupervisorTest);

}  // namespace
