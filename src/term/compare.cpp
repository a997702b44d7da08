// term/compare.cpp: exact equality, Erlang's term order and hashing.
//
// Term order (compare/2): number < atom < reference < fun < port < pid < tuple < map < [] < list < bitstring.
// Numbers compare by value across integers and floats (1 == 1.0 in this order). Exact order (=:=, map keys)
// is the same except that every integer sorts before every float, as OTP's map key order does. Tuples compare
// by size then elements; maps by size, then keys in map key order, then values in that key order; lists
// element by element, then their tails; bitstrings byte by byte, then by length.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include <beam/term.hpp>

#include "term/heap.hpp"

namespace beam {

using detail::tag;
using detail::term_access;

namespace {

// The reference a tag::reference term holds in its node, read in place (no copy): valid as long as `t`. A
// packed reference (tag::local_reference) has none: term::as_reference unpacks it.
const reference& node_reference(const term& t) noexcept {
  return term_access::node<detail::reference_node>(t)->value;
}

// Sign and magnitude, the common form for comparing integers of any size with each other and with floats.
struct magnitude_view {
  bool negative;
  std::span<const std::uint8_t> bytes;  // little-endian, no trailing zero
};

std::strong_ordering compare_magnitudes(std::span<const std::uint8_t> a,
                                        std::span<const std::uint8_t> b) noexcept {
  if (auto c = a.size() <=> b.size(); c != 0) return c;
  for (std::size_t i = a.size(); i-- > 0;) {
    if (auto c = a[i] <=> b[i]; c != 0) return c;
  }
  return std::strong_ordering::equal;
}

std::strong_ordering compare_signed(magnitude_view a, magnitude_view b) noexcept {
  if (a.negative != b.negative)
    return a.negative ? std::strong_ordering::less : std::strong_ordering::greater;
  auto c = compare_magnitudes(a.bytes, b.bytes);
  return a.negative ? 0 <=> c : c;
}

// The exact integer value of an integral double as sign and magnitude (`storage` holds the bytes).
magnitude_view integral_double(double d, std::uint8_t (&storage)[128]) noexcept {
  int exponent = 0;
  const double mantissa =
      std::frexp(std::fabs(d), &exponent);  // |d| = mantissa * 2^exponent, mantissa in [0.5,1)
  auto bits = static_cast<std::uint64_t>(std::ldexp(mantissa, 53));
  const int shift = exponent - 53;  // |d| = bits * 2^shift; shift >= 0 for the doubles that reach here
  std::memset(storage, 0, sizeof storage);
  for (int i = 0; i < 64; ++i) {
    if ((bits >> i & 1) != 0) {
      const int bit = i + shift;
      storage[bit / 8] |= static_cast<std::uint8_t>(1u << (bit % 8));
    }
  }
  std::size_t n = sizeof storage;
  while (n > 0 && storage[n - 1] == 0) --n;
  return {d < 0, {storage, n}};
}

std::weak_ordering compare_int_float(std::int64_t i, double d) noexcept {
  constexpr double two63 = 9223372036854775808.0;
  if (d >= two63) return std::weak_ordering::less;
  if (d < -two63) return std::weak_ordering::greater;
  const double t = std::trunc(d);
  const auto ti = static_cast<std::int64_t>(t);
  if (i != ti) return i < ti ? std::weak_ordering::less : std::weak_ordering::greater;
  if (d > t) return std::weak_ordering::less;
  if (d < t) return std::weak_ordering::greater;
  return std::weak_ordering::equivalent;
}

std::weak_ordering compare_big_float(const term& big, double d) noexcept {
  constexpr double two63 = 9223372036854775808.0;
  const bool negative = big.big_negative();
  if (std::fabs(d) < two63) return negative ? std::weak_ordering::less : std::weak_ordering::greater;
  std::uint8_t storage[128];
  return compare_signed({negative, big.big_magnitude()}, integral_double(d, storage));
}

std::weak_ordering flip(std::weak_ordering c) noexcept {
  return 0 <=> c;
}

std::weak_ordering compare_numbers(const term& a, const term& b) noexcept {
  const tag ta = term_access::tag_of(a);
  const tag tb = term_access::tag_of(b);
  if (ta == tag::small_int && tb == tag::small_int) return a.as_int() <=> b.as_int();
  if (ta == tag::float_ && tb == tag::float_) {
    const double x = a.as_float(), y = b.as_float();
    return x < y ? std::weak_ordering::less
                 : (y < x ? std::weak_ordering::greater : std::weak_ordering::equivalent);
  }
  if (ta == tag::small_int && tb == tag::float_) return compare_int_float(a.as_int(), b.as_float());
  if (ta == tag::float_ && tb == tag::small_int) return flip(compare_int_float(b.as_int(), a.as_float()));
  if (ta == tag::big_int && tb == tag::float_) return compare_big_float(a, b.as_float());
  if (ta == tag::float_ && tb == tag::big_int) return flip(compare_big_float(b, a.as_float()));
  // Integers, at least one big: a small one has the smaller magnitude.
  if (ta == tag::small_int) return b.big_negative() ? std::weak_ordering::greater : std::weak_ordering::less;
  if (tb == tag::small_int) return a.big_negative() ? std::weak_ordering::less : std::weak_ordering::greater;
  return compare_signed({a.big_negative(), a.big_magnitude()}, {b.big_negative(), b.big_magnitude()});
}

template <bool Exact>
std::weak_ordering compare_terms(const term& a, const term& b) noexcept;

template <bool Exact>
std::weak_ordering compare_spans(std::span<const term> a, std::span<const term> b) noexcept {
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (auto c = compare_terms<Exact>(a[i], b[i]); c != 0) return c;
  }
  return a.size() <=> b.size();
}

// What follows the common prefix of two lists: the rest of the longer one is a non-empty list, which sorts
// above everything but a bitstring.
std::weak_ordering compare_rest_with_list(const term& tail) noexcept {
  return tail.is_bitstring() ? std::weak_ordering::greater : std::weak_ordering::less;
}

template <bool Exact>
std::weak_ordering compare_lists(const term& a, const term& b) noexcept {
  auto ea = a.as_list();
  auto eb = b.as_list();
  const std::size_t n = std::min(ea.size(), eb.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (auto c = compare_terms<Exact>(ea[i], eb[i]); c != 0) return c;
  }
  if (ea.size() == eb.size()) return compare_terms<Exact>(a.list_tail(), b.list_tail());
  if (ea.size() < eb.size()) return compare_rest_with_list(a.list_tail());
  return flip(compare_rest_with_list(b.list_tail()));
}

template <bool Exact>
std::weak_ordering compare_maps(const term& a, const term& b) noexcept {
  auto ea = a.as_map();
  auto eb = b.as_map();
  if (auto c = ea.size() <=> eb.size(); c != 0) return c;
  for (std::size_t i = 0; i < ea.size(); ++i) {
    if (auto c = compare_terms<true>(ea[i].first, eb[i].first); c != 0) return c;
  }
  for (std::size_t i = 0; i < ea.size(); ++i) {
    if (auto c = compare_terms<Exact>(ea[i].second, eb[i].second); c != 0) return c;
  }
  return std::weak_ordering::equivalent;
}

std::weak_ordering compare_bitstrings(const term& a, const term& b) noexcept {
  auto ba = a.bitstring_bytes();
  auto bb = b.bitstring_bytes();
  const std::size_t n = std::min(ba.size(), bb.size());
  if (n > 0) {
    if (int c = std::memcmp(ba.data(), bb.data(), n); c != 0) return c <=> 0;
  }
  return a.bit_size() <=> b.bit_size();
}

template <bool Exact>
std::weak_ordering compare_terms(const term& a, const term& b) noexcept {
  const term_kind ka = a.kind();
  const term_kind kb = b.kind();
  const bool numbers = a.is_number() && b.is_number();
  if (numbers && !(Exact && ka != kb)) return compare_numbers(a, b);
  if (ka != kb) return ka <=> kb;
  switch (ka) {
    case term_kind::integer:
    case term_kind::float_:
      return compare_numbers(a, b);
    case term_kind::atom:
      return a.as_atom() <=> b.as_atom();
    case term_kind::reference:
      return a.as_reference() <=> b.as_reference();  // either may be packed
    case term_kind::fun: {
      const export_fun fa = a.as_fun(), fb = b.as_fun();
      if (auto c = fa.module <=> fb.module; c != 0) return c;
      if (auto c = fa.function <=> fb.function; c != 0) return c;
      return fa.arity <=> fb.arity;
    }
    case term_kind::port:
      return a.as_port() <=> b.as_port();
    case term_kind::pid:
      return a.as_pid() <=> b.as_pid();
    case term_kind::tuple: {
      auto ta = a.as_tuple(), tb = b.as_tuple();
      if (auto c = ta.size() <=> tb.size(); c != 0) return c;
      return compare_spans<Exact>(ta, tb);
    }
    case term_kind::map:
      return compare_maps<Exact>(a, b);
    case term_kind::nil:
      return std::weak_ordering::equivalent;
    case term_kind::list:
      return compare_lists<Exact>(a, b);
    case term_kind::bitstring:
      return compare_bitstrings(a, b);
  }
  return std::weak_ordering::equivalent;
}

std::uint64_t mix(std::uint64_t h, std::uint64_t v) noexcept {
  h ^= v + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
  h *= 0xFF51AFD7ED558CCDULL;
  return h ^ (h >> 33);
}

std::uint64_t hash_bytes(std::span<const std::uint8_t> bytes, std::uint64_t h) noexcept {
  for (std::size_t i = 0; i < bytes.size(); i += 8) {
    std::uint64_t chunk = 0;
    std::memcpy(&chunk, bytes.data() + i, std::min<std::size_t>(8, bytes.size() - i));
    h = mix(h, chunk);
  }
  return h;
}

std::uint64_t hash_term(const term& t) noexcept {
  const auto kind_salt = static_cast<std::uint64_t>(term_access::tag_of(t)) + 1;
  switch (term_access::tag_of(t)) {
    case tag::small_int:
    case tag::atom:
    case tag::local_pid:
    case tag::local_port:
    case tag::local_reference:  // one tag and bits for each such reference: its words need not be hashed
      return mix(kind_salt, term_access::bits(t));
    case tag::float_: {
      const double d = t.as_float() == 0.0 ? 0.0 : t.as_float();  // 0.0 =:= -0.0 in OTP 25
      return mix(kind_salt, std::bit_cast<std::uint64_t>(d));
    }
    case tag::nil:
      return kind_salt;
    case tag::big_int:
      return hash_bytes(t.big_magnitude(), mix(kind_salt, t.big_negative()));
    case tag::bitstring:
      return hash_bytes(t.bitstring_bytes(), mix(kind_salt, t.bit_size()));
    case tag::remote_pid:
      return mix(kind_salt, std::hash<pid>{}(t.as_pid()));
    case tag::remote_port:
      return mix(kind_salt, std::hash<port>{}(t.as_port()));
    case tag::reference: {
      std::uint64_t h = kind_salt;
      for (auto w : node_reference(t).words()) h = mix(h, w);  // the node's: alive as long as t
      return h;
    }
    case tag::fun: {
      const export_fun f = t.as_fun();
      return mix(mix(mix(kind_salt, f.module.index()), f.function.index()), f.arity);
    }
    case tag::tuple: {
      std::uint64_t h = kind_salt;
      for (const term& e : t.as_tuple()) h = mix(h, hash_term(e));
      return h;
    }
    case tag::list: {
      std::uint64_t h = kind_salt;
      for (const term& e : t.as_list()) h = mix(h, hash_term(e));
      return mix(h, hash_term(t.list_tail()));
    }
    case tag::map: {
      std::uint64_t h = kind_salt;
      for (const auto& [k, v] : t.as_map()) h = mix(mix(h, hash_term(k)), hash_term(v));
      return h;
    }
  }
  return 0;
}

bool equal_spans(std::span<const term> a, std::span<const term> b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

}  // namespace

std::weak_ordering compare_exact(const term& a, const term& b) noexcept {
  return compare_terms<true>(a, b);
}

std::weak_ordering operator<=>(const term& a, const term& b) noexcept {
  return compare_terms<false>(a, b);
}

// Exact equality (=:=) past operator=='s inline part, without working out an order: a reference is its node
// and words, and tuples and lists stop at the first difference; other kinds use compare_terms. Receive
// patterns and the keys of a process's monitors and aliases (base/small_map.hpp) compare this way: a call's
// [alias | Ref] tag took ~500 instructions through compare_terms, most of it ordering the reference's node
// by its name's text.
bool term::equal_contents(const term& a, const term& b) noexcept {
  switch (term_access::tag_of(a)) {
    case tag::float_:
      return a.as_float() == b.as_float();
    case tag::reference:
      return node_reference(a) == node_reference(b);  // equal packed ones never get here (operator==)
    case tag::tuple:
      return equal_spans(a.as_tuple(), b.as_tuple());
    case tag::list:
      return equal_spans(a.as_list(), b.as_list()) && a.list_tail() == b.list_tail();
    default:
      return compare_terms<true>(a, b) == 0;
  }
}

std::size_t term::hash() const noexcept {
  return static_cast<std::size_t>(hash_term(*this));
}

}  // namespace beam
