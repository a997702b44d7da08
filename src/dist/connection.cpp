// dist/connection.cpp: the handshake of a connection's process, as dialler or acceptor; once it is done
// the process serves the connection (dist/serve.cpp). The design is at the top of dist/node_table.hpp, the
// bytes of the handshake at the top of dist/handshake.hpp.
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
#include <algorithm>
#include <chrono>
#include <optional>
#include <string>

#include <fmt/format.h>

#include <beam/error.hpp>
#include <beam/gen_tcp.hpp>
#include <beam/logger.hpp>
#include <beam/process.hpp>
#include <beam/receive.hpp>

#include "dist/epmd.hpp"
#include "dist/handshake.hpp"
#include "dist/node_table.hpp"
#include "dist/serve.hpp"

namespace beam::dist_impl {
namespace {

using namespace beam::literals;
using std::chrono::milliseconds;

// One handshake packet, or why none came.
struct hs_packet {
  enum class kind { data, closed, error, timeout, takeover } what;
  std::string data;              // data: the packet; error: the reason
  std::optional<port> socket{};  // takeover: the accepted socket handed to us
  std::uint32_t creation = 0;    // takeover: the peer's creation
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
  co_return co_await receive(on(tuple("tcp"_a, id, _binary),
                                [](const term& data) {
                                  const auto b = data.as_binary();
                                  return hs_packet{hs_packet::kind::data, std::string(b.begin(), b.end())};
                                }),
                             on(tuple("tcp_closed"_a, id),
                                [] {
                                  return hs_packet{hs_packet::kind::closed, {}};
                                }),
                             on(tuple("tcp_error"_a, id, _term),
                                [](const term& why) {
                                  return hs_packet{hs_packet::kind::error, text_of(why)};
                                }),
                             takeover_clause(), after(left(deadline), [] {
                               return hs_packet{hs_packet::kind::timeout, {}};
                             }));
}

// A dialler answered `nok` whose entry is marked taken over: the accepted side's socket, soon.
task<hs_packet> wait_takeover(clock::time_point deadline) {
  co_return co_await receive(takeover_clause(), after(left(deadline), [] {
                               return hs_packet{hs_packet::kind::timeout, {}};
                             }));
}

// The data of the next packet; any other outcome is a handshake_error (a takeover is the caller's to
// look for first, with next_packet).
std::string data_or_throw(const hs_packet& p, const char* waiting_for) {
  switch (p.what) {
    case hs_packet::kind::data:
      return p.data;
    case hs_packet::kind::closed:
      throw handshake_error(
          fmt::format("the peer closed the connection while we waited for {}", waiting_for));
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
  const challenge_reply reply =
      parse_challenge_reply(data_or_throw(co_await next_packet(s, deadline), "challenge_reply"));
  if (!digests_equal(reply.digest, digest(cfg.cookie, ours))) {
    throw handshake_error(
        fmt::format("connection attempt from node {} rejected: invalid challenge reply "
                    "(a wrong cookie?)",
                    peer.text()));
  }
  const std::string ack = encode_challenge_ack(digest(cfg.cookie, reply.challenge));
  co_await gen_tcp::send(s, ack);
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

process dial(atom peer) {
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
        if (p.what != hs_packet::kind::takeover)
          throw handshake_error("simultaneous connect: no takeover came");
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
      const md5_digest ack =
          parse_challenge_ack(data_or_throw(co_await next_packet(*s, deadline), "challenge_ack"));
      if (!digests_equal(ack, digest(cfg.cookie, ours))) {
        throw handshake_error(
            fmt::format("node {} answered with an invalid challenge ack (a wrong cookie?)", peer.text()));
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
    // Info, not a warning: an unreachable node is ordinary (its messages are dropped, as Erlang drops them).
    log(log_level::info, fmt::format("dist: cannot connect to node {}: {}", peer.text(), failure));
  }
  forget_connection(peer, self);
  if (s) gen_tcp::close(*s);
  co_await drain_undelivered();
}

process accept_one(term listener) {
  std::optional<gen_tcp::socket> accepted;
  try {
    const gen_tcp::socket l = gen_tcp::socket::from(listener);
    accepted = co_await gen_tcp::accept(l);
  } catch (const std::exception&) {  // the listener closed (stop): this process just ends
  }
  if (!accepted) co_return;
  gen_tcp::socket s = *accepted;
  spawn(accept_one, listener);
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
      const std::string answer =
          parse_status(data_or_throw(co_await next_packet(s, deadline), "the answer to alive"));
      if (answer != "true")
        throw handshake_error(fmt::format("node {} keeps its old connection ({})", n.name, answer));
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
      co_await gen_tcp::controlling_process(s, *other);
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
                    : fmt::format("connection attempt{} refused: {}",
                                  peer ? " from node " + std::string(peer->text()) : "", failure));
  }
  if (peer) forget_connection(*peer, self);
  gen_tcp::close(s);
  co_await drain_undelivered();
}

}  // namespace beam::dist_impl
