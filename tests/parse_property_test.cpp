// beam::parse reads back what beam::inspect writes: parse(inspect(t)) == t (exact equality) for thousands of
// random terms of every kind parse can read, on one line and pretty-printed over many.
#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include <beam/inspect.hpp>
#include <beam/parse.hpp>
#include <beam/term.hpp>

#include "support/term_gen.hpp"

namespace {

// Random terms per test: a few of them are containers of 256 elements nested four deep, hence not more.
constexpr int terms_per_test = 1000;

void expect_reads_back(const beam::term& t, const beam::inspect_options& options = {}) {
  const std::string text = beam::inspect(t, options);
  try {
    EXPECT_TRUE(beam::parse(text) == t) << "read back differently from:\n" << text;
  } catch (const beam::parse_error& e) {
    ADD_FAILURE() << e.what() << " in:\n" << text;
  }
}

void expect_random_terms_read_back(std::uint64_t seed, const beam::inspect_options& options) {
  beam::testing::term_generator generator(seed, {.pids_and_references = false});
  for (int i = 0; i < terms_per_test && !testing::Test::HasFailure(); ++i) {
    SCOPED_TRACE(testing::Message() << "term " << i << " of seed " << seed);
    expect_reads_back(generator.next(), options);
  }
}

}  // namespace

TEST(ParseProperty, ReadsBackWhatInspectWritesOnOneLine) {
  expect_random_terms_read_back(1, {});
}

TEST(ParseProperty, ReadsBackWhatInspectWritesPrettyOverManyLines) {
  expect_random_terms_read_back(2, {.pretty = true, .width = 20});
}

TEST(ParseProperty, ReadsBackEveryLeafKindAtItsEdges) {
  beam::testing::term_generator generator(3, {.pids_and_references = false});
  for (int i = 0; i < terms_per_test && !testing::Test::HasFailure(); ++i) {
    SCOPED_TRACE(testing::Message() << "leaves " << i);
    for (const beam::term& t :
         {generator.integer(), generator.big_integer(), generator.floating(), generator.atom_term(),
          generator.binary_term(), generator.bitstring_term(), generator.charlist_term()}) {
      expect_reads_back(t);
    }
  }
}
