// tools/packet.cpp: see packet.hpp.
#include "packet.hpp"

#include <fmt/format.h>

#include "command.hpp"
#include "stream_io.hpp"

namespace beampp {

bool is_packet_header_size(std::size_t header_size) noexcept {
  return header_size == 1 || header_size == 2 || header_size == 4;
}

std::uint64_t max_packet_size(std::size_t header_size) noexcept {
  return (std::uint64_t{1} << (8 * header_size)) - 1;
}

void append_packet(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> bytes,
                   std::size_t header_size) {
  for (std::size_t i = header_size; i-- > 0;)
    out.push_back(static_cast<std::uint8_t>(bytes.size() >> (8 * i)));
  out.insert(out.end(), bytes.begin(), bytes.end());
}

std::optional<std::vector<std::uint8_t>> packet_reader::next() {
  std::vector<std::uint8_t> body;
  if (in_.peek() == std::istream::traits_type::eof()) return std::nullopt;
  ++frame_number_;
  std::size_t length = read_length();
  body_offset_ = offset_;
  offset_ += read_at_most(in_, body, length);
  if (body.size() < length) {
    throw input_error(
        fmt::format("frame {}: truncated: its header counts {} bytes but the input ends after {}, at byte {}",
                    frame_number_, length, body.size(), offset_));
  }
  return body;
}

std::size_t packet_reader::read_length() {
  std::vector<std::uint8_t> header;
  offset_ += read_at_most(in_, header, header_size_);
  if (header.size() < header_size_) {
    throw input_error(
        fmt::format("frame {}: truncated header: the input ends after {} of its {} length bytes, at byte {}",
                    frame_number_, header.size(), header_size_, offset_));
  }
  std::size_t length = 0;
  for (std::uint8_t byte : header) length = length << 8 | byte;
  return length;
}

}  // namespace beampp
