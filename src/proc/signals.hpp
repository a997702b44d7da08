// proc/signals.hpp: links, monitors and exit signals between processes.
//
// Design: every signal (link, unlink, exit, monitor, demonitor, DOWN) is a node in the receiver's mailbox,
// pushed like a message (proc/mailbox.hpp's signal_kind). One queue for both gives Erlang's ordering
// guarantee for free: what one process sends another, messages and signals alike, arrives in the order sent,
// so an {:EXIT, ...} or a DOWN comes after every message its process sent before it ended. The receiver
// handles a signal when its owner moves it out of the inbox: at the start of each slice and whenever receive
// reaches the end of the private queue. Each side of a link or monitor keeps its own record, changed only by
// its owner: the caller's side at once, the other side when the signal arrives. An exit signal due to a link
// counts only if the receiver still holds the link (it may have unlinked meanwhile), and a DOWN only if the
// receiver still holds the monitor (demonitor), so after unlink or demonitor returns nothing more arrives
// from it. A signal that reaches a process that has ended (still in its mailbox at exit, or pushed by a
// sender that found it just before) is answered as Erlang answers for a dead process: a link with an exit
// signal `noproc`, a monitor with DOWN `noproc`, a process_info request with `undefined`. A message sent to
// an alias (beam/alias.hpp) is a signal too, kept only while the alias is active. Rejected: a separate signal
// queue per process (two queues cannot keep the order between a message and a signal from one sender without
// a shared sequence number); handling link/monitor changes under a lock in the sender (a global or
// per-process lock on the exit path of every linked process, and the ordering would still need the queue).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include <beam/monitor.hpp>
#include <beam/pid.hpp>
#include <beam/reference.hpp>
#include <beam/term.hpp>

#include "base/small_map.hpp"
#include "base/small_pool.hpp"
#include "proc/mailbox.hpp"

namespace beam::proc {
class node;
}

namespace beam::detail {

class key_table;
struct process_control;
struct remote_parent;

// How an alias ends, besides unalias and its process's end (OTP's alias/1 and monitor/3 options).
enum class alias_mode : std::uint8_t {
  explicit_unalias,
  reply,            // when a message sent to it arrives
  demonitor,        // when the monitor of the same reference is removed (demonitor, or its DOWN arrived)
  reply_demonitor,  // either: a message sent to it arrives (which also removes the monitor), or demonitor
};

// The links and monitors of one process. Owner only: the worker running the process, or the thread ending it.
// Other processes change them only by sending signals.
struct process_links {
  struct watcher {
    pid by;    // the monitoring process
    term who;  // how its DOWN names us: our pid, or {name, node} for a monitor made by name
  };
  struct watched {
    pid target;  // the monitored process
    term who;    // as its DOWN will name it: its pid, or {name, node} for a monitor made by name
  };
  template <class K>
  using set = base::small_set<K>;
  template <class K, class V>
  using map = base::small_map<K, V>;
  set<pid> links;
  map<term, watcher> monitored_by;  // reference -> watcher
  map<term, watched> monitors;      // reference -> the process we monitor
  map<term, alias_mode> aliases;    // the active aliases (beam/alias.hpp) -> how each ends
  // References of the send_after/start_timer timers aimed at us, cancelled by our end; some may have fired or
  // been cancelled since (see note_timer).
  set<term> timers;
  std::size_t timers_after_sweep = 0;  // the size of `timers` after its last sweep
  std::vector<std::shared_ptr<key_table>>
      key_tables;  // key registries we have entries in (proc/key_table.hpp)
  // Signals taken from the inbox once a kill was pending: answered as for a dead process by notify_exit,
  // after the frame is destroyed, so that whoever hears "noproc" finds everything the process held released.
  std::vector<proc::message_node*> dying_signals;

  // From the small-block pools, as the PCB's other per-process blocks: every process that ever links or
  // monitors (each link of W7's chain, each process W10 monitors) makes and frees one, and glibc's
  // malloc/free pair cost ~400 instructions there, an eighth of W7's per process.
  static void* operator new(std::size_t bytes) { return base::allocate_small(bytes); }
  static void operator delete(void* block, std::size_t bytes) noexcept { base::free_small(block, bytes); }
};
static_assert(sizeof(process_links) <= base::max_small);

// SPAWN_REPLY's flags (OTP's dist.h): the link and the monitor the request asked for are set up.
inline constexpr std::int64_t spawn_flag_link = 1, spawn_flag_monitor = 2;

// Any thread: a spawn_reply signal {ref, flags, result} that found its receiver `dead` (or that the
// connection could not deliver): the child's link gets the exit signal noproc and its monitor a demonitor.
void undo_spawn_reply(proc::node& node, const pid& dead, const term& reply) noexcept;

// The owner: p's link record, made at the first use.
process_links& links_of(process_control& p);

// The owner: a new alias of p that ends as `mode` says (proc/alias.cpp), as the term p keys it by.
term make_alias(process_control& p, alias_mode mode);
// The process an alias names, if `r` is one of this node's aliases (an active one or not).
std::optional<pid> alias_owner(const reference& r) noexcept;
// Any thread: sends `message` to the alias `alias` (kept only while the alias is active).
void send_to_alias(proc::node& node, const term& alias, term message);
// The owner: answers a process_info request {alias, items} (proc/introspection.cpp).
void answer_process_info(process_control& p, const term& request) noexcept;
// The owner: ends p's monitor `ref` (and a demonitor alias of the same reference). False when p had no such
// monitor.
bool end_monitor(process_control& p, const term& ref);
// The calling process (named `what` in the error when there is none), for a call that sends a signal: it
// costs a reduction, as a send does.
process_control& signalling_process(const char* what);
// The owner: beam::monitor and beam::demonitor (beam/monitor.hpp) with the reference as the term p keys the
// monitor by, for a caller that matches and ends the monitor with it (beam::call): each term made from a
// reference again is a node again.
term monitor_ref(process_control& p, const pid& target, monitor_alias alias);
term monitor_ref(process_control& p, atom name, monitor_alias alias);
bool demonitor_ref(process_control& p, const term& ref, demonitor_option option);

// The owner: moves new arrivals from p's inbox to its private queue, acting on the signals among them. True
// when anything arrived.
bool take_arrivals(process_control& p);

// spawn_link and spawn_monitor, before the child can run: the spawning process and the child it just made.
void link_at_spawn(process_control& parent, process_control& child);
void monitor_at_spawn(process_control& parent, process_control& child, const reference& ref);
// A spawn another node asked for, before the child can run: the child's side of the remote parent's link and
// monitor (the connection that asked records the crossing).
void remote_parent_at_spawn(process_control& child, const remote_parent& parent);

// The owner, as it moves `n` out of p's inbox: acts on the signal. Returns the node to queue as a message (an
// {:EXIT, ...} for a process that traps exits, a DOWN still monitored), or nullptr when it consumed the node.
proc::message_node* handle_signal(process_control& p, proc::message_node* n) noexcept;

// Frees a node found in the mailbox of the process `dead`, which has ended, answering a link and a monitor as
// a dead process does, and cancelling a timer aimed at it. Any thread that holds no timer wheel's lock.
void drop_for_dead(proc::node& node, const pid& dead, proc::message_node* n) noexcept;
// As drop_for_dead, for a node that landed after the exit of `dead` had cleared its mailbox, from any thread
// (the last release of the PCB, perhaps inside a timer's fire): a timer's signal is dropped, as its creator
// cancels that timer itself once it sees the target gone (runtime/timers.cpp).
void drop_late(proc::node& node, const pid& dead, proc::message_node* n) noexcept;

// The owner: `ref` names a send_after/start_timer timer aimed at p, to be cancelled by p's end. Drops the
// references of timers that have ended whenever the set has doubled since the last sweep.
void note_timer(process_control& p, const term& ref);

// The owner: p owns a port now (it opened a socket), which its end closes through node.ports.
void note_port_owner(process_control& p);
// Any thread: tells `to` that it owns the port `port` now (controlling_process). False when `to` is not
// alive; if it ends before it takes the signal, the port is closed all the same.
bool give_port(proc::node& node, const pid& to, const term& port);

// The exit path of `p` (its owner): the close of the ports it owns, the exit signals to its links, the DOWNs
// to its watchers, the demonitors to the processes it watched, and the cancel of the timers aimed at it.
// Frees p.links.
void notify_exit(process_control& p, const term& reason) noexcept;

// Any thread: queues a signal for `to`. False when `to` is not alive (nothing is sent).
bool send_signal(proc::node& node, const pid& to, proc::signal_kind kind, term payload);

}  // namespace beam::detail
