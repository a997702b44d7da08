// tests/support/waits.hpp: what tests wait for, always a message (never a sleep or a poll).
#pragma once

#include <chrono>
#include <utility>

#include <beam/beam.hpp>

namespace beam::testing {

// Waits for the atom `a`.
inline task<> expect(atom a) {
  co_await receive(on(a, [] {}));
}

// Waits until a signal ends the calling process.
inline task<> wait_forever() {
  co_await expect(atom("never"));
}

// The reason in the DOWN for `ref`.
inline task<term> down_reason(reference ref) {
  co_return co_await receive(
      on(tuple(atom("DOWN"), ref, atom("process"), _, _term), [](term reason) { return reason; }));
}

// Waits until `p` has ended (at once if it has already) and returns its exit reason (`noproc` if it had ended
// before the call).
inline task<term> wait_for_exit(pid p) {
  co_return co_await down_reason(monitor(p));
}

// The next {tag, x} message, as x.
inline task<term> next(atom tag) {
  co_return co_await receive(on(tuple(tag, _term), [](term x) { return x; }));
}

// Whatever message is first in the mailbox now, or :empty.
inline task<term> poll() {
  co_return co_await receive(on(_term, [](term t) { return t; }),
                             after(std::chrono::milliseconds(0), [] { return term(atom("empty")); }));
}

// The reason of the beam::error that awaiting `t` raises, or nil when it raises none.
template <class T>
task<term> error_of(task<T> t) {
  try {
    co_await t;
  } catch (const error& e) {
    co_return e.reason();
  }
  co_return term();
}

// How a failed beam::call exits its caller, as OTP 25's gen_server:call: {reason, {gen_server, call, args}}.
inline term call_failure(term reason, term args) {
  return tuple(std::move(reason), tuple(atom("gen_server"), atom("call"), std::move(args)));
}

}  // namespace beam::testing
