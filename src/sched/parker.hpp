// sched/parker.hpp: puts one worker thread to sleep until another thread unparks it or a deadline passes.
// A token makes unpark-before-park safe: the next park returns at once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace beam::sched {

class parker {
 public:
  using clock = std::chrono::steady_clock;

  // Owner thread only. Returns when unparked or at `deadline`; consumes the token.
  void park(clock::time_point deadline = clock::time_point::max()) {
    std::unique_lock lock(mutex_);
    if (deadline == clock::time_point::max()) {
      woken_.wait(lock, [this] { return token_; });
    } else {
      woken_.wait_until(lock, deadline, [this] { return token_; });
    }
    token_ = false;
  }

  // Any thread.
  void unpark() {
    {
      std::lock_guard lock(mutex_);
      token_ = true;
    }
    woken_.notify_one();
  }

 private:
  std::mutex mutex_;
  std::condition_variable woken_;
  bool token_ = false;  // mutex_
};

}  // namespace beam::sched
