// base/pool.hpp: fixed-size block pools for the hot path (process control blocks, coroutine frames,
// messages).
//
// A pool_set is one thread's set of free lists, one per size class (multiples of 16 bytes up to max_pooled).
// Blocks are carved from 64 KiB chunks that a shared chunk_store hands out and frees only when it is
// destroyed, so memory is type-stable for the store's life: a block once used for a PCB is only ever reused
// as a block of the same class. A block freed on another thread joins that thread's lists (memory migrates;
// nothing is shared). Rejected: malloc for everything (glibc's tcache is fast, but memory is not type-stable,
// and per-process overhead is 16 bytes per allocation); one global lock-free pool (ABA hazards, contended
// head).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace beam::base {

// Hands out chunks; frees them all at destruction. Any thread.
class chunk_store {
 public:
  static constexpr std::size_t chunk_size = 64 * 1024;
  chunk_store() = default;
  chunk_store(const chunk_store&) = delete;
  chunk_store& operator=(const chunk_store&) = delete;
  ~chunk_store();
  [[nodiscard]] std::byte* allocate_chunk();
  [[nodiscard]] std::size_t chunk_bytes() const noexcept;

 private:
  mutable std::mutex mutex_;
  std::vector<std::byte*> chunks_;  // mutex_
};

// One thread's free lists. Owner thread only (or under the owner's lock, for the shared set).
class pool_set {
 public:
  static constexpr std::size_t granule = 16;
  static constexpr std::size_t max_pooled = 1024;
  explicit pool_set(chunk_store& store) noexcept : store_(store) {}

  [[nodiscard]] void* allocate(std::size_t size);
  void free(void* block, std::size_t size) noexcept;
  // Bytes handed out and not freed through this set (may be negative: blocks migrate between sets).
  [[nodiscard]] std::int64_t live_bytes() const noexcept {
    return live_bytes_.load(std::memory_order_relaxed);
  }

 private:
  struct free_block {
    free_block* next;
  };
  static std::size_t class_of(std::size_t size) noexcept { return (size + granule - 1) / granule; }
  // One writer at a time (the owner, or the holder of the shared set's lock): no read-modify-write needed.
  void count_live(std::int64_t delta) noexcept {
    live_bytes_.store(live_bytes_.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
  }

  chunk_store& store_;
  std::array<free_block*, max_pooled / granule + 1> free_{};
  std::byte* carve_ = nullptr;  // the unused rest of the current chunk
  std::size_t carve_left_ = 0;
  std::atomic<std::int64_t> live_bytes_{0};  // written by the owner, read by anyone (statistics)
};

}  // namespace beam::base
