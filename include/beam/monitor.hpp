// beam/monitor.hpp: monitors (Erlang's monitor/2, demonitor/2, spawn_monitor).
//
// A monitor is one-way: when the monitored process ends with reason R, the monitoring process receives
//   {:DOWN, ref, :process, pid, R}
// (for a monitor made by name, `pid` is {name, node}). Monitoring a process that does not exist delivers DOWN
// with reason `noproc` at once. A process may hold many monitors on the same process; each has its own
// reference. The DOWN of a process comes after every message it sent to the monitoring process before it
// ended.
//
//   beam::reference ref = beam::monitor(worker);
//   co_await beam::receive(beam::on(beam::tuple("DOWN"_a, ref, "process"_a, beam::_term, beam::_term),
//                                   [](beam::term who, beam::term reason) { ... }));
//
// All calls here are process-only: outside a process they throw std::logic_error.
#pragma once

#include <utility>
#include <vector>

#include <beam/atom.hpp>
#include <beam/pid.hpp>
#include <beam/process.hpp>
#include <beam/reference.hpp>

namespace beam {

// Whether a monitor's reference is also an alias of the caller (beam/alias.hpp), and how that alias ends
// besides unalias: OTP's monitor/3 option {alias, explicit_unalias | demonitor | reply_demonitor}.
enum class monitor_alias {
  none,
  explicit_unalias,  // only by unalias
  demonitor,         // when the monitor is removed: demonitor, or its DOWN arrives
  reply_demonitor,   // ... or when a message sent to the alias arrives, which also removes the monitor
};

// Monitors `target`. Monitoring self gives a reference and nothing else, as in Erlang (an alias still works).
reference monitor(const pid& target, monitor_alias alias = monitor_alias::none);
// Monitors the process registered as `name` now; DOWN names it as {name, node}. No such name: DOWN with
// `noproc`.
reference monitor(atom name, monitor_alias alias = monitor_alias::none);
// Monitors {Name, Node}: `name` on this node as above; on another node (beam/dist.hpp) the process
// registered there, resolved by that node; DOWN names it {name, node} (noproc for no such name,
// noconnection when the node cannot be reached or its connection goes down; noproc when distribution is
// not started).
reference monitor(const std::pair<atom, atom>& name_at_node, monitor_alias alias = monitor_alias::none);

enum class demonitor_option {
  none,
  flush,       // also removes a {:DOWN, ref, ...} already in the mailbox
  info,        // returns whether the monitor was found and removed (false: its DOWN was already delivered)
  flush_info,  // flush, and return false when there was no monitor left to remove (a flush was needed)
};
// Ends the monitor `ref`: after it returns, no DOWN for `ref` arrives. Returns true (as erlang:demonitor/1
// does; an unknown or already triggered reference is not an error), or with `info` / `flush_info` whether the
// monitor was still there, as erlang:demonitor(Ref, [info]) and [flush, info].
bool demonitor(const reference& ref, demonitor_option option = demonitor_option::none);

// spawn_monitor: spawn, with the monitor made before the child can run. Returns the child and the reference.
template <class F, class... Args>
requires std::is_invocable_r_v < process, std::decay_t<F>
&, std::decay_t<Args>&... > std::pair<pid, reference> spawn_monitor(F&& body, Args&&... args) {
  reference ref = reference::make();
  pid child = detail::spawn_with(nullptr, nullptr, &ref, std::forward<F>(body), std::forward<Args>(args)...);
  return {child, ref};
}
// spawn_monitor/3: Module.function(args) from the export registry (see beam::spawn/3); an unknown function
// gives a child that ends with `undef`, and so a DOWN with `undef`.
std::pair<pid, reference> spawn_monitor(atom module, atom function, std::vector<term> args);

}  // namespace beam
