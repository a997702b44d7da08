// beam/timer.hpp: time in processes. Timers live in the scheduler's timer wheel (1 ms resolution, O(1)); no
// thread per timer. A timer never fires early.
//
//   co_await beam::sleep(std::chrono::milliseconds(10));
//   beam::reference r = beam::send_after(std::chrono::seconds(1), beam::self(), "tick"_a);
//   beam::cancel_timer(r);   // the time that was left, or nullopt if it had fired (or never existed)
#pragma once

#include <chrono>
#include <optional>

#include <beam/pid.hpp>
#include <beam/receive.hpp>
#include <beam/reference.hpp>
#include <beam/term.hpp>

namespace beam {

// Suspends the calling process for `d` (Erlang's timer:sleep/1: a receive with only an after clause; messages
// stay queued). A negative duration is beam::error(timeout_value).
template <class Rep, class Period>
[[nodiscard]] auto sleep(std::chrono::duration<Rep, Period> d) {
  return receive(after(d, [] {}));
}

// Sends `message` to `dest` after `delay` (erlang:send_after/3). Call from a process. The reference names the
// timer.
reference send_after(std::chrono::milliseconds delay, const pid& dest, term message);
reference send_after(std::chrono::milliseconds delay, atom dest, term message);
// Cancels the timer: the time that was left, or nullopt when it already fired or is unknown.
std::optional<std::chrono::milliseconds> cancel_timer(const reference& timer);
// The time left, or nullopt when it already fired or is unknown.
[[nodiscard]] std::optional<std::chrono::milliseconds> read_timer(const reference& timer);

}  // namespace beam
