// beam/etf.hpp: Erlang's external term format (term_to_binary/1, binary_to_term/1,2).
//
// Encoding is byte-identical to OTP 25's term_to_binary/1 (maps of more than 32 keys aside: OTP orders those by an
// internal hash, beampp by key). Decoding treats its input as hostile: every malformed input is a decode_error that
// names the byte offset; nesting is bounded (decode_options::max_depth) and no allocation is larger than a small
// multiple of the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <beam/term.hpp>

namespace beam {

// Bad ETF bytes: the offset of the byte where decoding failed, and why.
class decode_error : public std::runtime_error {
 public:
  decode_error(std::size_t offset, const std::string& reason);
  [[nodiscard]] std::size_t offset() const noexcept { return offset_; }

 private:
  std::size_t offset_;
};

struct decode_options {
  // Erlang's `safe`: refuse to create atoms that do not exist yet (a decode_error names the atom's offset).
  bool safe = false;
  // The deepest nesting of tuples, lists, maps and improper tails accepted.
  std::size_t max_depth = 1000;
};

// The ETF bytes of `t`, starting with the version byte 131.
[[nodiscard]] std::vector<std::uint8_t> term_to_binary(const term& t);
// Appends the ETF bytes of `t` (with the version byte) to `out`.
void term_to_binary(const term& t, std::vector<std::uint8_t>& out);

// Decodes exactly one term; trailing bytes are an error. Also reads compressed terms (tag 80, zlib).
[[nodiscard]] term binary_to_term(std::span<const std::uint8_t> bytes, const decode_options& options = {});
// Decodes one term from the front of `bytes` and sets `used` to the bytes it took (Erlang's [used] option).
[[nodiscard]] term binary_to_term(std::span<const std::uint8_t> bytes, std::size_t& used,
                                  const decode_options& options = {});

}  // namespace beam
