// term/parse_unicode.hpp: the characters of unquoted atoms and keyword keys (`:héllo`, `[é: 1]`), for
// beam::parse.
#pragma once

namespace beam::parse_detail {

// May start an unquoted atom: ASCII letters, '_', and the non-ASCII letters Elixir 1.14 accepts.
[[nodiscard]] bool is_identifier_start(char32_t cp) noexcept;
// May follow the first character: the above, digits, '@', and combining marks and other continuing
// characters.
[[nodiscard]] bool is_identifier_continue(char32_t cp) noexcept;

}  // namespace beam::parse_detail
