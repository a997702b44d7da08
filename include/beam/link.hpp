// beam/link.hpp: links and exit signals (Erlang's link/1, unlink/1, spawn_link, exit/2,
// process_flag(trap_exit)).
//
// A link joins two processes both ways: when one ends with reason R, the other gets an exit signal R. A
// process that does not trap exits dies with R unless R is `normal`; one that traps exits gets the message
// {:EXIT, from, R} instead. `exit(pid, kill)` cannot be trapped: the victim dies with reason `killed`, and
// its links see `killed`. Signals from one process to another arrive in the order they were sent, messages
// included, so the
// {:EXIT, ...} of a process comes after every message it sent before it ended.
//
//   beam::trap_exit(true);
//   beam::pid worker = beam::spawn_link(work);
//   co_await beam::receive(beam::on(beam::tuple("EXIT"_a, worker, beam::_term), [](beam::term reason) { ...
//   }));
//
// All calls here are process-only: outside a process they throw std::logic_error.
#pragma once

#include <type_traits>
#include <utility>
#include <vector>

#include <beam/atom.hpp>
#include <beam/pid.hpp>
#include <beam/process.hpp>
#include <beam/term.hpp>

namespace beam {

// Links the caller and `other`. Linking twice is one link; linking to self does nothing. When `other` does
// not exist (or has ended): a caller that traps exits gets {:EXIT, other, :noproc}; any other caller gets
// beam::error(noproc), as OTP 25's link/1 raises.
void link(const pid& other);
// Removes the link, if any. After it returns, no exit signal from that link reaches the caller.
void unlink(const pid& other);
// process_flag(trap_exit, on): whether exit signals (but `kill`) become {:EXIT, from, reason} messages.
// Returns the previous value.
bool trap_exit(bool on);
// Only a bool: trap_exit("false") or trap_exit(0.5) would silently convert, so they do not compile.
template <class T>
requires(!std::is_same_v<std::remove_cvref_t<T>, bool>) bool trap_exit(T&&) = delete;
// Whether the calling process traps exits.
[[nodiscard]] bool traps_exits();
// exit/2: sends an exit signal with `reason` to `dest` from the caller, without a link. `kill` cannot be
// trapped (the victim's reason is `killed`); `normal` is ignored by a process that does not trap exits,
// unless it is the caller itself, which then ends with reason `normal`. To a dead process: nothing.
void exit(const pid& dest, term reason);

// spawn_link: spawn, with the link made before the child can run (so even a child that ends at once is
// heard).
template <class F, class... Args>
requires std::is_invocable_r_v < process, std::decay_t<F>
&, std::decay_t<Args>&... > pid spawn_link(F&& body, Args&&... args) {
  static const spawn_options linked{.link = true};
  return detail::spawn_with(&linked, nullptr, nullptr, std::forward<F>(body), std::forward<Args>(args)...);
}
// spawn_link/3: Module.function(args) from the export registry.
pid spawn_link(atom module, atom function, std::vector<term> args);

}  // namespace beam
