// dist/serve.hpp: what the handshake (dist/connection.cpp) hands over to: serving an established
// connection in the calling process (dist/serve.cpp), and the helpers both halves share.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <string>

#include <beam/atom.hpp>
#include <beam/gen_tcp.hpp>
#include <beam/process.hpp>
#include <beam/term.hpp>

namespace beam::dist_impl {

using clock = std::chrono::steady_clock;

// What is left of the time until `deadline` (0 once it has passed).
[[nodiscard]] std::chrono::milliseconds left(clock::time_point deadline);
// A term as text for a log line; never throws.
[[nodiscard]] std::string text_of(const term& t);
// An exception as text for a log line: a beam::error's reason and message.
[[nodiscard]] std::string reason_text(const std::exception& e);

// The connection's process, once its handshake is done and its entry is up: serves the connection on `s`
// to `peer` (of creation `peer_creation`) until it ends, then removes the entry, sends noconnection to what
// crossed it and logs why it ended. The caller closes the socket, then drains.
task<> serve_and_log(gen_tcp::socket s, atom peer, std::uint32_t peer_creation);

// The connection's process, at its end: answers the signals still queued for it (a link: exit
// noconnection; a monitor: DOWN noconnection) and drops the queued frames.
task<> drain_undelivered();

}  // namespace beam::dist_impl
