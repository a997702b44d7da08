// Dynamic supervisors (beam/dynamic_supervisor.hpp, issue 5 point 6): children on demand, max_children,
// terminate_child by pid, restarts, counting, the intensity give-up and many children started concurrently.
#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
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
namespace dyn = beam::dynamic_supervisor;

namespace {

using beam::testing::down_reason;
using beam::testing::error_of;

class DynamicSupervisorTest : public beam::testing::RuntimeTest {};

// A child that says {started, Self} to `observer` and ends with R on {exit_with, R}.
beam::process client(beam::pid observer) {
  beam::send(observer, beam::tuple("started"_a, beam::self()));
  co_await beam::receive(beam::on(beam::tuple("exit_with"_a, beam::_term), [](term r) { beam::exit(r); }));
}

beam::process idle_child() {
  co_await beam::receive(beam::on("never"_a, [] {}));
}

// Asks until the supervisor counts `specs` children (it has handled the exits before).
beam::task<dyn::child_counts> counts_when(beam::pid s, std::int64_t specs) {
  dyn::child_counts counts = co_await dyn::count_children(s);
  for (int i = 0; i < 100'000 && counts.specs != specs; ++i) {
    co_await beam::yield();
    counts = co_await dyn::count_children(s);
  }
  co_return counts;
}

sup::child_spec client_spec(sup::restart_type restart = sup::restart_type::permanent) {
  return sup::worker("client"_a, client, beam::self()).with_restart(restart);
}

beam::task<beam::pid> next_start() {
  co_return co_await beam::receive(
      beam::on(beam::tuple("started"_a, beam::_pid), [](beam::pid p) { return p; }));
}

TEST_P(DynamicSupervisorTest, StartChildAddsChildrenUpToMaxChildren) {
  beam::runtime rt(options());
  term refused;
  dyn::child_counts counts{};
  std::vector<term> listed;
  rt.run([&]() -> beam::process {
    beam::pid s = co_await dyn::start_link({.max_children = 2});
    (void)co_await dyn::start_child(s, client_spec());
    (void)co_await dyn::start_child(s, client_spec());
    refused = co_await error_of(dyn::start_child(s, client_spec()));
    counts = co_await dyn::count_children(s);
    for (const dyn::child_info& c : co_await dyn::which_children(s)) listed.push_back(c.id);
  });
  EXPECT_EQ(refused, term("max_children"_a));
  EXPECT_EQ(counts, (dyn::child_counts{.specs = 2, .active = 2, .supervisors = 0, .workers = 2}));
  EXPECT_EQ(listed, (std::vector<term>{"undefined"_a, "undefined"_a}));
}

TEST_P(DynamicSupervisorTest, TerminateChildStopsAndForgetsItAndAnUnknownPidIsNotFound) {
  beam::runtime rt(options());
  term reason, unknown;
  dyn::child_counts counts{};
  rt.run([&]() -> beam::process {
    beam::pid s = co_await dyn::start_link();
    std::optional<beam::pid> c = co_await dyn::start_child(s, client_spec());
    beam::reference ref = beam::monitor(*c);
    co_await dyn::terminate_child(s, *c);
    reason = co_await down_reason(ref);
    counts = co_await dyn::count_children(s);
    unknown = co_await error_of(dyn::terminate_child(s, *c));
  });
  EXPECT_EQ(reason, term("shutdown"_a));
  EXPECT_EQ(counts, (dyn::child_counts{.specs = 0, .active = 0, .supervisors = 0, .workers = 0}));
  EXPECT_EQ(unknown, term("not_found"_a));
}

TEST_P(DynamicSupervisorTest, ACrashedPermanentChildIsRestartedAndATemporaryOneForgotten) {
  beam::testing::captured_log log;
  beam::runtime rt(options());
  bool restarted = false;
  dyn::child_counts counts{};
  rt.run([&]() -> beam::process {
    beam::pid s = co_await dyn::start_link();
    std::optional<beam::pid> p = co_await dyn::start_child(s, client_spec());
    std::optional<beam::pid> t = co_await dyn::start_child(s, client_spec(sup::restart_type::temporary));
    co_await next_start(), co_await next_start();
    beam::reference ref = beam::monitor(*t);
    beam::send(*t, beam::tuple("exit_with"_a, "boom"_a));
    co_await down_reason(ref);
    beam::send(*p, beam::tuple("exit_with"_a, "boom"_a));
    const beam::pid again = co_await next_start();
    restarted = again != *p;
    counts = co_await counts_when(s, 1);
  });
  EXPECT_TRUE(restarted);
  EXPECT_EQ(counts, (dyn::child_counts{.specs = 1, .active = 1, .supervisors = 0, .workers = 1}));
  EXPECT_TRUE(log.contains("context=child_restarted"));
}

TEST_P(DynamicSupervisorTest, PastMaxRestartsItStopsItsChildrenAndExitsWithShutdown) {
  beam::testing::captured_log log;
  beam::runtime rt(options());
  term reason, other_reason;
  rt.run([&]() -> beam::process {
    beam::trap_exit(true);
    beam::pid s = co_await dyn::start_link({.max_restarts = 1, .period = 60s});
    beam::reference ref = beam::monitor(s);
    std::optional<beam::pid> crashing = co_await dyn::start_child(s, client_spec());
    std::optional<beam::pid> other = co_await dyn::start_child(s, client_spec());
    beam::reference other_ref = beam::monitor(*other);
    beam::send(*crashing, beam::tuple("exit_with"_a, "boom"_a));  // one restart is allowed
    // Three starts, in any order (each child announces itself when it first runs): the two children and the
    // restarted one, which is neither.
    beam::pid restarted = *crashing;
    for (int i = 0; i < 3; ++i) {
      const beam::pid p = co_await next_start();
      if (p != *crashing && p != *other) restarted = p;
    }
    beam::send(restarted, beam::tuple("exit_with"_a, "boom"_a));  // the second is one too many
    reason = co_await down_reason(ref);
    other_reason = co_await down_reason(other_ref);
  });
  EXPECT_EQ(reason, term("shutdown"_a));
  EXPECT_EQ(other_reason, term("shutdown"_a));
  EXPECT_TRUE(log.contains("reason=:reached_max_restart_intensity"));
}

TEST_P(DynamicSupervisorTest, StartErrorsAndBadOptionsGiveElixirsReasons) {
  beam::runtime rt(options());
  std::vector<term> got;
  rt.run([&]() -> beam::process {
    beam::pid s = co_await dyn::start_link();
    got.push_back(
        co_await error_of(dyn::start_child(s, {.id = "x"_a, .start = []() -> beam::task<sup::start_result> {
                                                 throw beam::error("nope"_a);
                                                 co_return sup::ignore;
                                               }})));
    std::optional<beam::pid> ignored = co_await dyn::start_child(
        s, {.id = "x"_a, .start = []() -> beam::task<sup::start_result> { co_return sup::ignore; }});
    got.push_back(ignored ? term(*ignored) : term("ignore"_a));
    got.push_back(co_await error_of(dyn::start_child(s, client_spec().with_shutdown(-1ms))));
    sup::child_spec idless{.start = client_spec().start};  // (not inside the co_await: GCC 12)
    got.push_back(co_await error_of(dyn::start_child(s, std::move(idless))));
    got.push_back(co_await error_of(dyn::start_link({.max_children = -1})));
    got.push_back(co_await error_of(dyn::start_link({.max_restarts = -1})));
    const dyn::child_counts counts = co_await dyn::count_children(s);
    got.push_back(counts.specs);
  });
  EXPECT_EQ(got,
            (std::vector<term>{"nope"_a, "ignore"_a, beam::tuple("invalid_shutdown"_a, -1), "missing_id"_a,
                               beam::tuple("supervisor_data"_a, beam::tuple("invalid_max_children"_a, -1)),
                               beam::tuple("supervisor_data"_a, beam::tuple("invalid_intensity"_a, -1)), 0}));
}

TEST_P(DynamicSupervisorTest, ManyClientsStartChildrenConcurrentlyAndTheSupervisorStopsThemAll) {
  beam::runtime rt(options());
  std::int64_t active = 0;
  int ended = 0;
  rt.run([&]() -> beam::process {
    beam::trap_exit(true);
    beam::pid s = co_await dyn::start_link("clients"_a, {.max_children = 1000});
    const beam::pid self = beam::self();
    constexpr int clients = 20, each = 10;
    for (int c = 0; c < clients; ++c) {
      beam::spawn([self]() -> beam::process {
        std::vector<beam::pid> mine;
        for (int i = 0; i < each; ++i)
          mine.push_back(*co_await dyn::start_child("clients"_a, sup::worker("c"_a, idle_child)));
        beam::send(self, beam::make_list(std::vector<term>(mine.begin(), mine.end())));
      });
    }
    std::vector<beam::reference> refs;
    for (int c = 0; c < clients; ++c) {
      const term started = co_await beam::receive(beam::on(beam::_term, [](term t) { return t; }));
      for (const term& p : started.as_list()) refs.push_back(beam::monitor(p.as_pid()));
    }
    active = (co_await dyn::count_children(s)).active;
    beam::exit(s, "shutdown"_a);
    for (const beam::reference& r : refs) {
      const term reason = co_await down_reason(r);
      ended += reason == term("shutdown"_a) ? 1 : 0;
    }
  });
  EXPECT_EQ(active, 200);
  EXPECT_EQ(ended, 200);
}

beam::task<term> counts_of(beam::pid s) {
  const dyn::child_counts c = co_await dyn::count_children(s);
  co_return beam::list(c.specs, c.active, c.supervisors, c.workers);
}

// The dynamic supervisor follows Elixir's DynamicSupervisor: specs counts the children (OTP's
// simple_one_for_one would say 1), and a child terminated is forgotten.
TEST_P(DynamicSupervisorTest, CountAndTerminateChildAsElixirsDynamicSupervisorDoThem) {
  const auto elixir = beam::testing::run_process(
      {"elixir", "-e",
       "{:ok, s} = DynamicSupervisor.start_link(strategy: :one_for_one)\n"
       "w = %{id: :w, start: {Agent, :start_link, [fn -> 0 end]}}\n"
       "{:ok, a} = DynamicSupervisor.start_child(s, w)\n"
       "{:ok, _} = DynamicSupervisor.start_child(s, Map.put(w, :type, :supervisor))\n"
       "c = fn -> m = DynamicSupervisor.count_children(s); [m.specs, m.active, m.supervisors, m.workers] "
       "end\n"
       "t = fn -> DynamicSupervisor.terminate_child(s, a) end\n"
       "IO.write(:io_lib.format('~w', [[c.(), t.(), t.(), c.()]]))"});
  ASSERT_EQ(elixir.exit_code, 0) << "elixir is needed (scripts/setup.sh test installs it): " << elixir.err;
  beam::runtime rt(options());
  term ours;
  rt.run([&]() -> beam::process {
    const beam::pid s = co_await dyn::start_link();
    const beam::pid a = *co_await dyn::start_child(s, sup::worker("w"_a, idle_child));
    sup::child_spec typed_supervisor = sup::worker("w"_a, idle_child);
    typed_supervisor.type = sup::child_type::supervisor;
    (void)co_await dyn::start_child(s, std::move(typed_supervisor));
    const auto terminate = [&]() -> beam::task<term> {
      const term reason = co_await error_of(dyn::terminate_child(s, a));
      co_return reason.is_nil() ? term("ok"_a) : beam::tuple("error"_a, reason);
    };
    std::vector<term> got;
    got.push_back(co_await counts_of(s));
    got.push_back(co_await terminate());
    got.push_back(co_await terminate());
    got.push_back(co_await counts_of(s));
    ours = beam::make_list(std::move(got));
  });
  EXPECT_EQ(beam::format_erlang(ours), elixir.out);
}

BEAM_SCHEDULER_COUNTS(DynamicSupervisorTest);

}  // namespace
