// beam/etf.hpp: Erlang's external term format (term_to_binary/1, binary_to_term/1,2).
//
// Encoding is byte-identical to OTP 25's term_to_binary/1 (maps of more than 32 keys aside: OTP orders those
// by an internal hash, beampp by key). Decoding treats its input as hostile: every malformed input is a
// decode_error that names the problem and its byte offset; nesting is bounded (decode_options::max_depth),
// the stack used grows only with that nesting, and nothing is allocated before the bytes that justify it have
// been seen: decoding holds at most 32 bytes of memory per input byte (per inflated byte for a compressed
// term, whose inflated size is capped by decode_options::max_uncompressed_size).
//
// Decoding reads every tag OTP 25 writes, and the older ATOM_EXT/SMALL_ATOM_EXT (latin-1), PID_EXT, PORT_EXT,
// REFERENCE_EXT, NEW_REFERENCE_EXT and FLOAT_EXT forms; a pid, port or reference of this node
// (beam::this_node()) becomes a local one (a reference of this node of fewer than 3 words is padded with
// zeros, as OTP does). It refuses, with a decode_error: closures (NEW_FUN_EXT), the distribution-only tags
// (ATOM_CACHE_REF...), NaN and infinite floats, atoms of more than 255 characters or of invalid UTF-8, maps
// with a duplicate key, references of 0 or more than 5 words, export arities above 255, trailing bytes
// (except through the `used` overload) and, in a compressed term, trailing bytes after the inflated term.
// Unlike OTP it does not check pid, port and reference numbers of this node against OTP's own limits. A full
// atom table is not bad input: it is reported as beam::error with reason system_limit, as OTP does.
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
  // The deepest nesting of tuples, lists, maps and improper list tails accepted: {1} nests 1 deep, [{1}] 2
  // deep, a term that is no container 0 deep. Decoding recurses once per level, so the stack it needs grows
  // with this (a few hundred bytes per level); the default of 1000 fits any thread's stack.
  std::size_t max_depth = 1000;
  // The largest inflated size a compressed term (tag 80) may claim, in bytes: 64 MiB by default. The claim is
  // checked before inflating and the inflated data must match it exactly; the buffer grows only with the
  // bytes actually inflated and inflating stops one byte past the claim, so a zip bomb costs at most this
  // much (plus the term the inflated bytes decode to).
  std::size_t max_uncompressed_size = std::size_t{64} << 20;
};

// The ETF bytes of `t`, starting with the version byte 131.
[[nodiscard]] std::vector<std::uint8_t> term_to_binary(const term& t);
// Appends the ETF bytes of `t` (with the version byte) to `out`.
void term_to_binary(const term& t, std::vector<std::uint8_t>& out);

// Decodes exactly one term; trailing bytes are an error. Also reads compressed terms (tag 80, zlib): an error
// in their inflated bytes has its offset() in those bytes, and its message says so.
[[nodiscard]] term binary_to_term(std::span<const std::uint8_t> bytes, const decode_options& options = {});
// Decodes one term from the front of `bytes` and sets `used` to the bytes it took (Erlang's [used] option);
// `used` is left unchanged when it throws.
[[nodiscard]] term binary_to_term(std::span<const std::uint8_t> bytes, std::size_t& used,
                                  const decode_options& options = {});

}  // namespace beam
