// base/small_map.hpp: small_map and small_set, associative containers for the few entries a process keeps
// (its links, monitors, aliases, timer references: most processes hold 0 to 3 of each).
//
// The entries sit in one vector from the small-block pools, searched from the front while there are at most
// `linear_limit` of them; past that, a hash index (key -> position) is built and kept, so a supervisor with
// 100,000 links still finds one in O(1). An erase moves the last entry into the hole: no order is kept, as
// none was with the unordered containers these replace.
//
// Why. A gen_server call inserts and erases a monitor, an alias and the server's watcher: with
// std::unordered_map each of those hashed a reference (~115 instructions each, 9 per call, 10% of a call's
// instructions) and allocated and freed a node, and the first insert allocated a bucket array. Here the
// first insert allocates the vector once, and a lookup among three references is three comparisons.
// Rejected: inline storage for the first entries (process_links is made on first use, and its size is paid by
// every process that ever linked or monitored: the vector header is 24 bytes, an inline entry 32 or more);
// a sorted vector (an insert moves entries, and references have no cheap order).
//
// Not thread-safe: the owner of the container (a process's owner for process_links) is its only user.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/small_pool.hpp"

namespace beam::base {

// The storage and search of small_map and small_set: entries of type Value, whose key KeyOf{}(value) gives.
template <class Key, class Value, class KeyOf>
class small_table {
 public:
  static constexpr std::size_t linear_limit = 16;
  using value_type = Value;
  using storage = std::vector<Value, small_allocator<Value>>;
  using iterator = typename storage::iterator;
  using const_iterator = typename storage::const_iterator;

  [[nodiscard]] iterator begin() noexcept { return entries_.begin(); }
  [[nodiscard]] iterator end() noexcept { return entries_.end(); }
  [[nodiscard]] const_iterator begin() const noexcept { return entries_.begin(); }
  [[nodiscard]] const_iterator end() const noexcept { return entries_.end(); }
  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
  [[nodiscard]] bool empty() const noexcept { return entries_.empty(); }

  [[nodiscard]] iterator find(const Key& key) { return entries_.begin() + position(key); }
  [[nodiscard]] const_iterator find(const Key& key) const { return entries_.begin() + position(key); }
  [[nodiscard]] bool contains(const Key& key) const { return position(key) != entries_.size(); }

  // Erases the entry at `it`; the last entry moves into its place, so `it` then names that one (or end()).
  iterator erase(const_iterator it) {
    const auto at = static_cast<std::size_t>(it - entries_.cbegin());
    if (index_) index_->erase(KeyOf{}(entries_[at]));
    if (at + 1 != entries_.size()) {
      entries_[at] = std::move(entries_.back());
      if (index_) (*index_)[KeyOf{}(entries_[at])] = at;
    }
    entries_.pop_back();
    return entries_.begin() + static_cast<std::ptrdiff_t>(at);
  }
  // Erases the entry of `key`: 1, or 0 when there is none.
  std::size_t erase(const Key& key) {
    const std::size_t at = position(key);
    if (at == entries_.size()) return 0;
    erase(entries_.cbegin() + static_cast<std::ptrdiff_t>(at));
    return 1;
  }
  // Erases every entry for which `pred` is true; returns how many.
  template <class Pred>
  std::size_t erase_if(Pred pred) {
    const std::size_t before = entries_.size();
    for (auto it = entries_.begin(); it != entries_.end();) it = pred(*it) ? erase(it) : it + 1;
    return before - entries_.size();
  }

 protected:
  // The position of `key`'s entry, or size() when there is none.
  [[nodiscard]] std::size_t position(const Key& key) const {
    if (index_) {
      const auto found = index_->find(key);
      return found == index_->end() ? entries_.size() : found->second;
    }
    const auto found =
        std::find_if(entries_.begin(), entries_.end(), [&](const Value& v) { return KeyOf{}(v) == key; });
    return static_cast<std::size_t>(found - entries_.begin());
  }
  // Appends `value`, whose key is not present.
  template <class... Args>
  iterator append(Args&&... args) {
    entries_.emplace_back(std::forward<Args>(args)...);
    const std::size_t at = entries_.size() - 1;
    if (index_) {
      index_->emplace(KeyOf{}(entries_[at]), at);
    } else if (entries_.size() > linear_limit) {
      index_ = std::make_unique<index>();
      for (std::size_t i = 0; i < entries_.size(); ++i) index_->emplace(KeyOf{}(entries_[i]), i);
    }
    return entries_.begin() + static_cast<std::ptrdiff_t>(at);
  }

  storage entries_;

 private:
  using index = std::unordered_map<Key, std::size_t, std::hash<Key>, std::equal_to<Key>,
                                   small_allocator<std::pair<const Key, std::size_t>>>;
  std::unique_ptr<index> index_;  // built once the entries pass linear_limit
};

template <class Key, class Mapped>
struct key_of_pair {
  const Key& operator()(const std::pair<Key, Mapped>& v) const noexcept { return v.first; }
};

// A map from Key to Mapped (see the top of the file). Entries are std::pair<Key, Mapped>; do not change a key
// through an iterator.
template <class Key, class Mapped>
class small_map : public small_table<Key, std::pair<Key, Mapped>, key_of_pair<Key, Mapped>> {
  using table = small_table<Key, std::pair<Key, Mapped>, key_of_pair<Key, Mapped>>;

 public:
  using typename table::iterator;
  // Adds key -> Mapped(args...) unless `key` is present; the entry, and whether it was added.
  template <class... Args>
  std::pair<iterator, bool> emplace(const Key& key, Args&&... args) {
    const std::size_t at = this->position(key);
    if (at != this->size()) return {this->begin() + static_cast<std::ptrdiff_t>(at), false};
    return {this->append(std::piecewise_construct, std::forward_as_tuple(key),
                         std::forward_as_tuple(std::forward<Args>(args)...)),
            true};
  }
  // Sets key -> value, adding the entry when `key` is not present.
  std::pair<iterator, bool> insert_or_assign(const Key& key, Mapped value) {
    auto [it, added] = emplace(key, std::move(value));
    if (!added) it->second = std::move(value);
    return {it, added};
  }
};

template <class Key>
struct key_of_self {
  const Key& operator()(const Key& v) const noexcept { return v; }
};

// A set of Key (see the top of the file).
template <class Key>
class small_set : public small_table<Key, Key, key_of_self<Key>> {
 public:
  // Adds `key` unless present; whether it was added.
  bool insert(const Key& key) {
    if (this->contains(key)) return false;
    this->append(key);
    return true;
  }
};

}  // namespace beam::base
