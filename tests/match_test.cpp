// beam::match: receive's patterns, captures, guards and handlers outside receive (Erlang's `=` and `case`).
#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include <beam/beam.hpp>

using namespace beam::literals;
using beam::term;

namespace {

TEST(Match, APatternGivesItsCapturesInOrderOrNothing) {
  const term request = beam::tuple("put"_a, "key"_a, 42);
  const auto m = beam::match(request, beam::tuple("put"_a, beam::_atom, beam::_int));
  ASSERT_TRUE(m.has_value());
  const auto [key, value] = *m;
  EXPECT_EQ(key, "key"_a);
  EXPECT_EQ(value, 42);
  EXPECT_FALSE(beam::match(request, beam::tuple("get"_a, beam::_atom)).has_value());
  EXPECT_FALSE(beam::match(request, beam::tuple("put"_a, beam::_atom, beam::_float)).has_value());
}

TEST(Match, APatternWithoutCapturesMatchesAsAnEmptyTuple) {
  EXPECT_TRUE(beam::match("stop"_a, "stop"_a).has_value());
  EXPECT_TRUE(beam::match(beam::tuple(1, 2), beam::tuple(beam::_, 2)).has_value());
  EXPECT_FALSE(beam::match("go"_a, "stop"_a).has_value());
}

TEST(Match, OtherKindsAndThrowingConversionsDoNotMatch) {
  EXPECT_FALSE(beam::match("not_a_list"_a, beam::list(beam::_int, beam::_int)).has_value());
  EXPECT_FALSE(beam::match(beam::list(1, 2, 3), beam::list(beam::_int, beam::_int)).has_value());
  EXPECT_FALSE(beam::match(beam::tuple("s"_a, 1), beam::tuple("s"_a, beam::as<std::string>)).has_value());
  const auto s = beam::match(beam::tuple("s"_a, "text"), beam::tuple("s"_a, beam::as<std::string>));
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(std::get<0>(*s), "text");
}

TEST(Match, ClausesRunTheFirstMatchingHandlerAsCaseDoes) {
  const auto eval = [](const term& request) {
    return beam::match(
        request,
        beam::on(beam::tuple("add"_a, beam::_int, beam::_int),
                 [](std::int64_t a, std::int64_t b) { return a + b; }),
        beam::on(beam::tuple("neg"_a, beam::_int), beam::when([](std::int64_t a) { return a > 0; }),
                 [](std::int64_t a) { return -a; }),
        beam::on(beam::_, [](const term&) { return std::int64_t{0}; }));
  };
  EXPECT_EQ(eval(beam::tuple("add"_a, 2, 3)), 5);
  EXPECT_EQ(eval(beam::tuple("neg"_a, 4)), -4);
  EXPECT_EQ(eval(beam::tuple("neg"_a, -4)), 0);  // the guard failed: the next clause
  EXPECT_EQ(eval("other"_a), 0);
}

TEST(Match, NoMatchingClauseIsACaseClauseError) {
  const term request = beam::tuple("unknown"_a, 1);
  try {
    beam::match(request, beam::on("stop"_a, [] {}));
    FAIL() << "no clause matched: case_clause expected";
  } catch (const beam::error& e) {
    EXPECT_EQ(e.reason(), beam::tuple("case_clause"_a, request));
  }
}

}  // namespace
