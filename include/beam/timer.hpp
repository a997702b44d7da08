// beam/timer.hpp: time in processes. Timers live in the scheduler's timer wheel (1 ms resolution, O(1)); no
// thread per timer. A timer never fires early.
//
//   co_await beam::sleep(std::chrono::milliseconds(10));
//   beam::reference r = beam::send_after(std::chrono::seconds(1), beam::self(), "tick"_a);
//   beam::cancel_timer(r);   // the time that was left, or nullopt if it had fired (or never existed)
//   beam::start_timer(std::chrono::steady_clock::now() + std::chrono::milliseconds(50), beam::self(), "t"_a);
//                            // delivers {timeout, Ref, t}; the time point form is OTP's {abs, true}
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

// Timers, as erlang:send_after/3,4 and erlang:start_timer/3,4 (OTP 25). Call from a process. The reference
// names the timer. The time is either relative (a delay of 0 ... about 292 years: a deadline the 64-bit
// nanosecond steady clock holds) or absolute (a steady_clock time point: OTP's {abs, true} option, whose time
// is the runtime's monotonic time; a point in the past fires at once); a negative delay, a longer one, or a
// point before the runtime's start is beam::error(badarg), as in erl. (OTP 25 accepts delays past 2^32-1 ms
// here, unlike receive's `after`.) A timer never fires early.
//
// `dest` is a pid or a registered name. A timer aimed at a pid is cancelled when that process ends, and at
// once if it has already ended: its reference is returned all the same, and cancel_timer of it gives nullopt.
// A name is looked up when the timer fires (nothing is sent if no process has it then), and no process's end
// cancels the timer.
//
// send_after delivers `message`; start_timer delivers {timeout, Ref, message}, Ref being the timer's.
reference send_after(std::chrono::milliseconds delay, const pid& dest, term message);
reference send_after(std::chrono::milliseconds delay, atom dest, term message);
reference send_after(std::chrono::steady_clock::time_point deadline, const pid& dest, term message);
reference send_after(std::chrono::steady_clock::time_point deadline, atom dest, term message);
reference start_timer(std::chrono::milliseconds delay, const pid& dest, term message);
reference start_timer(std::chrono::milliseconds delay, atom dest, term message);
reference start_timer(std::chrono::steady_clock::time_point deadline, const pid& dest, term message);
reference start_timer(std::chrono::steady_clock::time_point deadline, atom dest, term message);

// Cancels the timer (erlang:cancel_timer/1): the time that was left, or nullopt when it had already fired,
// was cancelled (also by its target's end) or never existed. Any thread. The time left is rounded as OTP
// rounds it: never more than was asked for (just after send_after(1000ms, ...): 1000 ms), 0 once the deadline
// has passed while the timer waits to fire. A timer that fired has sent its message, even if not yet
// received.
std::optional<std::chrono::milliseconds> cancel_timer(const reference& timer);
// The time left on the timer (erlang:read_timer/1), rounded as cancel_timer's; nullopt as for cancel_timer.
[[nodiscard]] std::optional<std::chrono::milliseconds> read_timer(const reference& timer);

// An interval timer of send_interval: a small process that sends the message at each interval.
class interval_timer {
 public:
  explicit interval_timer(pid ticker) noexcept : ticker_(ticker) {}
  // The process that sends the messages (to monitor it, say).
  [[nodiscard]] const pid& process() const noexcept { return ticker_; }

 private:
  pid ticker_;
};

// Sends `message` to `dest` every `interval` (timer:send_interval/3), on a schedule that does not drift (the
// n-th message is due n intervals after the call), until cancel_interval or until the process it is tied to
// ends: `dest` when it is a pid, else the caller (as OTP's timer links it). A name is looked up at each tick
// (nothing is sent while no process has it). Call from a process; an interval outside 0 ... 4,294,967,295 ms
// is beam::error(badarg).
interval_timer send_interval(std::chrono::milliseconds interval, const pid& dest, term message);
interval_timer send_interval(std::chrono::milliseconds interval, atom dest, term message);
// Stops the interval timer (timer:cancel/1); messages already sent stay queued. Any process; a timer already
// stopped: nothing.
void cancel_interval(const interval_timer& timer);

}  // namespace beam
