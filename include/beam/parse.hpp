// beam/parse.hpp: reading terms from Elixir literal syntax, the inverse of beam::inspect.
//
// Accepted: atoms (`:ok`, `:"quoted atom"`, `true`, `false`, `nil`, aliases such as `Foo.Bar`), integers (decimal,
// `0x`, `0o`, `0b`, `_` separators, any size), floats (`1.0`, `1.0e20`), strings with escapes (`"a\n\u{1F600}"`),
// charlists (`'be'`), lists (also `[h | t]`), keyword lists (`[a: 1]`), tuples, maps (`%{a: 1}`, `%{"k" => 1}`),
// binaries and bitstrings (`<<1, 2>>`, `<<1::size(3)>>`), export funs (`&:lists.map/2`), and comments.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

#include <beam/term.hpp>

namespace beam {

// Malformed text: where (1-based line and column) and what was expected there.
class parse_error : public std::runtime_error {
 public:
  parse_error(std::size_t line, std::size_t column, std::string expected);
  [[nodiscard]] std::size_t line() const noexcept { return line_; }
  [[nodiscard]] std::size_t column() const noexcept { return column_; }
  [[nodiscard]] const std::string& expected() const noexcept { return expected_; }

 private:
  std::size_t line_;
  std::size_t column_;
  std::string expected_;
};

// Reads exactly one term; anything but white space and comments after it is an error.
// Throws parse_error; beam::error(system_limit) if the text would create more atoms than the table allows.
[[nodiscard]] term parse(std::string_view text);

}  // namespace beam
