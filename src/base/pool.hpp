// base/pool.hpp: fixed-size block pools for the hot path (process control blocks, coroutine frames,
// messages).
//
// A pool_set is one thread's set of free lists, one per size class (multiples of 16 bytes up to max_pooled).
// Blocks are carved from 64 KiB chunks, aligned to their size, that a shared chunk_store hands out and frees
// only when it is destroyed, so memory is type-stable for the store's life: a block once used for a PCB is
// only ever reused as a block of the same class. Each chunk a pool_set carves starts with a header naming
// that set, its owner. A block freed by its owner goes on the owner's free list; a block freed through
// another set goes home, onto its owner's `remote_` list for its class (an atomic stack: any thread pushes
// with a CAS, release; the owner takes the whole stack with one exchange, acquire, when its own list of that
// class runs dry). So memory does not migrate: a sender on one core and a receiver on another recycle the
// same message nodes instead of the sender carving new chunks forever while the receiver's lists grow
// (push-only plus take-all has no ABA). Rejected: malloc for everything (glibc's tcache is fast, but memory
// is not type-stable, and per-process overhead is 16 bytes per allocation); one global lock-free pool (ABA
// hazards, contended head); keeping freed blocks where they were freed (unbounded growth under
// producer/consumer traffic between cores).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace beam::base {

class pool_set;

// Hands out chunks, each aligned to chunk_size, cut from regions it maps (a page is resident only once
// touched); unmaps them all at destruction. Any thread.
class chunk_store {
 public:
  static constexpr std::size_t chunk_size = 64 * 1024;
  static constexpr std::size_t region_size = 16 * chunk_size;
  chunk_store() = default;
  chunk_store(const chunk_store&) = delete;
  chunk_store& operator=(const chunk_store&) = delete;
  ~chunk_store();
  [[nodiscard]] std::byte* allocate_chunk();
  [[nodiscard]] std::size_t chunk_bytes() const noexcept;  // handed out so far
  // Bytes of blocks handed out by this store's sets and not yet freed: a snapshot (blocks being allocated
  // or freed meanwhile may or may not count).
  [[nodiscard]] std::size_t used_bytes() const noexcept;

 private:
  friend class pool_set;
  void map_region();  // mutex_

  mutable std::mutex mutex_;
  std::vector<std::byte*> regions_;    // mutex_
  std::vector<const pool_set*> sets_;  // mutex_: every live set over this store
  std::byte* next_ = nullptr;          // mutex_: the next chunk of the newest region
  std::size_t handed_out_ = 0;         // mutex_: chunks
};

// One thread's free lists. Owner thread only (or under the owner's lock, for the shared set), except
// `remote_` and `remote_bytes_`, which any thread updates through free() on another set. `owner_bytes_` is
// written by the owner only (a relaxed load and store, no read-modify-write on the hot path) and read by
// used_bytes() from any thread.
class pool_set {
 public:
  static constexpr std::size_t granule = 16;
  static constexpr std::size_t max_pooled = 1024;
  explicit pool_set(chunk_store& store);
  pool_set(const pool_set&) = delete;
  pool_set& operator=(const pool_set&) = delete;
  ~pool_set();

  [[nodiscard]] void* allocate(std::size_t size);
  // `block` may come from any set of the same store: it goes back to the set that carved it.
  void free(void* block, std::size_t size) noexcept;
  // Bytes of this set's blocks in use: carved or reused by it, less those freed back to it. Any thread.
  [[nodiscard]] std::int64_t used_bytes() const noexcept {
    return owner_bytes_.load(std::memory_order_relaxed) - remote_bytes_.load(std::memory_order_relaxed);
  }
  // Any thread, with no set of its own: `block` goes onto its owner's remote list.
  static void free_home(void* block, std::size_t size) noexcept;

 private:
  struct free_block {
    free_block* next;
  };
  // The first bytes of each chunk a set carves (blocks start after it, keeping 64-byte alignment).
  struct alignas(64) chunk_header {
    pool_set* owner;
  };
  static constexpr std::size_t classes = max_pooled / granule + 1;
  static std::size_t class_of(std::size_t size) noexcept { return (size + granule - 1) / granule; }
  static pool_set* owner_of(void* block) noexcept;
  void push_remote(free_block* b, std::size_t c) noexcept;
  void add_owner_bytes(std::int64_t n) noexcept {
    owner_bytes_.store(owner_bytes_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }

  chunk_store& store_;
  std::array<free_block*, classes> free_{};
  std::atomic<std::int64_t> owner_bytes_{0};  // allocated less freed through this set
  alignas(64) std::array<std::atomic<free_block*>, classes> remote_{};  // ours, freed through other sets
  std::atomic<std::int64_t> remote_bytes_{0};                           // their bytes
  std::byte* carve_ = nullptr;  // the unused rest of the current chunk
  std::size_t carve_left_ = 0;
};

}  // namespace beam::base
