// term/parse_lexer.cpp: numbers, quoted texts with their escapes, identifiers and operators, as Elixir 1.14
// reads them (Code.eval_string was the oracle for every rule below; see tests/parse_test.cpp).
#include "term/parse_lexer.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <beam/parse.hpp>

#include "base/utf8.hpp"
#include "term/parse_unicode.hpp"

namespace beam::parse_detail {
namespace {

constexpr std::size_t max_atom_characters = 255;

bool is_digit(char c, int base) noexcept {
  const bool decimal = c >= '0' && c < '0' + std::min(base, 10);
  return decimal || (base == 16 && (c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

unsigned digit_value(char c) noexcept {
  if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
  return static_cast<unsigned>((c | 0x20) - 'a' + 10);
}

// The code point of a one-character escape (`\n`, `\s`, ...); unknown escapes stand for the character itself.
char32_t simple_escape(char32_t c) noexcept {
  static constexpr std::pair<char32_t, char32_t> escapes[] = {{'a', 7},  {'b', 8},  {'d', 127}, {'e', 27},
                                                              {'f', 12}, {'n', 10}, {'r', 13},  {'s', 32},
                                                              {'t', 9},  {'v', 11}, {'0', 0}};
  for (const auto& [letter, code] : escapes) {
    if (c == letter) return code;
  }
  return c;
}

// -x for an integer or float term; -(-2^63) is a big integer.
term negate(const term& t) {
  if (t.is_float()) return -t.as_float();
  if (!t.is_small_integer()) return make_integer(!t.big_negative(), t.big_magnitude());
  const std::int64_t v = t.as_int();
  if (v != std::numeric_limits<std::int64_t>::min()) return -v;
  const std::array<std::uint8_t, 8> two_to_63{0, 0, 0, 0, 0, 0, 0, 0x80};
  return make_integer(false, two_to_63);
}

// Whether a float literal that from_chars found out of range is too large (rather than too small, which reads
// as 0.0, as Erlang reads it): whether its first significant digit stands at 10^0 or above. `text` is
// `<int>.<frac>[e[+-]<exp>]` and not zero.
bool overflows(std::string_view text) {
  const std::size_t dot = text.find('.');
  const std::size_t e = text.find('e');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction = text.substr(dot + 1, e == std::string_view::npos ? e : e - dot - 1);
  long long exponent = 0;
  if (e != std::string_view::npos) {
    std::string_view digits = text.substr(e + 1);
    if (digits.front() == '+') digits.remove_prefix(1);
    constexpr long long clamp = 1'000'000;
    if (std::from_chars(digits.data(), digits.data() + digits.size(), exponent).ec != std::errc{}) {
      exponent = digits.front() == '-' ? -clamp : clamp;
    }
  }
  const std::size_t first = whole.find_first_not_of('0');
  const long long lead = first != std::string_view::npos
                             ? static_cast<long long>(whole.size() - first) - 1
                             : -static_cast<long long>(fraction.find_first_not_of('0')) - 1;
  return lead + exponent >= 0;
}

std::string quote_character(char32_t cp) {
  if (cp < 0x20 || cp == 0x7F) return fmt::format("U+{:04X}", static_cast<std::uint32_t>(cp));
  std::string out = "'";
  utf8::append(out, cp);
  return out + "'";
}

}  // namespace

lexer::lexer(std::string_view text) : text_(text) {
  for (std::size_t p = 0; p < text.size();) {
    if (static_cast<unsigned char>(text[p]) < 0x80) {
      ++p;
    } else if (!utf8::decode(text, p)) {
      fail(p, "invalid UTF-8");
    }
  }
}

// --- the cursor ---

char lexer::peek(std::size_t ahead) const noexcept {
  return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
}

char32_t lexer::peek_code_point() const noexcept {
  std::size_t p = pos_;
  return at_end() ? 0 : utf8::decode(text_, p).value_or(0);
}

void lexer::advance_code_point() noexcept {
  if (!at_end() && !utf8::decode(text_, pos_)) ++pos_;  // the text was validated: decode always succeeds
}

bool lexer::consume(std::string_view token) noexcept {
  if (!looking_at(token)) return false;
  pos_ += token.size();
  return true;
}

void lexer::expect(std::string_view token, std::string_view what) {
  if (!consume(token)) fail(fmt::format("expected {}", what));
}

void lexer::skip_space() noexcept {
  bool newline = false;
  while (!at_end()) {
    const char c = text_[pos_];
    if (c == ' ' || c == '\t') {
      ++pos_;
    } else if (c == '\n' || (c == '\r' && peek(1) == '\n')) {
      pos_ += c == '\n' ? 1 : 2;
      newline = true;
    } else if (c == '#') {
      while (!at_end() && text_[pos_] != '\n') ++pos_;
    } else {
      break;
    }
  }
  if (newline) newline_before_ = pos_;
}

bool lexer::separator(std::string_view close, std::string_view what) {
  skip_space();
  if (consume(close)) return true;
  if (peek() != ',') fail(fmt::format("expected {}", what));
  if (crossed_newline()) fail("unexpected ',' at the start of a line (it must follow the element)");
  ++pos_;
  skip_space();
  return consume(close);
}

std::size_t lexer::line_of(std::size_t at) const noexcept {
  return 1 + static_cast<std::size_t>(
                 std::count(text_.begin(), text_.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
}

void lexer::fail(std::size_t at, std::string message) const {
  const std::size_t line_start =
      at == 0 ? 0 : text_.rfind('\n', at - 1) + 1;  // npos + 1 is 0: the first line
  const std::size_t column = 1 + utf8::length(text_.substr(line_start, at - line_start));
  throw parse_error(line_of(at), column, std::move(message));
}

// --- numbers ---

term lexer::number() {
  bool negative = false;
  while (peek() == '-' || peek() == '+') {
    const char sign = peek();
    if (peek(1) == sign) fail(fmt::format("expected a number after '{}'", sign));  // `--` is an operator
    negative = negative != (sign == '-');
    ++pos_;
    skip_space();
    if (!is_digit(peek(), 10) && peek() != '?' && peek() != '-' && peek() != '+') {
      fail(fmt::format("expected a number after '{}'", sign));
    }
  }
  term t = unsigned_number();
  return negative ? negate(t) : t;
}

term lexer::unsigned_number() {
  if (peek() == '?') return character();
  const std::size_t start = pos_;
  if (peek() == '0' && (peek(1) == 'x' || peek(1) == 'o' || peek(1) == 'b')) {
    const int base = peek(1) == 'x' ? 16 : peek(1) == 'o' ? 8 : 2;
    pos_ += 2;
    if (!is_digit(peek(), base)) {
      fail(fmt::format("expected a base {} digit after 0{}", base, text_[start + 1]));
    }
    const std::string value = digits(base);
    check_number_end(start);
    return integer(value, base);
  }
  std::string text = digits(10);
  const bool fractional = peek() == '.' && is_digit(peek(1), 10);
  if (fractional) {
    ++pos_;
    text += '.' + digits(10);
    const bool exponent =
        (peek() == 'e' || peek() == 'E') &&
        (is_digit(peek(1), 10) || ((peek(1) == '-' || peek(1) == '+') && is_digit(peek(2), 10)));
    if (exponent) {
      text += 'e';
      ++pos_;
      if (peek() == '-' || peek() == '+') text += text_[pos_++];
      text += digits(10);
    }
  }
  check_number_end(start);
  return fractional ? floating(start, text) : integer(text, 10);
}

// Digits of `base` with single underscores between them (`1_000`); the cursor is at a digit.
std::string lexer::digits(int base) {
  std::string out;
  while (true) {
    if (is_digit(peek(), base)) {
      out += text_[pos_++];
    } else if (peek() == '_' && !out.empty() && is_digit(peek(1), base)) {
      ++pos_;
    } else {
      return out;
    }
  }
}

// Elixir rejects a number run into letters, digits of a smaller base or underscores: `1a`, `0b12`, `1_`,
// `1e10`.
void lexer::check_number_end(std::size_t start) const {
  if (at_end() || !is_identifier_continue(peek_code_point())) return;
  fail(fmt::format("invalid character {} after the number {}", quote_character(peek_code_point()),
                   text_.substr(start, pos_ - start)));
}

term lexer::integer(std::string_view digits, int base) const {
  constexpr std::size_t fits_int64 = 18;  // decimal digits that always fit, the common case
  if (base == 10 && digits.size() <= fits_int64) {
    std::int64_t value = 0;
    std::from_chars(digits.data(), digits.data() + digits.size(), value);
    return value;
  }
  if (base == 10) return integer_from_string(digits);
  const unsigned bits_per_digit = base == 16 ? 4 : base == 8 ? 3 : 1;
  std::vector<std::uint8_t> magnitude((digits.size() * bits_per_digit + 7) / 8);
  std::size_t bit = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    const unsigned value = digit_value(*it);
    for (unsigned b = 0; b < bits_per_digit; ++b, ++bit) {
      if ((value >> b & 1) != 0) {
        magnitude[bit / 8] = static_cast<std::uint8_t>(magnitude[bit / 8] | 1 << (bit % 8));
      }
    }
  }
  return make_integer(false, magnitude);
}

term lexer::floating(std::size_t start, std::string_view text) const {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range) {
    if (overflows(text)) fail(start, fmt::format("float out of range: {}", text));
    return 0.0;
  }
  return value;
}

term lexer::character() {
  const std::size_t start = pos_++;
  if (at_end()) fail(start, "expected a character after '?'");
  char32_t cp = peek_code_point();
  advance_code_point();
  if (cp == '\\' && !at_end()) {  // `?\` at the very end is the backslash itself
    cp = simple_escape(peek_code_point());
    advance_code_point();
  }
  return static_cast<std::int64_t>(cp);
}

// --- quoted text ---

std::string lexer::quoted(char delimiter) {
  const std::size_t open = pos_;
  if (looking_at(std::string(3, delimiter))) fail("heredocs (\"\"\" and ''') are not supported");
  ++pos_;
  std::string out;
  while (true) {
    if (at_end()) {
      fail(fmt::format("missing terminator {} (for the text that starts at line {})", delimiter,
                       line_of(open)));
    }
    const char c = text_[pos_];
    if (c == delimiter) {
      ++pos_;
      return out;
    }
    if (c == '\\') {
      escape(out);
    } else if (c == '#' && peek(1) == '{') {
      fail("interpolation #{...} is not supported (write \\#{ for the characters)");
    } else {
      out += c;
      ++pos_;
    }
  }
}

// At a backslash: appends what the escape stands for. `\` before a newline joins the lines.
void lexer::escape(std::string& out) {
  const std::size_t at = pos_++;
  if (at_end()) return;  // quoted() reports the missing terminator
  if (consume("\n") || consume("\r\n")) return;
  if (consume("x")) {
    hex_escape(out, at);
  } else if (consume("u")) {
    unicode_escape(out, at);
  } else {
    utf8::append(out, simple_escape(peek_code_point()));
    advance_code_point();
  }
}

// `\xHH` and `\xH` are a byte; `\x{H*}` (deprecated in Elixir, still read) is a code point.
void lexer::hex_escape(std::string& out, std::size_t at) {
  if (peek() == '{') {
    utf8::append(out, braced_code_point(at, "\\x"));
    return;
  }
  if (!is_digit(peek(), 16)) fail(at, "invalid hex escape: expected \\xHH where H is a hexadecimal digit");
  unsigned value = digit_value(text_[pos_++]);
  if (is_digit(peek(), 16)) value = value * 16 + digit_value(text_[pos_++]);
  out += static_cast<char>(value);
}

// `\uHHHH` and `\u{H...}` (one to six digits): a code point, written as UTF-8.
void lexer::unicode_escape(std::string& out, std::size_t at) {
  if (peek() == '{') {
    utf8::append(out, braced_code_point(at, "\\u"));
    return;
  }
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    if (!is_digit(peek(), 16)) fail(at, "invalid Unicode escape: expected \\uHHHH or \\u{H*}");
    value = value * 16 + digit_value(text_[pos_++]);
  }
  if (!utf8::is_code_point(value)) {
    fail(at, fmt::format("invalid or reserved Unicode code point \\u{:04X}", value));
  }
  utf8::append(out, value);
}

char32_t lexer::braced_code_point(std::size_t at, std::string_view escape_name) {
  ++pos_;  // '{'
  std::uint32_t value = 0;
  int count = 0;
  for (; count < 7 && is_digit(peek(), 16); ++count) value = value * 16 + digit_value(text_[pos_++]);
  if (count == 0 || count > 6 || !consume("}")) {
    fail(at, fmt::format("invalid Unicode escape: expected {}{{H*}} with one to six hexadecimal digits",
                         escape_name));
  }
  if (!utf8::is_code_point(value)) {
    fail(at, fmt::format("invalid or reserved Unicode code point \\u{{{:X}}}", value));
  }
  return value;
}

// --- names ---

std::string lexer::identifier() {
  constexpr char32_t micro_sign = 0xB5;
  constexpr char32_t greek_mu = 0x3BC;
  std::string out;
  for (bool first = true; !at_end(); first = false) {
    const char32_t cp = peek_code_point();
    if (!(first ? is_identifier_start(cp) : is_identifier_continue(cp))) break;
    utf8::append(out, cp == micro_sign ? greek_mu : cp);
    advance_code_point();
  }
  if (!out.empty() && (peek() == '?' || peek() == '!')) out += text_[pos_++];
  return out;
}

std::string_view lexer::operator_name() noexcept {
  // Longest first, so that `===` is not read as `==` followed by `=`.
  static constexpr std::string_view operators[] = {
      "..//", "<<>>", "+++", "---", "===", "!==", "<<<", ">>>", "<<~",  "~>>", "<~>", "<|>", "&&&",
      "|||",  "^^^",  "~~~", "...", "%{}", "++",  "--",  "->",  "**",   "==",  "=~",  "<-",  "<=",
      "<>",   "<~",   ">=",  "!=",  "&&",  "|>",  "||",  "~>",  "\\\\", "..",  "::",  "{}",  "+",
      "-",    "*",    "/",   "=",   "<",   ">",   "!",   "&",   "|",    "^",   ".",   "@",   "%"};
  const char first = peek();
  for (std::string_view op : operators) {
    if (op.front() == first && consume(op)) return op;
  }
  return {};
}

atom lexer::make_atom(std::size_t at, std::string_view text) const {
  if (!utf8::valid(text)) fail(at, "invalid UTF-8 in atom");
  if (utf8::length(text) > max_atom_characters) fail(at, "atom longer than 255 characters");
  return atom(text);
}

}  // namespace beam::parse_detail
