// dist/serve.cpp: serving an established connection, and what crosses it. The design is at the top of
// dist/node_table.hpp; the handshake before this is dist/connection.cpp's.
//
// Serving. One loop: a frame from the peer is decoded and delivered in arrival order (messages with
// beam::send, signals as proc/signals.cpp queues them, so a remote EXIT or DOWN takes its place after the
// messages its sender sent before); a frame from a local sender ('$dist_out') is written (batched: see
// connection::queue_frame); a signal from a local process ('$dist_signal': link, unlink, exit, monitor,
// demonitor, DOWN) is encoded here, where `crossings` records it, so that the connection's end can fire
// noconnection to what crossed it; a spawn
// request of a local process ('$dist_spawn') is written and remembered until its SPAWN_REPLY, and the peer's
// SPAWN_REQUEST is answered here (both in dist/remote_spawn.cpp's design); the receive timeout sends a tick
// after ticktime/4 without output and ends the connection after ticktime without input (net_tick_timeout).
// A bad frame, a frame over max_frame (emsgsize from the socket), the peer's close or stop() ends the
// process; its end removes its entry, fires noconnection, closes the socket and answers what is still
// queued for it (a link: exit noconnection; a monitor: DOWN noconnection; a spawn request: {spawn_reply,
// Ref, error, noconnection}). Why it ended is logged: the peer's close (net_kernel:disconnect/1, a node that
// halts) as info, since Erlang reports nothing for it; anything else (a bad frame, net_tick_timeout, a socket
// error) as a warning; stop() not at all.
// Signals queued after that drain find the process gone and are lost: a known gap, see dist.hpp.
#include "dist/serve.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>

#include <fmt/format.h>

#include <beam/alias.hpp>
#include <beam/error.hpp>
#include <beam/inspect.hpp>
#include <beam/process.hpp>
#include <beam/receive.hpp>
#include <beam/registry.hpp>

#include "dist/frames.hpp"
#include "dist/node_table.hpp"
#include "dist/remote_spawn.hpp"
#include "proc/node.hpp"
#include "proc/signals.hpp"
#include "services/tcp_socket.hpp"

namespace beam::dist_impl {

using namespace beam::literals;
using std::chrono::milliseconds;

milliseconds left(clock::time_point deadline) {
  return std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(deadline - clock::now()));
}

std::string text_of(const term& t) {
  try {
    return inspect(t);
  } catch (...) {
    return "a term";
  }
}

std::string reason_text(const std::exception& e) {
  if (const auto* err = dynamic_cast<const error*>(&e)) {
    return fmt::format("{} ({})", text_of(err->reason()), e.what());
  }
  return e.what();
}

namespace {

// --- signals across the connection ---

using proc::signal_kind;

// A signal for a process of this node, queued as proc/signals.cpp queues one from a local process (a pid
// of another node is not ours to signal: false).
bool local_signal(const pid& to, signal_kind kind, term payload) {
  if (!to.is_local()) return false;
  return detail::send_signal(detail::node_for("dist"), to, kind, std::move(payload));
}

// Whether a monitor names its target {Name, Node} (made by name) rather than by pid.
bool by_name(const term& who) {
  return who.is_tuple();
}

term down_of(const term& ref, const term& who, const term& reason) {
  return tuple("DOWN"_a, ref, "process"_a, who, reason);
}

// A signal from a local process that this connection will not carry (it is down or never came up, or the
// target is an earlier incarnation of the peer): a link is answered with an exit signal `reason`, a
// monitor with a DOWN `reason`, as OTP answers them (noconnection, noproc); the others need no answer.
void answer_undelivered(signal_kind kind, const pid& to, const term& payload, const term& reason) {
  if (kind == signal_kind::link) {
    local_signal(payload.as_pid(), signal_kind::exit_linked, tuple(to, reason));
  } else if (kind == signal_kind::monitor) {
    const auto f = payload.as_tuple();  // {watcher, ref, who}
    local_signal(f[0].as_pid(), signal_kind::down, down_of(f[1], f[2], reason));
  }
}

// A spawn_request of `caller` that will get no reply: {spawn_reply, Ref, error, Reason}.
void answer_spawn_request(const pid& caller, const term& ref, const term& reason) {
  local_signal(caller, signal_kind::spawn_reply, tuple(ref, 0, reason));
}

// The value `key` maps to in `m`, taken out of it; nullopt when `m` has no such key.
template <class Map>
std::optional<typename Map::mapped_type> take(Map& m, const typename Map::key_type& key) {
  auto entry = m.extract(key);
  if (entry.empty()) return std::nullopt;
  return std::move(entry.mapped());
}

// What crosses one connection: links between a local and a remote process, monitors of remote processes
// held here, monitors of local processes held by the peer, and the spawn requests of local processes that
// await the peer's reply. Owner: the connection's process. When the connection goes down each link and each
// monitor of a remote process fires `noconnection`, each spawn request is answered `noconnection`, and the
// peer's monitors are removed from their targets. An entry may outlive what it records (a local process that
// unlinked or demonitored meanwhile): the signal it then causes is ignored by its receiver, which checks its
// own records (proc/signals.cpp), so these sets may over-approximate but must not miss.
class crossings {
 public:
  void linked(const pid& local, const pid& remote) { links_.insert({local, remote}); }
  void unlinked(const pid& local, const pid& remote) { links_.erase({local, remote}); }
  void monitoring(const term& ref, const pid& watcher, const term& who) {
    monitors_.insert_or_assign(ref, std::pair{watcher, who});
  }
  // The watcher of a monitor of a remote process, when it is one of ours, and how DOWN names the target;
  // forgotten.
  std::optional<std::pair<pid, term>> end_monitoring(const term& ref) { return take(monitors_, ref); }
  void watched_by_peer(const term& ref, const pid& target) { watched_.insert_or_assign(ref, target); }
  // The local target of the peer's monitor, forgotten.
  std::optional<pid> end_watched(const term& ref) { return take(watched_, ref); }
  void spawn_requested(const term& ref, const pid& caller) { spawns_.insert_or_assign(ref, caller); }
  // The caller of a spawn request, forgotten.
  std::optional<pid> end_spawn(const term& ref) { return take(spawns_, ref); }
  void connection_lost() {
    const term noconnection = "noconnection"_a;
    for (const auto& [ref, caller] : spawns_) answer_spawn_request(caller, ref, noconnection);
    for (const auto& [local, remote] : links_)
      local_signal(local, signal_kind::exit_linked, tuple(remote, noconnection));
    for (const auto& [ref, m] : monitors_)
      local_signal(m.first, signal_kind::down, down_of(ref, m.second, noconnection));
    for (const auto& [ref, target] : watched_) local_signal(target, signal_kind::demonitor, ref);
    links_.clear();
    monitors_.clear();
    watched_.clear();
    spawns_.clear();
  }

 private:
  std::set<std::pair<pid, pid>> links_;            // (local, remote)
  std::map<term, std::pair<pid, term>> monitors_;  // ref -> (local watcher, how its DOWN names the target)
  std::map<term, pid> watched_;                    // ref -> local target the peer monitors
  std::map<term, pid> spawns_;                     // request id -> local caller awaiting SPAWN_REPLY
};

}  // namespace

// After a connection ends or fails to come up: what local processes queued for it and it will never carry.
// A signal sent after this drain reaches a process that has ended, and is lost (see the report's notes).
task<> drain_undelivered() {
  for (bool more = true; more;) {
    more = co_await receive(
        on(tuple("$dist_signal"_a, _int, _pid, _term, _int),
           [](std::int64_t kind, pid to, const term& payload, std::int64_t) {
             answer_undelivered(static_cast<signal_kind>(kind), to, payload, "noconnection"_a);
             return true;
           }),
        on(tuple("$dist_out"_a, _int, _binary), [](std::int64_t, const term&) { return true; }),
        on(tuple("$dist_spawn"_a, _pid, _term, _binary),
           [](pid caller, const term& ref, const term&) {
             answer_spawn_request(caller, ref, "noconnection"_a);
             return true;
           }),
        after(milliseconds(0), [] { return false; }));
  }
}

namespace {

// --- serving an established connection ---

// Why a connection ended. `normal`: the peer closed it, which Erlang does not report. An empty `why`: stop()
// ended it.
struct connection_end {
  std::string why;
  bool normal = false;
};

class connection {
 public:
  connection(gen_tcp::socket s, atom peer, std::uint32_t peer_creation)
      : s_(std::move(s)), peer_(peer), peer_creation_(peer_creation) {}

  // Runs until the connection ends; returns why.
  task<connection_end> serve() {
    const settings& cfg = state().config;
    gen_tcp::setopts(
        s_, {.active = gen_tcp::active::once(), .packet = gen_tcp::packet::u4, .packet_size = cfg.max_frame});
    const auto tick_every = cfg.ticktime / 4;
    last_in_ = last_out_ = clock::now();
    const term id = s_.id();
    for (;;) {
      const auto now = clock::now();
      if (now - last_in_ >= cfg.ticktime)
        co_return connection_end{"net_tick_timeout: nothing arrived for a tick time"};
      if (batch_.empty() && now - last_out_ >= tick_every) queue_frame({});  // a tick: a frame of length 0
      // Output waits in the batch while more is queued in the mailbox: a zero timeout writes it once the
      // mailbox holds nothing more that this loop handles.
      const auto wake = batch_.empty() ? std::min(last_in_ + cfg.ticktime, last_out_ + tick_every) : now;
      enum class got { data, closed, error, out, signal, spawn, stop, timeout };
      term payload;
      std::int64_t signal_kind_number = 0, signal_creation = 0;
      std::optional<pid> signal_to;
      term spawn_ref;
      const got what = co_await receive(
          on(tuple("tcp"_a, id, _binary),
             [&](const term& data) {
               payload = data;
               return got::data;
             }),
          on(tuple("$dist_out"_a, _int, _binary),
             [&](std::int64_t creation, const term& frame) {
               payload = (creation == 0 || creation == peer_creation_) ? frame : term();
               return got::out;
             }),
          on(tuple("$dist_signal"_a, _int, _pid, _term, _int),
             [&](std::int64_t kind, pid to, const term& p, std::int64_t creation) {
               signal_kind_number = kind;
               signal_to = to;
               payload = p;
               signal_creation = creation;
               return got::signal;
             }),
          on(tuple("$dist_spawn"_a, _pid, _term, _binary),
             [&](pid caller, const term& ref, const term& frame) {
               signal_to = caller;
               spawn_ref = ref;
               payload = frame;
               return got::spawn;
             }),
          on(tuple("tcp_closed"_a, id), [] { return got::closed; }),
          on(tuple("tcp_error"_a, id, _term),
             [&](const term& why) {
               payload = why;
               return got::error;
             }),
          on("$dist_stop"_a, [] { return got::stop; }), after(left(wake), [] { return got::timeout; }));
      switch (what) {
        case got::data: {
          last_in_ = clock::now();
          const auto body = payload.as_binary();
          if (!body.empty()) handle(body);
          gen_tcp::setopts(s_, {.active = gen_tcp::active::once()});
          break;
        }
        case got::out:
          if (payload.is_binary()) queue_frame(payload.as_binary());
          break;
        case got::signal:
          out_signal(static_cast<signal_kind>(signal_kind_number), *signal_to, payload, signal_creation);
          break;
        case got::spawn:  // a SPAWN_REQUEST of a local process: its reply will be routed back to it
          crossings_.spawn_requested(spawn_ref, *signal_to);
          queue_frame(payload.as_binary());
          break;
        case got::closed:
          co_return connection_end{"the peer closed the connection", true};
        case got::error:
          if (payload == "emsgsize"_a)
            co_return connection_end{fmt::format("a frame larger than max_frame ({} bytes)", cfg.max_frame)};
          co_return connection_end{fmt::format("socket error {}", text_of(payload))};
        case got::stop:  // what this loop took from the mailbox goes out first
          if (!batch_.empty()) co_await write_batch();
          co_return connection_end{};
        case got::timeout:
          break;
      }
      if (!batch_.empty() && (what == got::timeout || batch_.size() >= max_batch)) co_await write_batch();
    }
  }

 private:
  // One frame from the peer. Throws frame_error for a bad one.
  void handle(std::span<const std::uint8_t> body) {
    const frame f = decode_frame(body);
    const auto c = f.control.as_tuple();
    const std::int64_t o = c[0].as_int();
    switch (o) {
      case op::send:  // {2, Unused, ToPid}
      case op::send_tt:
        deliver_to_pid(element(c, 2, "SEND"), *f.message);
        break;
      case op::send_sender:  // {22, From, ToPid}
      case op::send_sender_tt:
        deliver_to_pid(element(c, 2, "SEND_SENDER"), *f.message);
        break;
      case op::reg_send:  // {6, From, Unused, ToName}
      case op::reg_send_tt: {
        const term& name = element(c, 3, "REG_SEND");
        if (!name.is_atom()) throw frame_error("REG_SEND to a name that is not an atom");
        send(std::pair{name.as_atom(), state().config.name}, *f.message);
        break;
      }
      case op::alias_send:  // {33, From, Alias}
      case op::alias_send_tt: {
        const term& alias = element(c, 2, "ALIAS_SEND");
        if (!alias.is_reference()) throw frame_error("ALIAS_SEND to something that is not a reference");
        if (alias.as_reference().is_local()) send(alias.as_reference(), *f.message);
        break;
      }
      case op::link: {  // {1, From, To}: a process that does not exist answers noproc
        const pid from = pid_at(c, 1, "LINK"), to = pid_at(c, 2, "LINK");
        if (local_signal(to, signal_kind::link, term(from))) {
          crossings_.linked(to, from);
        } else {
          write(tuple(op::exit, to, from, "noproc"_a));
        }
        break;
      }
      case op::exit:  // {3, From, To, Reason}: over a link
      case op::exit_tt: {
        const pid from = pid_at(c, 1, "EXIT"), to = pid_at(c, 2, "EXIT");
        crossings_.unlinked(to, from);
        local_signal(to, signal_kind::exit_linked, tuple(from, element(c, 3, "EXIT")));
        break;
      }
      case op::exit2:  // {8, From, To, Reason}: exit/2
      case op::exit2_tt:
        local_signal(pid_at(c, 2, "EXIT2"), signal_kind::exit,
                     tuple(pid_at(c, 1, "EXIT2"), element(c, 3, "EXIT2")));
        break;
      case op::unlink:       // {4, From, To}: before OTP 26, without an ack
      case op::unlink_id: {  // {35, Id, From, To}: acked, before any other signal to From
        const std::size_t at = o == op::unlink ? 1 : 2;
        const pid from = pid_at(c, at, "UNLINK"), to = pid_at(c, at + 1, "UNLINK");
        crossings_.unlinked(to, from);
        local_signal(to, signal_kind::unlink, term(from));
        if (o == op::unlink_id) write(tuple(op::unlink_id_ack, element(c, 1, "UNLINK_ID"), to, from));
        break;
      }
      case op::monitor_p: {  // {19, FromPid, ToProc, Ref}: by pid or by registered name
        const term& to = element(c, 2, "MONITOR_P");
        const term& ref = element(c, 3, "MONITOR_P");
        const pid from = pid_at(c, 1, "MONITOR_P");
        const std::optional<pid> target = resolve(to);
        const term who = to.is_atom() ? tuple(to, state().config.name) : to;
        if (target && local_signal(*target, signal_kind::monitor, tuple(from, ref, who))) {
          crossings_.watched_by_peer(ref, *target);
        } else {
          write(tuple(op::monitor_p_exit, to, from, ref, "noproc"_a));
        }
        break;
      }
      case op::demonitor_p: {  // {20, FromPid, ToProc, Ref}
        const term& ref = element(c, 3, "DEMONITOR_P");
        if (auto target = crossings_.end_watched(ref)) local_signal(*target, signal_kind::demonitor, ref);
        break;
      }
      case op::monitor_p_exit: {  // {21, FromProc, ToPid, Ref, Reason}: FromProc the name for a monitor by
                                  // name
        const term& from = element(c, 1, "MONITOR_P_EXIT");
        const term& ref = element(c, 3, "MONITOR_P_EXIT");
        const term who = from.is_atom() ? tuple(from, peer_) : from;
        crossings_.end_monitoring(ref);
        local_signal(pid_at(c, 2, "MONITOR_P_EXIT"), signal_kind::down,
                     down_of(ref, who, element(c, 4, "MONITOR_P_EXIT")));
        break;
      }
      case op::spawn_request:  // {29, ReqId, From, GroupLeader, {M, F, Arity}, OptList} + ArgList
      case op::spawn_request_tt:
        answer_spawn(parse_spawn_request(c, *f.message));
        break;
      case op::spawn_reply:  // {31, ReqId, To, Flags, Result}
      case op::spawn_reply_tt:
        take_spawn_reply(c, o == op::spawn_reply_tt);
        break;
      default:  // UNLINK_ID_ACK, GROUP_LEADER, payload exits (not negotiated): dropped
        break;
    }
  }

  // The peer's spawn request: the child (linked and monitored as asked, recorded here) or why not, answered
  // before this process reads its mailbox again, so before anything the child sends the peer.
  void answer_spawn(const spawn_ask& ask) {
    term result = "badopt"_a;  // as OTP answers an option it does not know
    std::int64_t flags = 0;
    if (!ask.bad_option) {
      try {
        const pid child = spawn_asked(ask);
        if (ask.link) {
          crossings_.linked(child, ask.from);
          flags |= detail::spawn_flag_link;
        }
        if (ask.monitor) {
          crossings_.watched_by_peer(ask.req_id, child);
          flags |= detail::spawn_flag_monitor;
        }
        result = term(child);
      } catch (const error& e) {  // system_limit
        result = e.reason();
      }
    }
    write(tuple(op::spawn_reply, ask.req_id, term(ask.from), flags, result));
  }

  // The peer's answer to a local process's spawn request: the link and monitor it set up are recorded here,
  // and the caller takes them with the reply (a caller gone meanwhile has them undone). A reply to no request
  // of ours (or one answered noconnection already) is dropped.
  void take_spawn_reply(std::span<const term> c, bool traced) {
    if (c.size() != (traced ? 6u : 5u))
      throw frame_error(fmt::format("SPAWN_REPLY control message of arity {}", c.size()));
    const term& ref = c[1];
    const pid to = pid_at(c, 2, "SPAWN_REPLY");
    const term& result = c[4];
    if (!c[3].is_small_integer() || c[3].as_int() < 0)
      throw frame_error("SPAWN_REPLY: the flags are not a small non-negative integer");
    if (!result.is_pid() && !result.is_atom())
      throw frame_error("SPAWN_REPLY: the result is neither a pid nor an atom");
    const std::optional<pid> caller = crossings_.end_spawn(ref);
    if (!caller || *caller != to) return;
    const std::int64_t flags = c[3].as_int();
    if (result.is_pid()) {
      if ((flags & detail::spawn_flag_link) != 0) crossings_.linked(to, result.as_pid());
      if ((flags & detail::spawn_flag_monitor) != 0) crossings_.monitoring(ref, to, result);
    }
    const term reply = tuple(ref, flags, result);
    if (!local_signal(to, signal_kind::spawn_reply, reply))
      detail::undo_spawn_reply(detail::node_for("dist"), to, reply);
  }

  static const term& element(std::span<const term> c, std::size_t i, const char* what) {
    if (c.size() <= i) throw frame_error(fmt::format("{} control message of arity {}", what, c.size()));
    return c[i];
  }

  // A message for a pid: delivered when it is one of ours, of our current creation; dropped otherwise (a pid
  // of another incarnation of this node is dead, and we relay nothing to third nodes).
  static void deliver_to_pid(const term& to, const term& message) {
    if (!to.is_pid()) throw frame_error("a send to something that is not a pid");
    if (to.as_pid().is_local()) send(to.as_pid(), message);
  }

  static pid pid_at(std::span<const term> c, std::size_t i, const char* what) {
    const term& t = element(c, i, what);
    if (!t.is_pid()) throw frame_error(fmt::format("{}: element {} is not a pid", what, i));
    return t.as_pid();
  }

  // A local process by pid or registered name.
  static std::optional<pid> resolve(const term& to) {
    if (to.is_atom()) return whereis(to.as_atom());
    if (to.is_pid() && to.as_pid().is_local()) return to.as_pid();
    return std::nullopt;
  }

  // Output is batched: each frame joins `batch_` behind its 4-byte length (packet u4, framed here), and the
  // serving loop writes the batch in one system call once nothing more is queued for it, or once it holds
  // max_batch bytes. A local sender's message, monitor and demonitor, queued together, leave together, and
  // the peer reads them at once (W15's calls: three frames each).
  static constexpr std::size_t max_batch = std::size_t{64} << 10;

  void queue_frame(std::span<const std::uint8_t> frame) {
    const auto n = static_cast<std::uint32_t>(frame.size());
    const char length[4] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
                            static_cast<char>(n)};
    batch_.append(length, 4);
    batch_.append(reinterpret_cast<const char*>(frame.data()), frame.size());
  }

  task<> write_batch() {
    const std::string bytes = std::move(batch_);
    batch_.clear();
    co_await gen_tcp::detail::send_unframed(s_, bytes);
    last_out_ = clock::now();
  }

  void write(const term& control) {
    const std::string frame = encode_frame(control);
    queue_frame({reinterpret_cast<const std::uint8_t*>(frame.data()), frame.size()});
  }

  // A signal from a local process for `to` on the peer: encoded, recorded, written.
  void out_signal(signal_kind kind, pid to, term payload, std::int64_t creation) {
    if (creation != 0 && creation != peer_creation_) {  // an earlier incarnation of the peer: dead
      answer_undelivered(kind, to, payload, "noproc"_a);
      return;
    }
    term control;
    switch (kind) {
      case signal_kind::link:  // payload: the linking pid
        crossings_.linked(payload.as_pid(), to);
        control = tuple(op::link, payload, to);
        break;
      case signal_kind::unlink:  // payload: the unlinking pid
        crossings_.unlinked(payload.as_pid(), to);
        control = tuple(op::unlink_id, static_cast<std::int64_t>(++unlink_ids_), payload, to);
        break;
      case signal_kind::exit_linked: {  // payload: {from, reason}
        const auto f = payload.as_tuple();
        crossings_.unlinked(f[0].as_pid(), to);
        control = tuple(op::exit, f[0], to, f[1]);
        break;
      }
      case signal_kind::exit: {
        const auto f = payload.as_tuple();
        control = tuple(op::exit2, f[0], to, f[1]);
        break;
      }
      case signal_kind::monitor: {  // payload: {watcher, ref, who}; who {Name, Node} for a monitor by name
        const auto f = payload.as_tuple();
        crossings_.monitoring(f[1], f[0].as_pid(), f[2]);
        control = tuple(op::monitor_p, f[0], by_name(f[2]) ? f[2].as_tuple()[0] : term(to), f[1]);
        break;
      }
      case signal_kind::demonitor: {  // payload: the reference; the watcher and target are what we recorded
        const std::optional<std::pair<pid, term>> m = crossings_.end_monitoring(payload);
        if (!m) return;
        control = tuple(op::demonitor_p, m->first, by_name(m->second) ? m->second.as_tuple()[0] : term(to),
                        payload);
        break;
      }
      case signal_kind::down: {  // payload: {'DOWN', ref, process, who, reason}; who a pid or {name, node}
        const auto f = payload.as_tuple();
        crossings_.end_watched(f[1]);
        const term from = f[3].is_tuple() ? f[3].as_tuple()[0] : f[3];
        control = tuple(op::monitor_p_exit, from, to, f[1], f[4]);
        break;
      }
      default:
        return;
    }
    write(control);
  }

  gen_tcp::socket s_;
  std::string batch_;  // frames to write, each behind its length (queue_frame)
  atom peer_;
  std::uint32_t peer_creation_;
  crossings crossings_;
  std::uint64_t unlink_ids_ = 0;

 public:
  // The connection is down: noconnection to what crossed it.
  void lost() { crossings_.connection_lost(); }

 private:
  clock::time_point last_in_{}, last_out_{};
};

}  // namespace

// Serves an established connection to its end and logs why it ended.
task<> serve_and_log(gen_tcp::socket s, atom peer, std::uint32_t creation) {
  connection_end end;
  connection c(s, peer, creation);
  try {
    end = co_await c.serve();
  } catch (const std::exception& e) {
    end = {reason_text(e)};
  }
  forget_connection(peer, beam::self());  // new sends start a new connection from here on
  c.lost();
  if (end.why.empty()) co_return;
  const std::string text = fmt::format("connection to node {} down: {}", peer.text(), end.why);
  if (end.normal) {
    log_info(text);
  } else {
    log_warning(text);
  }
}

}  // namespace beam::dist_impl
