// dist/handshake.hpp: the bytes of the distribution handshake, version 6 (OTP 23 and later), as pure
// functions: building and parsing each message, the flags check, the digest. dist/connection.cpp drives them
// over a socket; tests drive them over a raw one.
//
// The exchange (A dials, B accepts; every message is a packet with a 2-byte length):
//   A: send_name  'N' Flags:64 Creation:32 NameLen:16 Name
//   B: status     's' "ok" | "ok_simultaneous" | "nok" | "not_allowed" | "alive"
//   B: challenge  'N' Flags:64 Challenge:32 Creation:32 NameLen:16 Name
//   A: reply      'r' Challenge:32 Digest:16           Digest = MD5(cookie ++ decimal(B's challenge))
//   B: ack        'a' Digest:16                        Digest = MD5(cookie ++ decimal(A's challenge))
// then both sides frame with a 4-byte length. The old 'n' (version 5) send_name is refused: OTP 25 no
// longer sends it to a node that registers version 6 with EPMD, as we do.
//
// Every parser treats its bytes as hostile: a short packet, a wrong tag, a name length past the packet, a
// name without '@' or a flags word without the mandatory set is a handshake_error that names the problem,
// and the connection closes with it logged.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "dist/md5.hpp"

namespace beam::dist_impl {

// Distribution flags (OTP's dist.hrl names, DFLAG_ dropped).
namespace flag {
inline constexpr std::uint64_t published = 0x1;
inline constexpr std::uint64_t extended_references = 0x4;
inline constexpr std::uint64_t dist_monitor = 0x8;
inline constexpr std::uint64_t fun_tags = 0x10;
inline constexpr std::uint64_t dist_monitor_name = 0x20;
inline constexpr std::uint64_t new_fun_tags = 0x80;
inline constexpr std::uint64_t extended_pids_ports = 0x100;
inline constexpr std::uint64_t export_ptr_tag = 0x200;
inline constexpr std::uint64_t bit_binaries = 0x400;
inline constexpr std::uint64_t new_floats = 0x800;
inline constexpr std::uint64_t dist_hdr_atom_cache = 0x2000;
inline constexpr std::uint64_t utf8_atoms = 0x10000;
inline constexpr std::uint64_t map_tag = 0x20000;
inline constexpr std::uint64_t big_creation = 0x40000;
inline constexpr std::uint64_t fragments = 0x800000;
inline constexpr std::uint64_t handshake_23 = 0x1000000;
inline constexpr std::uint64_t unlink_id = 0x2000000;
inline constexpr std::uint64_t mandatory_25_digest =
    0x4000000;  // bit 26 (the protocol guide's "bit 36" is wrong)
inline constexpr std::uint64_t spawn = std::uint64_t{1} << 32;
inline constexpr std::uint64_t v4_nc = std::uint64_t{1} << 34;
inline constexpr std::uint64_t alias = std::uint64_t{1} << 35;

// What OTP 25 requires of a peer (MANDATORY_25_DIGEST stands for all of them).
inline constexpr std::uint64_t mandatory_25 = extended_references | fun_tags | extended_pids_ports |
                                              utf8_atoms | new_fun_tags | big_creation | new_floats |
                                              map_tag | export_ptr_tag | bit_binaries | handshake_23;
// OTP 26 adds these two to the mandatory set; we send them, and require only OTP 25's.
inline constexpr std::uint64_t mandatory_26 = mandatory_25 | unlink_id | v4_nc;
// What we advertise: 0xD07070FBC. Hidden (no PUBLISHED), no atom cache, no fragments: every frame OTP sends
// us is then `112 | 131 control | [131 message]`.
inline constexpr std::uint64_t ours =
    mandatory_26 | mandatory_25_digest | dist_monitor | dist_monitor_name | spawn | alias;
}  // namespace flag

class handshake_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct send_name {
  std::uint64_t flags = 0;
  std::uint32_t creation = 0;
  std::string name;
};
struct challenge {
  std::uint64_t flags = 0;
  std::uint32_t challenge = 0;
  std::uint32_t creation = 0;
  std::string name;
};
struct challenge_reply {
  std::uint32_t challenge = 0;
  md5_digest digest{};
};

// Packet bodies (without the 2-byte length gen_tcp's packet u2 adds).
[[nodiscard]] std::string encode_send_name(const send_name& m);
[[nodiscard]] std::string encode_status(std::string_view status);  // 's' + status
[[nodiscard]] std::string encode_challenge(const challenge& m);
[[nodiscard]] std::string encode_challenge_reply(const challenge_reply& m);
[[nodiscard]] std::string encode_challenge_ack(const md5_digest& digest);

// Parsers: throw handshake_error naming what is wrong.
[[nodiscard]] send_name parse_send_name(std::string_view packet);
[[nodiscard]] std::string parse_status(std::string_view packet);
[[nodiscard]] challenge parse_challenge(std::string_view packet);
[[nodiscard]] challenge_reply parse_challenge_reply(std::string_view packet);
[[nodiscard]] md5_digest parse_challenge_ack(std::string_view packet);

// MD5(cookie ++ the challenge as an unsigned decimal).
[[nodiscard]] md5_digest digest(std::string_view cookie, std::uint32_t challenge) noexcept;
// Compares in time independent of where the digests differ.
[[nodiscard]] bool digests_equal(const md5_digest& a, const md5_digest& b) noexcept;
// A challenge from the kernel's CSPRNG (getrandom(2)).
[[nodiscard]] std::uint32_t new_challenge();

// The peer's flags with MANDATORY_25_DIGEST expanded; throws handshake_error naming the missing mandatory
// flags ("cannot handle BIG_CREATION ..."). What both use is then `ours & peer`.
[[nodiscard]] std::uint64_t check_flags(std::uint64_t peer_flags);

// A node name: `alive@host`, both parts non-empty, at most 255 bytes (an atom). Throws handshake_error.
void check_node_name(std::string_view name);

}  // namespace beam::dist_impl
