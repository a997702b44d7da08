// beam/parse.hpp: reading terms from Elixir literal syntax, the inverse of beam::inspect.
//
// Reads what Elixir 1.14 reads (Code.eval_string is the reference): atoms (`:ok`, `:"quoted atom"`, `:+`,
// `true`, `nil`, aliases such as `Foo.Bar`), integers (decimal, `0x`, `0o`, `0b`, `_` separators, `?a`, any
// size), floats (`1.0`, `1.0e-4`), strings with escapes (`"a\n\u{1F600}"`), charlists (`'be'`), lists (also
// `[h | t]`), keyword lists (`[a: 1, "b c": 2]`), tuples, maps (`%{a: 1}`, `%{"k" => 1}`), binaries and
// bitstrings (`<<1, 2>>`, `<<1::size(3)>>`, `<<"é"::utf8>>`), export funs (`&:lists.map/2`, `&Enum.map/2`),
// white space and `#` comments. Not read, since it is data and not code: variables, operators and calls,
// interpolation, sigils, heredocs, structs, pids, references and local funs. Containers nest at most 1000
// deep. Every rule and bound is in src/term/parse.cpp.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

#include <beam/term.hpp>

namespace beam {

// Malformed text: where (1-based line, and column counted in characters) and what was expected there or is
// wrong, e.g. "expected ',' or ']'" or "missing terminator \" (for the text that starts at line 1)". what()
// says all three.
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

// Reads exactly one term; anything but white space and comments after it is an error. Thread-safe.
// Throws parse_error; beam::error(system_limit) if the text would create more atoms than the table allows.
[[nodiscard]] term parse(std::string_view text);

}  // namespace beam
