// term/parse_lexer.hpp: the characters and tokens of Elixir literal syntax, for beam::parse.
//
// The lexer is a cursor over the text that the parser (term/parse.cpp) drives: the parser looks at the next
// character and asks for the token it expects there (a number, a quoted text, an identifier, an operator).
// There is no token stream because what a token is depends on where it stands: `"a b"` is a string, a keyword
// key in `["a b": 1]` and a function name in `&:m."a b"/1`; `+` is a sign before a number and a name in
// `&:erlang.+/2`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include <beam/atom.hpp>
#include <beam/term.hpp>

namespace beam::parse_detail {

class lexer {
 public:
  // Throws parse_error at the first byte of `text` that is not well-formed UTF-8.
  explicit lexer(std::string_view text);

  // --- the cursor ---
  [[nodiscard]] std::size_t pos() const noexcept { return pos_; }
  void seek(std::size_t pos) noexcept { pos_ = pos; }
  [[nodiscard]] bool at_end() const noexcept { return pos_ >= text_.size(); }
  // The byte `ahead` bytes on; '\0' past the end (check at_end() where a NUL byte could be text).
  [[nodiscard]] char peek(std::size_t ahead = 0) const noexcept;
  [[nodiscard]] bool looking_at(std::string_view token) const noexcept {
    return text_.substr(pos_).starts_with(token);
  }
  // Steps over `token` if it comes next.
  bool consume(std::string_view token) noexcept;
  // Steps over `token`, or fails with "expected <what>".
  void expect(std::string_view token, std::string_view what);
  // Skips spaces, tabs, newlines (\n or \r\n) and `#` comments.
  void skip_space() noexcept;
  // Whether the white space just before the cursor holds a newline.
  [[nodiscard]] bool crossed_newline() const noexcept { return newline_before_ == pos_; }
  // After an element of a container: steps over `close` or a comma (and a `close` after it: trailing commas
  // are allowed). True when the container ended. As in Elixir, a comma may not start a line.
  bool separator(std::string_view close, std::string_view what);
  // The code point at the cursor (0 at the end).
  [[nodiscard]] char32_t peek_code_point() const noexcept;

  // Throws parse_error for the character at byte `at`: its line, its column (in code points) and `message`.
  [[noreturn]] void fail(std::size_t at, std::string message) const;
  [[noreturn]] void fail(std::string message) const { fail(pos_, std::move(message)); }

  // --- tokens; each starts at the cursor and leaves it after the token ---
  // A number: optional signs (`-`, `+`, spaced as `- 1`), then digits (`1_000`, `0x1F`, `0o17`, `0b101`,
  // `1.5e-3`) or a character (`?a`, `?\n`). An integer (of any size) or a float term.
  [[nodiscard]] term number();
  // The bytes of a quoted text, escapes applied; the cursor is at the opening `delimiter` (`"` or `'`).
  [[nodiscard]] std::string quoted(char delimiter);
  // An identifier (`ok`, `Foo`, `héllo`, `valid?`); empty, the cursor unmoved, when none starts here. As in
  // Elixir, the micro sign µ (U+00B5) reads as the Greek μ (U+03BC).
  [[nodiscard]] std::string identifier();
  // The longest operator that Elixir accepts as an atom (`+`, `===`, `..//`, `<<>>`, `%{}`); empty when none.
  [[nodiscard]] std::string_view operator_name() noexcept;
  // The atom with `text`, which was read at byte `at`: fails on invalid UTF-8 or more than 255 characters.
  // Throws beam::error(system_limit) when the atom table is full.
  [[nodiscard]] atom make_atom(std::size_t at, std::string_view text) const;

 private:
  [[nodiscard]] term unsigned_number();
  [[nodiscard]] term character();
  [[nodiscard]] term integer(std::string_view digits, int base) const;
  [[nodiscard]] term floating(std::size_t start, std::string_view text) const;
  [[nodiscard]] std::string digits(int base);
  void check_number_end(std::size_t start) const;
  void escape(std::string& out);
  void hex_escape(std::string& out, std::size_t at);
  void unicode_escape(std::string& out, std::size_t at);
  [[nodiscard]] char32_t braced_code_point(std::size_t at, std::string_view what);
  void advance_code_point() noexcept;
  [[nodiscard]] std::size_t line_of(std::size_t at) const noexcept;

  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t newline_before_ = std::string_view::npos;  // where the last white space with a newline ended
};

}  // namespace beam::parse_detail
