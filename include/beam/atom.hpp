// beam/atom.hpp: atoms, Erlang's interned names.
//
// An atom is an index into the one process-wide atom table. Interning is idempotent: the same text gives the
// same index on every thread. Atoms are never freed, so the table has a limit (Erlang's +t, default
// 1,048,576); creating an atom past it throws beam::error with reason `system_limit`. Looking up an atom that
// exists takes no lock.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace beam {

class atom {
 public:
  // Interns `text` (UTF-8, at most 255 characters as in Erlang).
  // Throws beam::error(system_limit) when the table is full and `text` is new, or when it is too long;
  // std::invalid_argument when `text` is not valid UTF-8.
  explicit atom(std::string_view text);

  // The atom with this text if it exists already; never creates one (Erlang's `binary_to_existing_atom`).
  [[nodiscard]] static std::optional<atom> existing(std::string_view text) noexcept;
  // The atom at `index` of the table; the index must come from an existing atom.
  [[nodiscard]] static constexpr atom from_index(std::uint32_t index) noexcept { return atom(index, 0); }

  [[nodiscard]] std::uint32_t index() const noexcept { return index_; }
  // The atom's UTF-8 text; valid for the life of the program.
  [[nodiscard]] std::string_view text() const noexcept;
  // True when every character is below 256 (Erlang then encodes it as a latin-1 ATOM_EXT).
  [[nodiscard]] bool is_latin1() const noexcept;

  friend bool operator==(atom a, atom b) noexcept { return a.index_ == b.index_; }
  // Erlang's atom order: by text (UTF-8 byte order is code point order).
  friend std::strong_ordering operator<=>(atom a, atom b) noexcept;

 private:
  constexpr atom(std::uint32_t index, int) noexcept : index_(index) {}
  std::uint32_t index_;
};

// The atom table's size and limit. The limit may be raised or lowered (not below the count) at any time.
struct atom_table_info {
  std::size_t count;
  std::size_t limit;
};
[[nodiscard]] atom_table_info atom_table_stats() noexcept;
inline constexpr std::size_t default_atom_limit = 1'048'576;
inline constexpr std::size_t max_atom_limit = 134'217'727;
// Throws std::invalid_argument when `limit` is below the current count or above max_atom_limit.
void set_atom_limit(std::size_t limit);

namespace detail {
template <std::size_t N>
struct fixed_string {
  constexpr fixed_string(const char (&text)[N]) noexcept {  // NOLINT: implicit by design (literal operator)
    for (std::size_t i = 0; i < N; ++i) chars[i] = text[i];
  }
  [[nodiscard]] constexpr std::string_view view() const noexcept { return {chars, N - 1}; }
  char chars[N]{};
};
}  // namespace detail

namespace literals {
// "hello"_a is the atom :hello, interned once per literal.
template <detail::fixed_string S>
[[nodiscard]] atom operator""_a() {
  static const atom interned{S.view()};
  return interned;
}
}  // namespace literals

}  // namespace beam

template <>
struct std::hash<beam::atom> {
  std::size_t operator()(beam::atom a) const noexcept { return std::hash<std::uint32_t>{}(a.index()); }
};
