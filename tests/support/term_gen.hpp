// tests/support/term_gen.hpp: a deterministic generator of random terms of every kind, for property tests and
// the comparisons against real erl/elixir. Same seed, same terms.
#pragma once

#include <cstdint>
#include <random>

#include <beam/term.hpp>

namespace beam::testing {

struct term_gen_options {
  int max_depth = 4;
  bool pids_and_references = true;  // parse() cannot read these back
  bool funs = true;
  // Maps of more than 32 keys: OTP orders them by hash, so byte and text comparisons with OTP exclude them.
  bool big_maps = false;
};

class term_generator {
 public:
  explicit term_generator(std::uint64_t seed, term_gen_options options = {})
      : rng_(seed), options_(options) {}

  [[nodiscard]] term next() { return any(0); }

  // Leaves of each kind, at their edges.
  [[nodiscard]] term integer();
  [[nodiscard]] term big_integer();
  [[nodiscard]] term floating();
  [[nodiscard]] term atom_term();
  [[nodiscard]] term binary_term();
  [[nodiscard]] term bitstring_term();
  [[nodiscard]] term charlist_term();

 private:
  term any(int depth);
  term container(int depth);
  std::size_t below(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }
  bool chance(int percent) { return below(100) < static_cast<std::size_t>(percent); }

  std::mt19937_64 rng_;
  term_gen_options options_;
};

}  // namespace beam::testing
