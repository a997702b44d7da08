// beam/key_registry.hpp: a process registry whose keys are any terms, unique or duplicate, as Elixir's
// Registry. (Atom names, Erlang's register/whereis, are beam/registry.hpp.)
//
//   namespace kr = beam::key_registry;
//   co_await kr::start_link({.name = "sessions"_a, .keys = kr::key_kind::unique});
//   kr::register_key("sessions"_a, beam::tuple("user", 42), "admin"_a);     // {ok, owner}, for self()
//   std::vector<kr::entry> found = kr::lookup("sessions"_a, beam::tuple("user", 42));   // [{self(), admin}]
//
//   co_await kr::start_link({.name = "topics"_a, .keys = kr::key_kind::duplicate});      // pub/sub
//   kr::register_key("topics"_a, "news", beam::term());                    // each subscriber, for itself
//   kr::dispatch("topics"_a, "news", [&](std::span<const kr::entry> subscribers) {
//     for (const kr::entry& s : subscribers) beam::send(s.process, beam::tuple("news"_a, story));
//   });
//
// A registry is a process registered under its atom name (start_link); the table it owns is read and written
// by the callers themselves, so a lookup sends no message. A process registers only itself; its entries
// vanish when it ends, before its exit signals and DOWN messages go out (whoever has seen it end no longer
// finds it), or when it unregisters. Order: lookup gives a key's entries in the order they were
// registered, as Elixir's (one partition), and keys a process's keys in that order too (Elixir's:
// unspecified). When the registry process ends, its name is gone: calls with it raise badarg ("unknown
// registry"), as Elixir's ArgumentError.
//
// Where C++ differs from Elixir: `register` is a C++ keyword, hence register_key/unregister_key; there are no
// partitions, listeners, meta, match specs (match/select/unregister_match) nor update_value; the registry
// does not link its registrants (Elixir's does), so one ending does not kill them: their entries stay in the
// ended registry's table, out of reach, until they end.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include <beam/atom.hpp>
#include <beam/pid.hpp>
#include <beam/process.hpp>
#include <beam/term.hpp>

namespace beam::key_registry {

enum class key_kind { unique, duplicate };

struct options {
  atom name;                         // required: the registry's registered name
  key_kind keys = key_kind::unique;  // unique: one process per key; duplicate: any number (pub/sub)
};

// Spawns the registry process linked to the caller, registered as `options.name`, and returns its pid once
// the registry can be used. A name already taken: beam::error({already_started, Pid}). Process-only. Fits a
// supervisor: sup::from_start_link([] { return kr::start_link({.name = "reg"_a}); }).
[[nodiscard]] task<pid> start_link(options opts);

// One registration: the process and the value it registered with.
struct entry {
  pid process;
  term value;
  friend bool operator==(const entry&, const entry&) = default;
};

// register_key's outcome: Elixir's {:ok, owner} or {:error, {:already_registered, pid}} (unique keys only).
struct register_result {
  pid owner;                                // the registry process
  std::optional<pid> already_registered{};  // the process that holds the key; nullopt: registered
  [[nodiscard]] bool ok() const noexcept { return !already_registered; }
  // {ok, Owner} or {error, {already_registered, Pid}}.
  [[nodiscard]] term as_term() const;
};

// Each call below throws beam::error(badarg) when no registry is named `registry`.

// The calling process registers under `key` with `value`. A unique key held by any process (the caller
// included) is refused; a duplicate registry takes any number of entries, one process's included.
// Process-only.
register_result register_key(atom registry, term key, term value);
// The calling process drops all its entries under `key` (none: nothing happens). Process-only.
void unregister_key(atom registry, const term& key);

// The entries under `key`: at most one for unique keys. Any thread in a runtime.
[[nodiscard]] std::vector<entry> lookup(atom registry, const term& key);
// The keys `process` holds entries under (a duplicate key once per entry). Any thread in a runtime.
[[nodiscard]] std::vector<term> keys(atom registry, const pid& process);
// How many entries the registry holds. Any thread in a runtime.
[[nodiscard]] std::size_t count(atom registry);

// Calls `fn(std::span<const entry>)` with the entries under `key`, or not at all when there are none, as
// Elixir's dispatch. `fn` runs in the caller, on a copy taken under the registry's read lock, so it may
// register, send or look up.
template <class F>
requires std::is_invocable_v<F&, std::span<const entry>>
void dispatch(atom registry, const term& key, F&& fn) {
  const std::vector<entry> found = lookup(registry, key);
  if (!found.empty()) std::forward<F>(fn)(std::span<const entry>(found));
}

}  // namespace beam::key_registry
