#include "base/frame_pool.hpp"

#include <array>
#include <mutex>
#include <new>
#include <utility>

#include "base/pool.hpp"

namespace beam::base {
namespace {

constexpr std::size_t granule = 16;
constexpr std::size_t classes = max_pooled_frame / granule + 1;

struct free_block {
  free_block* next;
};
using free_lists = std::array<free_block*, classes>;

std::size_t class_of(std::size_t size) noexcept {
  return (size + granule - 1) / granule;
}

// The lists of ended threads and the chunks of every thread. Immortal: frames may be freed during static
// destruction, after any static depot would be gone.
struct depot {
  std::mutex mutex;
  chunk_store chunks;
  free_lists lists{};  // mutex
};
depot& shared_depot() {
  static depot* const d = new depot();
  return *d;
}

// Prepends the list `list` to `into`.
void splice(free_block*& into, free_block* list) noexcept {
  if (list == nullptr) return;
  free_block* last = list;
  while (last->next != nullptr) last = last->next;
  last->next = into;
  into = list;
}

class thread_frames {
 public:
  thread_frames() = default;
  thread_frames(const thread_frames&) = delete;
  thread_frames& operator=(const thread_frames&) = delete;
  ~thread_frames() {
    depot& d = shared_depot();
    std::lock_guard lock(d.mutex);
    for (std::size_t c = 0; c < classes; ++c) splice(d.lists[c], std::exchange(lists_[c], nullptr));
    gone = true;
  }

  void* allocate(std::size_t c) {
    if (free_block* b = lists_[c]) {
      lists_[c] = b->next;
      return b;
    }
    const std::size_t bytes = c * granule;
    if (carve_left_ <
        bytes) {  // the depot is looked at only when the chunk is used up: a lock per chunk at most
      depot& d = shared_depot();
      {
        std::lock_guard lock(d.mutex);
        lists_[c] = std::exchange(d.lists[c], nullptr);
      }
      if (free_block* b = lists_[c]) {
        lists_[c] = b->next;
        return b;
      }
      carve_ = d.chunks.allocate_chunk();
      carve_left_ = chunk_store::chunk_size;
    }
    void* b = carve_;
    carve_ += bytes;
    carve_left_ -= bytes;
    return b;
  }

  void free(void* frame, std::size_t c) noexcept {
    auto* b = static_cast<free_block*>(frame);
    b->next = lists_[c];
    lists_[c] = b;
  }

 private:
  free_lists lists_{};
  std::byte* carve_ = nullptr;  // the unused rest of the current chunk (left unused when the thread ends)
  std::size_t carve_left_ = 0;

 public:
  // Set when this thread's lists have been handed over (its thread_locals are being destroyed): later frames
  // of this thread go through the depot. Trivially destructible, so it outlives `frames`.
  static thread_local bool gone;
};
thread_local bool thread_frames::gone = false;

thread_local thread_frames frames;

}  // namespace

void* allocate_frame(std::size_t size) {
  if (size > max_pooled_frame) return ::operator new(size);
  if (thread_frames::gone) {  // this thread's lists are gone (thread exit): take a block straight from the
                              // depot
    depot& d = shared_depot();
    std::lock_guard lock(d.mutex);
    free_block*& list = d.lists[class_of(size)];
    if (free_block* b = list) {
      list = b->next;
      return b;
    }
    return ::operator new(class_of(size) *
                          granule);  // a pooled block from now on: never given to operator delete
  }
  return frames.allocate(class_of(size));
}

void free_frame(void* frame, std::size_t size) noexcept {
  if (size > max_pooled_frame) {
    ::operator delete(frame);
    return;
  }
  if (thread_frames::gone) {
    depot& d = shared_depot();
    std::lock_guard lock(d.mutex);
    auto* b = static_cast<free_block*>(frame);
    b->next = std::exchange(d.lists[class_of(size)], b);
    return;
  }
  frames.free(frame, class_of(size));
}

}  // namespace beam::base
