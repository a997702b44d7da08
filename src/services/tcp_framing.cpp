// services/tcp_framing.cpp: packet boundaries (tcp_framing.hpp).
#include "services/tcp_framing.hpp"

#include <beam/gen_tcp.hpp>

namespace beam::tcp_impl {
namespace {

frame raw_frame(std::string_view data, std::size_t want) noexcept {
  if (want == 0) return data.empty() ? frame{} : frame{frame::status::ready, 0, data.size()};
  return data.size() >= want ? frame{frame::status::ready, 0, want}
                             : frame{frame::status::incomplete, 0, want};
}

frame line_frame(std::string_view data, std::size_t limit) noexcept {
  const std::size_t end = data.find('\n');
  if (end == std::string_view::npos) {
    return limit != 0 && data.size() > limit ? frame{frame::status::too_large, 0, data.size()} : frame{};
  }
  if (limit != 0 && end + 1 > limit) return {frame::status::too_large, 0, end + 1};
  return {frame::status::ready, 0, end + 1};
}

frame length_frame(std::string_view data, std::size_t header, std::size_t limit) noexcept {
  if (data.size() < header) return {};
  std::size_t body = 0;
  for (std::size_t i = 0; i < header; ++i) body = body << 8 | static_cast<unsigned char>(data[i]);
  if (limit != 0 && body > limit) return {frame::status::too_large, header, body};
  const auto state = data.size() - header >= body ? frame::status::ready : frame::status::incomplete;
  return {state, header, body};
}

}  // namespace

frame next_frame(gen_tcp::packet type, std::string_view data, std::size_t packet_size,
                 std::size_t want) noexcept {
  switch (type) {
    case gen_tcp::packet::raw:
      return raw_frame(data, want);
    case gen_tcp::packet::line:
      return line_frame(data, packet_size);
    case gen_tcp::packet::u1:
      return length_frame(data, 1, packet_size);
    case gen_tcp::packet::u2:
      return length_frame(data, 2, packet_size);
    case gen_tcp::packet::u4:
      return length_frame(data, 4, packet_size);
  }
  return {};
}

}  // namespace beam::tcp_impl
