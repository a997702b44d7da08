// base/small_pool.hpp: the program's small blocks (up to 1 KiB): coroutine frames of processes and tasks, and
// the heap nodes behind beam::term, from per-thread pools.
//
// A block may be made on one thread and freed on another, inside a runtime or outside any (a body called
// directly, a task kept past its runtime, a term kept in a global), so these blocks cannot come from a
// runtime's pools. Each thread that allocates owns a pool_set (base/pool.hpp) over one shared chunk_store, so
// a block freed on another thread goes home to the set that carved it (a process spawned on one scheduler and
// ended on another, or a message built by a sender and dropped by its receiver, does not make one thread
// carve new chunks forever). Sets and chunks are immortal (terms and frames may be freed during static
// destruction): a thread that exits hands its set to a depot, and the next thread that allocates adopts it,
// free lists, remote lists and all, so the sets in the program are at most the threads alive at once. A
// thread whose thread_locals are being destroyed allocates from the depot's own set under its mutex and frees
// onto owners' remote lists. Rejected: glibc malloc (a 16-byte header per block, ~100 instructions per
// malloc/free pair where a pool takes ~25, and consolidation costs ~20% of a spawn's instructions when a
// million frames are freed); the runtime's pools (frames and terms outlive runtimes); blocks kept where they
// were freed (the allocating thread carves without bound while other threads' lists grow).
#pragma once

#include <cstddef>

namespace beam::base {

inline constexpr std::size_t max_small = 1024;    // larger blocks go to operator new
inline constexpr std::size_t small_granule = 16;  // sizes are rounded up to a multiple of this

// The size class of a block of `bytes` (up to max_small): its size in granules.
constexpr std::size_t small_class(std::size_t bytes) noexcept {
  return (bytes + small_granule - 1) / small_granule;
}

// Any thread. 16-byte aligned. Throws std::bad_alloc.
[[nodiscard]] void* allocate_small(std::size_t size);
// Any thread; `size` as given to allocate_small.
void free_small(void* block, std::size_t size) noexcept;
// Bytes of chunks these pools have taken from the system (never returned). Any thread.
[[nodiscard]] std::size_t small_pool_bytes() noexcept;
// Bytes of pooled blocks in use (a snapshot). Any thread.
[[nodiscard]] std::size_t small_pool_used_bytes() noexcept;

// A standard allocator over these pools, for node-based containers on hot paths (a hash map's nodes and, up
// to max_small, its buckets).
template <class T>
struct small_allocator {
  static_assert(alignof(T) <= small_granule);
  using value_type = T;
  small_allocator() noexcept = default;
  template <class U>
  small_allocator(const small_allocator<U>&) noexcept {}  // NOLINT: rebinding converts implicitly
  [[nodiscard]] T* allocate(std::size_t n) { return static_cast<T*>(allocate_small(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { free_small(p, n * sizeof(T)); }
  template <class U>
  bool operator==(const small_allocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace beam::base
