// dist/frames.hpp: the frames of an established connection, without the atom cache (which we never
// negotiate): `112 | 131 Control | [131 Message]`, each term with its own version byte. A 4-byte length
// precedes each frame on the wire (gen_tcp's packet u4); a frame of length 0 is a tick.
//
// Decoding treats the bytes as hostile (beam::binary_to_term's checks, a bounded nesting depth): any
// malformed frame is a frame_error naming the problem, and the connection that sent it closes.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>

#include <beam/term.hpp>

namespace beam::dist_impl {

class frame_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Control message operations (OTP's dist.hrl, DOP_ dropped).
namespace op {
inline constexpr std::int64_t link = 1, send = 2, exit = 3, unlink = 4, reg_send = 6, group_leader = 7,
                              exit2 = 8, send_tt = 12, exit_tt = 13, reg_send_tt = 16, exit2_tt = 18,
                              monitor_p = 19, demonitor_p = 20, monitor_p_exit = 21, send_sender = 22,
                              send_sender_tt = 23, payload_exit = 24, payload_exit_tt = 25,
                              payload_exit2 = 26, payload_exit2_tt = 27, payload_monitor_p_exit = 28,
                              spawn_request = 29, spawn_request_tt = 30, spawn_reply = 31,
                              spawn_reply_tt = 32, alias_send = 33, alias_send_tt = 34, unlink_id = 35,
                              unlink_id_ack = 36;
}

struct frame {
  term control;                 // a tuple whose first element is a known op (an integer)
  std::optional<term> message;  // the second term, for the ops that carry one
};

// The frame body (no length) for `control` and, for message ops, `message`.
[[nodiscard]] std::string encode_frame(const term& control, const term* message = nullptr);
// One frame body of at least one byte. Throws frame_error.
[[nodiscard]] frame decode_frame(std::span<const std::uint8_t> body);

}  // namespace beam::dist_impl
