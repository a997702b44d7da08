// term/atom_table.cpp: the process-wide atom table.
//
// Design. Atoms are interned once and never freed, as in Erlang. An atom is an index; its entry (text, flags)
// lives in a directory of chunks that double in size (chunk k holds 4096 << k entries), so entries never move
// and the directory is a fixed array of 32 pointers: index -> entry is two loads, with no lock. Text -> index
// is an open-addressing hash table of entry indices. Lookups take no lock: they load the current table and
// probe it. Inserts take `mutex`, recheck, append the entry, then publish the slot. When the table is half
// full a writer builds a twice-as-large copy and publishes it; the old table is kept (retired, never freed)
// because a reader may still be probing it, and an atom that reader misses in the old table is found again
// under the mutex. Retired tables add up to less than the live one. Rejected: a std::unordered_map under a
// shared_mutex (every lookup would write the lock's reader count, a contended cache line on every atom
// literal or ETF decode); a fixed table sized for the limit (16 MB of slots up front for the default limit of
// a million).
#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <beam/error.hpp>
#include <beam/term.hpp>

#include "base/utf8.hpp"
#include "term/atom_table.hpp"

namespace beam {
namespace {

constexpr std::size_t max_atom_chars = 255;
constexpr std::size_t first_chunk_bits = 12;

struct atom_entry {
  std::string text;
  std::uint64_t hash;
  bool latin1;
};

std::uint64_t hash_text(std::string_view text) noexcept {
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a, then a final mix: atoms are short
  for (char c : text) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  return h ^ (h >> 29);
}

bool all_latin1(std::string_view text) noexcept {
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto cp = utf8::decode(text, pos);
    if (!cp || *cp > 0xFF) return false;
  }
  return true;
}

// Slots hold entry index + 1; 0 is empty. A slot goes from 0 to its final value once (release, paired with
// the acquire in lookup, so a reader that sees the index sees the entry's text).
struct hash_index {
  explicit hash_index(std::size_t capacity)
      : mask(capacity - 1), slots(new std::atomic<std::uint32_t>[capacity]) {
    for (std::size_t i = 0; i < capacity; ++i) slots[i].store(0, std::memory_order_relaxed);
  }
  std::size_t mask;
  std::unique_ptr<std::atomic<std::uint32_t>[]> slots;
};

class atom_table {
 public:
  atom_table() {
    std::lock_guard lock(mutex_);
    index_ = std::make_unique<hash_index>(1024);
    live_index_.store(index_.get(), std::memory_order_release);
    for (const char* name : detail::atoms::predefined) insert_locked(name, hash_text(name));
  }

  // Any thread. A miss is confirmed under the mutex: the atom may sit only in a table newer than the one
  // probed.
  std::optional<std::uint32_t> find(std::string_view text) const noexcept {
    const std::uint64_t h = hash_text(text);
    if (auto found = probe(*live_index_.load(std::memory_order_acquire), text, h)) return found;
    std::lock_guard lock(mutex_);
    return probe(*index_, text, h);
  }

  // Any thread; takes the mutex only when the atom is new.
  std::uint32_t intern(std::string_view text) {
    const std::uint64_t h = hash_text(text);
    if (auto found = probe(*live_index_.load(std::memory_order_acquire), text, h)) return *found;
    if (!utf8::valid(text)) throw std::invalid_argument("atom text is not valid UTF-8");
    if (utf8::length(text) > max_atom_chars) {
      throw error(
          term(detail::atoms::system_limit),
          fmt::format("atom too long: {} characters, the limit is {}", utf8::length(text), max_atom_chars));
    }
    std::lock_guard lock(mutex_);
    if (auto found = probe(*index_, text, h)) return *found;
    if (count() >= limit_) {
      throw error(term(detail::atoms::system_limit),
                  fmt::format("atom table full: the limit is {} atoms (see beam::set_atom_limit)", limit_));
    }
    return insert_locked(text, h);
  }

  // Any thread, for an index that came from an atom.
  const atom_entry& entry(std::uint32_t index) const noexcept {
    const std::size_t q = (index >> first_chunk_bits) + 1;
    const std::size_t k = std::bit_width(q) - 1;
    const std::size_t offset = index - (((std::size_t{1} << k) - 1) << first_chunk_bits);
    return chunks_[k].load(std::memory_order_acquire)[offset];  // pairs with the release in insert_locked
  }

  std::size_t count() const noexcept { return count_.load(std::memory_order_relaxed); }
  std::size_t limit() const noexcept {
    std::lock_guard lock(mutex_);
    return limit_;
  }
  void set_limit(std::size_t limit) {
    std::lock_guard lock(mutex_);
    if (limit < count() || limit > max_atom_limit) {
      throw std::invalid_argument(fmt::format("atom limit {} is outside {} (atoms in the table) ... {}",
                                              limit, count(), max_atom_limit));
    }
    limit_ = limit;
  }

 private:
  std::optional<std::uint32_t> probe(const hash_index& index, std::string_view text,
                                     std::uint64_t h) const noexcept {
    for (std::size_t i = h & index.mask;; i = (i + 1) & index.mask) {
      const std::uint32_t slot =
          index.slots[i].load(std::memory_order_acquire);  // pairs with publish's release
      if (slot == 0) return std::nullopt;
      const atom_entry& e = entry(slot - 1);
      if (e.hash == h && e.text == text) return slot - 1;
    }
  }

  // Mutex held.
  std::uint32_t insert_locked(std::string_view text, std::uint64_t h) {
    const auto index = static_cast<std::uint32_t>(count());
    const std::size_t q = (index >> first_chunk_bits) + 1;
    const std::size_t k = std::bit_width(q) - 1;
    if (chunks_[k].load(std::memory_order_relaxed) == nullptr) {
      owned_chunks_.push_back(std::make_unique<atom_entry[]>(std::size_t{1} << (first_chunk_bits + k)));
      chunks_[k].store(owned_chunks_.back().get(), std::memory_order_release);
    }
    const std::size_t offset = index - (((std::size_t{1} << k) - 1) << first_chunk_bits);
    chunks_[k].load(std::memory_order_relaxed)[offset] = atom_entry{std::string(text), h, all_latin1(text)};
    count_.store(index + 1, std::memory_order_relaxed);
    if ((index + 1) * 2 > index_->mask + 1) grow_locked();
    publish(*index_, index, h);
    return index;
  }

  // Mutex held.
  static void publish(hash_index& table, std::uint32_t index, std::uint64_t h) noexcept {
    std::size_t i = h & table.mask;
    while (table.slots[i].load(std::memory_order_relaxed) != 0) i = (i + 1) & table.mask;
    table.slots[i].store(index + 1, std::memory_order_release);  // pairs with probe's acquire
  }

  // Mutex held. Builds the larger table from the entries, publishes it and retires the old one.
  void grow_locked() {
    auto bigger = std::make_unique<hash_index>((index_->mask + 1) * 2);
    const auto n = static_cast<std::uint32_t>(count() - 1);  // the newest entry is published by the caller
    for (std::uint32_t i = 0; i < n; ++i) publish(*bigger, i, entry(i).hash);
    retired_.push_back(std::move(index_));
    index_ = std::move(bigger);
    live_index_.store(index_.get(), std::memory_order_release);  // pairs with find's acquire
  }

  mutable std::mutex mutex_;
  std::size_t limit_ = default_atom_limit;                   // mutex
  std::unique_ptr<hash_index> index_;                        // mutex
  std::vector<std::unique_ptr<hash_index>> retired_;         // mutex; kept for readers still probing them
  std::vector<std::unique_ptr<atom_entry[]>> owned_chunks_;  // mutex
  std::atomic<hash_index*> live_index_{nullptr};             // written under mutex, read by anyone
  std::array<std::atomic<atom_entry*>, 32> chunks_{};        // written under mutex, read by anyone
  std::atomic<std::size_t> count_{0};                        // written under mutex, read by anyone
};

atom_table& table() {
  static atom_table* const instance = new atom_table();  // never destroyed: atoms outlive static destructors
  return *instance;
}

}  // namespace

atom::atom(std::string_view text) : index_(table().intern(text)) {}

std::optional<atom> atom::existing(std::string_view text) noexcept {
  if (auto index = table().find(text)) return atom(*index, 0);
  return std::nullopt;
}

std::string_view atom::text() const noexcept {
  return table().entry(index_).text;
}
bool atom::is_latin1() const noexcept {
  return table().entry(index_).latin1;
}

std::strong_ordering operator<=>(atom a, atom b) noexcept {
  if (a.index_ == b.index_) return std::strong_ordering::equal;
  return a.text().compare(b.text()) <=> 0;
}

atom_table_info atom_table_stats() noexcept {
  return {table().count(), table().limit()};
}
void set_atom_limit(std::size_t limit) {
  table().set_limit(limit);
}

}  // namespace beam
