// term/parse_bits.hpp: `<<...>>` literals (binaries and bitstrings), for beam::parse.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <beam/term.hpp>

#include "term/parse_lexer.hpp"

namespace beam::parse_detail {

class bit_writer;
struct segment_specifiers;

// Reads `<<segment, ...>>`. A segment is an integer, float or string literal with optional specifiers, as in
// Elixir: `1`, `1::size(3)`, `1::3`, `1::8*2`, `-1::signed-little-16`, `1.5::32`, `"é"::utf16`,
// `0x1F600::utf8`. Specifiers must be literals (no variables); nested `<<>>` and charlists are not segments
// (Elixir rejects them too).
class bitstring_reader {
 public:
  // The most bits that segments with an explicit size or unit may add up to over one parse (2 MiB): without
  // it a short text such as `<<0::size(1_000_000_000_000)>>` would ask for any amount of memory. Other
  // segments are bounded by the length of the text.
  static constexpr std::uint64_t max_sized_bits = std::uint64_t{1} << 24;

  explicit bitstring_reader(lexer& in) noexcept : in_(in) {}

  // The cursor is at `<<`.
  [[nodiscard]] term read();

 private:
  void segment(bit_writer& out);
  [[nodiscard]] segment_specifiers read_specifiers();
  void read_specifier(segment_specifiers& spec);
  [[nodiscard]] std::uint64_t specifier_value(std::string_view what, std::uint64_t min, std::uint64_t max);
  void write_text(bit_writer& out, const std::string& bytes, const segment_specifiers& spec, std::size_t at);
  void write_number(bit_writer& out, const term& number, bool signed_literal, const segment_specifiers& spec,
                    std::size_t at);

  lexer& in_;
  std::uint64_t sized_bits_ = 0;  // written by segments with a size or unit, in this parse
};

}  // namespace beam::parse_detail
