#include "base/frame_pool.hpp"

#include <mutex>
#include <vector>

#include "base/pool.hpp"

namespace beam::base {
namespace {

// The store of every frame chunk, the sets of exited threads, and a set for threads that are exiting.
// Immortal: frames may be freed during static destruction, after any static depot would be gone.
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

// This thread's set, taken from the depot on the first frame and handed back when the thread exits.
class thread_set {
 public:
  thread_set() = default;
  thread_set(const thread_set&) = delete;
  thread_set& operator=(const thread_set&) = delete;
  ~thread_set() {
    gone = true;
    if (set_ == nullptr) return;
    depot& d = shared_depot();
    std::lock_guard lock(d.mutex);
    d.idle.push_back(set_);  // reserved when set_ was taken: cannot throw
  }

  pool_set& get() {
    if (set_ == nullptr) set_ = adopt();
    return *set_;
  }
  pool_set* held() const noexcept { return set_; }

  // Set when this thread's set has been handed back (its thread_locals are being destroyed): later frames of
  // this thread go through the depot. Trivially destructible, so it outlives `frames`.
  static thread_local bool gone;

 private:
  static pool_set* adopt() {
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

  pool_set* set_ = nullptr;
};
thread_local bool thread_set::gone = false;

thread_local thread_set frames;

}  // namespace

void* allocate_frame(std::size_t size) {
  if (thread_set::gone) {
    depot& d = shared_depot();
    std::lock_guard lock(d.mutex);
    return d.exiting.allocate(size);
  }
  return frames.get().allocate(size);
}

void free_frame(void* frame, std::size_t size) noexcept {
  pool_set* mine = thread_set::gone ? nullptr : frames.held();
  if (mine == nullptr) {  // exiting, or this thread never made a frame
    pool_set::free_home(frame, size);
    return;
  }
  mine->free(frame, size);
}

std::size_t frame_pool_bytes() noexcept {
  return shared_depot().chunks.chunk_bytes();
}

std::size_t frame_pool_used_bytes() noexcept {
  return shared_depot().chunks.used_bytes();
}

}  // namespace beam::base
