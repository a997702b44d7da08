// dist/connection.cpp: one process per connection: the handshake as dialler or acceptor, then serving the
// connection (frames in, frames out, ticks). The design is at the top of dist/node_table.hpp, the bytes of
// the handshake at the top of dist/handshake.hpp.
//
// Handshake. The socket is passive with packet u2; each packet is read with active once and a selective
// receive bounded by the handshake's deadline (setup_time from the dial or the accept), so a stalled peer
// costs a socket for setup_time at most, and frames queued by senders wait in the mailbox meanwhile. On
// success the connection's entry is marked up, the socket switches to packet u4 (bytes that arrived behind
// the last handshake packet stay in the socket's buffer and are framed with the new header) and `serve`
// runs.
//
// Simultaneous connects (both nodes dial each other at once). The acceptor that receives send_name from a
// node whose dialler is still pending here compares names: when the peer's name is greater it answers
// ok_simultaneous and hands the accepted socket to our dialler (controlling_process, then a
// '$dist_takeover' message), which drops its own attempt and finishes the handshake as acceptor; the peer,
// seeing our smaller name, answers our dial `nok`. When ours is greater it answers `nok` and our dial goes
// on. The dialler stays the table's entry throughout, so the frames already queued in its mailbox keep
// their order. A dialler answered `nok` while the table marks it taken over waits for the takeover.
//
// A peer that dials while its old connection is still up here (it lost the connection before we noticed:
// erlang:disconnect_node, a restart) is answered `alive`; when it answers `true` the old connection's process
// is told to stop and the new one takes the entry, as OTP does.
//
// Serving. One loop: a frame from the peer is decoded and delivered in arrival order (messages with
// beam::send, signals as proc/signals.cpp queues them, so a remote EXIT or DOWN takes its place after the
// messages its sender sent before); a frame from a local sender ('$dist_out') is written; a signal from a
// local process ('$dist_signal': link, unlink, exit, monitor, demonitor, DOWN) is encoded here, where
// `crossings` records it, so that the connection's end can fire noconnection to what crossed it; the
// receive timeout sends a tick after ticktime/4 without output and ends the connection after ticktime
// without input (net_tick_timeout). A bad frame, a frame over max_frame (emsgsize from the socket), the
// peer's close or stop() ends the process; its end removes its entry, fires noconnection, closes the socket
// and answers what is still queued for it (a link: exit noconnection; a monitor: DOWN noconnection).
// Signals queued after that drain find the process gone and are lost: a known gap, see dist.hpp.
#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <optional>
#include <string>

#include <fmt/format.h>

#include <beam/alias.hpp>
#include <beam/error.hpp>
#include <beam/gen_tcp.hpp>
#include <beam/inspect.hpp>
#include <beam/process.hpp>
#include <beam/process_info.hpp>
#include <beam/receive.hpp>
#include <beam/registry.hpp>

#include "dist/epmd.hpp"
#include "dist/frames.hpp"
#include "dist/handshake.hpp"
#include "dist/node_table.hpp"
#include "proc/node.hpp"
#include "proc/signals.hpp"

namespace beam::dist_impl {
namespace {

using namespace beam::literals;
using clock = std::chrono::steady_clock;
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

// One handshake packet, or why none came.
struct hs_packet {
  enum class kind { data, closed, error, timeout, takeover } what;
  std::string data;                  // data: the packet; error: the reason
  std::optional<port> socket{};      // takeover: the accepted socket handed to us
  std::uint32_t creation = 0;        // takeover: the peer's creation
};

// The message that hands a dialler the socket of a simultaneous connect's accepted side.
auto takeover_clause() {
  return on(tuple("$dist_takeover"_a, _port, _int), [](port p, std::int64_t creation) {
    return hs_packet{hs_packet::kind::takeover, {}, p, static_cast<std::uint32_t>(creation)};
  });
}

task<hs_packet> next_packet(gen_tcp::socket s, clock::time_point deadline) {
  gen_tcp::setopts(s, {.active = gen_tcp::active::once()});
  const term id = s.id();
  co_return co_await receive(
      on(tuple("tcp"_a, id, _binary),
         [](const term& data) {
           const auto b = data.as_binary();
           return hs_packet{hs_packet::kind::data, std::string(b.begin(), b.end())};
         }),
      on(tuple("tcp_closed"_a, id), [] { return hs_packet{hs_packet::kind::closed, {}}; }),
      on(tuple("tcp_error"_a, id, _term),
         [](const term& why) { return hs_packet{hs_packet::kind::error, text_of(why)}; }),
      takeover_clause(), after(left(deadline), [] { return hs_packet{hs_packet::kind::timeout, {}}; }));
}

// A dialler answered `nok` whose entry is marked taken over: the accepted side's socket, soon.
task<hs_packet> wait_takeover(clock::time_point deadline) {
  co_return co_await receive(takeover_clause(),
                             after(left(deadline), [] { return hs_packet{hs_packet::kind::timeout, {}}; }));
}

// The data of the next packet; any other outcome is a handshake_error (a takeover is the caller's to
// look for first, with next_packet).
std::string data_or_throw(const hs_packet& p, const char* waiting_for) {
  switch (p.what) {
    case hs_packet::kind::data:
      return p.data;
    case hs_packet::kind::closed:
      throw handshake_error(fmt::format("the peer closed the connection while we waited for {}", waiting_for));
    case hs_packet::kind::error:
      throw handshake_error(fmt::format("socket error {} while we waited for {}", p.data, waiting_for));
    case hs_packet::kind::timeout:
      throw handshake_error(fmt::format("handshake timeout: no {} within the setup time", waiting_for));
    case hs_packet::kind::takeover:
      break;
  }
  throw handshake_error(fmt::format("an unexpected takeover while we waited for {}", waiting_for));
}

// Marks `peer`'s entry (ours) up with the peer's creation.
void mark_up(atom peer, const pid& self, std::uint32_t creation) {
  dist_state& st = state();
  std::lock_guard lock(st.mutex);
  auto it = st.connections.find(peer.index());
  if (it == st.connections.end() || it->second.process != self) {
    throw handshake_error("the connection's entry was taken by another process (stopped?)");
  }
  it->second.up = true;
  it->second.peer_creation = creation;
}

// The acceptor's half after the status: challenge, reply check, ack.
task<> accept_rest(gen_tcp::socket s, atom peer, clock::time_point deadline) {
  const settings& cfg = state().config;
  const std::uint32_t ours = new_challenge();
  const challenge mine{flag::ours, ours, cfg.creation, std::string(cfg.name.text())};
  const std::string packet = encode_challenge(mine);  // named, not built in the co_await (GCC 12)
  co_await gen_tcp::send(s, packet);
  const challenge_reply reply = parse_challenge_reply(data_or_throw(co_await next_packet(s, deadline), "challenge_reply"));
  if (!digests_equal(reply.digest, digest(cfg.cookie, ours))) {
    throw handshake_error(fmt::format("connection attempt from node {} rejected: invalid challenge reply "
                                      "(a wrong cookie?)",
                                      peer.text()));
  }
  const std::string ack = encode_challenge_ack(digest(cfg.cookie, reply.challenge));
  co_await gen_tcp::send(s, ack);
}

// --- signals across the connection ---

using proc::signal_kind;

// A signal for a process of this node, queued as proc/signals.cpp queues one from a local process (a pid
// of another node is not ours to signal: false).
bool local_signal(const pid& to, signal_kind kind, term payload) {
  if (!to.is_local()) return false;
  return detail::send_signal(detail::node_for("dist"), to, kind, std::move(payload));
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

// What crosses one connection: links between a local and a remote process, monitors of remote processes
// held here, monitors of local processes held by the peer. Owner: the connection's process. When the
// connection goes down each link and each monitor of a remote process fires `noconnection`, and the peer's
// monitors are removed from their targets. An entry may outlive what it records (a local process that
// unlinked or demonitored meanwhile): the signal it then causes is ignored by its receiver, which checks its
// own records (proc/signals.cpp), so these sets may over-approximate but must not miss.
class crossings {
 public:
  void linked(const pid& local, const pid& remote) { links_.insert({local, remote}); }
  void unlinked(const pid& local, const pid& remote) { links_.erase({local, remote}); }
  void monitoring(const term& ref, const pid& watcher, const term& who) { monitors_.insert_or_assign(ref, std::pair{watcher, who}); }
  // The watcher of a monitor of a remote process, when it is one of ours; forgotten.
  std::optional<pid> end_monitoring(const term& ref) {
    auto it = monitors_.find(ref);
    if (it == monitors_.end()) return std::nullopt;
    const pid watcher = it->second.first;
    monitors_.erase(it);
    return watcher;
  }
  void watched_by_peer(const term& ref, const pid& target) { watched_.insert_or_assign(ref, target); }
  std::optional<pid> end_watched(const term& ref) {
    auto it = watched_.find(ref);
    if (it == watched_.end()) return std::nullopt;
    const pid target = it->second;
    watched_.erase(it);
    return target;
  }
  void connection_lost() {
    const term noconnection = "noconnection"_a;
    for (const auto& [local, remote] : links_) local_signal(local, signal_kind::exit_linked, tuple(remote, noconnection));
    for (const auto& [ref, m] : monitors_) local_signal(m.first, signal_kind::down, down_of(ref, m.second, noconnection));
    for (const auto& [ref, target] : watched_) local_signal(target, signal_kind::demonitor, ref);
    links_.clear();
    monitors_.clear();
    watched_.clear();
  }

 private:
  std::set<std::pair<pid, pid>> links_;             // (local, remote)
  std::map<term, std::pair<pid, term>> monitors_;  // ref -> (local watcher, how its DOWN names the target)
  std::map<term, pid> watched_;                    // ref -> local target the peer monitors
};

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
        after(milliseconds(0), [] { return false; }));
  }
}

// --- serving an established connection ---

class connection {
 public:
  connection(gen_tcp::socket s, atom peer, std::uint32_t peer_creation)
      : s_(std::move(s)), peer_(peer), peer_creation_(peer_creation) {}

  // Runs until the connection ends; returns why.
  task<std::string> serve() {
    const settings& cfg = state().config;
    gen_tcp::setopts(s_, {.active = gen_tcp::active::once(), .packet = gen_tcp::packet::u4,
                          .packet_size = cfg.max_frame});
    const auto tick_every = cfg.ticktime / 4;
    last_in_ = last_out_ = clock::now();
    const term id = s_.id();
    for (;;) {
      const auto now = clock::now();
      if (now - last_in_ >= cfg.ticktime) co_return "net_tick_timeout: nothing arrived for a tick time";
      if (now - last_out_ >= tick_every) {
        const std::string tick;  // a frame of length 0
        co_await gen_tcp::send(s_, tick);
        last_out_ = clock::now();
      }
      const auto wake = std::min(last_in_ + cfg.ticktime, last_out_ + tick_every);
      enum class got { data, closed, error, out, signal, stop, timeout };
      term payload;
      std::int64_t signal_kind_number = 0, signal_creation = 0;
      std::optional<pid> signal_to;
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
          on(tuple("tcp_closed"_a, id), [] { return got::closed; }),
          on(tuple("tcp_error"_a, id, _term),
             [&](const term& why) {
               payload = why;
               return got::error;
             }),
          on("$dist_stop"_a, [] { return got::stop; }),
          after(left(wake), [] { return got::timeout; }));
      switch (what) {
        case got::data: {
          last_in_ = clock::now();
          const auto body = payload.as_binary();
          if (!body.empty()) co_await handle(body);
          gen_tcp::setopts(s_, {.active = gen_tcp::active::once()});
          break;
        }
        case got::out:
          if (payload.is_binary()) {
            co_await gen_tcp::send(s_, payload);
            last_out_ = clock::now();
          }
          break;
        case got::signal:
          co_await out_signal(static_cast<signal_kind>(signal_kind_number), *signal_to, payload, signal_creation);
          break;
        case got::closed:
          co_return "the peer closed the connection";
        case got::error:
          if (payload == "emsgsize"_a) co_return fmt::format("a frame larger than max_frame ({} bytes)", cfg.max_frame);
          co_return fmt::format("socket error {}", text_of(payload));
        case got::stop:
          co_return "";
        case got::timeout:
          break;
      }
    }
  }

 private:
  // One frame from the peer. Throws frame_error for a bad one.
  task<> handle(std::span<const std::uint8_t> body) {
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
          co_await write(tuple(op::exit, to, from, "noproc"_a));
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
        local_signal(pid_at(c, 2, "EXIT2"), signal_kind::exit, tuple(pid_at(c, 1, "EXIT2"), element(c, 3, "EXIT2")));
        break;
      case op::unlink:  // {4, From, To}: before OTP 26, without an ack
      case op::unlink_id: {  // {35, Id, From, To}: acked, before any other signal to From
        const std::size_t at = o == op::unlink ? 1 : 2;
        const pid from = pid_at(c, at, "UNLINK"), to = pid_at(c, at + 1, "UNLINK");
        crossings_.unlinked(to, from);
        local_signal(to, signal_kind::unlink, term(from));
        if (o == op::unlink_id) co_await write(tuple(op::unlink_id_ack, element(c, 1, "UNLINK_ID"), to, from));
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
          co_await write(tuple(op::monitor_p_exit, to, from, ref, "noproc"_a));
        }
        break;
      }
      case op::demonitor_p: {  // {20, FromPid, ToProc, Ref}
        const term& ref = element(c, 3, "DEMONITOR_P");
        if (auto target = crossings_.end_watched(ref)) local_signal(*target, signal_kind::demonitor, ref);
        break;
      }
      case op::monitor_p_exit: {  // {21, FromProc, ToPid, Ref, Reason}: FromProc the name for a monitor by name
        const term& from = element(c, 1, "MONITOR_P_EXIT");
        const term& ref = element(c, 3, "MONITOR_P_EXIT");
        const term who = from.is_atom() ? tuple(from, peer_) : from;
        crossings_.end_monitoring(ref);
        local_signal(pid_at(c, 2, "MONITOR_P_EXIT"), signal_kind::down, down_of(ref, who, element(c, 4, "MONITOR_P_EXIT")));
        break;
      }
      default:  // UNLINK_ID_ACK, GROUP_LEADER, spawns, payload exits (not negotiated): dropped
        break;
    }
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

  task<> write(term control) {
    const std::string frame = encode_frame(control);
    co_await gen_tcp::send(s_, frame);
    last_out_ = clock::now();
  }

  // A signal from a local process for `to` on the peer: encoded, recorded, written.
  task<> out_signal(signal_kind kind, pid to, term payload, std::int64_t creation) {
    if (creation != 0 && creation != peer_creation_) {  // an earlier incarnation of the peer: dead
      answer_undelivered(kind, to, payload, "noproc"_a);
      co_return;
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
      case signal_kind::monitor: {  // payload: {watcher, ref, who}
        const auto f = payload.as_tuple();
        crossings_.monitoring(f[1], f[0].as_pid(), f[2]);
        control = tuple(op::monitor_p, f[0], to, f[1]);
        break;
      }
      case signal_kind::demonitor: {  // payload: the reference; the watcher is what we recorded
        const std::optional<pid> watcher = crossings_.end_monitoring(payload);
        if (!watcher) co_return;
        control = tuple(op::demonitor_p, *watcher, to, payload);
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
        co_return;
    }
    co_await write(control);
  }

  gen_tcp::socket s_;
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

// Serves an established connection to its end and logs why it ended.
task<> serve_and_log(gen_tcp::socket s, atom peer, std::uint32_t creation) {
  std::string why;
  connection c(s, peer, creation);
  try {
    why = co_await c.serve();
  } catch (const std::exception& e) {
    why = reason_text(e);
  }
  forget_connection(peer, beam::self());  // new sends start a new connection from here on
  c.lost();
  if (!why.empty()) log_warning(fmt::format("connection to node {} down: {}", peer.text(), why));
}

std::pair<std::string, std::string> split_name(atom node) {
  const std::string_view text = node.text();
  const auto at = text.find('@');
  if (at == std::string_view::npos) throw handshake_error(fmt::format("node name {} has no '@'", text));
  return {std::string(text.substr(0, at)), std::string(text.substr(at + 1))};
}

// A dialler answered `nok`: the accepted connection from the same peer is taking over (simultaneous
// connect), or the dial failed.
bool taken_over(atom peer, const pid& self) {
  dist_state& st = state();
  std::lock_guard lock(st.mutex);
  auto it = st.connections.find(peer.index());
  return it != st.connections.end() && it->second.process == self && it->second.taken_over;
}


}  // namespace

process dial(atom peer, std::uint64_t generation) {
  (void)generation;
  const pid self = beam::self();
  const settings& cfg = state().config;
  const auto deadline = clock::now() + cfg.setup_time;
  std::optional<gen_tcp::socket> s;
  std::uint32_t creation = 0;
  std::string failure;
  try {
    // Named values, no structured binding or braced list inside a co_await: GCC 12 mishandles both in
    // coroutines (a double free here before).
    const std::pair<std::string, std::string> parts = split_name(peer);
    const std::string host = parts.second;
    const std::uint16_t at = co_await epmd_port_please(host, cfg.epmd_port, parts.first, left(deadline));
    const gen_tcp::options handshake_options{
        .active = gen_tcp::active::off(), .packet = gen_tcp::packet::u2, .nodelay = true};
    s = co_await gen_tcp::connect(host, at, handshake_options, left(deadline));
    const send_name mine{flag::ours, cfg.creation, std::string(cfg.name.text())};
    const std::string name_packet = encode_send_name(mine);
    co_await gen_tcp::send(*s, name_packet);
    hs_packet p = co_await next_packet(*s, deadline);
    if (p.what == hs_packet::kind::data) {
      const std::string status = parse_status(p.data);
      if (status == "nok" && taken_over(peer, self)) {
        p = co_await wait_takeover(deadline);
        if (p.what != hs_packet::kind::takeover) throw handshake_error("simultaneous connect: no takeover came");
      } else if (status != "ok" && status != "ok_simultaneous") {
        throw handshake_error(fmt::format("node {} refused the connection: status {}", peer.text(), status));
      }
    }
    if (p.what == hs_packet::kind::takeover) {
      gen_tcp::close(*s);
      s = gen_tcp::socket::from(term(*p.socket));
      creation = p.creation;
      co_await accept_rest(*s, peer, deadline);
    } else {
      if (p.what != hs_packet::kind::data) (void)data_or_throw(p, "status");
      const challenge c = parse_challenge(data_or_throw(co_await next_packet(*s, deadline), "challenge"));
      if (c.name != peer.text()) {
        throw handshake_error(fmt::format("dialled node {} but {} answered", peer.text(), c.name));
      }
      (void)check_flags(c.flags);
      const std::uint32_t ours = new_challenge();
      const challenge_reply reply{ours, digest(cfg.cookie, c.challenge)};
      const std::string reply_packet = encode_challenge_reply(reply);
      co_await gen_tcp::send(*s, reply_packet);
      const md5_digest ack = parse_challenge_ack(data_or_throw(co_await next_packet(*s, deadline), "challenge_ack"));
      if (!digests_equal(ack, digest(cfg.cookie, ours))) {
        throw handshake_error(fmt::format("node {} answered with an invalid challenge ack (a wrong cookie?)",
                                          peer.text()));
      }
      creation = c.creation;
    }
    mark_up(peer, self, creation);
  } catch (const std::exception& e) {
    failure = reason_text(e);
  }
  if (failure.empty()) {
    co_await serve_and_log(*s, peer, creation);
  } else {
    log_warning(fmt::format("cannot connect to node {}: {}", peer.text(), failure));
  }
  forget_connection(peer, self);
  if (s) gen_tcp::close(*s);
  co_await drain_undelivered();
}

process accept_one(term listener, std::uint64_t generation) {
  std::optional<gen_tcp::socket> accepted;
  try {
    const gen_tcp::socket l = gen_tcp::socket::from(listener);
    accepted = co_await gen_tcp::accept(l);
  } catch (const std::exception&) {  // the listener closed (stop): this process just ends
  }
  if (!accepted) co_return;
  gen_tcp::socket s = *accepted;
  spawn(accept_one, listener, generation);
  const pid self = beam::self();
  const settings& cfg = state().config;
  const auto deadline = clock::now() + cfg.setup_time;
  std::optional<atom> peer;
  std::string failure;
  bool handed_over = false;
  std::uint32_t creation = 0;
  try {
    const send_name n = parse_send_name(data_or_throw(co_await next_packet(s, deadline), "send_name"));
    std::string flags_refused;
    try {
      (void)check_flags(n.flags);
    } catch (const handshake_error& e) {
      flags_refused = fmt::format("node {} refused: {}", n.name, e.what());
    }
    if (!flags_refused.empty()) {
      {
      const std::string status = encode_status("not_allowed");
      co_await gen_tcp::send(s, status);
    }
      throw handshake_error(flags_refused);
    }
    peer = atom(n.name);
    creation = n.creation;
    enum class verdict { ok, nok, takeover, alive } v = verdict::ok;
    std::optional<pid> other;
    {
      dist_state& st = state();
      std::lock_guard lock(st.mutex);
      auto it = st.connections.find(peer->index());
      if (!st.running.load(std::memory_order_relaxed)) {
        v = verdict::nok;
      } else if (it == st.connections.end()) {
        st.connections.emplace(peer->index(), connection_entry{self, false, false, false, 0});
      } else if (it->second.up) {
        v = verdict::alive;  // the peer may have lost the old connection before we noticed: ask it
        other = it->second.process;
      } else if (it->second.initiator && !it->second.taken_over && n.name > cfg.name.text()) {
        it->second.taken_over = true;
        other = it->second.process;
        v = verdict::takeover;
      } else {
        v = verdict::nok;
      }
    }
    if (v == verdict::alive) {
      {
      const std::string status = encode_status("alive");
      co_await gen_tcp::send(s, status);
    }
      const std::string answer = parse_status(data_or_throw(co_await next_packet(s, deadline), "the answer to alive"));
      if (answer != "true") throw handshake_error(fmt::format("node {} keeps its old connection ({})", n.name, answer));
      {
        dist_state& st = state();
        std::lock_guard lock(st.mutex);
        auto it = st.connections.find(peer->index());
        if (it == st.connections.end()) {
          st.connections.emplace(peer->index(), connection_entry{self, false, false, false, 0});
        } else if (it->second.process == *other) {
          it->second = connection_entry{self, false, false, false, 0};
        } else {
          v = verdict::nok;
        }
      }
      if (v == verdict::nok) throw handshake_error(fmt::format("node {} connected meanwhile", n.name));
      send(*other, "$dist_stop"_a);  // the old connection: the peer says it is gone
      co_await accept_rest(s, *peer, deadline);
      mark_up(*peer, self, creation);
    } else if (v == verdict::nok) {
      {
      const std::string status = encode_status("nok");
      co_await gen_tcp::send(s, status);
    }
      throw handshake_error(fmt::format("node {} is connected or connecting already (answered nok)", n.name));
    } else if (v == verdict::takeover) {
      {
      const std::string status = encode_status("ok_simultaneous");
      co_await gen_tcp::send(s, status);
    }
      gen_tcp::controlling_process(s, *other);
      send(*other, tuple("$dist_takeover"_a, s.id(), static_cast<std::int64_t>(n.creation)));
      handed_over = true;
    } else {
      {
      const std::string status = encode_status("ok");
      co_await gen_tcp::send(s, status);
    }
      co_await accept_rest(s, *peer, deadline);
      mark_up(*peer, self, creation);
    }
  } catch (const std::exception& e) {
    failure = reason_text(e);
  }
  if (handed_over) co_return;
  if (failure.empty()) {
    co_await serve_and_log(s, *peer, creation);
  } else {
    log_warning(failure.find("rejected") != std::string::npos
                    ? failure
                    : fmt::format("connection attempt{} refused: {}", peer ? " from node " + std::string(peer->text()) : "",
                                  failure));
  }
  if (peer) forget_connection(*peer, self);
  gen_tcp::close(s);
  co_await drain_undelivered();
}

}  // namespace beam::dist_impl
