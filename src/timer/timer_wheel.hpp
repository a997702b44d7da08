// timer/timer_wheel.hpp: a hierarchical timer wheel, one per scheduler, 1 ms resolution.
//
// Six levels of 64 slots: a slot of level L spans 64^L ms, so the wheel covers 64^6 ms (about 2.2 years).
// An entry goes to the level of the highest 6-bit digit in which its deadline differs from the wheel's
// current time; when time reaches a slot of level > 0 its entries move down (cascade). A deadline further
// away than the top level reaches (OTP accepts timers of up to about 292 years) waits in the farthest slot
// of the top level and is linked again from there when time reaches it, as a cascade is. Insert, cancel and
// expiry are O(1) per entry, amortised, and a bitmap per level finds the next deadline for a parking worker
// in O(levels).
//
// Ownership. The wheel and the links of its entries belong to the owner worker; the runtime keeps each wheel
// under a mutex (proc/worker_local.hpp), so "owner" below is whoever holds it: the owner worker,
// the monitor thread polling for it, or a thread taking out a timer it cancelled (holds, then remove). An
// entry has two references: the wheel's (dropped when it fires or is found cancelled) and its creator's
// (dropped when the creator no longer cares). A creator on another thread cancels with cancel() (a CAS on
// `state` that races with expiry's CAS to `fired`); the entry is unlinked lazily at its deadline, or at once
// by a canceller that takes the lock (send_after timers always; receive timers on the owner thread).
// `fire` runs on the owner thread. Rejected: one global timer heap under a lock (contended by every receive
// ... after); a thread per timer.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace beam::timer {

struct timer_entry {
  using fire_fn = void (*)(timer_entry* self);
  using free_fn = void (*)(timer_entry* self);
  timer_entry(fire_fn f, free_fn d) noexcept : fire(f), destroy(d) {}

  fire_fn fire;     // owner thread, when the deadline passes and the entry is not cancelled
  free_fn destroy;  // whoever drops the last reference
  std::uint64_t deadline_ms = 0;
  timer_entry* prev = nullptr;  // owner only
  timer_entry* next = nullptr;  // owner only
  std::uint8_t level = 0;       // owner only: where it is linked
  std::uint8_t slot = 0;
  enum status : std::uint8_t { pending, fired, cancelled };
  std::atomic<std::uint8_t> state{
      pending};  // pending -> fired (owner, at expiry) or -> cancelled (the creator)
  std::atomic<std::uint32_t> refs{2};

  // Any thread: true if this call cancelled it (it had not fired). release: pairs with expiry's acquire.
  bool cancel() noexcept {
    std::uint8_t expected = pending;
    return state.compare_exchange_strong(expected, cancelled, std::memory_order_acq_rel);
  }

  // Any thread holding a reference: takes one more (the caller's own, while it works on the entry).
  void retain() noexcept { refs.fetch_add(1, std::memory_order_relaxed); }

  void release() noexcept {
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) destroy(this);
  }
};

class timer_wheel {
 public:
  static constexpr int levels = 6;
  static constexpr int slots = 64;
  static constexpr std::uint64_t no_deadline = ~std::uint64_t{0};

  explicit timer_wheel(std::uint64_t now_ms) noexcept : elapsed_(now_ms) {}
  timer_wheel(const timer_wheel&) = delete;
  timer_wheel& operator=(const timer_wheel&) = delete;
  ~timer_wheel();  // drops the wheel's reference of every entry still in it

  // Owner only. `e->deadline_ms` must be set; a deadline already past fires at the next poll.
  void insert(timer_entry* e) noexcept;
  // Owner only: unlinks `e` (still in the wheel) and drops the wheel's reference.
  void remove(timer_entry* e) noexcept;
  // Owner only: whether `e` is linked in this wheel (inserted, and neither fired nor found cancelled yet).
  [[nodiscard]] bool holds(const timer_entry* e) const noexcept;
  // Owner only: fires every entry due at `now_ms`; returns the next deadline (no_deadline when empty).
  std::uint64_t poll(std::uint64_t now_ms);
  [[nodiscard]] std::uint64_t next_deadline() const noexcept;
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

 private:
  struct slot_position {
    int level;
    int slot;
    std::uint64_t time;  // when that slot's span starts
  };
  [[nodiscard]] bool next_slot(slot_position& out) const noexcept;
  void link(timer_entry* e) noexcept;
  void unlink(timer_entry* e) noexcept;
  void expire_slot(const slot_position& at, std::uint64_t now_ms);
  void expire_one(timer_entry* e, std::uint64_t now_ms);
  void fire_due(timer_entry* e);

  std::uint64_t elapsed_;
  std::array<std::array<timer_entry*, slots>, levels> heads_{};
  std::array<std::uint64_t, levels> occupied_{};
  std::size_t size_ = 0;
};

}  // namespace beam::timer
