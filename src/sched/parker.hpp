// sched/parker.hpp: puts one worker thread to sleep until another thread unparks it or a deadline passes.
// A token makes unpark-before-park safe: the next park returns at once.
//
// A parker given a park driver (the I/O poller) sleeps in it when no other worker does, so that readiness
// wakes it too; unpark then interrupts the driver instead of notifying the condition variable. The driver
// remembers an interrupt that comes before its wait starts (the poller's eventfd stays readable), so the
// token's guarantee holds either way: `in_driver_` is set under the lock before the wait, and unpark reads it
// under the lock after setting the token, so it either sees the token consumed later by park's check or
// interrupts a driver that then returns at once.
#pragma once

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
      const bool polled = driver->try_poll(deadline, nullptr);
      lock.lock();
      in_driver_ = nullptr;
      if (polled) {
        token_ = false;
        return;
      }
    }
    if (deadline == clock::time_point::max()) {
      woken_.wait(lock, [this] { return token_; });
    } else {
      woken_.wait_until(lock, deadline, [this] { return token_; });
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
  bool token_ = false;                // mutex_
  park_driver* in_driver_ = nullptr;  // mutex_: the driver the owner sleeps in, if any
};

}  // namespace beam::sched
