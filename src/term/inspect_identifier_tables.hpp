// term/inspect_identifier_tables.hpp: the Unicode data behind term/inspect_identifier.cpp (generated, see the
// .cpp).
#pragma once

#include <cstdint>

namespace beam::inspect_detail {

// How String.Tokenizer may use a non-ASCII code point: to start an alias-like atom (upper), to start an
// identifier (start), or only after the first character (continuing). A code point in several tables has the
// first role.
enum class identifier_role : std::uint8_t { upper, start, continuing };

// Runs of code points with one role and one script set (a bit per script set; all bits: any script).
struct identifier_range {
  char32_t first;
  char32_t last;
  identifier_role role;
  std::uint64_t scripts;
};
extern const identifier_range identifier_ranges[1063];

// The script set of characters common to all scripts ('_', digits and more).
extern const std::uint64_t all_scripts;

// Script combinations that may mix (Latin with Japanese, with Han and Bopomofo, with Korean).
extern const std::uint64_t highly_restrictive_scripts[3];

// Canonical combining classes (non-zero only) of identifier characters and of the parts of their
// decompositions.
struct combining_class {
  char32_t code_point;
  std::uint8_t value;
};
extern const combining_class combining_classes[110];

// Full canonical decompositions of identifier characters (Hangul syllables aside): parts[offset, offset +
// size).
struct decomposition {
  char32_t code_point;
  std::uint16_t offset;
  std::uint8_t size;
};
extern const decomposition decompositions[859];
extern const char32_t decomposition_parts[2006];

// Primary composites (Hangul aside), sorted by (first, second).
struct composition {
  char32_t first;
  char32_t second;
  char32_t composite;
};
extern const composition compositions[941];

}  // namespace beam::inspect_detail
