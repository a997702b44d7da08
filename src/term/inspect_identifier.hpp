// term/inspect_identifier.hpp: how Elixir 1.14 classifies an atom's text, which decides how inspect writes it
// (`:foo`, `:"foo bar"`, `Foo.Bar`, `:+`, `foo: 1`, `"foo bar": 1`, `&Mod."fun name"/0`).
#pragma once

#include <string_view>

namespace beam::inspect_detail {

// Macro.inner_classify/1 of Elixir 1.14.
enum class atom_form {
  alias,              // Elixir.Foo.Bar: a valid alias after "Elixir"
  identifier,         // foo, foo?, héllo: a variable or local call name
  unquoted_operator,  // +, ===, not, when: callable operators
  quoted_operator,    // ::, ^^^, ~~~, <|>: operators that need quotes as atoms
  not_callable,       // %{}, .., Foo, foo@bar: valid unquoted but not after a dot
  other,              // anything else: written quoted and escaped
};

// The form of the atom with UTF-8 text `text`.
[[nodiscard]] atom_form classify_atom(std::string_view text);

}  // namespace beam::inspect_detail
