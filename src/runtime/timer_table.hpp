// runtime/timer_table.hpp: the timers of send_after and start_timer (OTP's BIF timers) by reference, so that
// any process can read or cancel one. The design is at the top of runtime/timers.cpp.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>

#include <beam/term.hpp>

#include "timer/timer_wheel.hpp"

namespace beam::detail {

class runtime_state;

// Any thread. A listed timer holds one reference of its entry (the creator's), dropped when it is unlisted:
// when it fires, is cancelled, or at the runtime's end.
class timer_table {
 public:
  timer_table() = default;
  timer_table(const timer_table&) = delete;
  timer_table& operator=(const timer_table&) = delete;
  ~timer_table();

  void add(const term& ref, timer::timer_entry* t);
  // Unlists the timer `ref`: its entry, whose reference passes to the caller, or nullptr when it is not
  // listed.
  [[nodiscard]] timer::timer_entry* take(const term& ref) noexcept;
  // The deadline of the timer `ref` while it is listed and has not fired.
  [[nodiscard]] std::optional<std::uint64_t> deadline(const term& ref) const;
  // Erases from `refs` (a set of references) those of timers no longer listed.
  template <class Set>
  void keep_listed(Set& refs) const {
    std::lock_guard lock(mutex_);
    std::erase_if(refs, [this](const term& r) { return !by_ref_.contains(r); });
  }

 private:
  mutable std::mutex mutex_;
  std::unordered_map<term, timer::timer_entry*> by_ref_;  // mutex_
};

// Cancels the timer `ref` if it is still listed, and frees its entry at once (timers.cpp). Any thread that
// holds no wheel's lock.
void cancel_listed_timer(runtime_state& rt, const term& ref) noexcept;

}  // namespace beam::detail
