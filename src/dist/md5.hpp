// dist/md5.hpp: MD5 (RFC 1321), for the distribution handshake's challenge digests and nothing else.
//
// The handshake proves knowledge of the cookie with MD5(cookie ++ decimal challenge), as every Erlang node
// does; MD5 is not used here for anything that needs collision resistance. Written here (about a hundred
// lines) rather than taken from a crypto library: the core depends only on the standard library and Linux,
// and a FIPS-mode OpenSSL may refuse MD5.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace beam::dist_impl {

using md5_digest = std::array<std::uint8_t, 16>;

// Incremental MD5: update any number of times, then finish once.
class md5 {
 public:
  md5() noexcept;
  void update(std::string_view bytes) noexcept;
  [[nodiscard]] md5_digest finish() noexcept;

 private:
  void block(const std::uint8_t* p) noexcept;
  std::array<std::uint32_t, 4> state_;
  std::uint64_t length_ = 0;  // bytes seen
  std::array<std::uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
};

[[nodiscard]] md5_digest md5_of(std::string_view bytes) noexcept;

}  // namespace beam::dist_impl
