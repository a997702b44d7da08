// tools/stream_io.cpp: see stream_io.hpp.
#include "stream_io.hpp"

#include <algorithm>
#include <limits>

namespace beampp {

namespace {
constexpr std::size_t chunk_size = std::size_t{1} << 16;
}

std::size_t read_at_most(std::istream& in, std::vector<std::uint8_t>& out, std::size_t n) {
  std::size_t total = 0;
  while (total < n && in) {
    std::size_t start = out.size();
    std::size_t wanted = std::min(chunk_size, n - total);
    out.resize(start + wanted);
    in.read(reinterpret_cast<char*>(out.data() + start), static_cast<std::streamsize>(wanted));
    auto got = static_cast<std::size_t>(in.gcount());
    out.resize(start + got);
    total += got;
  }
  return total;
}

std::vector<std::uint8_t> read_all(std::istream& in) {
  std::vector<std::uint8_t> bytes;
  read_at_most(in, bytes, std::numeric_limits<std::size_t>::max());
  return bytes;
}

void write_bytes(std::ostream& out, std::span<const std::uint8_t> bytes) {
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace beampp
