// otp/key_registry.cpp: key registries (beam/key_registry.hpp) and via names (beam/via.hpp): the directory
// of registries by name, the registry process, and the API over the tables (proc/key_table.hpp).
//
// The directory maps a registry's name to its table, under one shared_mutex: written when a registry starts
// or ends, read (shared) by every call, which holds it while it uses the table (no reference count to bump
// per lookup). A registry process registers its name, publishes its table, then acks its start, so the
// starter finds the table. The publication is a guard in the process's frame, which every exit path destroys
// (a kill and the runtime's shutdown included); it unpublishes only its own table, as a registry of the same
// name may have started once the name was released (before the frame is destroyed). Rejected: finding the
// table through whereis (the names lock, a std::mutex, on every lookup); a table per runtime in the
// node (one runtime runs at a time, and the guard empties the directory before run() returns).
#include <beam/key_registry.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

#include <beam/call.hpp>
#include <beam/error.hpp>
#include <beam/inspect.hpp>
#include <beam/monitor.hpp>
#include <beam/receive.hpp>
#include <beam/via.hpp>

#include "otp/process_name.hpp"
#include "otp/supervisor_child.hpp"
#include "proc/call.hpp"
#include "proc/key_table.hpp"

namespace beam {
namespace key_registry {
namespace {

using namespace beam::literals;
using detail::key_table;

std::shared_mutex directory_mutex;
std::unordered_map<std::uint32_t, std::shared_ptr<key_table>> directory;  // atom index -> table; the mutex

// Calls fn(table) for the registry named `registry`, holding the directory's read lock. Throws badarg when
// there is none. Any thread.
template <class F>
decltype(auto) with_table(atom registry, F&& fn) {
  std::shared_lock lock(directory_mutex);
  auto it = directory.find(registry.index());
  if (it == directory.end()) {
    throw error(term("badarg"_a), fmt::format("unknown registry: {}", inspect(term(registry))));
  }
  return std::forward<F>(fn)(*it->second);
}

// The directory's entry for one registry while its process lives (a local of the registry's frame).
class publication {
 public:
  explicit publication(std::shared_ptr<key_table> table) : table_(std::move(table)) {
    std::unique_lock lock(directory_mutex);
    directory.insert_or_assign(table_->name.index(), table_);
  }
  ~publication() {
    std::unique_lock lock(directory_mutex);
    auto it = directory.find(table_->name.index());
    if (it != directory.end() && it->second == table_) directory.erase(it);
  }
  publication(const publication&) = delete;
  publication& operator=(const publication&) = delete;

 private:
  std::shared_ptr<key_table> table_;
};

// The registry process: registers its name, publishes its table, acks, and waits to be ended (its parent's
// exit signal, through the link). The callers use the table themselves, so it serves nothing; a message sent
// to it is dropped.
process registry_body(options opts, pid starter, reference tag) {
  otp::register_or_exit(process_name(opts.name), starter, tag);
  const publication published(std::make_shared<key_table>(opts.name, opts.keys, self()));
  otp::ack_start(starter, tag, otp::ok(self()));
  for (;;) (void)co_await receive();
}

}  // namespace

task<pid> start_link(options opts) {
  const reference tag = reference::make();
  const pid registry = spawn_link(registry_body, opts, self(), tag);  // self(): throws outside a process
  return otp::await_start(registry, tag, monitor(registry));
}

term register_result::as_term() const {
  if (already_registered) return tuple("error"_a, tuple("already_registered"_a, *already_registered));
  return tuple("ok"_a, owner);
}

register_result register_key(atom registry, term key, term value) {
  detail::process_control& p = detail::current_process("beam::key_registry::register_key");
  return with_table(registry, [&](key_table& table) {
    return register_result{table.owner, table.add(p, key, value)};
  });
}

void unregister_key(atom registry, const term& key) {
  detail::process_control& p = detail::current_process("beam::key_registry::unregister_key");
  with_table(registry, [&](key_table& table) { table.remove(p, key); });
}

std::vector<entry> lookup(atom registry, const term& key) {
  return with_table(registry, [&](const key_table& table) { return table.lookup(key); });
}

std::vector<term> keys(atom registry, const pid& process) {
  return with_table(registry, [&](const key_table& table) { return table.keys_of(process); });
}

std::size_t count(atom registry) {
  return with_table(registry, [](const key_table& table) { return table.count(); });
}

}  // namespace key_registry

std::optional<pid> whereis(const via& name) {
  return key_registry::with_table(name.registry, [&](const detail::key_table& table) -> std::optional<pid> {
    if (table.kind != key_registry::key_kind::unique) {
      throw error(term(atom("badarg")), fmt::format("via names need a registry of unique keys, and {} has "
                                                    "duplicate keys",
                                                    inspect(term(name.registry))));
    }
    const std::vector<key_registry::entry> found = table.lookup(name.key);
    if (found.empty()) return std::nullopt;
    return found.front().process;
  });
}

term to_term(const via& name) {
  static const atom module("Elixir.Registry");
  return tuple(atom("via"), module, tuple(name.registry, name.key));
}

task<term> call(const via& name, term request) {
  return detail::call_resolved(to_term(name), whereis(name), std::move(request), std::nullopt);
}

task<term> call(const via& name, term request, std::chrono::milliseconds timeout) {
  return detail::call_resolved(to_term(name), whereis(name), std::move(request), timeout);
}

}  // namespace beam
