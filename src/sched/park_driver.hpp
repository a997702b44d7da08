// sched/park_driver.hpp: what an idle worker may sleep in instead of its condition variable: the runtime's
// I/O poller (io/poller.hpp), so that readiness wakes a sleeping worker directly (Go's netpoller). The
// scheduler knows only this interface; the poller, a layer above, implements it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace beam::sched {

class park_driver {
 public:
  using clock = std::chrono::steady_clock;
  virtual ~park_driver() = default;

  // One thread at a time (the others get false at once and must wait some other way): waits for events
  // until `deadline` (time_point::min(): only looks) or interrupt(), handles those that came (they make
  // tasks runnable through the scheduler's submit) and returns true. With `skip_if`, once it holds the role
  // it returns true at once, without looking, if *skip_if is set (a parker's token: parker.hpp).
  virtual bool try_poll(clock::time_point deadline, std::uint32_t* dispatched,
                        const std::atomic<bool>* skip_if = nullptr) = 0;
  // Any thread: makes the wait in progress (or the next one) return.
  virtual void interrupt() noexcept = 0;
  // Any thread: whether a look could find anything and nobody looks now (a relaxed hint).
  [[nodiscard]] virtual bool worth_polling() const noexcept = 0;
};

}  // namespace beam::sched
