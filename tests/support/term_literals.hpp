// tests/support/term_literals.hpp: short ways to write list and binary terms in tests.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <vector>

#include <beam/term.hpp>

namespace beam::testing {

// [v1, v2, ...] of integers.
inline term ints(std::initializer_list<std::int64_t> values) {
  std::vector<term> elements;
  for (std::int64_t v : values) elements.emplace_back(v);
  return make_list(std::move(elements));
}

// <<b1, b2, ...>>
inline term bytes(std::initializer_list<std::uint8_t> values) {
  const std::vector<std::uint8_t> v(values);
  return binary(v);
}

}  // namespace beam::testing
