// beam/inspect.hpp: terms as text. beam::inspect writes Elixir syntax exactly as Elixir 1.14's inspect/2;
// beam::format_erlang writes Erlang syntax as io_lib:format("~tp") does with an unlimited line length.
//
// Both throw std::invalid_argument for a float term holding NaN or an infinity, which Erlang floats cannot
// be. Known differences: a map with a `__struct__` key prints as a plain map (as Elixir prints a struct whose
// module is not loaded); maps of more than 32 keys print in key order (OTP prints them in hash order); a
// pid, port or reference of another node shows an atom index where Erlang shows a connection number.
#pragma once

#include <cstddef>
#include <limits>
#include <string>

#include <fmt/format.h>

#include <beam/term.hpp>

namespace beam {

// The subset of Elixir's Inspect.Opts that shapes plain data. SIZE_MAX stands for :infinity.
struct inspect_options {
  // Elements shown of each list, tuple, map and non-printable binary before "..."; unlimited by default
  // (Elixir's own default is 50). A nested collection gets the count left at its position, as in Elixir.
  std::size_t limit = std::numeric_limits<std::size_t>::max();
  // Characters shown of a printable string or charlist before `<> ...` or `++ ...`; Elixir's default, which
  // also applies with limit: :infinity.
  std::size_t printable_limit = 4096;
  // Break lines to fit `width` columns, as Inspect.Algebra does; off: everything on one line.
  bool pretty = false;
  std::size_t width = 80;
};

// What iex prints with: pretty, width 80, limit 50 (used by flush()).
inline constexpr inspect_options iex_inspect_options{.limit = 50, .pretty = true, .width = 80};

// Elixir syntax: `{:hello3, 42}`, `["message", :can, {'be', "any"}, :data]`, `%{a: 1}`, `#PID<0.109.0>`,
// `#Port<0.5>`.
// inspect(t, options) equals Elixir's inspect(t, limit: L, printable_limit: P, pretty: B, width: W).
[[nodiscard]] std::string inspect(const term& t, const inspect_options& options = {});

// Erlang syntax on one line: `{hello3,42}`, `["message",can,{"be",<<"any">>},data]`, `#{a => 1}`,
// `<0.109.0>`, `#Port<0.5>`.
[[nodiscard]] std::string format_erlang(const term& t);

}  // namespace beam

// fmt support: "{}" prints a term, pid, port, reference or atom in Elixir syntax on one line.
template <>
struct fmt::formatter<beam::term> : fmt::formatter<std::string_view> {
  auto format(const beam::term& t, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(beam::inspect(t), ctx);
  }
};
template <>
struct fmt::formatter<beam::pid> : fmt::formatter<beam::term> {
  auto format(const beam::pid& p, fmt::format_context& ctx) const {
    return fmt::formatter<beam::term>::format(beam::term(p), ctx);
  }
};
template <>
struct fmt::formatter<beam::port> : fmt::formatter<beam::term> {
  auto format(const beam::port& p, fmt::format_context& ctx) const {
    return fmt::formatter<beam::term>::format(beam::term(p), ctx);
  }
};
template <>
struct fmt::formatter<beam::reference> : fmt::formatter<beam::term> {
  auto format(const beam::reference& r, fmt::format_context& ctx) const {
    return fmt::formatter<beam::term>::format(beam::term(r), ctx);
  }
};
template <>
struct fmt::formatter<beam::atom> : fmt::formatter<beam::term> {
  auto format(beam::atom a, fmt::format_context& ctx) const {
    return fmt::formatter<beam::term>::format(beam::term(a), ctx);
  }
};
