// sched/run_queue.hpp: a worker's local run queue: a bounded ring that one owner pushes to and pops from, and
// that other workers steal half of when they run dry (Go's runq, tokio's local queue).
//
// Roles are types: the owner uses run_queue's push/pop; thieves use steal_into. Indices grow without bound
// and wrap modulo 2^32; the slot of index i is i % capacity.
// - `tail_` is written only by the owner (seq_cst on push: release for the thieves reading the slots, and
// part of
//   the parking protocol in scheduler.cpp).
// - `head_` is advanced by the owner (pop) and by thieves (steal) with CAS (acq_rel), so each task is taken
// once.
// - slots are atomics accessed relaxed: a thief may read a slot the owner is about to overwrite, but then its
// CAS on
//   head_ fails and the value is discarded (the owner only overwrites slots behind head_).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "sched/task.hpp"

namespace beam::sched {

class run_queue {
 public:
  static constexpr std::uint32_t capacity = 256;

  // Owner only. False when full (the caller moves work to the global queue).
  bool push(task* t) noexcept {
    const std::uint32_t h = head_.load(std::memory_order_acquire);   // pairs with the CAS of pop/steal
    const std::uint32_t tl = tail_.load(std::memory_order_relaxed);  // only we write it
    if (tl - h >= capacity) return false;
    slots_[tl % capacity].store(t, std::memory_order_relaxed);
    tail_.store(tl + 1,
                std::memory_order_seq_cst);  // publishes the slot (release); seq_cst for the parking protocol
    return true;
  }

  // Owner only. Moves the older half of a full queue into `out` (a linked list, oldest first); returns how
  // many.
  std::uint32_t take_half(task*& first, task*& last) noexcept {
    for (;;) {
      const std::uint32_t h = head_.load(std::memory_order_acquire);
      const std::uint32_t tl = tail_.load(std::memory_order_relaxed);
      const std::uint32_t n = (tl - h) / 2;
      if (n == 0) return 0;
      task* batch[capacity / 2];
      for (std::uint32_t i = 0; i < n; ++i)
        batch[i] = slots_[(h + i) % capacity].load(std::memory_order_relaxed);
      std::uint32_t expected = h;
      if (!head_.compare_exchange_strong(expected, h + n, std::memory_order_acq_rel))
        continue;  // a thief won
      for (std::uint32_t i = 0; i + 1 < n; ++i) batch[i]->next = batch[i + 1];
      batch[n - 1]->next = nullptr;
      first = batch[0];
      last = batch[n - 1];
      return n;
    }
  }

  // Owner only. The oldest task, or nullptr.
  task* pop() noexcept {
    for (;;) {
      const std::uint32_t h = head_.load(std::memory_order_acquire);
      const std::uint32_t tl = tail_.load(std::memory_order_relaxed);
      if (h == tl) return nullptr;
      task* t = slots_[h % capacity].load(std::memory_order_relaxed);
      std::uint32_t expected = h;
      if (head_.compare_exchange_weak(expected, h + 1, std::memory_order_acq_rel)) return t;  // vs thieves
    }
  }

  // Any thread (a thief). Moves about half of this queue into `into`, which must be the thief's own empty
  // queue; returns one of the stolen tasks to run at once (nullptr when there was nothing to steal).
  task* steal_into(run_queue& into) noexcept {
    const std::uint32_t into_tail = into.tail_.load(std::memory_order_relaxed);  // the thief owns `into`
    for (;;) {
      const std::uint32_t h = head_.load(std::memory_order_acquire);
      const std::uint32_t tl = tail_.load(std::memory_order_acquire);  // pairs with push's release
      const std::uint32_t available = tl - h;
      if (available == 0 || available > capacity) {
        if (available == 0) return nullptr;
        continue;  // torn read of head/tail while the owner moved on: retry
      }
      const std::uint32_t n = available - available / 2;
      for (std::uint32_t i = 0; i < n; ++i) {
        into.slots_[(into_tail + i) % capacity].store(
            slots_[(h + i) % capacity].load(std::memory_order_relaxed), std::memory_order_relaxed);
      }
      std::uint32_t expected = h;
      if (!head_.compare_exchange_strong(expected, h + n, std::memory_order_acq_rel)) continue;
      // Keep n-1 in our queue, run the last one now.
      task* run_now = into.slots_[(into_tail + n - 1) % capacity].load(std::memory_order_relaxed);
      if (n > 1) into.tail_.store(into_tail + n - 1, std::memory_order_seq_cst);  // as push
      return run_now;
    }
  }

  // Any thread; a hint only. seq_cst: a parker's re-check (the parking protocol in scheduler.cpp).
  [[nodiscard]] bool empty() const noexcept { return head_.load() == tail_.load(); }
  [[nodiscard]] std::uint32_t size() const noexcept {
    return tail_.load(std::memory_order_acquire) - head_.load(std::memory_order_acquire);
  }

 private:
  alignas(64) std::atomic<std::uint32_t> head_{0};
  alignas(64) std::atomic<std::uint32_t> tail_{0};
  std::array<std::atomic<task*>, capacity> slots_{};
};

}  // namespace beam::sched
