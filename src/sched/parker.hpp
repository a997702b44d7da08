// sched/parker.hpp: puts one worker thread to sleep until another thread unparks it or a deadline passes.
// A token makes unpark-before-park safe: the next park returns at once.
//
// A parker given a park driver (the I/O poller) sleeps in it when no other worker does, so that readiness
// wakes it too; unpark then interrupts the driver instead of notifying the condition variable. The driver
// remembers an interrupt that comes before its wait starts (the poller's eventfd stays readable), so the
// token's guarantee holds either way: `in_driver_` is set under the lock before the wait, and unpark reads it
// under the lock after setting the token, so it either sees the token consumed later by park's check or
// interrupts the driver. That interrupt may be read back by another thread's look into the driver before our
// wait starts (a worker's or the monitor's poll without waiting), so the driver, once it holds the poll role,
// looks at the token itself (try_poll's `skip_if`) before it waits: the other thread released the role after
// reading the interrupt, which came after the token was set, so that look sees it; and an interrupt after
// the look finds the eventfd ours alone. (Found by a hang: every worker parked, one in epoll_wait, with a
// process queued by a send from the main thread.)
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "sched/park_driver.hpp"

namespace beam::sched {

class parker {
 public:
  using clock = std::chrono::steady_clock;

  // Owner thread only. Returns when unparked, at `deadline`, or (sleeping in `driver`) once the driver
  // handled events; consumes the token. Without a driver, or when another thread sleeps in it, it waits on
  // its condition variable.
  void park(clock::time_point deadline = clock::time_point::max(), park_driver* driver = nullptr) {
    std::unique_lock lock(mutex_);
    if (!token_ && driver != nullptr) {
      in_driver_ = driver;
      lock.unlock();
      const bool polled = driver->try_poll(deadline, nullptr, &token_);
      lock.lock();
      in_driver_ = nullptr;
      if (polled) {
        token_ = false;
        return;
      }
    }
    if (deadline == clock::time_point::max()) {
      woken_.wait(lock, [this] { return token_.load(); });
    } else {
      woken_.wait_until(lock, deadline, [this] { return token_.load(); });
    }
    token_ = false;
  }

  // Any thread.
  void unpark() {
    park_driver* driver = nullptr;
    {
      std::lock_guard lock(mutex_);
      token_ = true;
      driver = in_driver_;
    }
    if (driver != nullptr) {
      driver->interrupt();
    } else {
      woken_.notify_one();
    }
  }

 private:
  std::mutex mutex_;
  std::condition_variable woken_;
  // Written under mutex_; read under it, and by the driver without it (seq_cst: the argument above).
  std::atomic<bool> token_{false};
  park_driver* in_driver_ = nullptr;  // mutex_: the driver the owner sleeps in, if any
};

}  // namespace beam::sched
