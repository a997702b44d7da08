// beam/gen_tcp.hpp: TCP sockets owned by processes, in the shape of Erlang's gen_tcp.
//
//   beam::process connection(beam::gen_tcp::socket listener) {   // one process per connection
//     beam::gen_tcp::socket s = co_await beam::gen_tcp::accept(listener);   // it owns what it accepts
//     beam::spawn(connection, listener);                             // the next one waits in accept
//     for (bool open = true; open;) {
//       beam::gen_tcp::setopts(s, {.active = beam::gen_tcp::active::once()});   // one message, then passive
//       co_await beam::receive(
//           beam::on(beam::tuple("tcp"_a, s.id(), beam::_binary), [&](beam::term data) { ... }),
//           beam::on(beam::tuple("tcp_closed"_a, s.id()), [&] { open = false; }));
//     }
//   }
//   beam::gen_tcp::socket listener = beam::gen_tcp::listen(4000, {.reuseaddr = true, .active = off()});
//   beam::spawn(connection, listener);
//
// A socket is a port (beam/port.hpp; a term printed #Port<0.N>) owned by one process, its controlling
// process: the one that opened or accepted it, or the one controlling_process gave it to. Its active-mode
// messages go to the owner; only the owner may recv or give it away (others get beam::error `not_owner`); any
// process may send on it, set its options or close it. When the owner ends, the socket is closed.
//
// Active mode: data arrives as {tcp, Socket, Data} (Data a binary), then {tcp_closed, Socket} when the peer
// closes, or {tcp_error, Socket, Reason} and then {tcp_closed, Socket} on an error. `active::on()` delivers
// everything; `once()` one message, then the socket is passive until setopts re-arms it; `times(n)` n
// messages, then {tcp_passive, Socket}. A passive socket stops reading: data waits in the kernel, and the
// peer's sends stall once its buffers fill (back-pressure reaches the peer, not our memory).
// Passive mode (`active::off()`): recv(s, length, timeout).
//
// Framing (`packet`): raw (bytes as they come), line (one message per line, the '\n' kept), u1/u2/u4 (a
// big-endian length header of 1, 2 or 4 bytes before each packet: sent by send, stripped on receipt).
// `packet_size` bounds a packet (0: no limit); a longer one is the error emsgsize and closes the socket.
//
// send copies the data into the socket's buffer and returns; once that buffer holds `send_buffer` bytes the
// kernel has not taken (default 64 KiB), send waits until the peer reads, without holding a scheduler.
//
// Errors are beam::error with the reason Erlang gives in {error, Reason}: closed, timeout, econnrefused,
// eaddrinuse, emfile, emsgsize, not_owner, einval (a bad option), badarg (not a socket) ... All calls that
// wait are coroutines, process-only, and never block a scheduler thread: every socket is non-blocking, and
// one poller per runtime (epoll) wakes the processes that wait.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <beam/call.hpp>
#include <beam/pid.hpp>
#include <beam/port.hpp>
#include <beam/process.hpp>
#include <beam/term.hpp>

namespace beam::gen_tcp {

enum class packet : std::uint8_t { raw, line, u1, u2, u4 };

// Erlang's {active, false | true | once | N}.
class active {
 public:
  enum class mode : std::uint8_t { off, on, once, count };
  [[nodiscard]] static constexpr active off() noexcept { return active(mode::off, 0); }
  [[nodiscard]] static constexpr active on() noexcept { return active(mode::on, 0); }
  [[nodiscard]] static constexpr active once() noexcept { return active(mode::once, 0); }
  // {active, N}: N messages more (N in -32768..32767, added to what is left, as Erlang adds it; 0 or less
  // makes the socket passive with {tcp_passive, Socket}). Throws beam::error(einval) out of range.
  [[nodiscard]] static active times(std::int32_t n);
  [[nodiscard]] constexpr mode kind() const noexcept { return mode_; }
  [[nodiscard]] constexpr std::int32_t count() const noexcept { return count_; }
  friend constexpr bool operator==(active, active) noexcept = default;

 private:
  constexpr active(mode m, std::int32_t n) noexcept : mode_(m), count_(n) {}
  mode mode_;
  std::int32_t count_;
};

// Options of listen, connect and setopts; what is left unset keeps its default (or, for setopts, its value).
// An accepted socket starts with its listener's options.
struct options {
  std::optional<std::string>
      ip{};                      // listen: the address to bind (default any, 0.0.0.0); connect: the local one
  std::optional<int> backlog{};  // listen: the accept queue (default 1024)
  std::optional<bool> reuseaddr{};           // SO_REUSEADDR (default false)
  std::optional<gen_tcp::active> active{};   // default on (Erlang's default)
  std::optional<gen_tcp::packet> packet{};   // default raw
  std::optional<std::size_t> packet_size{};  // default 0: no limit
  std::optional<std::size_t> send_buffer{};  // bytes send may hold beyond the kernel's (default 64 KiB, >= 1)
  std::optional<bool> nodelay{};             // TCP_NODELAY (default false)
  // Closes a connection on which nothing arrives for this long: active, {tcp_error, S, timeout} then
  // {tcp_closed, S}; passive, a recv waiting then gives timeout, else the socket just closes. Default: none
  // (0 also means none). Seen within a few milliseconds of the deadline.
  std::optional<std::chrono::milliseconds> idle_timeout{};
};

namespace detail {
class tcp_socket;  // the open socket's state (services/tcp_socket.hpp)
}

// A socket: its port and its state. Copies name the same socket.
class socket {
 public:
  // The socket a port term names (a {tcp, S, ...} message's S). Throws beam::error(badarg) if it is not an
  // open socket of this runtime.
  [[nodiscard]] static socket from(const term& port_term);

  [[nodiscard]] beam::port port() const noexcept { return port_; }
  [[nodiscard]] term id() const { return term(port_); }  // the term messages carry
  friend bool operator==(const socket& a, const socket& b) noexcept { return a.port_ == b.port_; }

  // Internal: the state (services only).
  [[nodiscard]] detail::tcp_socket& state() const noexcept { return *state_; }
  socket(beam::port p, std::shared_ptr<detail::tcp_socket> s) noexcept : port_(p), state_(std::move(s)) {}

 private:
  beam::port port_;
  std::shared_ptr<detail::tcp_socket> state_;
};

// gen_tcp:listen/2: a listening socket on `port` (0: one the system picks; see sockname). Owned by the
// caller. Errors: eaddrinuse, eacces, einval (a bad ip), emfile.
[[nodiscard]] socket listen(std::uint16_t port, const options& opts = {});
// gen_tcp:accept/2: the next connection, owned by the caller. Errors: timeout, closed (the listener was
// closed), emfile: the listener stays open and accepts again once descriptors are free.
[[nodiscard]] task<socket> accept(socket listener, std::chrono::milliseconds timeout = infinity);
// gen_tcp:connect/4: `host` is an IPv4 address or a name (resolved on a dirty thread). Errors: econnrefused,
// timeout, nxdomain, ehostunreach ... GCC 12: options that set `ip` must be built in a statement of their
// own, not inside the co_await expression (GCC 12 moves such a temporary aggregate holding a string bitwise;
// see beam/dist.hpp).
[[nodiscard]] task<socket> connect(std::string host, std::uint16_t port, options opts = {},
                                   std::chrono::milliseconds timeout = infinity);
// gen_tcp:send/2: `data` (a binary, a string or iodata) framed by the socket's packet option. Errors: closed,
// and the reason of a failed write (epipe, econnreset) on the send after it happened.
[[nodiscard]] task<> send(socket s, term data);
[[nodiscard]] task<> send(socket s, std::string_view data);  // `data` must outlive the awaited call
[[nodiscard]] task<> send(socket s, std::string data);
// gen_tcp:recv/3 on a passive socket: a packet (raw: `length` bytes, or what has arrived when 0). Errors:
// closed, timeout, einval (an active socket), not_owner, emsgsize, econnreset.
[[nodiscard]] task<term> recv(socket s, std::size_t length = 0, std::chrono::milliseconds timeout = infinity);
// gen_tcp:close/1: closes the socket for its users now (every later call gives closed); what send queued is
// still written, then the descriptor closes. Idempotent.
void close(const socket& s) noexcept;
// gen_tcp:shutdown(S, write): no more sends; the peer reads what was sent, then end of file. We may still
// read.
void shutdown_write(const socket& s);
// gen_tcp:controlling_process/2, awaited by the owner: `new_owner` receives the socket's active messages from
// now on and its end closes the socket. As in Erlang, the socket's messages already in the caller's mailbox
// ({tcp, S, Data}, {tcp_closed, S}, {tcp_error, S, Reason}, {tcp_passive, S}) move to `new_owner`, oldest
// first and ahead of anything the socket sends later; the caller's other messages stay, in their order. The
// socket is passive while they move (data arriving meanwhile waits in the kernel), then changes hands and
// gets its active setting back. Giving it to its owner does nothing. Errors: not_owner; closed (closed before
// the call: its last messages stay with the caller; or during it, by another process: what moved stays
// moved); badarg (`new_owner` is not a live process of this node: nothing moves). An active setting made by
// another process during the call may be undone, or deliver to the caller, as in Erlang: let the new owner
// set options once it owns the socket (a message from the old owner tells it so).
[[nodiscard]] task<> controlling_process(socket s, pid new_owner);
// inet:setopts/2: active, packet, packet_size, send_buffer, nodelay, idle_timeout (the others: einval).
void setopts(const socket& s, const options& opts);
// inet:peername/1 and sockname/1: {address, port} as text "127.0.0.1" and a number.
[[nodiscard]] std::pair<std::string, std::uint16_t> peername(const socket& s);
[[nodiscard]] std::pair<std::string, std::uint16_t> sockname(const socket& s);
// How many sockets are open in this runtime (for introspection and leak tests).
[[nodiscard]] std::size_t open_sockets() noexcept;

}  // namespace beam::gen_tcp
