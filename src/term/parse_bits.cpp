// term/parse_bits.cpp: building binaries and bitstrings from `<<...>>` segments, as Elixir 1.14 (OTP 25)
// does.
//
// Each segment is written into one growing bit buffer. An integer segment of N bits is the value modulo 2^N
// in two's complement: big-endian writes its top N % 8 bits and then whole bytes, most significant first;
// little-endian writes whole bytes least significant first and then the remaining top bits
// (`<<0xABC::12-little>>` is `<<0xBC, 0xA::4>>`), as the BEAM does. A float segment is the IEEE 754 pattern
// of 16, 32 or 64 bits written as such an integer (rounded to nearest even; beyond the width's range it is
// infinity, as in OTP 25).
//
// Rejected: building each segment as a term and concatenating (a copy per segment); writing bit by bit
// throughout (whole bytes go in one step, whatever the alignment, so a large size costs bytes, not bits).
#include "term/parse_bits.hpp"

#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "base/utf8.hpp"

namespace beam::parse_detail {

enum class segment_type : std::uint8_t { integer, float_, binary, bitstring, utf8, utf16, utf32 };
// Specifiers conflict by name, as in Elixir: `little-native` is an error even on a little-endian machine.
enum class byte_order : std::uint8_t { big, little, native };

struct segment_specifiers {
  std::optional<segment_type> type;
  std::optional<std::uint64_t> size;
  std::optional<std::uint64_t> unit;
  std::optional<bool> is_signed;  // no effect on construction, but only numbers take it
  std::optional<byte_order> order;

  [[nodiscard]] bool little() const noexcept {
    const byte_order o = order.value_or(byte_order::big);
    return o == byte_order::little || (o == byte_order::native && std::endian::native == std::endian::little);
  }
};

class bit_writer {
 public:
  // The low `count` (<= 64) bits of `value`, most significant first.
  void push_bits(std::uint64_t value, unsigned count) {
    for (unsigned i = count; i-- > 0;) {
      if (bits_ % 8 == 0) bytes_.push_back(0);
      if ((value >> i & 1) != 0) {
        bytes_.back() = static_cast<std::uint8_t>(bytes_.back() | 0x80 >> (bits_ % 8));
      }
      ++bits_;
    }
  }

  void push_byte(std::uint8_t byte) {
    const auto offset = static_cast<unsigned>(bits_ % 8);
    if (offset == 0) {
      bytes_.push_back(byte);
    } else {
      bytes_.back() = static_cast<std::uint8_t>(bytes_.back() | byte >> offset);
      bytes_.push_back(static_cast<std::uint8_t>(byte << (8 - offset)));
    }
    bits_ += 8;
  }

  void push_bytes(std::string_view bytes) {
    for (char c : bytes) push_byte(static_cast<std::uint8_t>(c));
  }

  // The low `bits` bits of the two's complement number whose little-endian bytes are `le` (at least bits/8
  // rounded up of them), in big or little byte order.
  void push_integer(std::span<const std::uint8_t> le, std::uint64_t bits, bool little) {
    const std::uint64_t whole = bits / 8;
    const auto rest = static_cast<unsigned>(bits % 8);
    const unsigned top = rest == 0 ? 0 : le[whole] & ((1U << rest) - 1);
    if (!little) push_bits(top, rest);
    for (std::uint64_t i = 0; i < whole; ++i) push_byte(le[little ? i : whole - 1 - i]);
    if (little) push_bits(top, rest);
  }

  void push_unsigned(std::uint64_t value, unsigned bits, bool little) {
    std::array<std::uint8_t, 8> le{};
    for (std::size_t i = 0; i < le.size(); ++i) le[i] = static_cast<std::uint8_t>(value >> (8 * i));
    push_integer(le, bits, little);
  }

  [[nodiscard]] term finish() const { return bitstring(bytes_, bits_); }

 private:
  std::vector<std::uint8_t> bytes_;
  std::uint64_t bits_ = 0;
};

namespace {

// The integer modulo 2^bits, two's complement, as little-endian bytes.
std::vector<std::uint8_t> twos_complement(const term& integer, std::uint64_t bits) {
  std::vector<std::uint8_t> out((bits + 7) / 8);
  bool negative = false;
  std::array<std::uint8_t, 8> small{};
  std::span<const std::uint8_t> magnitude = small;
  if (integer.is_small_integer()) {
    const std::int64_t v = integer.as_int();
    negative = v < 0;
    const std::uint64_t m = negative ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
    for (std::size_t i = 0; i < small.size(); ++i) small[i] = static_cast<std::uint8_t>(m >> (8 * i));
  } else {
    negative = integer.big_negative();
    magnitude = integer.big_magnitude();
  }
  for (std::size_t i = 0; i < out.size() && i < magnitude.size(); ++i) out[i] = magnitude[i];
  if (negative) {
    unsigned carry = 1;
    for (auto& byte : out) {
      const unsigned sum = static_cast<std::uint8_t>(~byte) + carry;
      byte = static_cast<std::uint8_t>(sum);
      carry = sum >> 8;
    }
  }
  return out;
}

// IEEE 754 binary16, rounded to nearest even.
std::uint16_t to_half(double d) {
  const std::uint16_t sign = std::signbit(d) ? 0x8000 : 0;
  const double a = std::fabs(d);
  if (a >= 65520.0) return sign | 0x7C00;  // rounds beyond 65504, the largest half: infinity
  if (a < 0x1p-14) {
    // Subnormal: a multiple of 2^-24; a rounding up to 1024 of them is the smallest normal, bit for bit.
    return static_cast<std::uint16_t>(sign | static_cast<unsigned>(std::nearbyint(a * 0x1p24)));
  }
  int exponent = 0;
  const double fraction = std::frexp(a, &exponent);  // a = fraction * 2^exponent, fraction in [0.5, 1)
  auto mantissa = static_cast<unsigned>(std::nearbyint((fraction * 2 - 1) * 1024));
  auto biased = static_cast<unsigned>(exponent - 1 + 15);
  if (mantissa == 1024) {
    mantissa = 0;
    ++biased;
  }
  return static_cast<std::uint16_t>(sign | biased << 10 | mantissa);
}

// IEEE 754 binary32; the halfway point between the largest float and 2^128 and beyond round to infinity.
std::uint32_t to_single(double d) {
  constexpr double infinity_from = 0x1p128 - 0x1p103;
  if (std::fabs(d) >= infinity_from) return std::signbit(d) ? 0xFF800000U : 0x7F800000U;
  return std::bit_cast<std::uint32_t>(static_cast<float>(d));
}

std::uint64_t float_bits(double d, std::uint64_t bits) {
  if (bits == 16) return to_half(d);
  if (bits == 32) return to_single(d);
  return std::bit_cast<std::uint64_t>(d);
}

constexpr std::pair<std::string_view, segment_type> type_names[] = {
    {"integer", segment_type::integer},     {"float", segment_type::float_},
    {"binary", segment_type::binary},       {"bytes", segment_type::binary},
    {"bitstring", segment_type::bitstring}, {"bits", segment_type::bitstring},
    {"utf8", segment_type::utf8},           {"utf16", segment_type::utf16},
    {"utf32", segment_type::utf32}};

std::optional<segment_type> type_named(std::string_view name) noexcept {
  for (const auto& [word, type] : type_names) {
    if (word == name) return type;
  }
  return std::nullopt;
}

std::string_view name_of(segment_type type) noexcept {
  for (const auto& [word, t] : type_names) {
    if (t == type) return word;
  }
  return "integer";
}

// A number rounded to the nearest double (a big integer through its decimal text, which from_chars rounds
// correctly); nothing for an integer that rounds beyond the largest double.
std::optional<double> to_double(const term& number) {
  if (number.is_float()) return number.as_float();
  if (number.is_small_integer()) return static_cast<double>(number.as_int());
  const std::string text = integer_to_string(number);
  double value = 0;
  if (std::from_chars(text.data(), text.data() + text.size(), value).ec != std::errc{}) return std::nullopt;
  return value;
}

bool is_utf(segment_type type) noexcept {
  return type == segment_type::utf8 || type == segment_type::utf16 || type == segment_type::utf32;
}

void push_code_point(bit_writer& out, char32_t cp, segment_type type, bool little) {
  if (type == segment_type::utf8) {
    std::string bytes;
    utf8::append(bytes, cp);
    out.push_bytes(bytes);
  } else if (type == segment_type::utf32 || cp < 0x10000) {
    out.push_unsigned(cp, type == segment_type::utf32 ? 32 : 16, little);
  } else {  // a UTF-16 surrogate pair
    const char32_t offset = cp - 0x10000;
    out.push_unsigned(0xD800 | offset >> 10, 16, little);
    out.push_unsigned(0xDC00 | (offset & 0x3FF), 16, little);
  }
}

// Strings and utf segments take no size, unit or signedness.
void check_unsized(lexer& in, const segment_specifiers& spec, std::string_view kind, std::size_t at) {
  if (spec.size || spec.unit) in.fail(at, fmt::format("a {} segment takes no size or unit", kind));
  if (spec.is_signed) in.fail(at, "signed and unsigned apply to integer and float segments only");
}

// A number's type is integer by default, float for an unsigned float literal: as in Elixir, `<<-1.5>>` is an
// error (the sign makes an expression, which defaults to integer) while `<<-1.5::float>>` is not.
segment_type number_type(lexer& in, const term& number, bool signed_literal, const segment_specifiers& spec,
                         std::size_t at) {
  if (number.is_float() && signed_literal && !spec.type) {
    in.fail(at,
            "a signed float segment needs ::float (Elixir reads a sign in <<>> as an integer expression)");
  }
  const segment_type type =
      spec.type.value_or(number.is_float() ? segment_type::float_ : segment_type::integer);
  if (type == segment_type::binary || type == segment_type::bitstring ||
      (number.is_float() && type != segment_type::float_)) {
    in.fail(at, fmt::format("conflicting types: a{} segment cannot have type {}",
                            number.is_float() ? " float" : "n integer", name_of(type)));
  }
  return type;
}

template <class T>
void set_once(lexer& in, std::optional<T>& slot, T value, std::string_view what, std::size_t at) {
  if (slot && *slot != value) in.fail(at, fmt::format("conflicting {} specifiers", what));
  slot = value;
}

}  // namespace

// --- reading ---

term bitstring_reader::read() {
  in_.expect("<<", "'<<'");
  bit_writer out;
  in_.skip_space();
  if (in_.consume(">>")) return out.finish();
  do {
    segment(out);
  } while (!in_.separator(">>", "',' or '>>'"));
  return out.finish();
}

void bitstring_reader::segment(bit_writer& out) {
  in_.skip_space();
  const std::size_t at = in_.pos();
  std::variant<term, std::string> value;
  const char c = in_.peek();
  const bool signed_literal = c == '-' || c == '+';
  if (c == '"') {
    value = in_.quoted('"');
  } else if ((c >= '0' && c <= '9') || c == '?' || c == '-' || c == '+') {
    value = in_.number();
  } else {
    in_.fail("expected an integer, float or string segment");
  }
  in_.skip_space();
  const segment_specifiers spec = in_.consume("::") ? read_specifiers() : segment_specifiers{};
  if (const auto* text = std::get_if<std::string>(&value)) {
    write_text(out, *text, spec, at);
  } else {
    write_number(out, std::get<term>(value), signed_literal, spec, at);
  }
}

segment_specifiers bitstring_reader::read_specifiers() {
  segment_specifiers spec;
  do {
    in_.skip_space();
    read_specifier(spec);
    in_.skip_space();
  } while (in_.consume("-"));
  return spec;
}

// One of `integer float binary bytes bitstring bits utf8 utf16 utf32 signed unsigned big little native` (each
// optionally followed by `()`), `size(N)`, `unit(N)`, `N` (a size) or `N*M` (a size and a unit).
void bitstring_reader::read_specifier(segment_specifiers& spec) {
  constexpr std::uint64_t max_unit = 256;
  const std::size_t at = in_.pos();
  if (in_.peek() >= '0' && in_.peek() <= '9') {
    set_once(in_, spec.size, specifier_value("size", 0, max_sized_bits), "size", at);
    in_.skip_space();
    if (in_.consume("*")) {
      in_.skip_space();
      set_once(in_, spec.unit, specifier_value("unit", 1, max_unit), "unit", at);
    }
    return;
  }
  const std::string name = in_.identifier();
  if (name == "size" || name == "unit") {
    in_.skip_space();
    if (in_.crossed_newline()) in_.fail(fmt::format("expected '(' after {} on the same line", name));
    in_.expect("(", fmt::format("'(' after {}", name));
    in_.skip_space();
    auto& slot = name == "size" ? spec.size : spec.unit;
    set_once(in_, slot,
             name == "size" ? specifier_value(name, 0, max_sized_bits) : specifier_value(name, 1, max_unit),
             name, at);
    in_.skip_space();
    in_.expect(")", "')'");
    return;
  }
  if (const auto type = type_named(name)) {
    set_once(in_, spec.type, *type, "type", at);
  } else if (name == "signed" || name == "unsigned") {
    set_once(in_, spec.is_signed, name == "signed", "signedness", at);
  } else if (name == "big" || name == "little" || name == "native") {
    const byte_order order = name == "big"      ? byte_order::big
                             : name == "little" ? byte_order::little
                                                : byte_order::native;
    set_once(in_, spec.order, order, "endianness", at);
  } else {
    in_.fail(at, name.empty() ? std::string("expected a segment specifier such as size(8), integer or utf8")
                              : fmt::format("unknown segment specifier {}", name));
  }
  if (in_.consume("(")) {
    in_.skip_space();
    in_.expect(")", fmt::format("')': {} takes no argument", name));
  }
}

// An integer literal from `min` to `max`: a size or a unit.
std::uint64_t bitstring_reader::specifier_value(std::string_view what, std::uint64_t min, std::uint64_t max) {
  const std::size_t at = in_.pos();
  if (in_.peek() < '0' || in_.peek() > '9') in_.fail(fmt::format("expected an integer {}", what));
  const term value = in_.number();
  if (!value.is_integer()) in_.fail(at, fmt::format("expected an integer {}", what));
  if (!value.is_small_integer() || value.as_int() < static_cast<std::int64_t>(min) ||
      static_cast<std::uint64_t>(value.as_int()) > max) {
    in_.fail(at, fmt::format("{} must be from {} to {}", what, min, max));
  }
  return static_cast<std::uint64_t>(value.as_int());
}

// --- writing ---

// Strings take only a type (binary by default, bitstring, or utf8/16/32 to encode each character) and
// endianness.
void bitstring_reader::write_text(bit_writer& out, const std::string& bytes, const segment_specifiers& spec,
                                  std::size_t at) {
  const segment_type type = spec.type.value_or(segment_type::binary);
  if (type == segment_type::integer || type == segment_type::float_) {
    in_.fail(at, fmt::format("conflicting types: a string segment cannot have type {}", name_of(type)));
  }
  check_unsized(in_, spec, "string", at);
  if (!is_utf(type)) {
    out.push_bytes(bytes);
    return;
  }
  for (std::size_t pos = 0; pos < bytes.size();) {
    const auto cp = utf8::decode(bytes, pos);
    if (!cp) in_.fail(at, "invalid UTF-8 in a utf segment");
    push_code_point(out, *cp, type, spec.little());
  }
}

void bitstring_reader::write_number(bit_writer& out, const term& number, bool signed_literal,
                                    const segment_specifiers& spec, std::size_t at) {
  const segment_type type = number_type(in_, number, signed_literal, spec, at);
  if (is_utf(type)) {
    check_unsized(in_, spec, "utf", at);
    if (!number.is_small_integer() || !utf8::is_code_point(number.as_int())) {
      in_.fail(at, "a utf segment must be a Unicode code point");
    }
    push_code_point(out, static_cast<char32_t>(number.as_int()), type, spec.little());
    return;
  }
  if (spec.unit && !spec.size) in_.fail(at, "a unit needs a size");
  const std::uint64_t bits =
      spec.size.value_or(type == segment_type::float_ ? 64 : 8) * spec.unit.value_or(1);
  if (spec.size || spec.unit) {
    if (bits > max_sized_bits - sized_bits_) {
      in_.fail(at, fmt::format("bitstring too large: sized segments exceed {} bits", max_sized_bits));
    }
    sized_bits_ += bits;
  }
  if (type == segment_type::integer) {
    out.push_integer(twos_complement(number, bits), bits, spec.little());
    return;
  }
  if (bits != 16 && bits != 32 && bits != 64) {
    in_.fail(at, fmt::format("a float segment has 16, 32 or 64 bits, not {}", bits));
  }
  const auto value = to_double(number);
  if (!value) in_.fail(at, "integer too large for a float segment");
  out.push_unsigned(float_bits(*value, bits), static_cast<unsigned>(bits), spec.little());
}

}  // namespace beam::parse_detail
