// dist/epmd.hpp: the EPMD client: registering this node (ALIVE2_X) and looking up a peer's port
// (PORT_PLEASE2). Requests are `Len:16 | request`; answers have no length.
//
// The registration lasts as long as its TCP connection, so the process that registers (dist/router.cpp's
// keeper) keeps the socket open for the node's life. We register as a hidden node (type 72), TCP/IPv4,
// protocol version 6 only.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <beam/gen_tcp.hpp>
#include <beam/process.hpp>

namespace beam::dist_impl {

// ALIVE2_REQ for `alive` (the part of the name before '@') accepting on `port`, with its length header.
[[nodiscard]] std::string encode_alive2_request(std::string_view alive, std::uint16_t port);
// PORT_PLEASE2_REQ for `alive`, with its length header.
[[nodiscard]] std::string encode_port_please2(std::string_view alive);

struct registration {
  gen_tcp::socket socket;  // the registration lasts while it is open
  std::uint32_t creation;  // what EPMD gave this incarnation
};
// Registers on the EPMD at 127.0.0.1:`epmd_port`. The caller owns the socket and keeps it open as long as
// the registration must last. Errors: beam::error econnrefused (no EPMD), timeout, epmd_refused (the name
// is taken), closed.
[[nodiscard]] task<registration> epmd_register(std::uint16_t epmd_port, std::string alive,
                                               std::uint16_t listen_port, std::chrono::milliseconds timeout);
// The port `alive` accepts on, asking the EPMD of `host`. Errors: beam::error nxdomain, econnrefused,
// timeout, not_registered.
[[nodiscard]] task<std::uint16_t> epmd_port_please(std::string host, std::uint16_t epmd_port,
                                                   std::string alive, std::chrono::milliseconds timeout);

}  // namespace beam::dist_impl
