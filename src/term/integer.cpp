// term/integer.cpp: decimal text of integers of any size. Big integers are kept, printed and compared
// exactly; arithmetic on them is not needed (see <beam/term.hpp>).
#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include <beam/term.hpp>

namespace beam {
namespace {

constexpr std::uint32_t chunk_base = 1'000'000'000;  // nine decimal digits

// Little-endian 32-bit limbs from little-endian bytes.
std::vector<std::uint32_t> to_limbs(std::span<const std::uint8_t> bytes) {
  std::vector<std::uint32_t> limbs((bytes.size() + 3) / 4, 0);
  for (std::size_t i = 0; i < bytes.size(); ++i) limbs[i / 4] |= std::uint32_t{bytes[i]} << (8 * (i % 4));
  return limbs;
}

// Divides `limbs` in place by `divisor`, returning the remainder; drops leading zero limbs.
std::uint32_t divide(std::vector<std::uint32_t>& limbs, std::uint32_t divisor) {
  std::uint64_t rem = 0;
  for (std::size_t i = limbs.size(); i-- > 0;) {
    const std::uint64_t cur = rem << 32 | limbs[i];
    limbs[i] = static_cast<std::uint32_t>(cur / divisor);
    rem = cur % divisor;
  }
  while (!limbs.empty() && limbs.back() == 0) limbs.pop_back();
  return static_cast<std::uint32_t>(rem);
}

}  // namespace

std::string integer_to_string(const term& integer) {
  if (integer.is_small_integer()) return fmt::format("{}", integer.as_int());
  auto limbs = to_limbs(integer.big_magnitude());  // throws bad_term_access for a non-integer
  std::vector<std::uint32_t> chunks;               // base 10^9, least significant first
  while (!limbs.empty()) chunks.push_back(divide(limbs, chunk_base));
  std::string out = integer.big_negative() ? "-" : "";
  out += fmt::format("{}", chunks.back());
  for (std::size_t i = chunks.size() - 1; i-- > 0;) out += fmt::format("{:09}", chunks[i]);
  return out;
}

term integer_from_string(std::string_view decimal) {
  const bool negative = !decimal.empty() && decimal.front() == '-';
  std::string_view digits = decimal.substr(negative || (!decimal.empty() && decimal.front() == '+') ? 1 : 0);
  if (digits.empty() ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    throw std::invalid_argument(fmt::format("not a decimal integer: \"{}\"", decimal));
  }
  std::vector<std::uint32_t> limbs;  // little-endian base 2^32
  const std::size_t first = digits.size() % 9 == 0 ? 9 : digits.size() % 9;
  for (std::size_t pos = 0; pos < digits.size(); pos = pos == 0 ? first : pos + 9) {
    const std::size_t len = pos == 0 ? first : 9;
    std::uint32_t chunk = 0;
    std::from_chars(digits.data() + pos, digits.data() + pos + len, chunk);
    std::uint64_t carry = chunk;
    const std::uint64_t scale = pos == 0 ? 1 : chunk_base;
    for (auto& limb : limbs) {
      const std::uint64_t cur = std::uint64_t{limb} * scale + carry;
      limb = static_cast<std::uint32_t>(cur);
      carry = cur >> 32;
    }
    if (carry != 0) limbs.push_back(static_cast<std::uint32_t>(carry));
  }
  std::vector<std::uint8_t> bytes(limbs.size() * 4);
  for (std::size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = static_cast<std::uint8_t>(limbs[i / 4] >> (8 * (i % 4)));
  return make_integer(negative, bytes);
}

}  // namespace beam
