// proc/introspection.cpp: process_info, processes, system_info.
//
// process_info/1 (the struct) reads only fields of the PCB that are atomics (relaxed), from any thread: a
// snapshot, as Erlang's process_info is. process_info/2 (the items) also answers what only the owner may read
// (links, monitors, the private message queue, trap_exit): another process asks with an `info_request`
// signal, which the owner answers between slices or in a receive, as it handles every signal
// (proc/signals.hpp), by sending the answer to a reply alias of the asker (beam/alias.hpp). A process that
// has ended answers `undefined` for it (drop_for_dead), so the asker never waits for nothing. OTP does the
// same (process_info of another process is a signal since OTP 21). Rejected: a lock per process around its
// links, monitors and private queue (the owner would take it on every message it receives, to serve a rare
// call; and the PCB would grow); reading them from the asker while the owner runs (a data race on plain
// hash maps and list links).
#include <beam/process_info.hpp>

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include <beam/alias.hpp>
#include <beam/error.hpp>
#include <beam/receive.hpp>

#include "base/small_pool.hpp"
#include "proc/node.hpp"
#include "proc/signals.hpp"
#include "term/atom_table.hpp"

namespace beam {
namespace {

process_status status_of(detail::process_state s) {
  switch (s) {
    case detail::process_state::queued:
      return process_status::runnable;
    case detail::process_state::running:
      return process_status::running;
    case detail::process_state::waiting:
      return process_status::waiting;
    case detail::process_state::exited:
      return process_status::exiting;
  }
  return process_status::exiting;
}

term initial_call_of(const detail::process_control& p) {
  if (p.rare != nullptr && p.rare->initial_mfa) {
    const export_fun& mfa = *p.rare->initial_mfa;
    return tuple(mfa.module, mfa.function, mfa.arity);
  }
  return tuple(atom("erlang"), atom("apply"), 2);  // what Erlang reports for spawn/1 of a fun
}

std::size_t memory_of(const detail::process_control& p) {
  return detail::pcb_memory(p) + p.frame_bytes.load(std::memory_order_relaxed) +
         p.mailbox.size() * sizeof(proc::message_node);
}

std::optional<atom> name_of(const detail::process_control& p) {
  const std::uint32_t name = p.name.load(std::memory_order_relaxed);
  return name == detail::process_control::no_name ? std::nullopt : std::optional(atom::from_index(name));
}

// --- process_info/2's items, read by the owner of `p` ---

template <class Range, class F>
term list_of(const Range& range, F&& element) {
  std::vector<term> out;
  for (const auto& x : range) out.push_back(element(x));
  return make_list(std::move(out));
}

term links_item(detail::process_control& p) {
  if (p.links == nullptr) return term();
  return list_of(p.links->links, [](const pid& x) { return term(x); });
}

term monitors_item(detail::process_control& p) {  // [{process, Pid} | {process, {Name, Node}}]
  if (p.links == nullptr) return term();
  return list_of(p.links->monitors,
                 [](const auto& m) { return tuple(detail::atoms::process, m.second.who); });
}

term monitored_by_item(detail::process_control& p) {
  if (p.links == nullptr) return term();
  return list_of(p.links->monitored_by, [](const auto& w) { return term(w.second.by); });
}

// The private queue, oldest first: the messages that arrived before the request (its owner is handling it).
std::vector<term> queued_messages(detail::process_control& p) {
  std::vector<term> out;
  for (proc::message_node* n = *p.mailbox.first_link(); n != nullptr; n = n->next) out.push_back(n->message);
  return out;
}

term messages_item(detail::process_control& p) {
  return make_list(queued_messages(p));
}

term message_queue_len_item(detail::process_control& p) {
  std::size_t n = 0;
  for (proc::message_node* m = *p.mailbox.first_link(); m != nullptr; m = m->next) ++n;
  return term(n);
}

term trap_exit_item(detail::process_control& p) {
  return term(bool{p.trap_exit});
}

// Running when its body asked (about itself, or from a receive's scan); waiting when it is suspended in a
// receive or sleep (also while its scheduler checks whether a message lets it go on); runnable otherwise.
term status_item(detail::process_control& p) {
  const bool in_body = detail::current_process_or_null() == &p && p.waiter == nullptr;
  if (in_body) return term(atom("running"));
  return term(atom(p.reason == detail::suspend_reason::wait ? "waiting" : "runnable"));
}

term initial_call_item(detail::process_control& p) {
  return initial_call_of(p);
}

term registered_name_item(detail::process_control& p) {  // [] when it has none, as OTP
  const std::optional<atom> name = name_of(p);
  return name ? term(*name) : term();
}

term reductions_item(detail::process_control& p) {
  return term(p.reductions.load(std::memory_order_relaxed));
}

term memory_item(detail::process_control& p) {
  return term(memory_of(p));
}

using item_reader = term (*)(detail::process_control&);

item_reader reader_of(atom item) {
  static const std::pair<atom, item_reader> readers[] = {
      {atom("links"), &links_item},
      {atom("monitors"), &monitors_item},
      {atom("monitored_by"), &monitored_by_item},
      {atom("messages"), &messages_item},
      {atom("message_queue_len"), &message_queue_len_item},
      {atom("trap_exit"), &trap_exit_item},
      {atom("status"), &status_item},
      {atom("initial_call"), &initial_call_item},
      {atom("registered_name"), &registered_name_item},
      {atom("reductions"), &reductions_item},
      {atom("memory"), &memory_item},
  };
  const auto it = std::ranges::find(readers, item, &std::pair<atom, item_reader>::first);
  return it != std::end(readers) ? it->second : nullptr;
}

// The owner of `p`: [{Item, Value}] for `items`, a list of known items.
term items_of(detail::process_control& p, const term& items) {
  return list_of(items.as_list(),
                 [&p](const term& item) { return tuple(item, reader_of(item.as_atom())(p)); });
}

// Asks `target` (not the caller) for `items`: its answer, or `undefined` if it is not alive.
task<term> ask_owner(detail::process_control& p, pid target, term items) {
  const term answer = detail::make_alias(p, detail::alias_mode::reply);
  if (!detail::send_signal(p.node(), target, proc::signal_kind::info_request, tuple(answer, items))) {
    unalias(answer.as_reference());
    co_return term(detail::atoms::undefined);
  }
  co_return co_await receive(on(tuple(answer, _term), [](term t) { return t; }));
}

// process_info/2: the items of `target` as a list; badarg for an item OTP does not know here.
task<term> info_items(pid target, std::vector<atom> items) {
  detail::process_control& p = detail::current_process("beam::process_info");
  for (atom item : items) {
    if (reader_of(item) == nullptr) {
      throw beam::error(term(detail::atoms::badarg),
                        fmt::format("process_info: {} is not an item it answers", item.text()));
    }
  }
  term list = make_list(std::vector<term>(items.begin(), items.end()));
  if (target != p.self()) co_return co_await ask_owner(p, target, std::move(list));
  detail::take_arrivals(p);  // its own messages, every one that has arrived
  co_return items_of(p, list);
}

task<term> one_item(pid target, atom item) {
  term answer = co_await info_items(target, std::vector<atom>(1, item));
  if (!answer.is_list()) co_return answer;  // undefined
  term pair = answer.as_list()[0];
  // OTP: process_info(P, registered_name) is [] for a process without a name (but {registered_name, []} in
  // a list).
  if (item == atom("registered_name") && pair.as_tuple()[1].is_nil()) co_return term();
  co_return pair;
}

}  // namespace

namespace detail {
void answer_process_info(process_control& p, const term& request) noexcept {
  const auto fields = request.as_tuple();  // {alias, items}
  send_to_alias(p.node(), fields[0], tuple(fields[0], items_of(p, fields[1])));
}
}  // namespace detail

task<term> process_info(const pid& process, atom item) {
  return one_item(process, item);
}

task<term> process_info(const pid& process, std::vector<atom> items) {
  return info_items(process, std::move(items));
}

bool alive(const pid& process) {
  proc::node& node = detail::node_for("beam::alive");
  detail::process_control* p = node.table.find(process);
  if (p != nullptr) detail::release(*p);
  return p != nullptr;
}

std::optional<process_info_t> process_info(const pid& process) {
  proc::node& node = detail::node_for("beam::process_info");
  detail::process_control* p = node.table.find(process);
  if (p == nullptr) return std::nullopt;
  process_info_t info{
      .status = status_of(p->state.load(std::memory_order_relaxed)),
      .message_queue_len = p->mailbox.size(),
      .memory = memory_of(*p),
      .reductions = p->reductions.load(std::memory_order_relaxed),
      .registered_name = name_of(*p),
      .initial_call = initial_call_of(*p),
      .scheduler = std::uint32_t{p->last_worker.load(std::memory_order_relaxed)} + 1,
  };
  detail::release(*p);
  return info;
}

std::vector<pid> processes() {
  return detail::node_for("beam::processes").table.pids();
}

std::size_t process_count() {
  return detail::node_for("beam::process_count").table.count();
}

system_info_t system_info() {
  proc::node& node = detail::node_for("beam::system_info");
  const atom_table_info atoms = atom_table_stats();
  return {.process_limit = node.table.limit(),
          .process_count = node.table.count(),
          .schedulers = node.schedulers,
          .atom_count = atoms.count,
          .atom_limit = atoms.limit,
          .pool_bytes = node.chunks.chunk_bytes() + base::small_pool_bytes(),
          .pool_used_bytes = node.chunks.used_bytes() + base::small_pool_used_bytes()};
}

}  // namespace beam
