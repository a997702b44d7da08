// proc/key_table.cpp: one key registry's table (the design is at the top of proc/key_table.hpp).
#include "proc/key_table.hpp"

#include <algorithm>
#include <mutex>
#include <utility>

#include "proc/process_control.hpp"
#include "proc/signals.hpp"

namespace beam::detail {

std::optional<pid> key_table::add(process_control& p, const term& key, const term& value) {
  const pid self = p.self();
  bool first_entry = false;
  {
    std::unique_lock lock(mutex_);
    std::vector<key_registry::entry>& at_key = by_key_[key];
    if (kind == key_registry::key_kind::unique && !at_key.empty()) return at_key.front().process;
    at_key.push_back({self, value});
    std::vector<term>& held = by_pid_[self];
    first_entry = held.empty();
    held.push_back(key);
    ++entries_;
  }
  if (first_entry) links_of(p).key_tables.push_back(shared_from_this());  // owner only: p is the caller
  return std::nullopt;
}

void key_table::remove(process_control& p, const term& key) {
  const pid self = p.self();
  bool none_left = false;
  {
    std::unique_lock lock(mutex_);
    auto held = by_pid_.find(self);
    if (held == by_pid_.end()) return;
    std::erase(held->second, key);
    none_left = held->second.empty();
    if (none_left) by_pid_.erase(held);
    erase_entries(key, self);
  }
  if (none_left && p.links != nullptr) std::erase(p.links->key_tables, shared_from_this());
}

void key_table::remove_all(const pid& process) noexcept {
  std::unique_lock lock(mutex_);
  auto held = by_pid_.find(process);
  if (held == by_pid_.end()) return;
  for (const term& key : held->second) erase_entries(key, process);  // a key twice: the second finds none
  by_pid_.erase(held);
}

void key_table::erase_entries(const term& key, const pid& process) {
  auto at_key = by_key_.find(key);
  if (at_key == by_key_.end()) return;
  entries_ -=
      std::erase_if(at_key->second, [&](const key_registry::entry& e) { return e.process == process; });
  if (at_key->second.empty()) by_key_.erase(at_key);
}

std::vector<key_registry::entry> key_table::lookup(const term& key) const {
  std::shared_lock lock(mutex_);
  auto at_key = by_key_.find(key);
  return at_key == by_key_.end() ? std::vector<key_registry::entry>() : at_key->second;
}

std::vector<term> key_table::keys_of(const pid& process) const {
  std::shared_lock lock(mutex_);
  auto held = by_pid_.find(process);
  return held == by_pid_.end() ? std::vector<term>() : held->second;
}

std::size_t key_table::count() const {
  std::shared_lock lock(mutex_);
  return entries_;
}

void release_keys(process_control& p) noexcept {
  if (p.links == nullptr || p.links->key_tables.empty()) return;
  const std::vector<std::shared_ptr<key_table>> tables = std::exchange(p.links->key_tables, {});
  for (const std::shared_ptr<key_table>& table : tables) table->remove_all(p.self());
}

}  // namespace beam::detail
