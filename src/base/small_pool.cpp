#include "base/small_pool.hpp"

#include <mutex>
#include <utility>
#include <vector>

#include "base/pool.hpp"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#else
#define ASAN_POISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#define ASAN_UNPOISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#endif

static_assert(beam::base::max_small == beam::base::pool_set::max_pooled);
static_assert(beam::base::small_granule == beam::base::pool_set::granule);

namespace beam::base {
namespace {

// The store of every chunk, the sets of exited threads, and a set for threads that are exiting.
// Immortal: blocks may be freed during static destruction, after any static depot would be gone.
struct depot {
  std::mutex mutex;
  chunk_store chunks;
  std::vector<pool_set*> idle;  // mutex: sets of exited threads, waiting for a new owner
  std::size_t sets = 0;         // mutex: made so far; idle has room for them all
  pool_set exiting{chunks};     // mutex: the set of threads whose own set has been handed back
};
depot& shared_depot() {
  static depot* const d = new depot();
  return *d;
}

// This thread's set, taken from the depot at its first block; null again once handed back at thread exit.
// Trivially destructible, so the fast paths read it directly (no thread_local wrapper call).
thread_local pool_set* mine = nullptr;
// Set when this thread's set has been handed back (its thread_locals are being destroyed): later blocks of
// this thread go through the depot.
thread_local bool gone = false;

pool_set* adopt() {
  depot& d = shared_depot();
  std::lock_guard lock(d.mutex);
  if (!d.idle.empty()) {
    pool_set* s = d.idle.back();
    d.idle.pop_back();
    return s;
  }
  d.idle.reserve(d.sets + 1);        // room for this set's return
  auto* s = new pool_set(d.chunks);  // immortal
  ++d.sets;
  return s;
}

// Adopts a set for this thread when made (at the thread's first block, which also registers the destructor)
// and hands it back to the depot when the thread exits.
struct set_return {
  set_return() { mine = adopt(); }
  set_return(const set_return&) = delete;
  set_return& operator=(const set_return&) = delete;
  ~set_return() {
    gone = true;
    if (mine == nullptr) return;
    depot& d = shared_depot();
    std::lock_guard lock(d.mutex);
    d.idle.push_back(std::exchange(mine, nullptr));  // reserved when it was taken: cannot throw
  }
};
thread_local set_return returner;

[[gnu::noinline]] void* allocate_slow(std::size_t size) {
  if (gone) {
    depot& d = shared_depot();
    std::lock_guard lock(d.mutex);
    return d.exiting.allocate(size);
  }
  [[maybe_unused]] const set_return& first_use = returner;  // sets `mine`
  return mine->allocate(size);
}

}  // namespace

void* allocate_small(std::size_t size) {
  void* block = mine != nullptr ? mine->allocate(size) : allocate_slow(size);
  ASAN_UNPOISON_MEMORY_REGION(block, size);
  return block;
}

// Under AddressSanitizer a free block is poisoned but for its first word (the free list's link), so a use
// after free of a frame or a term node is still reported although the block stays in the pool.
void free_small(void* block, std::size_t size) noexcept {
  if (size > sizeof(void*) && size <= max_small) {
    ASAN_POISON_MEMORY_REGION(static_cast<std::byte*>(block) + sizeof(void*), size - sizeof(void*));
  }
  if (pool_set* s = mine) {
    s->free(block, size);
    return;
  }
  pool_set::free_home(block, size);  // exiting, or this thread never allocated
}

std::size_t small_pool_bytes() noexcept {
  return shared_depot().chunks.chunk_bytes();
}

std::size_t small_pool_used_bytes() noexcept {
  return shared_depot().chunks.used_bytes();
}

}  // namespace beam::base
