// runtime/timer_table.hpp: the timers of send_after and start_timer (OTP's BIF timers) by reference, so that
// any process can read or cancel one. The design is at the top of runtime/timers.cpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>

#include <beam/term.hpp>

#include "proc/node.hpp"
#include "proc/signals.hpp"
#include "timer/timer_wheel.hpp"

namespace beam::detail {

// Any thread. A listed timer holds one reference of its entry (the creator's), dropped when it is unlisted:
// when it fires, is cancelled, or at the runtime's end. The node of processes sees it as its timer_service
// (a process's end cancels the timers aimed at it).
class timer_table final : public proc::timer_service {
 public:
  explicit timer_table(proc::node& node) noexcept : node_(node) {}
  timer_table(const timer_table&) = delete;
  timer_table& operator=(const timer_table&) = delete;
  ~timer_table() override;

  void add(const term& ref, timer::timer_entry* t);
  // Unlists the timer `ref`: its entry, whose reference passes to the caller, or nullptr when it is not
  // listed.
  [[nodiscard]] timer::timer_entry* take(const term& ref) noexcept;
  // The deadline of the timer `ref` while it is listed and has not fired.
  [[nodiscard]] std::optional<std::uint64_t> deadline(const term& ref) const;
  // Any thread that holds no wheel's lock: unlists the timer `ref` and frees its entry at once (timers.cpp).
  // The time it had left, or nothing when it was not listed or had fired.
  std::optional<std::chrono::milliseconds> cancel(const term& ref) noexcept;
  [[nodiscard]] proc::node& node() const noexcept { return node_; }

  // proc::timer_service
  void cancel_listed(const term& ref) noexcept override { (void)cancel(ref); }
  void keep_listed(process_links::set<term>& refs) const override {
    std::lock_guard lock(mutex_);
    refs.erase_if([this](const term& r) { return !by_ref_.contains(r); });
  }

 private:
  proc::node& node_;
  mutable std::mutex mutex_;
  std::unordered_map<term, timer::timer_entry*> by_ref_;  // mutex_
};

}  // namespace beam::detail
