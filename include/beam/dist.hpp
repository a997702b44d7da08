// beam/dist.hpp: distribution. A beampp runtime becomes a node of an Erlang/Elixir cluster: it registers
// with EPMD, accepts and makes connections with the version 6 handshake, and carries messages to and from
// the processes of other nodes (`Pid ! Msg`, `{Name, Node} ! Msg`, net_adm:ping).
//
//   beam::process main_process() {
//     const beam::dist::options opts{.name = "cpp", .cookie = "secret"};  // cpp@<short hostname>
//     co_await beam::dist::start(opts);
//     beam::register_name("echo"_a, beam::self());
//     beam::send(std::pair{"shell"_a, "erl@vm"_a}, "hello"_a);            // connects on the first send
//     ...
//   }
//
// The node is hidden (other nodes' nodes() do not list it, nodes(hidden) does) and speaks no atom cache, so
// every frame is `112 | 131 control | [131 message]`. Pids of other nodes print as #PID<N.x.y> (Elixir) and
// <N.x.y> (Erlang), N naming the node; a pid of a peer's earlier incarnation (another creation) is dead, and
// messages to it are dropped. A message to a node that cannot be reached, to an unknown registered name or
// to a dead pid is dropped silently, as Erlang drops it; messages from one process to another arrive in the
// order they were sent.
//
// Links, exit signals (exit/2, `kill` included), the unlink protocol (UNLINK_ID and its ack) and monitors
// cross nodes as within one: beam::link, beam::unlink, beam::exit, beam::monitor, beam::demonitor and
// beam::call take remote pids, and remote processes link to and monitor local ones (by pid, or by
// registered name). When a connection goes down, every link across it gets the exit signal `noconnection`
// and every monitor of a remote process its DOWN `noconnection`.
//
// beam::monitor({Name, Node}) monitors a process registered on another node, and beam::call({Name, Node},
// Request) calls it as gen_server:call({Name, Node}, Request) does.
//
// Remote spawn, both ways. Another node's spawn_request/spawn/4 (SPAWN_REQUEST) runs a C++ function
// exported with beam::export_function or beam::export_call (<beam/export_call.hpp>), linked to and
// monitored by its parent as asked (options link and monitor; any other option is refused with badopt); an
// unknown function's process exits with {undef, [{M, F, Args, []}]}, as on an OTP node. rpc:call and
// erpc:call (a spawn of erpc:execute_call/4) return the value of a function exported with export_call, and
// erpc:cast and rpc:cast (in OTP 25 rpc:cast is erpc:cast, a spawn of erpc:execute_cast/3) run an export. A
// SPAWN_REQUEST whose control tuple is malformed closes its connection, as OTP closes it. The other way,
// beam::dist::spawn_request below.
//
// What this slice does not do yet: published mode, the atom cache, fragmented frames, and the EXIT_PAYLOAD /
// SEND_SENDER forms (not advertised, so peers do not use them); frames that carry a closure (NEW_FUN_EXT) are
// refused, which closes the connection. A link or monitor signal sent in the instant a connection ends, after
// it answered what was queued, is lost instead of answered `noconnection`. The queue of frames waiting for a
// slow peer is a mailbox, with no bound yet.
//
// GCC 12: build the options in a statement of their own, as above. `co_await start({.name = ...})`, with the
// options built inside the co_await expression, is miscompiled: GCC 12 moves such a temporary aggregate that
// holds a std::string bitwise into the caller's frame, and its destruction frees a pointer into the old place
// (glibc: "munmap_chunk(): invalid pointer"; the same bug as asio issue 1073 with co_yield). Clang 14
// compiles it correctly. gen_tcp::connect's options with an `ip` are the other such case in this library.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <beam/atom.hpp>
#include <beam/pid.hpp>
#include <beam/process.hpp>
#include <beam/reference.hpp>
#include <beam/term.hpp>

namespace beam::dist {

struct options {
  // erl's -sname (long_names false) or -name (true): `alive` or `alive@host`. Without a host: the short
  // host name (gethostname up to the first '.') for sname, the full one for name.
  std::string name;
  bool long_names = false;
  // The shared secret. Unset: $ERLANG_COOKIE, else the first line of $HOME/.erlang.cookie, as erl reads it.
  std::optional<std::string> cookie{};
  // EPMD's port on 127.0.0.1 and on the peers' hosts. Unset: $ERL_EPMD_PORT, else 4369.
  std::optional<std::uint16_t> epmd_port{};
  // Where connections are accepted: an IPv4 address (default any) and a port (0: one the system picks).
  std::string listen_ip = "0.0.0.0";
  std::uint16_t listen_port = 0;
  // As erl's net_ticktime: a connection on which nothing has arrived for this long is down
  // (net_tick_timeout); we send a tick after a quarter of it without output.
  std::chrono::seconds net_ticktime{60};
  // As erl's net_setuptime: the most a handshake (EPMD lookup included) may take.
  std::chrono::milliseconds setup_time{7000};
  // The largest frame accepted from a peer; a larger one closes that connection.
  std::size_t max_frame = std::size_t{128} << 20;
};

// Starts distribution: listens, registers this node with EPMD (kept for the node's life) and takes the
// name and the creation EPMD gives (beam::this_node()). Process-only. Throws std::invalid_argument for bad
// options (an empty name, `alive@` or `@host`, an empty or unreadable cookie, a tick time under 1 s),
// std::logic_error when distribution is already started, and beam::error when EPMD refuses or cannot be
// reached (reason econnrefused, timeout, or `epmd_refused` for a name taken).
[[nodiscard]] task<node_id> start(options opts);

// Closes every connection and the EPMD registration. This node is then nonode@nohost again, creation 0
// (beam::this_node()), as after net_kernel:stop/0: its pids and references, made before or after, print and
// encode under that name, and under the new name once distribution is started again (with any name; EPMD
// gives the new creation). Any thread; does nothing when not started.
void stop() noexcept;

// erlang:monitor_node(Node, Flag), process-only. `on`: the caller gets {nodedown, Node} once, when the
// connection to `node` goes down or fails to come up (at once when distribution is not started); monitoring
// a node it is not connected to connects to it. Each call adds one subscription, as in Erlang. `on` false
// removes the caller's subscriptions to `node`.
void monitor_node(atom node, bool on = true);

// erlang:nodes(connected): the nodes with a connection up now.
[[nodiscard]] std::vector<atom> nodes();

// erlang:spawn_request/5's options that a node honours across the wire.
struct spawn_request_options {
  bool link = false;     // the caller is linked to the child once the reply arrives
  bool monitor = false;  // the caller monitors the child under the returned reference
};

// erlang:spawn_request(Node, Module, Function, Args, Options), process-only: asks `node` to spawn
// module:function(args) and returns the request's reference at once. The caller then gets
// {spawn_reply, Ref, ok, Pid} or {spawn_reply, Ref, error, Reason} as a message: Reason badopt, system_limit,
// notsup..., as the other node answers, or noconnection when the node cannot be reached (or distribution is
// not started) or the connection goes down before the reply. The link and the monitor (its reference is Ref,
// as in OTP) exist when the reply arrives: the child's EXIT and DOWN come after it. The caller is the child's
// group leader, so a child that prints sends the caller io requests. On this node itself it is spawn/3,
// linked and monitored at the spawn, and the reply is sent right after it (a child that ends at once may
// have its DOWN queued before the reply).
[[nodiscard]] reference spawn_request(atom node, atom module, atom function, std::vector<term> args,
                                      spawn_request_options options = {});

// Whether distribution is started.
[[nodiscard]] bool alive() noexcept;

// The port this node accepts connections on (0 when not started).
[[nodiscard]] std::uint16_t listen_port() noexcept;

}  // namespace beam::dist
