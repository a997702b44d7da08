// Key registries (Elixir's Registry) and via names, over 1, 2 and 4 schedulers.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <beam/beam.hpp>
#include <beam/key_registry.hpp>
#include <beam/via.hpp>

#include "support/runtime_fixture.hpp"
#include "support/subprocess.hpp"
#include "support/waits.hpp"

using namespace beam::literals;
using beam::term;
namespace kr = beam::key_registry;
namespace gs = beam::gen_server;
namespace sup = beam::supervisor;
namespace dyn = beam::dynamic_supervisor;

namespace {

using beam::testing::call_failure;
using beam::testing::down_reason;
using beam::testing::error_of;
using beam::testing::expect;
using beam::testing::next;

class KeyRegistryTest : public beam::testing::RuntimeTest {};

// Runs registry commands for the test: {register, Registry, Key, Value, From} answers {registered, Result};
// {unregister, Registry, Key, From} answers {unregistered, ok}; stop ends it.
beam::process registrant() {
  for (;;) {
    const term command = co_await beam::receive();
    if (command == term("stop"_a)) co_return;
    const auto f = command.as_tuple();
    if (f[0] == term("register"_a)) {
      const kr::register_result r = kr::register_key(f[1].as_atom(), f[2], f[3]);
      beam::send(f[4].as_pid(), beam::tuple("registered"_a, r.as_term()));
    } else {
      kr::unregister_key(f[1].as_atom(), f[2]);
      beam::send(f[3].as_pid(), beam::tuple("unregistered"_a, "ok"_a));
    }
  }
}

beam::task<term> register_by(beam::pid agent, beam::atom registry, term key, term value) {
  beam::send(agent, beam::tuple("register"_a, registry, std::move(key), std::move(value), beam::self()));
  co_return co_await next("registered"_a);
}

beam::task<term> unregister_by(beam::pid agent, beam::atom registry, term key) {
  beam::send(agent, beam::tuple("unregister"_a, registry, std::move(key), beam::self()));
  co_return co_await next("unregistered"_a);
}

// [{pid, value}], as Elixir's lookup gives it.
term as_term(const std::vector<kr::entry>& entries) {
  std::vector<term> rows;
  for (const kr::entry& e : entries) rows.push_back(beam::tuple(e.process, e.value));
  return beam::make_list(std::move(rows));
}

term as_term(std::vector<term> keys) {
  return beam::make_list(std::move(keys));
}

term sorted(std::vector<term> keys) {
  std::sort(keys.begin(), keys.end());
  return as_term(std::move(keys));
}

// `t` with each pid named: `me`, `other`, or `owner` (any other: the registry's process).
term named_pids(const term& t, const beam::pid& me, const beam::pid& other) {
  if (t.is_pid())
    return t.as_pid() == me ? term("me"_a) : t.as_pid() == other ? term("other"_a) : term("owner"_a);
  if (!t.is_tuple() && !t.is_list()) return t;
  std::vector<term> parts;
  for (const term& part : t.is_tuple() ? t.as_tuple() : t.as_list())
    parts.push_back(named_pids(part, me, other));
  return t.is_tuple() ? beam::make_tuple(std::move(parts)) : beam::make_list(std::move(parts));
}

// The reason of the beam::error that `f` throws, or `none`.
template <class F>
term reason_of(F f) {
  try {
    f();
  } catch (const beam::error& e) {
    return e.reason();
  }
  return "none"_a;
}

beam::process wait_for_stop() {
  co_await expect("stop"_a);
}

TEST_P(KeyRegistryTest, AUniqueKeyOfAnyTermHoldsOneProcess) {
  beam::runtime rt(options());
  rt.run([&]() -> beam::process {
    const beam::pid reg = co_await kr::start_link({.name = "unique_reg"_a});
    const beam::pid me = beam::self();
    const beam::pid other = beam::spawn(registrant);
    const term key = beam::tuple("user", 42);
    const kr::register_result first = kr::register_key("unique_reg"_a, key, "admin"_a);
    EXPECT_TRUE(first.ok());
    EXPECT_EQ(first.owner, reg);
    EXPECT_EQ(kr::register_key("unique_reg"_a, key, "again"_a).already_registered, me);
    EXPECT_EQ(co_await register_by(other, "unique_reg"_a, key, 1),
              beam::tuple("error"_a, beam::tuple("already_registered"_a, me)));
    EXPECT_EQ(co_await register_by(other, "unique_reg"_a, 3.5, 1), beam::tuple("ok"_a, reg));
    EXPECT_EQ(as_term(kr::lookup("unique_reg"_a, key)), beam::list(beam::tuple(me, "admin"_a)));
    EXPECT_EQ(as_term(kr::lookup("unique_reg"_a, 3.5)), beam::list(beam::tuple(other, 1)));
    EXPECT_EQ(as_term(kr::lookup("unique_reg"_a, 3)), beam::list());  // 3 is not 3.5, nor 3.0
    EXPECT_EQ(as_term(kr::keys("unique_reg"_a, me)), beam::list(key));
    EXPECT_EQ(kr::count("unique_reg"_a), 2u);
    kr::unregister_key("unique_reg"_a, key);
    kr::unregister_key("unique_reg"_a, "never registered");
    EXPECT_EQ(as_term(kr::lookup("unique_reg"_a, key)), beam::list());
    EXPECT_EQ(kr::count("unique_reg"_a), 1u);
    EXPECT_EQ(co_await register_by(other, "unique_reg"_a, key, 2), beam::tuple("ok"_a, reg));
    beam::send(other, "stop"_a);
  });
}

TEST_P(KeyRegistryTest, ADuplicateKeyHoldsEveryRegistrationInOrder) {
  beam::runtime rt(options());
  rt.run([&]() -> beam::process {
    const beam::pid reg = co_await kr::start_link({.name = "dup_reg"_a, .keys = kr::key_kind::duplicate});
    const beam::pid me = beam::self();
    const beam::pid other = beam::spawn(registrant);
    EXPECT_EQ(kr::register_key("dup_reg"_a, "topic", 1).as_term(), beam::tuple("ok"_a, reg));
    EXPECT_EQ(co_await register_by(other, "dup_reg"_a, "topic", 2), beam::tuple("ok"_a, reg));
    EXPECT_TRUE(kr::register_key("dup_reg"_a, "topic", 3).ok());
    EXPECT_EQ(as_term(kr::lookup("dup_reg"_a, "topic")),
              beam::list(beam::tuple(me, 1), beam::tuple(other, 2), beam::tuple(me, 3)));
    EXPECT_EQ(as_term(kr::keys("dup_reg"_a, me)), beam::list("topic", "topic"));
    EXPECT_EQ(kr::count("dup_reg"_a), 3u);
    kr::unregister_key("dup_reg"_a, "topic");  // both of mine
    EXPECT_EQ(as_term(kr::lookup("dup_reg"_a, "topic")), beam::list(beam::tuple(other, 2)));
    EXPECT_EQ(co_await unregister_by(other, "dup_reg"_a, "topic"), term("ok"_a));
    EXPECT_EQ(kr::count("dup_reg"_a), 0u);
    beam::send(other, "stop"_a);
  });
}

TEST_P(KeyRegistryTest, AnUnknownRegistryIsBadarg) {
  beam::runtime rt(options());
  std::vector<term> reasons;
  rt.run([&]() -> beam::process {
    reasons.push_back(reason_of([] { (void)kr::lookup("nowhere"_a, 1); }));
    reasons.push_back(reason_of([] { (void)kr::register_key("nowhere"_a, 1, 1); }));
    reasons.push_back(reason_of([] { (void)kr::count("nowhere"_a); }));
    reasons.push_back(reason_of([] { (void)beam::whereis(beam::via{"nowhere"_a, 1}); }));
    (void)co_await kr::start_link({.name = "dups"_a, .keys = kr::key_kind::duplicate});
    reasons.push_back(reason_of([] {
      (void)beam::whereis(beam::via{"dups"_a, 1});
    }));  // via needs unique keys
  });
  EXPECT_EQ(reasons, std::vector<term>(5, term("badarg"_a)));
}

TEST_P(KeyRegistryTest, ARegistryNameIsTakenOnceAndFreedWhenTheRegistryEnds) {
  beam::runtime rt(options());
  rt.run([&]() -> beam::process {
    const beam::pid reg = co_await kr::start_link({.name = "once"_a});
    EXPECT_EQ(beam::whereis("once"_a), reg);
    EXPECT_EQ(co_await error_of(kr::start_link({.name = "once"_a})), beam::tuple("already_started"_a, reg));
    (void)kr::register_key("once"_a, "k", 1);
    beam::unlink(reg);
    beam::exit(reg, "kill"_a);
    co_await beam::testing::wait_for_exit(reg);
    EXPECT_EQ(reason_of([] { (void)kr::lookup("once"_a, "k"); }), term("badarg"_a));
    (void)co_await kr::start_link({.name = "once"_a});  // a new registry: the old entries are not in it
    EXPECT_EQ(kr::count("once"_a), 0u);
    EXPECT_TRUE(kr::register_key("once"_a, "k", 2).ok());
  });
}

// Registers itself under `i` (unique) and twice under "all" (duplicate), says ready, then waits to be stopped
// or killed.
beam::process enrolled(std::int64_t i, beam::pid test) {
  (void)kr::register_key("vanish_unique"_a, i, i);
  (void)kr::register_key("vanish_dup"_a, "all", i);
  (void)kr::register_key("vanish_dup"_a, "all", -i);
  beam::send(test, "ready"_a);
  co_await expect("stop"_a);
}

TEST_P(KeyRegistryTest, EntriesVanishWhenTheirProcessesEnd) {
  constexpr std::int64_t n = 1'000;
  beam::runtime rt(options());
  rt.run([&]() -> beam::process {
    (void)co_await kr::start_link({.name = "vanish_unique"_a});
    (void)co_await kr::start_link({.name = "vanish_dup"_a, .keys = kr::key_kind::duplicate});
    std::vector<std::pair<beam::pid, beam::reference>> enrolled_processes;
    for (std::int64_t i = 0; i < n; ++i)
      enrolled_processes.push_back(beam::spawn_monitor(enrolled, i, beam::self()));
    for (std::int64_t i = 0; i < n; ++i) co_await expect("ready"_a);
    EXPECT_EQ(kr::count("vanish_unique"_a), static_cast<std::size_t>(n));
    EXPECT_EQ(kr::count("vanish_dup"_a), static_cast<std::size_t>(2 * n));
    EXPECT_EQ(as_term(kr::lookup("vanish_unique"_a, 7)),
              beam::list(beam::tuple(enrolled_processes[7].first, 7)));
    for (std::size_t i = 0; i < enrolled_processes.size(); ++i) {  // half end normally, half are killed
      if (i % 2 == 0) {
        beam::send(enrolled_processes[i].first, "stop"_a);
      } else {
        beam::exit(enrolled_processes[i].first, "kill"_a);
      }
    }
    for (const auto& [p, ref] : enrolled_processes) (void)co_await down_reason(ref);
    EXPECT_EQ(kr::count("vanish_unique"_a), 0u);  // every DOWN came after its process's entries went
    EXPECT_EQ(kr::count("vanish_dup"_a), 0u);
    EXPECT_EQ(as_term(kr::lookup("vanish_dup"_a, "all")), beam::list());
    EXPECT_EQ(as_term(kr::keys("vanish_unique"_a, enrolled_processes[7].first)), beam::list());
  });
}

constexpr std::int64_t churn_rounds = 5'000;

// Registers under `key` and unregisters, again and again, yielding now and then; then tells `test`.
beam::process churner(std::int64_t key, beam::pid test) {
  for (std::int64_t i = 0; i < churn_rounds; ++i) {
    (void)kr::register_key("churn"_a, key, i);
    kr::unregister_key("churn"_a, key);
    if (i % 64 == 0) co_await beam::yield();
  }
  beam::send(test, "churned"_a);
}

// Looks `key` up again and again; answers {looked, Bad}, Bad counting what is neither [] nor one whole entry.
beam::process looker(std::int64_t key, beam::pid test) {
  std::int64_t bad = 0;
  for (std::int64_t i = 0; i < churn_rounds; ++i) {
    const std::vector<kr::entry> found = kr::lookup("churn"_a, key);
    bad += found.size() > 1 || (found.size() == 1 && !found.front().value.is_integer()) ? 1 : 0;
    if (i % 64 == 0) co_await beam::yield();
  }
  beam::send(test, beam::tuple("looked"_a, bad));
}

TEST_P(KeyRegistryTest, LookupsFromManyProcessesSeeWholeEntriesWhileOthersRegister) {
  constexpr std::int64_t keys = 4;
  beam::runtime rt(options());
  std::int64_t bad = 0;
  rt.run([&]() -> beam::process {
    (void)co_await kr::start_link({.name = "churn"_a});
    for (std::int64_t k = 0; k < keys; ++k) {
      beam::spawn(churner, k, beam::self());
      beam::spawn(looker, k, beam::self());
      beam::spawn(looker, k, beam::self());
    }
    for (std::int64_t k = 0; k < keys; ++k) co_await expect("churned"_a);
    for (std::int64_t k = 0; k < 2 * keys; ++k) bad += (co_await next("looked"_a)).as_int();
    EXPECT_EQ(kr::count("churn"_a), 0u);
  });
  EXPECT_EQ(bad, 0);
}

beam::process subscriber(beam::pid test) {
  (void)kr::register_key("topics"_a, "news", "reader"_a);
  beam::send(test, "subscribed"_a);
  const term story = co_await next("news"_a);
  beam::send(test, beam::tuple("read"_a, story));
}

TEST_P(KeyRegistryTest, DispatchReachesAThousandSubscribers) {
  constexpr std::size_t n = 1'000;
  beam::runtime rt(options());
  std::size_t dispatched = 0, read = 0;
  bool called_for_nobody = false;
  rt.run([&]() -> beam::process {
    (void)co_await kr::start_link({.name = "topics"_a, .keys = kr::key_kind::duplicate});
    for (std::size_t i = 0; i < n; ++i) beam::spawn(subscriber, beam::self());
    for (std::size_t i = 0; i < n; ++i) co_await expect("subscribed"_a);
    kr::dispatch("topics"_a, "news", [&](std::span<const kr::entry> readers) {
      dispatched = readers.size();
      for (const kr::entry& r : readers) {
        if (r.value == term("reader"_a)) beam::send(r.process, beam::tuple("news"_a, "flash"));
      }
    });
    kr::dispatch("topics"_a, "sports", [&](std::span<const kr::entry>) { called_for_nobody = true; });
    for (std::size_t i = 0; i < n; ++i) read += co_await next("read"_a) == term("flash") ? 1 : 0;
  });
  EXPECT_EQ(dispatched, n);
  EXPECT_EQ(read, n);
  EXPECT_FALSE(called_for_nobody);
}

struct counter {
  std::int64_t n;
  explicit counter(std::int64_t start) : n(start) {}
  gs::call_result handle_call(const term&, const term&) { return gs::reply(n); }
  gs::handler_result handle_cast(const term& message) {
    n += message.as_int();
    return gs::noreply();
  }
};

TEST_P(KeyRegistryTest, AGenServerStartsAndIsCalledByViaName) {
  beam::runtime rt(options());
  term got, taken, after_stop;
  std::optional<beam::pid> server;
  rt.run([&]() -> beam::process {
    (void)co_await kr::start_link({.name = "servers"_a});
    const beam::via name{"servers"_a, beam::tuple("counter", 1)};
    const gs::start_options named{.name = name};
    server = co_await gs::start_link<counter>(named, 5);
    EXPECT_EQ(beam::whereis(name), server);
    EXPECT_EQ(as_term(kr::lookup("servers"_a, name.key)),
              beam::list(beam::tuple(*server, beam::atom("nil"))));
    beam::cast(name, 2);
    got = co_await beam::call(name, "get"_a);
    taken = co_await error_of(gs::start<counter>(named, 0));
    co_await beam::stop(name);
    EXPECT_FALSE(beam::whereis(name));
    after_stop = co_await error_of(beam::call(name, "get"_a));
    beam::cast(name, 1);                       // nobody: nothing happens
    beam::cast(beam::via{"nowhere"_a, 1}, 1);  // no registry: nothing happens either
    EXPECT_EQ(co_await error_of(beam::stop(name)), term("noproc"_a));
  });
  EXPECT_EQ(got, term(7));
  EXPECT_EQ(taken, beam::tuple("already_started"_a, *server));
  EXPECT_EQ(
      after_stop,
      call_failure("noproc"_a, beam::list(beam::tuple("via"_a, "Elixir.Registry"_a,
                                                      beam::tuple("servers"_a, beam::tuple("counter", 1))),
                                          "get"_a)));
}

TEST_P(KeyRegistryTest, ASupervisorStartsAndIsReachedByViaName) {
  beam::runtime rt(options());
  term taken, dynamic_taken;
  std::optional<beam::pid> tree, dynamic;
  rt.run([&]() -> beam::process {
    (void)co_await kr::start_link({.name = "trees"_a});
    const beam::via name{"trees"_a, "tree"};
    tree = co_await sup::start_link(name, sup::flags{}, sup::child_specs(sup::worker("w"_a, wait_for_stop)));
    EXPECT_EQ(beam::whereis(name), tree);
    const std::vector<sup::child_info> children = co_await sup::which_children(name);
    EXPECT_EQ(children.size(), 1u);
    EXPECT_EQ((co_await sup::count_children(name)).active, 1);
    taken = co_await error_of(sup::start_link(name, sup::flags{}, std::vector<sup::child_spec>()));
    const beam::via dynamic_name{"trees"_a, "dynamic"};
    dynamic = co_await dyn::start_link(dynamic_name);
    (void)co_await dyn::start_child(dynamic_name, sup::worker("c"_a, wait_for_stop));
    EXPECT_EQ((co_await dyn::count_children(dynamic_name)).active, 1);
    dynamic_taken = co_await error_of(dyn::start_link(dynamic_name));
  });
  EXPECT_EQ(taken, beam::tuple("already_started"_a, *tree));
  EXPECT_EQ(dynamic_taken, beam::tuple("already_started"_a, *dynamic));
}

TEST_P(KeyRegistryTest, ARegistryRunsUnderASupervisorAndNamesItsSiblings) {
  beam::runtime rt(options());
  term got;
  rt.run([&]() -> beam::process {
    const beam::via name{"app_registry"_a, "counter"};
    const auto start_registry = [] { return kr::start_link({.name = "app_registry"_a}); };
    const auto start_counter = [name] { return gs::start_link<counter>({.name = name}, 40); };
    std::vector<sup::child_spec> children =
        sup::child_specs(sup::child_spec{.id = "registry"_a, .start = sup::from_start_link(start_registry)},
                         sup::child_spec{.id = "counter"_a, .start = sup::from_start_link(start_counter)});
    (void)co_await sup::start_link(sup::flags{.strategy = sup::restart_strategy::rest_for_one},
                                   std::move(children));
    beam::cast(name, 2);
    got = co_await beam::call(name, "get"_a);
  });
  EXPECT_EQ(got, term(42));
}

// What Elixir's Registry answers, step by step, each line one result with pids named (me, other, owner).
constexpr const char* elixir_steps = R"(
{:ok, _} = Registry.start_link(keys: :unique, name: U)
{:ok, _} = Registry.start_link(keys: :duplicate, name: D)
me = self()
loop = fn loop -> receive do {:run, f, from} -> send(from, {:ran, f.()}); loop.(loop) end end
other = spawn(fn -> loop.(loop) end)
by_other = fn f -> send(other, {:run, f, me}); receive do {:ran, r} -> r end end
named = fn named, t ->
  cond do
    t == me -> :me
    t == other -> :other
    is_pid(t) -> :owner
    is_tuple(t) -> t |> Tuple.to_list() |> Enum.map(&named.(named, &1)) |> List.to_tuple()
    is_list(t) -> Enum.map(t, &named.(named, &1))
    true -> t
  end
end
results = [
  Registry.register(U, "k", 1),
  Registry.register(U, "k", 2),
  Registry.register(U, {:tuple, 1}, :v),
  by_other.(fn -> Registry.register(U, "k", 3) end),
  by_other.(fn -> Registry.register(U, "j", nil) end),
  Registry.lookup(U, "k"),
  Enum.sort(Registry.keys(U, me)),
  Registry.count(U),
  Registry.unregister(U, "k"),
  Registry.lookup(U, "k"),
  Registry.count(U),
  Registry.lookup(U, "j"),
  Registry.register(D, "t", 1),
  Registry.register(D, "t", 2),
  by_other.(fn -> Registry.register(D, "t", 3) end),
  Registry.lookup(D, "t"),
  Registry.keys(D, me),
  Registry.count(D),
  Registry.unregister(D, "t"),
  Registry.lookup(D, "t"),
  Registry.count(D)
]
for r <- results, do: IO.puts(:io_lib.format('~tp', [named.(named, r)]))
)";

// The same steps here; `other` is a registrant process.
beam::task<std::vector<term>> our_steps(beam::pid other) {
  const beam::atom u = "oracle_unique"_a, d = "oracle_dup"_a;
  const auto size = [](std::size_t n) { return term(static_cast<std::int64_t>(n)); };
  std::vector<term> r;
  r.push_back(kr::register_key(u, "k", 1).as_term());
  r.push_back(kr::register_key(u, "k", 2).as_term());
  r.push_back(kr::register_key(u, beam::tuple("tuple"_a, 1), "v"_a).as_term());
  r.push_back(co_await register_by(other, u, "k", 3));
  r.push_back(co_await register_by(other, u, "j", "nil"_a));
  r.push_back(as_term(kr::lookup(u, "k")));
  r.push_back(sorted(kr::keys(u, beam::self())));  // Elixir's order is unspecified
  r.push_back(size(kr::count(u)));
  kr::unregister_key(u, "k");
  r.push_back("ok"_a);
  r.push_back(as_term(kr::lookup(u, "k")));
  r.push_back(size(kr::count(u)));
  r.push_back(as_term(kr::lookup(u, "j")));
  r.push_back(kr::register_key(d, "t", 1).as_term());
  r.push_back(kr::register_key(d, "t", 2).as_term());
  r.push_back(co_await register_by(other, d, "t", 3));
  r.push_back(as_term(kr::lookup(d, "t")));
  r.push_back(as_term(kr::keys(d, beam::self())));
  r.push_back(size(kr::count(d)));
  kr::unregister_key(d, "t");
  r.push_back("ok"_a);
  r.push_back(as_term(kr::lookup(d, "t")));
  r.push_back(size(kr::count(d)));
  co_return r;
}

TEST_P(KeyRegistryTest, RegisterLookupAndUnregisterAnswerAsElixirsRegistry) {
  const auto elixir = beam::testing::run_process({"elixir", "-e", elixir_steps});
  ASSERT_EQ(elixir.exit_code, 0) << "elixir is needed (scripts/setup.sh installs it): " << elixir.err;
  beam::runtime rt(options());
  std::string ours;
  rt.run([&]() -> beam::process {
    (void)co_await kr::start_link({.name = "oracle_unique"_a});
    (void)co_await kr::start_link({.name = "oracle_dup"_a, .keys = kr::key_kind::duplicate});
    const beam::pid other = beam::spawn(registrant);
    const std::vector<term> results = co_await our_steps(other);
    for (const term& r : results) ours += beam::format_erlang(named_pids(r, beam::self(), other)) + "\n";
    beam::send(other, "stop"_a);
  });
  EXPECT_EQ(ours, elixir.out);
}

BEAM_SCHEDULER_COUNTS(KeyRegistryTest);

}  // namespace
