// proc/worker_local.hpp: what the node keeps for each scheduler (its pools, its free pid numbers, its timer
// wheel). The node (proc/node.hpp) holds one per worker and spare, built before the workers start.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>

#include "base/pool.hpp"
#include "proc/process_table.hpp"
#include "timer/timer_wheel.hpp"

namespace beam::proc {

// Owner worker only, except the timers (see below).
struct worker_local {
  worker_local(base::chunk_store& store, std::uint64_t now_ms)
      : pool(store), pcb_pool(store), timers(now_ms) {}
  base::pool_set pool;
  base::pool_set pcb_pool;  // PCBs only: type-stable (see process_control.hpp)
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
