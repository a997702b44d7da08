// io/poller.hpp: the runtime's one readiness poller (epoll), below the processes.
//
// Design (Go's netpoller, in the shape our scheduler needs)
// ------
// One epoll instance per runtime watches every socket, edge-triggered for reads and writes (EPOLLIN |
// EPOLLOUT | EPOLLRDHUP | EPOLLET), registered once when the socket is made and removed once when it is
// closed. A descriptor's owner (a socket, in services/) is a `poll_target`: on readiness the poller calls its
// `on_ready(events)` on the polling thread, which does the non-blocking reads and writes and turns their
// results into messages for processes (a send wakes a waiting process with a run-queue push). No process and
// no scheduler thread ever waits in a system call that can wait: a process that must wait for a socket waits
// for a message, and only an idle worker sleeps, in epoll_wait, through the scheduler's park driver
// (sched/park_driver.hpp).
//
// One thread polls at a time (`polling_`, try-acquired): an idle worker for as long as it sleeps (with its
// next timer as the deadline), a worker looking for work without blocking, or the scheduler's monitor when
// every worker is busy (so readiness is seen within a millisecond under load). Holding the role serialises
// dispatch: on_ready of one target never runs twice at once, and a poll never races another.
//
// Stale events. epoll carries a 64-bit word per descriptor: we store the target's slot index and the slot's
// generation, never a pointer. `remove` bumps the slot's generation under the table's lock, so an event read
// from the kernel before the removal and dispatched after it finds another generation and is dropped, and a
// slot reused by a new descriptor is never confused with the old one. Targets are shared_ptrs: dispatch
// copies the pointers under the table's lock and calls on_ready outside it, so a target removed meanwhile
// stays alive until that call returns (its owner closed it, so on_ready finds it closed and does nothing).
//
// Waking the poller: an eventfd, registered level-triggered, that interrupt() writes; the woken poll reads it
// back. An interrupt that comes before the poll starts leaves the eventfd readable, so the poll returns at
// once: no wake-up is lost.
//
// Rejected: a pointer in the epoll word (a use-after-free when an event for a closed socket is dispatched
// after its target is freed, unless targets are type-stable as Go's pollDescs are); a poller thread of its
// own (every readiness would cost a thread hand-off to a worker, and an idle runtime would keep two threads
// awake); level-triggered registration (a socket whose owner stops reading, active once, would wake every
// poll until it is read); io_uring (not built: it needs liburing, and the issue admits it only where it
// measures faster on the echo benchmark; epoll has not been the bottleneck there, see the profile notes).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "sched/park_driver.hpp"

namespace beam::io_impl {

// What a registered descriptor's owner does when it becomes ready. Called on the polling thread, one call at
// a time per poller; must not block and must not call back into the poller's poll.
class poll_target {
 public:
  virtual ~poll_target() = default;
  // `events`: the epoll bits (EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLHUP, EPOLLERR).
  virtual void on_ready(std::uint32_t events) noexcept = 0;
};

// What the poller also does at each poll: deadlines of its own (sockets' idle timeouts). Called by the
// polling thread, one call at a time.
class expiry_handler {
 public:
  virtual ~expiry_handler() = default;
  // Acts on what is due at `now`; returns the next deadline (time_point::max() when none).
  virtual std::chrono::steady_clock::time_point expire(
      std::chrono::steady_clock::time_point now) noexcept = 0;
};

class poller final : public sched::park_driver {
 public:
  poller();  // throws std::system_error when epoll or the eventfd cannot be made
  poller(const poller&) = delete;
  poller& operator=(const poller&) = delete;
  ~poller();

  // A registration's handle, to remove it.
  struct registration {
    std::uint32_t slot = ~std::uint32_t{0};
    [[nodiscard]] bool valid() const noexcept { return slot != ~std::uint32_t{0}; }
  };

  // Any thread: watches `fd` (non-blocking) for reads and writes, edge-triggered. Throws std::system_error.
  registration add(int fd, std::shared_ptr<poll_target> target);
  // Any thread: stops watching; after it returns no on_ready for it starts (one in progress may finish).
  // Call before closing the descriptor.
  void remove(int fd, registration r) noexcept;
  // Any thread: reports `fd` again if it is ready now (an edge-triggered registration re-armed), for an owner
  // that stopped reading before the kernel ran dry.
  void rearm(int fd, registration r) noexcept;

  // The polling thread: waits until `deadline` (time_point::min(): do not wait) for readiness, runs the
  // ready targets' on_ready and returns how many ran; returns early on interrupt(). False when another
  // thread holds the poll (nothing was done).
  bool try_poll(clock::time_point deadline, std::uint32_t* dispatched = nullptr,
                const std::atomic<bool>* skip_if = nullptr) override;
  // Any thread: makes the poll in progress (or the next one) return.
  void interrupt() noexcept override;

  // Start-up, before any poll: who handles the deadlines set with expire_by.
  void set_expiry_handler(expiry_handler& h) noexcept { expiry_ = &h; }
  // Any thread: the handler wants a look at `deadline` (or sooner). Wakes a poll that would sleep past it.
  void expire_by(clock::time_point deadline) noexcept;

  // Any thread: whether any descriptor is registered (relaxed: a hint to skip needless polls; a poll that
  // misses a registration made just now runs again at the next look).
  [[nodiscard]] bool has_registrations() const noexcept {
    return registered_.load(std::memory_order_relaxed) != 0;
  }
  // Any thread: registrations exist and no thread polls now (relaxed hints).
  [[nodiscard]] bool worth_polling() const noexcept override {
    return has_registrations() && !polling_.load(std::memory_order_relaxed);
  }

 private:
  void run_expiries() noexcept;
  bool lower_expiry(clock::time_point deadline) noexcept;

  struct slot {
    std::uint32_t generation = 0;
    std::shared_ptr<poll_target> target;  // null when free
  };

  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<bool> polling_{false};  // the poll role: acquired by try_poll, released at its end
  std::atomic<std::uint32_t> registered_{0};
  expiry_handler* expiry_ = nullptr;
  // The earliest deadline the handler asked for (clock ticks; max: none). Lowered by expire_by (any
  // thread), replaced by the polling thread after each expire.
  std::atomic<clock::rep> next_expiry_{clock::time_point::max().time_since_epoch().count()};
  std::atomic<clock::rep> waiting_until_{
      0};  // the deadline of the wait in progress (for expire_by's wake-up)
  // The registrations. Dispatch resolves a whole batch of events under one lock; add and remove take it
  // once each.
  std::mutex slots_mutex_;
  std::vector<slot> slots_;          // slots_mutex_; never shrinks
  std::vector<std::uint32_t> free_;  // slots_mutex_
};

}  // namespace beam::io_impl
