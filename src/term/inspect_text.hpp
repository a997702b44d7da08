// term/inspect_text.hpp: the leaves of beam::inspect as text, exactly as Elixir 1.14 writes them: escaped
// strings and charlists, atoms in their three positions, pids, references and export funs.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>

#include <beam/term.hpp>

namespace beam::inspect_detail {

// Counts of characters and elements: SIZE_MAX stands for Elixir's :infinity, which decrementing leaves alone.
inline constexpr std::size_t infinity = std::numeric_limits<std::size_t>::max();
[[nodiscard]] constexpr std::size_t decrement(std::size_t count) noexcept {
  return count == infinity ? count : count - 1;
}

// String.printable?(bytes, limit): the first `limit` characters are valid UTF-8 and printable: ASCII 0x20 to
// 0x7E, \a\b\t\n\v\f\r\e and DEL, and U+00A0 up, U+FFFE and U+FFFF aside.
[[nodiscard]] bool is_printable_string(std::string_view bytes, std::size_t limit);

// Code.Identifier.escape(bytes, quote, limit): `bytes` as they go between `quote`s, with at most `limit`
// characters (a "#{" counts as one); `truncated` when characters were left out.
struct escaped {
  std::string text;
  bool truncated;
};
[[nodiscard]] escaped escape(std::string_view bytes, char quote, std::size_t limit);

// Macro.inspect_atom/2: `:foo`, `:"foo bar"`, `Foo.Bar`, `nil` (literal); `foo:`, `"foo bar":` (keyword key);
// `foo`, `"foo bar"` (the function of a remote call, as in `&Mod.fun/1`).
[[nodiscard]] std::string literal_atom(atom a);
[[nodiscard]] std::string key_atom(atom a);
[[nodiscard]] std::string remote_call_atom(atom a);

// &:lists.map/2.
[[nodiscard]] std::string fun_text(const export_fun& f);

// What both languages print inside #PID<...> and <...> ("0.109.0"), inside #Port<...> ("0.5", the same in
// both), and inside #Reference<...> and #Ref<...> ("0.3.2.1": the words from the last to the first; a
// reference of this node shows at least three, as Erlang pads shorter ones). The first field is 0 for this
// node; Erlang numbers other nodes by a connection channel that beampp does not have, so it prints the node
// name's atom index there (stable for the life of the program).
[[nodiscard]] std::string pid_fields(const pid& p);
[[nodiscard]] std::string port_fields(const port& p);
[[nodiscard]] std::string reference_fields(const reference& r);

}  // namespace beam::inspect_detail
