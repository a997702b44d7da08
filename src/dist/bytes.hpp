// dist/bytes.hpp: big-endian integers in the byte strings of EPMD requests and handshake packets.
#pragma once

#include <cstdint>
#include <string>

namespace beam::dist_impl {

// Appends the low `bytes` bytes of `value`, the most significant first.
inline void put_be(std::string& out, std::uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>(value >> (8 * i)));
}

}  // namespace beam::dist_impl
