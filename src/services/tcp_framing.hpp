// services/tcp_framing.hpp: gen_tcp's `packet` option: where one packet ends in the bytes received so far.
//
// raw: whatever has arrived (or, for recv(N), exactly N bytes); line: up to and including '\n'; 1, 2, 4: a
// big-endian length header of that many bytes, then that many bytes (the header is not delivered), as
// Erlang's inet driver frames them. `packet_size` (0: no limit) bounds a packet's body; a longer one is an
// error (`emsgsize`), as is a line longer than the limit that has not ended.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace beam::gen_tcp {
enum class packet : std::uint8_t;
}

namespace beam::tcp_impl {

struct frame {
  enum class status : std::uint8_t { incomplete, ready, too_large };
  status state = status::incomplete;
  std::size_t header = 0;  // bytes to skip before the body
  std::size_t body = 0;    // the packet's bytes (ready), or the bytes the header announces (incomplete)
};

// The first packet in `data` for framing `type`. `want`: recv(N)'s N in raw mode (0: all there is).
[[nodiscard]] frame next_frame(gen_tcp::packet type, std::string_view data, std::size_t packet_size,
                               std::size_t want) noexcept;

}  // namespace beam::tcp_impl
