// base/utf8.hpp: UTF-8 decoding and encoding, shared by atoms, charlists, text and the external term format.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace beam::utf8 {

inline constexpr char32_t max_code_point = 0x10FFFF;

// Decodes the code point starting at `text[pos]` and advances `pos`; nullopt (pos unchanged) on an invalid,
// overlong, surrogate or truncated sequence.
[[nodiscard]] std::optional<char32_t> decode(std::string_view text, std::size_t& pos) noexcept;

// True when all of `text` is well-formed UTF-8.
[[nodiscard]] bool valid(std::string_view text) noexcept;

// The number of code points in valid UTF-8 `text`.
[[nodiscard]] std::size_t length(std::string_view text) noexcept;

// Appends the UTF-8 form of `cp` (which must be a code point: <= 0x10FFFF and not a surrogate).
void append(std::string& out, char32_t cp);

[[nodiscard]] constexpr bool is_code_point(std::int64_t v) noexcept {
  return v >= 0 && v <= max_code_point && !(v >= 0xD800 && v <= 0xDFFF);
}

}  // namespace beam::utf8
