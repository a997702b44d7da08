// tests/support/waits.hpp: what tests wait for, always a message (never a sleep or a poll).
#pragma once

#include <beam/beam.hpp>

namespace beam::testing {

// Waits for the atom `a`.
inline task<> expect(atom a) { co_await receive(on(a, [] {})); }

// Waits until a signal ends the calling process.
inline task<> wait_forever() { co_await expect(atom("never")); }

// The reason in the DOWN for `ref`.
inline task<term> down_reason(reference ref) {
  co_return co_await receive(
      on(tuple(atom("DOWN"), ref, atom("process"), _, _term), [](term reason) { return reason; }));
}

// Waits until `p` has ended (at once if it has already) and returns its exit reason (`noproc` if it had ended
// before the call).
inline task<term> wait_for_exit(pid p) { co_return co_await down_reason(monitor(p)); }

}  // namespace beam::testing
