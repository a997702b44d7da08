// tools/stream_io.hpp: bytes in and out of standard streams, binary-safe (no text translation on POSIX).
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <ostream>
#include <span>
#include <vector>

namespace beampp {

// Appends up to `n` bytes of `in` to `out`; returns how many there were before the input ended. Memory grows
// with what arrives, not with `n`, so a hostile length announces gigabytes in vain.
std::size_t read_at_most(std::istream& in, std::vector<std::uint8_t>& out, std::size_t n);

// Everything left in `in`.
std::vector<std::uint8_t> read_all(std::istream& in);

void write_bytes(std::ostream& out, std::span<const std::uint8_t> bytes);

}  // namespace beampp
