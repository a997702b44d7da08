// dist/frames.cpp: encoding and decoding frames (the design is at the top of dist/frames.hpp).
#include "dist/frames.hpp"

#include <vector>

#include <fmt/format.h>

#include <beam/etf.hpp>

namespace beam::dist_impl {
namespace {

constexpr std::uint8_t pass_through = 112;

// The deepest term a peer may send; OTP's own limit is higher, but beyond this the decoder's recursion
// would need more stack than a process has.
constexpr std::size_t max_depth = 200;

// Whether `o` carries a second term (the message, a payload reason or a spawn's argument list).
bool carries_message(std::int64_t o) {
  switch (o) {
    case op::send:
    case op::reg_send:
    case op::send_tt:
    case op::reg_send_tt:
    case op::send_sender:
    case op::send_sender_tt:
    case op::payload_exit:
    case op::payload_exit_tt:
    case op::payload_exit2:
    case op::payload_exit2_tt:
    case op::payload_monitor_p_exit:
    case op::spawn_request:
    case op::spawn_request_tt:
    case op::alias_send:
    case op::alias_send_tt:
      return true;
    default:
      return false;
  }
}

bool known(std::int64_t o) {
  return (o >= op::link && o <= op::exit2 && o != 5) || (o >= op::send_tt && o <= op::unlink_id_ack);
}

}  // namespace

std::string encode_frame(const term& control, const term* message) {
  std::vector<std::uint8_t> bytes{pass_through};
  term_to_binary(control, bytes);
  if (message != nullptr) term_to_binary(*message, bytes);
  return std::string(bytes.begin(), bytes.end());
}

frame decode_frame(std::span<const std::uint8_t> body) {
  if (body.empty()) throw frame_error("an empty frame where a tick has length 0");
  if (body[0] != pass_through) {
    throw frame_error(
        fmt::format("frame starts with {} where 112 (pass-through) was expected; no atom cache "
                    "was negotiated",
                    body[0]));
  }
  const decode_options options{.max_depth = max_depth};
  frame f;
  std::size_t used = 0;
  const auto rest = body.subspan(1);
  try {
    f.control = binary_to_term(rest, used, options);
  } catch (const decode_error& e) {
    throw frame_error(fmt::format("bad control term: {}", e.what()));
  }
  if (!f.control.is_tuple() || f.control.as_tuple().empty() || !f.control.as_tuple()[0].is_small_integer()) {
    throw frame_error("the control message is not a tuple starting with an operation number");
  }
  const std::int64_t o = f.control.as_tuple()[0].as_int();
  if (!known(o)) throw frame_error(fmt::format("unknown control operation {}", o));
  const auto after = rest.subspan(used);
  if (carries_message(o)) {
    if (after.empty()) throw frame_error(fmt::format("operation {} without its message", o));
    try {
      f.message = binary_to_term(after, options);
    } catch (const decode_error& e) {
      throw frame_error(fmt::format("bad message term (operation {}): {}", o, e.what()));
    }
  } else if (!after.empty()) {
    throw frame_error(fmt::format("{} bytes after the control message of operation {}", after.size(), o));
  }
  return f;
}

}  // namespace beam::dist_impl
