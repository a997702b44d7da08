// proc/worker_local.hpp: what the node keeps for each scheduler (its pools, its free pid numbers, its timer
// wheel). The node (proc/node.hpp) holds one per worker and spare, built before the workers start.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <utility>

#include "base/pool.hpp"
#include "proc/process_table.hpp"
#include "sched/task.hpp"
#include "timer/timer_wheel.hpp"

namespace beam::proc {

// PCBs whose last reference is gone, kept until no worker can still hold one (base/epochs.hpp): one bag per
// epoch, three in turn, linked through the PCBs' task::next (a PCB that has ended is in no run queue). A bag
// of epoch e may be freed once the epoch is e + 2, so it is always empty or free-able before it is reused
// for e + 3. Whoever owns the limbo (a worker_local's worker, or the node's mutex) is its only user.
class pcb_limbo {
 public:
  // Keeps `t`, retired in epoch `e`; a bag of an older epoch in its place is handed to `free` first.
  template <class F>
  void add(sched::task* t, std::uint64_t e, F&& free) {
    bag& b = bags_[e % bags_.size()];
    if (b.count != 0 && b.epoch != e) empty(b, free);
    t->next = b.first;
    b.first = t;
    b.epoch = e;
    ++b.count;
    ++count_;
    note_freeable(e);
  }
  // Hands every PCB retired before epoch `e` - 1 (so no worker can hold it in epoch `e`) to `free`.
  template <class F>
  void free_held_before(std::uint64_t e, F&& free) {
    for (bag& b : bags_) {
      if (b.count != 0 && b.epoch + 2 <= e) empty(b, free);
    }
  }
  // Hands every PCB to `free` (no worker runs any more).
  template <class F>
  void free_all(F&& free) {
    for (bag& b : bags_) empty(b, free);
  }
  // Takes every PCB `other` keeps (a worker going idle hands its limbo to the node's shared one). Where the
  // two hold different epochs in one place, the older bag is at least three epochs old: it is freed.
  template <class F>
  void take(pcb_limbo& other, F&& free) {
    for (std::size_t i = 0; i < bags_.size(); ++i) {
      bag& mine = bags_[i];
      bag& theirs = other.bags_[i];
      if (theirs.count == 0) continue;
      if (mine.count != 0 && mine.epoch != theirs.epoch) {
        if (theirs.epoch < mine.epoch) {
          other.empty(theirs, free);
          continue;
        }
        empty(mine, free);
      }
      sched::task* last = theirs.first;
      while (last->next != nullptr) last = last->next;
      last->next = std::exchange(mine.first, theirs.first);
      mine.epoch = theirs.epoch;
      mine.count += theirs.count;
      count_ += theirs.count;
      note_freeable(mine.epoch);
      theirs.first = nullptr;
      other.empty(theirs, free);  // now empty: only recounts
    }
  }
  [[nodiscard]] std::uint32_t size() const noexcept { return count_; }
  // The epoch from which its oldest bag may be freed (the largest value when it is empty). Any thread (the
  // monitor thread polls a stuck worker's timers, and with them this).
  [[nodiscard]] std::uint64_t freeable_at() const noexcept {
    return freeable_at_.load(std::memory_order_relaxed);
  }
  // The PCBs retired in epoch `e` so far.
  [[nodiscard]] std::uint32_t size_of(std::uint64_t e) const noexcept {
    const bag& b = bags_[e % bags_.size()];
    return b.epoch == e ? b.count : 0;
  }

 private:
  struct bag {
    sched::task* first = nullptr;
    std::uint64_t epoch = 0;
    std::uint32_t count = 0;
  };
  // Detaches the bag before freeing: a PCB's end may retire others (into this limbo) as it goes.
  template <class F>
  void empty(bag& b, F& free) {
    sched::task* t = std::exchange(b.first, nullptr);
    count_ -= std::exchange(b.count, 0);
    std::uint64_t at = ~std::uint64_t{0};
    for (const bag& other : bags_) {
      if (other.count != 0) at = std::min(at, other.epoch + 2);
    }
    freeable_at_.store(at, std::memory_order_relaxed);
    while (t != nullptr) free(std::exchange(t, t->next));
  }
  std::array<bag, 3> bags_{};
  std::uint32_t count_ = 0;
  void note_freeable(std::uint64_t e) noexcept {
    if (e + 2 < freeable_at()) freeable_at_.store(e + 2, std::memory_order_relaxed);
  }
  std::atomic<std::uint64_t> freeable_at_{~std::uint64_t{0}};  // written by the owner only
};

// Owner worker only, except the timers (see below).
struct worker_local {
  worker_local(base::chunk_store& store, std::uint64_t now_ms)
      : pool(store), pcb_pool(store), timers(now_ms) {}
  base::pool_set pool;
  base::pool_set pcb_pool;  // PCBs only: type-stable (see process_control.hpp)
  pcb_limbo limbo;          // PCBs this worker retired (node::retire), freed into pcb_pool
  slot_cache slots;
  // The timers are the owner's, but the monitor thread polls them while the owner is stuck in a long slice,
  // and a cancel of a send_after timer (runtime/timers.cpp) takes it out from any thread.
  std::mutex timers_mutex;
  timer::timer_wheel timers;  // timers_mutex
  // No timer of the wheel is due before this (no_deadline: the wheel is empty). Written under timers_mutex
  // (lowered by each insert, set by each poll; never later than the true next deadline), read by the owner
  // without the lock (relaxed: a stale value is earlier, which only costs a poll), so a worker with nothing
  // due reads no clock and takes no lock between tasks.
  std::atomic<std::uint64_t> next_due_ms{timer::timer_wheel::no_deadline};

  // Owner only: adds `t` (its deadline set) to the wheel.
  void insert_timer(timer::timer_entry* t) noexcept {
    std::lock_guard lock(timers_mutex);
    timers.insert(t);
    if (t->deadline_ms < next_due_ms.load(std::memory_order_relaxed)) {
      next_due_ms.store(t->deadline_ms, std::memory_order_relaxed);
    }
  }
};

}  // namespace beam::proc
