// beam/via.hpp: a process named by a key in a key registry (beam/key_registry.hpp), as OTP's {via, Module,
// Name} with Elixir's Registry as the module: {:via, Registry, {MyReg, key}}.
//
//   co_await gs::start_link<counter>({.name = beam::via{"servers"_a, "counter-1"}}, 0);
//   beam::term n = co_await beam::call(beam::via{"servers"_a, "counter-1"}, "get"_a);
//
// A via name works where a registered atom does: gen_server start options and call/cast/stop, supervisor
// start options and supervisor_ref. Starting under a via name registers the new process under `key` in the
// registry `registry` (with `value`) before init; a key already held gives {already_started, pid}, as OTP's
// via. A call, cast or stop by a via name looks the key up first (noproc when nobody holds it). The registry
// must have unique keys: a duplicate registry raises badarg, as Elixir's :via does.
#pragma once

#include <optional>
#include <variant>

#include <beam/atom.hpp>
#include <beam/pid.hpp>
#include <beam/term.hpp>

namespace beam {

struct via {
  atom registry;                   // the key registry's name (key_registry::options::name)
  term key;                        // any term
  term value = term(atom("nil"));  // what the registry stores beside the process (Elixir's {reg, key, value})
  friend bool operator==(const via&, const via&) = default;
};

// The process holding `name.key` in the registry `name.registry`, if any. Throws beam::error(badarg) when the
// registry does not exist or has duplicate keys. Any thread in a runtime.
[[nodiscard]] std::optional<pid> whereis(const via& name);

// How reports and call failures show `name`: {via, 'Elixir.Registry', {Registry, Key}}.
[[nodiscard]] term to_term(const via& name);

// The name a process may start under: a registered atom (beam/registry.hpp) or a via name.
using process_name = std::variant<atom, via>;

}  // namespace beam
