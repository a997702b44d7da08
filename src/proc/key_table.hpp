// proc/key_table.hpp: the table of one key registry (beam/key_registry.hpp), and its hook in the exit path.
//
// Design: the registrants write the table themselves (a process registers only itself), under the table's
// exclusive lock; lookups from any thread take it shared, so readers run side by side, as Elixir's ETS table
// with read_concurrency. Each registrant keeps the tables it has entries in (process_links::key_tables, owner
// only), and its exit path (exit_process) drops its entries before its exit signals and DOWNs are sent: a
// process that has seen a registrant end never finds it. Rejected: an owner process that monitors (or links,
// as Elixir's) the registrants and cleans up on DOWN: a message and a monitor per registration, and a window
// after the DOWN in which the dead process is still found, so a test (or a caller) could not know when the
// entry is gone; a global pid -> tables map: a lock on every exit of every process.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <unordered_map>
#include <vector>

#include <beam/key_registry.hpp>
#include <beam/pid.hpp>
#include <beam/term.hpp>

namespace beam::detail {

struct process_control;

// Concurrency: `name`, `kind` and `owner` are immutable. `mutex_` guards everything else: held exclusive by
// add/remove/remove_all (a registrant on its own behalf, or its exit path), shared by the readers (any
// thread). The registrants' own lists of tables (process_links::key_tables) are theirs alone (owner only),
// changed by add and remove as they run in the registrant. Lifetime: shared by the directory of registries
// (while the registry process lives) and by every registrant's list, so a registrant's exit path may drop its
// entries after the registry has ended.
class key_table : public std::enable_shared_from_this<key_table> {
 public:
  key_table(atom registry, key_registry::key_kind keys, pid process)
      : name(registry), kind(keys), owner(process) {}

  const atom name;
  const key_registry::key_kind kind;
  const pid owner;  // the registry process

  // The registrant `p` (the calling process; owner only) adds key -> value. Unique keys: nullopt when added,
  // else the holder of `key` (nothing added).
  std::optional<pid> add(process_control& p, const term& key, const term& value);
  // The registrant `p` (owner only) drops its entries under `key`.
  void remove(process_control& p, const term& key);
  // The exit path of `process`: drops all its entries. Its owner, or the thread ending it.
  void remove_all(const pid& process) noexcept;

  // Any thread.
  [[nodiscard]] std::vector<key_registry::entry> lookup(const term& key) const;
  [[nodiscard]] std::vector<term> keys_of(const pid& process) const;
  [[nodiscard]] std::size_t count() const;

 private:
  // Drops `process`'s entries under `key`; erases the key when none is left. Exclusive lock held.
  void erase_entries(const term& key, const pid& process);

  mutable std::shared_mutex mutex_;
  std::unordered_map<term, std::vector<key_registry::entry>> by_key_;  // in registration order
  std::unordered_map<pid, std::vector<term>> by_pid_;  // each registration's key, in registration order
  std::size_t entries_ = 0;
};

// The exit path of `p` (its owner, or the thread ending it): drops its entries from every key registry.
void release_keys(process_control& p) noexcept;

}  // namespace beam::detail
