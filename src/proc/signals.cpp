// proc/signals.cpp: links, monitors and exit signals (the design is at the top of proc/signals.hpp).
#include "proc/signals.hpp"

#include <memory>

#include <fmt/format.h>

#include <beam/error.hpp>
#include <beam/inspect.hpp>
#include <beam/link.hpp>
#include <beam/logger.hpp>
#include <beam/monitor.hpp>

#include "proc/node.hpp"
#include "proc/process_control.hpp"
#include "term/atom_table.hpp"

namespace beam {
namespace detail {
namespace {

using proc::message_node;
using proc::signal_kind;

term down_message(const term& ref, const term& who, const term& reason) {
  return tuple(atoms::down, ref, atoms::process, who, reason);
}

message_node* as_message(message_node* n, term message) noexcept {
  n->message = std::move(message);
  n->kind = signal_kind::message;
  return n;
}

// An exit signal `reason` from `from` that reached p: a message if p traps exits, else p's end unless it is
// `normal`. `kill` from exit/2 was handled by the caller.
message_node* exit_signal_arrived(process_control& p, message_node* n, const pid& from, const term& reason) {
  if (p.trap_exit) return as_message(n, tuple(atoms::exit_tag, from, reason));
  if (!reason.is_atom(atoms::normal)) kill(p, reason);
  return nullptr;
}

message_node* on_exit_linked(process_control& p, message_node* n) {
  const auto fields = n->message.as_tuple();
  const pid from = fields[0].as_pid();
  if (p.links == nullptr || p.links->links.erase(from) == 0) return nullptr;  // unlinked meanwhile
  return exit_signal_arrived(p, n, from, fields[1]);
}

message_node* on_exit(process_control& p, message_node* n) {
  const auto fields = n->message.as_tuple();
  if (fields[1].is_atom(atoms::kill)) {  // untrappable
    kill(p, term(atoms::killed));
    return nullptr;
  }
  return exit_signal_arrived(p, n, fields[0].as_pid(), fields[1]);
}

void on_monitor(process_control& p, const term& payload) {
  const auto fields = payload.as_tuple();  // {watcher, ref, who}
  links_of(p).monitored_by.insert_or_assign(fields[1], process_links::watcher{fields[0].as_pid(), fields[2]});
}

// A DOWN or a reply becomes a message only while its reference is still wanted (not demonitored, the call not
// given up).
message_node* keep_if(bool wanted, message_node* n) noexcept {
  if (!wanted) return nullptr;
  n->kind = signal_kind::message;
  return n;
}

// The alias of the same reference as a monitor just removed ends with it, if made so.
void forget_monitor_alias(process_links& l, const term& ref) {
  const auto it = l.aliases.find(ref);
  if (it != l.aliases.end() &&
      (it->second == alias_mode::demonitor || it->second == alias_mode::reply_demonitor)) {
    l.aliases.erase(it);
  }
}

// A monitor whose DOWN arrives is over: the DOWN is kept, and a demonitor alias of it ends.
message_node* on_down(process_control& p, message_node* n) {
  const term& ref = n->message.as_tuple()[1];
  if (p.links == nullptr || p.links->monitors.erase(ref) == 0) return nullptr;  // demonitored meanwhile
  forget_monitor_alias(*p.links, ref);
  return keep_if(true, n);
}

// A message sent to an alias of p: queued as the message alone while the alias is active. A reply alias ends
// with it (and a reply_demonitor alias's monitor too).
message_node* on_alias_message(process_control& p, message_node* n) {
  const auto fields = n->message.as_tuple();  // {alias, message}
  if (p.links == nullptr) return nullptr;
  const auto it = p.links->aliases.find(fields[0]);
  if (it == p.links->aliases.end()) return nullptr;  // not an alias of ours, or no longer active
  const alias_mode mode = it->second;
  if (mode == alias_mode::reply || mode == alias_mode::reply_demonitor) p.links->aliases.erase(it);
  if (mode == alias_mode::reply_demonitor) end_monitor(p, fields[0]);
  term message = fields[1];
  return as_message(n, std::move(message));
}

// The first message past the mailbox's limit ends p (the later ones find it ending).
void on_overflow(process_control& p) {
  if (kill(p, term(atom("message_queue_limit")))) {
    beam::log(log_level::error,
              fmt::format("Process {} killed: its message queue passed the limit of {} messages",
                          inspect(term(p.self())), p.max_message_queue_len()));
  }
}

// Another node's answer to p's spawn_request: the link and the monitor it asked for hold from here on, before
// any exit signal or DOWN of the child, which travel behind the answer on the same connection.
message_node* on_spawn_reply(process_control& p, message_node* n) {
  const auto fields = n->message.as_tuple();  // {ref, flags, result}
  const term& result = fields[2];
  if (!result.is_pid()) {
    term reply = tuple(atom("spawn_reply"), fields[0], atom("error"), result);
    return as_message(n, std::move(reply));
  }
  const std::int64_t flags = fields[1].as_int();
  const pid child = result.as_pid();
  if ((flags & spawn_flag_link) != 0) links_of(p).links.insert(child);
  if ((flags & spawn_flag_monitor) != 0)
    links_of(p).monitors.insert_or_assign(fields[0], process_links::watched{child, result});
  term reply = tuple(atom("spawn_reply"), fields[0], atom("ok"), result);
  return as_message(n, std::move(reply));
}

message_node* act_on(process_control& p, message_node* n) {
  switch (n->kind) {
    case signal_kind::message:
      return n;
    case signal_kind::link:
      links_of(p).links.insert(n->message.as_pid());
      return nullptr;
    case signal_kind::unlink:
      if (p.links != nullptr) p.links->links.erase(n->message.as_pid());
      return nullptr;
    case signal_kind::exit_linked:
      return on_exit_linked(p, n);
    case signal_kind::exit:
      return on_exit(p, n);
    case signal_kind::monitor:
      on_monitor(p, n->message);
      return nullptr;
    case signal_kind::demonitor:
      if (p.links != nullptr) p.links->monitored_by.erase(n->message);
      return nullptr;
    case signal_kind::down:
      return on_down(p, n);
    case signal_kind::alias_message:
      return on_alias_message(p, n);
    case signal_kind::overflow:
      on_overflow(p);
      return nullptr;
    case signal_kind::timer:
      note_timer(p, n->message);
      return nullptr;
    case signal_kind::info_request:
      answer_process_info(p, n->message);
      return nullptr;
    case signal_kind::port_owner:
      note_port_owner(p);
      return nullptr;
    case signal_kind::spawn_reply:
      return on_spawn_reply(p, n);
  }
  return nullptr;
}

// Removes every {:DOWN, ref, ...} from p's private queue.
void flush_down(process_control& p, const term& ref) {
  take_arrivals(p);
  message_node** link = p.mailbox.first_link();
  while (*link != nullptr) {
    const term& m = (*link)->message;
    if (m.is_tuple() && m.as_tuple().size() == 5 && m.as_tuple()[0].is_atom(atoms::down) &&
        m.as_tuple()[1] == ref) {
      p.node().free_message(p.mailbox.unlink(link));
    } else {
      link = &(*link)->next;
    }
  }
}

// A monitor's reference: an alias of p too, unless `alias` is none.
term monitor_reference(process_control& p, monitor_alias alias) {
  switch (alias) {
    case monitor_alias::none:
      break;
    case monitor_alias::explicit_unalias:
      return make_alias(p, alias_mode::explicit_unalias);
    case monitor_alias::demonitor:
      return make_alias(p, alias_mode::demonitor);
    case monitor_alias::reply_demonitor:
      return make_alias(p, alias_mode::reply_demonitor);
  }
  return term(reference::make());
}

// The caller starts monitoring `target` under `ref`; DOWN will name it `who`.
void start_monitor(process_control& p, const term& key, const pid& target, const term& who) {
  if (target == p.self()) return;  // as Erlang: a reference, and nothing ever comes of it
  links_of(p).monitors.emplace(key, process_links::watched{target, who});
  if (!send_signal(p.node(), target, signal_kind::monitor, tuple(p.self(), key, who))) {
    send_signal(p.node(), p.self(), signal_kind::down, down_message(key, who, term(atoms::noproc)));
  }
}

}  // namespace

process_links& links_of(process_control& p) {
  if (p.links == nullptr) p.links = new process_links();
  return *p.links;
}

bool take_arrivals(process_control& p) {
  return p.mailbox.take_new([&p](message_node* n) { return handle_signal(p, n); });
}

message_node* handle_signal(process_control& p, message_node* n) noexcept {
  if (kill_pending(p)) {  // it is ending: answered as the dead process it is about to be, once it is
    links_of(p).dying_signals.push_back(n);
    return nullptr;
  }
  message_node* keep = act_on(p, n);
  if (keep == nullptr) p.node().free_message(n);
  return keep;
}

void drop_for_dead(proc::node& node, const pid& dead, message_node* n) noexcept {
  if (!node.stopping.load(std::memory_order_relaxed)) {
    const term noproc(atoms::noproc);
    if (n->kind == signal_kind::link) {
      send_signal(node, n->message.as_pid(), signal_kind::exit_linked, tuple(dead, noproc));
    } else if (n->kind == signal_kind::monitor) {
      const auto fields = n->message.as_tuple();  // {watcher, ref, who}
      send_signal(node, fields[0].as_pid(), signal_kind::down, down_message(fields[1], fields[2], noproc));
    } else if (n->kind == signal_kind::timer) {
      node.bif_timers->cancel_listed(n->message);
    } else if (n->kind == signal_kind::port_owner) {  // given a port as it ended: the port ends too
      if (node.ports != nullptr) node.ports->owner_ended(dead);
    } else if (n->kind == signal_kind::info_request) {  // process_info of a dead process: undefined
      const term& alias = n->message.as_tuple()[0];
      send_to_alias(node, alias, tuple(alias, atoms::undefined));
    } else if (n->kind == signal_kind::spawn_reply) {  // the link and monitor asked for have no parent now
      undo_spawn_reply(node, dead, n->message);
    }
  }
  node.free_message(n);
}

void drop_late(proc::node& node, const pid& dead, message_node* n) noexcept {
  if (n->kind == signal_kind::timer) {
    node.free_message(n);
  } else {
    drop_for_dead(node, dead, n);
  }
}

void undo_spawn_reply(proc::node& node, const pid& dead, const term& reply) noexcept {
  const auto fields = reply.as_tuple();  // {ref, flags, result}
  if (!fields[2].is_pid()) return;
  const std::int64_t flags = fields[1].as_int();
  const pid child = fields[2].as_pid();
  if ((flags & spawn_flag_link) != 0)
    send_signal(node, child, signal_kind::exit_linked, tuple(dead, term(atoms::noproc)));
  if ((flags & spawn_flag_monitor) != 0) send_signal(node, child, signal_kind::demonitor, fields[0]);
}

void note_timer(process_control& p, const term& ref) {
  process_links& l = links_of(p);
  l.timers.insert(ref);
  if (l.timers.size() >= 2 * l.timers_after_sweep + 8) {
    p.node().bif_timers->keep_listed(l.timers);
    l.timers_after_sweep = l.timers.size();
  }
}

void notify_exit(process_control& p, const term& reason) noexcept {
  proc::node& node = p.node();
  const pid self = p.self();
  if (p.owns_ports && node.ports != nullptr) node.ports->owner_ended(self);  // also when stopping
  const std::unique_ptr<process_links> l(std::exchange(p.links, nullptr));
  if (l == nullptr) return;
  for (message_node* n : l->dying_signals) drop_for_dead(node, self, n);  // frees them, also when stopping
  if (node.stopping.load(std::memory_order_relaxed)) return;
  // The timers first: whoever hears of our end finds them gone.
  for (const term& ref : l->timers) node.bif_timers->cancel_listed(ref);
  for (const pid& other : l->links) send_signal(node, other, signal_kind::exit_linked, tuple(self, reason));
  for (const auto& [ref, w] : l->monitored_by) {
    send_signal(node, w.by, signal_kind::down,
                down_message(ref, w.who.is_nil() ? term(self) : w.who, reason));
  }
  for (const auto& [ref, m] : l->monitors) send_signal(node, m.target, signal_kind::demonitor, ref);
}

void note_port_owner(process_control& p) {
  p.owns_ports = true;  // a bit of the PCB, not the link record: a connection's process needs no links
}

bool give_port(proc::node& node, const pid& to, const term& port) {
  return send_signal(node, to, signal_kind::port_owner, port);
}

bool send_signal(proc::node& node, const pid& to, signal_kind kind, term payload) {
  process_control* p = node.table.find(to);
  if (p == nullptr) {  // a pid of another node goes to the router (distribution); a dead one: false
    return !to.is_local() && node.router.load(std::memory_order_acquire)->route_signal(to, kind, payload);
  }
  deliver(*p, payload, kind);
  return true;
}

void link_at_spawn(process_control& parent, process_control& child) {
  links_of(child).links.insert(parent.self());
  links_of(parent).links.insert(child.self());
}

void monitor_at_spawn(process_control& parent, process_control& child, const reference& ref) {
  links_of(child).monitored_by.emplace(term(ref), process_links::watcher{parent.self(), term()});
  links_of(parent).monitors.emplace(term(ref), process_links::watched{child.self(), term(child.self())});
}

void remote_parent_at_spawn(process_control& child, const remote_parent& parent) {
  process_links& l = links_of(child);
  if (parent.link) l.links.insert(parent.parent);
  if (parent.monitor_ref != nullptr)
    l.monitored_by.insert_or_assign(*parent.monitor_ref, process_links::watcher{parent.parent, term()});
}

bool end_monitor(process_control& p, const term& ref) {
  if (p.links == nullptr) return false;
  forget_monitor_alias(*p.links, ref);
  const auto it = p.links->monitors.find(ref);
  if (it == p.links->monitors.end()) return false;
  const pid target = it->second.target;
  p.links->monitors.erase(it);
  send_signal(p.node(), target, signal_kind::demonitor, ref);
  return true;
}

// The calling process, for a call that sends a signal: it costs a reduction, as a send does.
process_control& signalling_process(const char* what) {
  process_control& p = current_process(what);
  bump_reductions(p, 1);
  return p;
}

}  // namespace detail

void link(const pid& other) {
  detail::process_control& p = detail::signalling_process("beam::link");
  if (other == p.self()) return;
  detail::process_links& l = detail::links_of(p);
  if (l.links.contains(other)) return;
  if (!detail::send_signal(p.node(), other, proc::signal_kind::link, term(p.self()))) {
    if (!p.trap_exit) {
      throw beam::error(term(detail::atoms::noproc),
                        fmt::format("link: process {} does not exist", inspect(term(other))));
    }
    detail::send_signal(p.node(), p.self(), proc::signal_kind::exit_linked,
                        tuple(other, detail::atoms::noproc));
  }
  l.links.insert(other);
}

void unlink(const pid& other) {
  detail::process_control& p = detail::signalling_process("beam::unlink");
  if (p.links != nullptr && p.links->links.erase(other) != 0) {
    detail::send_signal(p.node(), other, proc::signal_kind::unlink, term(p.self()));
  }
}

bool trap_exit(bool on) {
  detail::process_control& p = detail::current_process("beam::trap_exit");
  const bool was = p.trap_exit;
  p.trap_exit = on;
  return was;
}

bool traps_exits() {
  return detail::current_process("beam::traps_exits").trap_exit;
}

void exit(const pid& dest, term reason) {
  detail::process_control& p = detail::signalling_process("beam::exit");
  if (dest != p.self()) {
    detail::send_signal(p.node(), dest, proc::signal_kind::exit, tuple(p.self(), reason));
    return;
  }
  // To itself: at once, as the signal would be handled at the next scheduling point anyway. The kill is
  // recorded before the throw, so a `catch (...)` in the body cannot swallow it (OTP: `catch exit(self(),
  // die)` still ends the process): the next suspension, or the body's end, ends the process with the reason.
  if (reason.is_atom(detail::atoms::kill))
    reason = term(detail::atoms::killed);
  else if (p.trap_exit) {
    send(p.self(), tuple(detail::atoms::exit_tag, p.self(), reason));
    return;
  }
  detail::kill(p, reason);
  exit(std::move(reason));
}

namespace detail {

term monitor_ref(process_control& p, const pid& target, monitor_alias alias) {
  term ref = monitor_reference(p, alias);
  start_monitor(p, ref, target, term(target));
  return ref;
}

term monitor_ref(process_control& p, atom name, monitor_alias alias) {
  term ref = monitor_reference(p, alias);
  const term who = tuple(name, this_node().name);
  process_control* target = find_named(p.node(), name);
  // No such name: a monitor of a process that does not exist (an unused pid number), which gets its DOWN
  // noproc.
  const pid id = target != nullptr ? target->self() : pid(0, ~std::uint32_t{0});
  if (target != nullptr) release(*target);
  start_monitor(p, ref, id, who);
  return ref;
}

bool demonitor_ref(process_control& p, const term& ref, demonitor_option option) {
  const bool found = end_monitor(p, ref);
  const bool flush = option == demonitor_option::flush || option == demonitor_option::flush_info;
  if (flush) flush_down(p, ref);
  const bool info = option == demonitor_option::info || option == demonitor_option::flush_info;
  return info ? found : true;
}

}  // namespace detail

reference monitor(const pid& target, monitor_alias alias) {
  return detail::monitor_ref(detail::signalling_process("beam::monitor"), target, alias).as_reference();
}

reference monitor(atom name, monitor_alias alias) {
  return detail::monitor_ref(detail::signalling_process("beam::monitor"), name, alias).as_reference();
}

reference monitor(const std::pair<atom, atom>& name_at_node, monitor_alias alias) {
  if (name_at_node.second == this_node().name) return monitor(name_at_node.first, alias);
  detail::process_control& p = detail::signalling_process("beam::monitor");
  term ref = detail::monitor_reference(p, alias);
  // The target is a name the other node resolves: the monitor's target pid stands for that node only (the
  // router takes the node from it, the connection the name from `who`).
  const pid on_node(node_id{name_at_node.second, 0}, 0, 0);
  detail::start_monitor(p, ref, on_node, tuple(name_at_node.first, name_at_node.second));
  return ref.as_reference();
}

bool demonitor(const reference& ref, demonitor_option option) {
  return detail::demonitor_ref(detail::signalling_process("beam::demonitor"), term(ref), option);
}

}  // namespace beam
