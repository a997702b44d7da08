// beam/convert.hpp: C++ values to terms and back: beam::to_term(x) and beam::from_term<T>(t).
//
// Design: one class template, beam::convert<T>, holds both directions for a type T:
//     static beam::term to(const T&);
//     static T from(const beam::term&);
// The built-in types are its partial specialisations below. A user type joins by specialising convert<T> (see
// examples/custom_type.cpp); it may also give `static std::string name()`, the type's name in error messages
// (the compiler's spelling is used otherwise). A specialisation may offer only `to` (as convert<const char*>
// does). Rejected: overloads of free functions found by ADL (a conversion for a standard type would need to
// live in namespace std) and a constructor template on term (it would make every type implicitly a term).
//
// The mapping, and what it decides:
//   C++                                 Erlang term
//   integers (not bool, not chars)      integer. from_term range-checks: std::out_of_range names value and
//   type.
//                                       Characters (char, char8_t, ..., wchar_t) are not integers here.
//   double, float                       float. from_term takes floats only, as Erlang tells 1 from 1.0 and a
//   big
//                                       integer would round silently; term::as_number() accepts both.
//   bool                                the atoms true and false
//   beam::atom, pid, port, reference    themselves
//   std::string, const char* (to only)  binary (an Elixir string); from_term takes a binary, not a charlist.
//   std::string_view                    binary. from_term<std::string_view>(t) views t's bytes: the view is
//   valid
//                                       while t, or a copy of t, lives. It refuses a temporary term outright.
//   std::vector<T>, std::array<T, N>    proper list; an array takes exactly N elements
//   std::pair, std::tuple               tuple of the same arity
//   std::map, std::unordered_map        map
//   std::optional<T>                    the atom nil for no value, the value otherwise
//   beam::term                          itself
//
// Errors: a term of the wrong kind or shape throws beam::bad_term_access naming what was expected, the C++
// type and the term's kind: "bad term access: expected an integer for std::uint8_t, got atom". An integer or
// float out of the C++ type's range throws std::out_of_range: "integer 300 is out of range for std::uint8_t
// (0..255)".
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <beam/atom.hpp>
#include <beam/pid.hpp>
#include <beam/port.hpp>
#include <beam/reference.hpp>
#include <beam/term.hpp>

namespace beam {

// The customization point: specialise it for a user type. Undefined for types with no conversion.
template <class T>
struct convert;

template <class T>
concept convertible_to_term = requires(const T& value) {
  { convert<T>::to(value) } -> std::same_as<term>;
};
template <class T>
concept convertible_from_term = requires(const term& t) {
  { convert<T>::from(t) } -> std::same_as<T>;
};

// The term for `value`. A string literal becomes a binary.
template <class T>
requires convertible_to_term<std::decay_t<T>>
[[nodiscard]] term to_term(T&& value) {
  return convert<std::decay_t<T>>::to(value);
}

// The T that `t` holds; throws bad_term_access (wrong kind or shape) or std::out_of_range (a number beyond
// T).
template <class T>
requires convertible_from_term<T>
[[nodiscard]] T from_term(const term& t) {
  return convert<T>::from(t);
}
// A view into a temporary term would dangle at the end of the full expression: bind the term to a name first.
template <class T>
requires std::same_as<T, std::string_view> T from_term(const term&& t)
= delete;

namespace detail {
// The compiler's spelling of T, from the signature g++ and clang print: "... [with T = point; ...]", "[T =
// point]".
template <class T>
std::string_view spelled_type_name() {
  std::string_view signature = __PRETTY_FUNCTION__;
  std::size_t start = signature.find("T = ") + 4;
  std::size_t end = signature.find("; ", start);
  if (end == std::string_view::npos) end = signature.rfind(']');
  return signature.substr(start, end - start);
}
}  // namespace detail

// T's name in error messages: convert<T>::name() when the specialisation has one, else the compiler's
// spelling.
template <class T>
[[nodiscard]] std::string type_name() {
  if constexpr (requires { convert<T>::name(); }) {
    return std::string(convert<T>::name());
  } else {
    return std::string(detail::spelled_type_name<T>());
  }
}

namespace detail {
// The names of Ts, comma-separated: "std::int32_t, std::string".
template <class... Ts>
std::string type_names() {
  std::string names;
  ((names += (names.empty() ? "" : ", ") + type_name<Ts>()), ...);
  return names;
}

// Throws unless `ok`: `t` is not the `expected` kind for T.
template <class T>
void expect(bool ok, std::string_view expected, const term& t) {
  if (!ok) throw bad_term_access(fmt::format("{} for {}", expected, type_name<T>()), t.kind());
}

// The `n` elements of `elements`, the contents of `t` (`what`: "a list", "a tuple"), or bad_term_access.
template <class T>
std::span<const term> expect_size(std::span<const term> elements, std::size_t n, std::string_view what,
                                  const term& t) {
  if (elements.size() != n) {
    throw bad_term_access(
        fmt::format("{} of {} elements for {} (it has {})", what, n, type_name<T>(), elements.size()),
        t.kind());
  }
  return elements;
}

// A tuple-like type (std::tuple, std::pair, std::array) built from terms, one per element, in order.
template <class Tuple>
Tuple from_elements(std::span<const term> elements) {
  return [&]<std::size_t... I>(std::index_sequence<I...>) {
    return Tuple{from_term<std::tuple_element_t<I, Tuple>>(elements[I])...};
  }
  (std::make_index_sequence<std::tuple_size_v<Tuple>>{});
}

// A big integer's value when it is non-negative and fits in 64 bits.
inline std::optional<std::uint64_t> big_as_uint64(const term& big) {
  auto magnitude = big.big_magnitude();
  if (big.big_negative() || magnitude.size() > sizeof(std::uint64_t)) return std::nullopt;
  std::uint64_t value = 0;
  for (std::size_t i = magnitude.size(); i-- > 0;) value = value << 8 | magnitude[i];
  return value;
}

template <class T>
concept character = std::same_as<T, char> || std::same_as<T, wchar_t> || std::same_as<T, char8_t> ||
    std::same_as<T, char16_t> || std::same_as<T, char32_t>;
template <class T>
concept integer = std::integral<T> && !std::same_as<T, bool> && !character<T>;

// The proper list `range` holds, each element converted.
template <class Range>
term list_from_range(const Range& range) {
  std::vector<term> elements;
  elements.reserve(std::size(range));
  for (const auto& element : range) elements.push_back(convert<typename Range::value_type>::to(element));
  return make_list(std::move(elements));
}

// Conversions of std::map and std::unordered_map.
template <class Map>
struct map_convert {
  static term to(const Map& value) {
    std::vector<map_entry> entries;
    entries.reserve(value.size());
    for (const auto& [k, v] : value) entries.emplace_back(to_term(k), to_term(v));
    return make_map(std::move(entries));
  }
  static Map from(const term& t) {
    expect<Map>(t.is_map(), "a map", t);
    Map value;
    for (const auto& [k, v] : t.as_map()) {
      value.emplace(from_term<typename Map::key_type>(k), from_term<typename Map::mapped_type>(v));
    }
    return value;
  }
};

// Conversions of std::tuple and std::pair to Erlang tuples.
template <class Tuple>
struct tuple_convert {
  static term to(const Tuple& value) {
    return std::apply([](const auto&... xs) { return beam::tuple(to_term(xs)...); }, value);
  }
  static Tuple from(const term& t) {
    expect<Tuple>(t.is_tuple(), "a tuple", t);
    return from_elements<Tuple>(expect_size<Tuple>(t.as_tuple(), std::tuple_size_v<Tuple>, "a tuple", t));
  }
};
}  // namespace detail

// --- numbers ---

template <detail::integer I>
struct convert<I> {
  // Named by width, as <cstdint> does: int is "std::int32_t".
  static std::string name() {
    return fmt::format("std::{}int{}_t", std::is_signed_v<I> ? "" : "u", sizeof(I) * 8);
  }
  static term to(I value) { return term(value); }
  static I from(const term& t) {
    detail::expect<I>(t.is_integer(), "an integer", t);
    if (t.is_small_integer()) {
      if (std::int64_t value = t.as_int(); std::in_range<I>(value)) return static_cast<I>(value);
    } else if (auto value = detail::big_as_uint64(t); value && std::in_range<I>(*value)) {
      return static_cast<I>(*value);
    }
    throw std::out_of_range(fmt::format("integer {} is out of range for {} ({}..{})", integer_to_string(t),
                                        name(), +std::numeric_limits<I>::min(),
                                        +std::numeric_limits<I>::max()));
  }
};

template <class F>
requires std::same_as<F, double> || std::same_as<F, float>
struct convert<F> {
  static std::string name() { return std::same_as<F, double> ? "double" : "float"; }
  static term to(F value) { return term(static_cast<double>(value)); }
  static F from(const term& t) {
    detail::expect<F>(t.is_float(), "a float", t);
    double value = t.as_float();
    if (value < std::numeric_limits<F>::lowest() || value > std::numeric_limits<F>::max()) {
      throw std::out_of_range(fmt::format("float {} is out of range for {}", value, name()));
    }
    return static_cast<F>(value);
  }
};

// --- atoms, pids, ports, references ---

template <>
struct convert<bool> {
  static std::string name() { return "bool"; }
  static term to(bool value) { return term(value); }
  static bool from(const term& t) {
    detail::expect<bool>(t.is_boolean(), "the atom true or false", t);
    return t.as_bool();
  }
};

template <>
struct convert<atom> {
  static std::string name() { return "beam::atom"; }
  static term to(atom value) { return term(value); }
  static atom from(const term& t) {
    detail::expect<atom>(t.is_atom(), "an atom", t);
    return t.as_atom();
  }
};

template <>
struct convert<pid> {
  static std::string name() { return "beam::pid"; }
  static term to(const pid& value) { return term(value); }
  static pid from(const term& t) {
    detail::expect<pid>(t.is_pid(), "a pid", t);
    return t.as_pid();
  }
};

template <>
struct convert<port> {
  static std::string name() { return "beam::port"; }
  static term to(const port& value) { return term(value); }
  static port from(const term& t) {
    detail::expect<port>(t.is_port(), "a port", t);
    return t.as_port();
  }
};

template <>
struct convert<reference> {
  static std::string name() { return "beam::reference"; }
  static term to(const reference& value) { return term(value); }
  static reference from(const term& t) {
    detail::expect<reference>(t.is_reference(), "a reference", t);
    return t.as_reference();
  }
};

template <>
struct convert<term> {
  static std::string name() { return "beam::term"; }
  static term to(const term& value) { return value; }
  static term from(const term& t) { return t; }
};

// --- binaries ---

template <>
struct convert<std::string_view> {
  static std::string name() { return "std::string_view"; }
  static term to(std::string_view value) { return term(value); }
  // A view of t's bytes: valid while t, or a copy of it, lives.
  static std::string_view from(const term& t) {
    detail::expect<std::string_view>(t.is_binary(), "a binary", t);
    return t.as_string_view();
  }
};

template <>
struct convert<std::string> {
  static std::string name() { return "std::string"; }
  static term to(const std::string& value) { return term(value); }
  static std::string from(const term& t) {
    detail::expect<std::string>(t.is_binary(), "a binary", t);
    return std::string(t.as_string_view());
  }
};

template <>
struct convert<const char*> {
  static term to(const char* value) { return term(value); }
};

// --- containers ---

template <class T, class Allocator>
struct convert<std::vector<T, Allocator>> {
  using vector = std::vector<T, Allocator>;
  static std::string name() { return fmt::format("std::vector<{}>", type_name<T>()); }
  static term to(const vector& value) { return detail::list_from_range(value); }
  static vector from(const term& t) {
    detail::expect<vector>(t.is_proper_list(), "a proper list", t);
    vector value;
    value.reserve(t.as_list().size());
    for (const term& element : t.as_list()) value.push_back(from_term<T>(element));
    return value;
  }
};

template <class T, std::size_t N>
struct convert<std::array<T, N>> {
  using array = std::array<T, N>;
  static std::string name() { return fmt::format("std::array<{}, {}>", type_name<T>(), N); }
  static term to(const array& value) { return detail::list_from_range(value); }
  static array from(const term& t) {
    detail::expect<array>(t.is_proper_list(), "a proper list", t);
    return detail::from_elements<array>(detail::expect_size<array>(t.as_list(), N, "a list", t));
  }
};

template <class... Ts>
struct convert<std::tuple<Ts...>> : detail::tuple_convert<std::tuple<Ts...>> {
  static std::string name() { return fmt::format("std::tuple<{}>", detail::type_names<Ts...>()); }
};

template <class A, class B>
struct convert<std::pair<A, B>> : detail::tuple_convert<std::pair<A, B>> {
  static std::string name() { return fmt::format("std::pair<{}>", detail::type_names<A, B>()); }
};

template <class K, class V, class Compare, class Allocator>
struct convert<std::map<K, V, Compare, Allocator>> : detail::map_convert<std::map<K, V, Compare, Allocator>> {
  static std::string name() { return fmt::format("std::map<{}>", detail::type_names<K, V>()); }
};

template <class K, class V, class Hash, class Equal, class Allocator>
struct convert<std::unordered_map<K, V, Hash, Equal, Allocator>>
    : detail::map_convert<std::unordered_map<K, V, Hash, Equal, Allocator>> {
  static std::string name() { return fmt::format("std::unordered_map<{}>", detail::type_names<K, V>()); }
};

template <class T>
struct convert<std::optional<T>> {
  static std::string name() { return fmt::format("std::optional<{}>", type_name<T>()); }
  static term to(const std::optional<T>& value) { return value ? to_term(*value) : term(atom("nil")); }
  static std::optional<T> from(const term& t) {
    if (t.is_atom(atom("nil"))) return std::nullopt;
    return from_term<T>(t);
  }
};

}  // namespace beam
