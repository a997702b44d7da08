// dist/node_table.hpp: the state of distribution shared by its processes and the router: this node's
// settings, and the table of connections, one per peer node.
//
// Design. Each connection is one beampp process (dist/connection.cpp) that owns its socket, does the
// handshake, then reads frames in arrival order and writes the frames other processes hand it. A sender
// never touches a socket: the router (dist/router.cpp) encodes the frame on the sender's thread and sends it
// to the connection's process as a message, so
//   - per-pair order holds: messages from one process to one process arrive in order (one mailbox, one
//     socket, one reader on the other side);
//   - auto-connect and "queue while connecting" are the same thing: the first send to a node spawns its
//     connection process, and frames wait in that process's mailbox, behind the handshake's selective
//     receive, until the connection is up; if it never comes up they are dropped with the process;
//   - a waiting connection uses no thread (gen_tcp's poller wakes it), and ticks are receive timeouts;
//   - signals for remote pids (link, exit, monitor, DOWN: proc's send_signal hands them to the router's
//     route_signal) travel the same mailbox, so they keep their place among the messages, and the
//     connection's process, which encodes them, knows what crossed it for noconnection (dist/serve.cpp).
// Rejected: a reader thread per connection (threads for idle peers; Erlang's processes are the model here);
// writing from the senders' threads under a socket lock (a slow peer would block schedulers, and order
// across senders needs a queue anyway); decoding frames in parallel (ergo's lesson: order and atom-cache
// state are lost).
//
// Who may touch what. Everything in `dist_state` is under `mutex`, except `settings`, written by start
// before `running` is set and read-only until stop, and `running`, read without the lock by the router's
// fast refusal (acquire, paired with start's release). The connection table maps a node's atom index to
// the process serving it and whether its handshake is done; only the process named in an entry removes it
// (or stop, or the keeper's end, which clear the table).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <beam/atom.hpp>
#include <beam/dist.hpp>
#include <beam/pid.hpp>

namespace beam::dist_impl {

struct settings {
  atom name = atom::from_index(0);  // alive@host
  std::uint32_t creation = 0;
  std::string cookie;
  std::uint16_t epmd_port = 4369;
  std::chrono::milliseconds ticktime{60000};
  std::chrono::milliseconds setup_time{7000};
  std::size_t max_frame = 0;
  bool long_names = false;
};

struct connection_entry {
  pid process;
  bool up = false;          // the handshake is done
  bool initiator = false;   // we dialled
  bool taken_over = false;  // simultaneous connect: an accepted socket is being handed to this dialler
  std::uint32_t peer_creation = 0;
};

struct dist_state {
  std::mutex mutex;
  std::atomic<bool> running{false};
  settings config;                                                    // see above
  std::unordered_map<std::uint32_t, connection_entry> connections;    // mutex; node atom index -> entry
  std::unordered_map<std::uint32_t, std::vector<pid>> node_monitors;  // mutex; monitor_node subscribers
  std::optional<pid> keeper;     // mutex; owns the listener and EPMD's socket
  std::uint16_t port = 0;        // mutex
  std::uint64_t generation = 0;  // mutex; bumped by each start
  const void* owner = nullptr;   // mutex; the proc::node of the runtime started in
};

dist_state& state() noexcept;

// Connection processes (dist/connection.cpp).
// The dialler of `peer`: EPMD lookup, connect, handshake, then serve. Spawned by the router.
process dial(atom peer);
// The acceptor: accepts one connection on `listener` (a port term), spawns the next acceptor, then serves it.
process accept_one(term listener);

// The entry for `peer`'s connection, spawning a dialler when there is none (any thread; takes the lock).
// nullopt when distribution is not running.
std::optional<pid> connection_for(atom peer);
// The process `self` no longer serves `peer` (it ended or gave up): removes the entry if it is self's, and
// then sends {nodedown, Peer} to the monitor_node subscribers of `peer`.
void forget_connection(atom peer, const pid& self) noexcept;

// Logs "dist: <text>" as a warning, or as info (what Erlang does not report: a connection's normal end).
void log_warning(const std::string& text);
void log_info(const std::string& text);

}  // namespace beam::dist_impl
