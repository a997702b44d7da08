// base/small_map.hpp: small_map and small_set, associative containers for the few entries a process keeps
// (its links, monitors, aliases, timer references: most processes hold 0 to 3 of each).
//
// The entries sit in one vector from the small-block pools, searched from the front while there are at most
// `linear_limit` of them; past that, a position_index (key hash -> position) is built and kept, so a
// supervisor with 100,000 links still finds one in O(1). An erase moves the last entry into the hole: no
// order is kept, as none was with the unordered containers these replace.
//
// Why. A gen_server call inserts and erases a monitor, an alias and the server's watcher: with
// std::unordered_map each of those hashed a reference (~115 instructions each, 9 per call, 10% of a call's
// instructions) and allocated and freed a node, and the first insert allocated a bucket array. Here the
// first insert allocates the vector once, and a lookup among three references is three comparisons.
// Rejected: inline storage for the first entries (process_links is made on first use, and its size is paid by
// every process that ever linked or monitored: the vector header is 24 bytes, an inline entry 32 or more);
// a sorted vector (an insert moves entries, and references have no cheap order).
//
// The index past the limit keeps each entry's hash beside its position, so a key is hashed once per insert
// or erase: an erase by position (erase_if, an iterator), the entry moved into the hole and growing the index
// hash nothing. Rejected: std::unordered_map<Key, position> (the first index): libstdc++ does not keep the
// hash of a key whose std::hash it deems fast, so an insert, an erase and the move of the last entry hashed a
// term 8.8 times per monitor, and a node was allocated per entry; a process holding 10,000 monitors
// (bench w10_monitor_down) spent 20% of its instructions in that map. With this index (callgrind, w10
// monitors=100000 schedulers=1, inclusive per call): monitor() 1,105 -> 832 instructions, the handling of the
// signal that ends one (its DOWN included) 1,154 -> 829.
//
// Not thread-safe: the owner of the container (a process's owner for process_links) is its only user.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "base/small_pool.hpp"

namespace beam::base {

// Key hash -> position of the entries of a small_table past its linear limit: open addressing with linear
// probing and backward-shift erase (no tombstones), at most half full. It mirrors the entries' order: push
// appends position size(), erase(p) moves the last position into p as the table does. A slot holds the
// 32-bit hash and position + 1 (0: empty); hashes_[p] is position p's hash, so no key is hashed again here.
class position_index {
 public:
  static constexpr std::size_t npos = ~std::size_t{0};

  // The position whose hash is `hash` and for which equal_at(position) holds, or npos.
  template <class EqualAt>
  [[nodiscard]] std::size_t find(std::uint32_t hash, EqualAt equal_at) const {
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
      const std::uint64_t s = slots_[i];
      if (s == 0) return npos;
      if (hash_in(s) == hash && equal_at(position_in(s))) return position_in(s);
    }
  }
  void push(std::uint32_t hash);     // indexes position size()
  void erase(std::size_t position);  // unindexes `position`; the last position, if another, takes its place

  // A well-mixed 32 bits of a std::hash value (some, like std::hash<int>, are the identity).
  [[nodiscard]] static std::uint32_t fold(std::size_t h) noexcept {
    return static_cast<std::uint32_t>((std::uint64_t{h} * 0x9E3779B97F4A7C15ULL) >> 32);
  }

 private:
  static std::uint32_t hash_in(std::uint64_t slot) noexcept { return static_cast<std::uint32_t>(slot >> 32); }
  static std::size_t position_in(std::uint64_t slot) noexcept { return static_cast<std::uint32_t>(slot) - 1; }
  void place(std::uint32_t hash, std::size_t position) noexcept;
  [[nodiscard]] std::size_t slot_of(std::size_t position) const noexcept;
  void empty_slot(std::size_t i) noexcept;

  std::vector<std::uint64_t, small_allocator<std::uint64_t>> slots_;   // a power of two of them, or none
  std::vector<std::uint32_t, small_allocator<std::uint32_t>> hashes_;  // by position
};

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

  [[nodiscard]] iterator find(const Key& key) { return entries_.begin() + locate(key).at; }
  [[nodiscard]] const_iterator find(const Key& key) const { return entries_.begin() + locate(key).at; }
  [[nodiscard]] bool contains(const Key& key) const { return locate(key).at != entries_.size(); }

  // Erases the entry at `it`; the last entry moves into its place, so `it` then names that one (or end()).
  iterator erase(const_iterator it) {
    const auto at = static_cast<std::size_t>(it - entries_.cbegin());
    if (index_) index_->erase(at);
    if (at + 1 != entries_.size()) entries_[at] = std::move(entries_.back());
    entries_.pop_back();
    return entries_.begin() + static_cast<std::ptrdiff_t>(at);
  }
  // Erases the entry of `key`: 1, or 0 when there is none.
  std::size_t erase(const Key& key) {
    const std::size_t at = locate(key).at;
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
  // Where `key`'s entry is (size() when there is none), and the key's hash when the index needed it.
  struct located {
    std::size_t at;
    std::uint32_t hash;
  };
  [[nodiscard]] located locate(const Key& key) const {
    if (index_) {
      const std::uint32_t h = hash_of(key);
      const std::size_t at = index_->find(h, [&](std::size_t p) { return KeyOf{}(entries_[p]) == key; });
      return {at == position_index::npos ? entries_.size() : at, h};
    }
    const auto found =
        std::find_if(entries_.begin(), entries_.end(), [&](const Value& v) { return KeyOf{}(v) == key; });
    return {static_cast<std::size_t>(found - entries_.begin()), 0};
  }
  // Appends a value whose key is not present: `where` is what locate() answered for that key.
  template <class... Args>
  iterator append(located where, Args&&... args) {
    entries_.emplace_back(std::forward<Args>(args)...);
    if (index_) {
      index_->push(where.hash);
    } else if (entries_.size() > linear_limit) {
      index_ = std::make_unique<position_index>();
      for (const Value& v : entries_) index_->push(hash_of(KeyOf{}(v)));
    }
    return entries_.end() - 1;
  }

  storage entries_;

 private:
  [[nodiscard]] static std::uint32_t hash_of(const Key& key) {
    return position_index::fold(std::hash<Key>{}(key));
  }

  std::unique_ptr<position_index> index_;  // built once the entries pass linear_limit
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
    const auto where = this->locate(key);
    if (where.at != this->size()) return {this->begin() + static_cast<std::ptrdiff_t>(where.at), false};
    return {this->append(where, std::piecewise_construct, std::forward_as_tuple(key),
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
    const auto where = this->locate(key);
    if (where.at != this->size()) return false;
    this->append(where, key);
    return true;
  }
};

}  // namespace beam::base
