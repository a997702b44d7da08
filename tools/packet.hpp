// tools/packet.hpp: Erlang's {packet, N} framing, as ports opened with {packet, 1 | 2 | 4} use it: each frame
// is its length as an N-byte big-endian integer, then that many bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <optional>
#include <span>
#include <vector>

namespace beampp {

// The header sizes Erlang knows: 1, 2 and 4 bytes.
[[nodiscard]] bool is_packet_header_size(std::size_t header_size) noexcept;
// The largest frame a header of `header_size` bytes can count.
[[nodiscard]] std::uint64_t max_packet_size(std::size_t header_size) noexcept;

// Appends `bytes` as one frame to `out`. Precondition: bytes.size() <= max_packet_size(header_size).
void append_packet(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> bytes,
                   std::size_t header_size);

// Reads frames one at a time and never ahead of the one asked for, so a peer that waits for each answer (an
// Erlang port) is served as it writes.
class packet_reader {
 public:
  packet_reader(std::istream& in, std::size_t header_size) : in_(in), header_size_(header_size) {}

  // The next frame's bytes; nullopt when the input ends between frames. A frame cut short (in its header or
  // its body) throws input_error naming the frame and the byte of the input where it ends.
  [[nodiscard]] std::optional<std::vector<std::uint8_t>> next();

  // The number of the frame `next` returned last, from 1.
  [[nodiscard]] std::size_t frame_number() const noexcept { return frame_number_; }
  // Where that frame's bytes (after its header) start in the input.
  [[nodiscard]] std::size_t body_offset() const noexcept { return body_offset_; }

 private:
  [[nodiscard]] std::size_t read_length();

  std::istream& in_;
  std::size_t header_size_;
  std::size_t frame_number_ = 0;
  std::size_t body_offset_ = 0;
  std::size_t offset_ = 0;  // bytes of the input read so far
};

}  // namespace beampp
