// term/float_text.cpp: Erlang's and Elixir's float notation.
//
// std::to_chars in scientific form gives the shortest round-trip digits (Ryu, as OTP's float_to_list(F,
// [short]) uses); with trailing zeros dropped they are an integer M of n digits, and the value is M x 10^E.
// OTP then writes M in fixed notation (digits, zeros, ".0", or a point inside or before them) when E lies in
// a window, else in scientific notation (d.ddd "e" exponent). The window is [-4, 2] for one digit, else
// [-(n + 2), 1], or [-(n + 2), 2] from exponent 10 up: 100.0 but 1.0e3, 0.0001 but 1.0e-5, 120.0 but 1.2e3,
// 12345678901.0. Integers at or beyond 2^53 never use fixed notation (9.007199254740992e15). This is the rule
// of OTP 25's to_chars() (erts/emulator/ryu), checked against erl on 200,000 floats.
//
// Rejected: printf("%.17g") and trimming (not shortest); io_lib_format's older cost-based placement (it
// disagrees with OTP 25 near 2^53).
#include "term/float_text.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include <fmt/format.h>

namespace beam::float_text {
namespace {

// The shortest digits of |value| (no leading or trailing zeros) and the place of the decimal point before
// them.
struct decimal {
  std::string digits;
  int place;
};

decimal shortest_digits(double magnitude) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, magnitude, std::chars_format::scientific);
  const std::string_view text(buffer,
                              static_cast<std::size_t>(result.ptr - buffer));  // "d.ddde+XX" or "de-XX"
  const std::size_t e = text.find('e');
  decimal out;
  for (char c : text.substr(0, e)) {
    if (c != '.') out.digits.push_back(c);
  }
  while (out.digits.size() > 1 && out.digits.back() == '0') out.digits.pop_back();
  out.place = std::atoi(std::string(text.substr(e + 1)).c_str()) + 1;
  return out;
}

// Fixed or scientific notation, as OTP's to_chars() chooses (see the note at the top).
bool use_fixed(const decimal& d) {
  const int n = static_cast<int>(d.digits.size());
  const int exponent = d.place - n;  // value = digits x 10^exponent
  const int lower = n == 1 ? -4 : -(n + 2);
  const int upper = n == 1 || d.place - 1 >= 10 ? 2 : 1;
  if (exponent < lower || exponent > upper) return false;
  const std::uint64_t mantissa = std::stoull(d.digits);
  constexpr std::uint64_t two_53 = std::uint64_t{1} << 53;
  return !((exponent == 0 && mantissa >= two_53) || (exponent == 1 && mantissa > (two_53 / 2) / 5) ||
           (exponent == 2 && mantissa > (two_53 / 4) / 25));
}

std::string fixed(const std::string& digits, int place) {
  const int length = static_cast<int>(digits.size());
  if (place <= 0) return "0." + std::string(static_cast<std::size_t>(-place), '0') + digits;
  if (place < length) {
    return digits.substr(0, static_cast<std::size_t>(place)) + '.' +
           digits.substr(static_cast<std::size_t>(place));
  }
  return digits + std::string(static_cast<std::size_t>(place - length), '0') + ".0";
}

std::string scientific(const std::string& digits, int place) {
  std::string out(1, digits[0]);
  out += '.';
  out += digits.size() == 1 ? std::string("0") : digits.substr(1);
  return out + 'e' + std::to_string(place - 1);
}

void require_finite(double value) {
  if (!std::isfinite(value)) {
    throw std::invalid_argument(fmt::format("a float term holds {}, which Erlang floats cannot", value));
  }
}

}  // namespace

std::string erlang(double value) {
  require_finite(value);
  const std::string sign = std::signbit(value) ? "-" : "";
  if (value == 0.0) return sign + "0.0";
  const decimal d = shortest_digits(std::fabs(value));
  return sign + (use_fixed(d) ? fixed(d.digits, d.place) : scientific(d.digits, d.place));
}

std::string elixir(double value) {
  require_finite(value);
  const double magnitude = std::fabs(value);
  if (magnitude >= 1.0 && magnitude < 1.0e16 && std::trunc(value) == value) {
    return fmt::format("{}.0", static_cast<std::int64_t>(value));
  }
  return erlang(value);
}

}  // namespace beam::float_text
