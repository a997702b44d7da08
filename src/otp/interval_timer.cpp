// otp/interval_timer.cpp: send_interval, as OTP's timer module does it: a process per interval timer, tied
// by a monitor to the process whose end stops it. Written on the public API only.
#include <chrono>
#include <variant>

#include <beam/error.hpp>
#include <beam/monitor.hpp>
#include <beam/process.hpp>
#include <beam/receive.hpp>
#include <beam/registry.hpp>
#include <beam/timer.hpp>

namespace beam {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;
using destination = std::variant<pid, atom>;

atom cancel_message() {
  return atom("$cancel_interval");
}

void deliver(const destination& dest, const term& message) {
  if (const pid* p = std::get_if<pid>(&dest)) {
    send(*p, message);
  } else if (const auto named = whereis(std::get<atom>(dest))) {
    send(*named, message);
  }
}

process tick(pid tied_to, destination dest, term message, milliseconds interval) {
  monitor(tied_to);
  auto due = steady_clock::now() + interval;
  for (;;) {
    const auto wait =
        std::chrono::ceil<milliseconds>(std::max(due - steady_clock::now(), steady_clock::duration{}));
    const bool stop =
        co_await receive(on(tuple(atom("DOWN"), _, _, _, _), [] { return true; }),
                         on(cancel_message(), [] { return true; }), after(wait, [] { return false; }));
    if (stop) co_return;
    deliver(dest, message);
    due += interval;
  }
}

interval_timer start_interval(milliseconds interval, pid tied_to, destination dest, term message) {
  if (interval.count() < 0 || interval > milliseconds(4'294'967'295)) {
    throw error(term(atom("badarg")), "send_interval: the interval is outside 0 ... 4294967295 ms");
  }
  return interval_timer(spawn(tick, tied_to, std::move(dest), std::move(message), interval));
}

}  // namespace

interval_timer send_interval(milliseconds interval, const pid& dest, term message) {
  (void)self();  // process-only, as OTP's (the timer belongs to the caller's node)
  return start_interval(interval, dest, dest, std::move(message));
}

interval_timer send_interval(milliseconds interval, atom dest, term message) {
  return start_interval(interval, self(), dest, std::move(message));
}

void cancel_interval(const interval_timer& timer) {
  send(timer.process(), term(cancel_message()));
}

}  // namespace beam
