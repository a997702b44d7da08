// Conversions between C++ values and terms: every built-in mapping both ways, every error, and a user type.
#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <beam/convert.hpp>

using namespace beam::literals;
using beam::from_term;
using beam::term;
using beam::to_term;

namespace {

// The message of the exception E that `convert` throws; fails the test when it throws nothing or something
// else.
template <class E, class F>
std::string error_of(F convert) {
  try {
    convert();
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an exception";
  return "";
}

template <class T>
std::string access_error(const term& t) {
  return error_of<beam::bad_term_access>([&] { (void)from_term<T>(t); });
}

template <class T>
std::string range_error(const term& t) {
  return error_of<std::out_of_range>([&] { (void)from_term<T>(t); });
}

template <class T>
void expect_round_trip(const T& value, const term& expected) {
  EXPECT_EQ(to_term(value), expected);
  EXPECT_EQ(from_term<T>(expected), value);
}

}  // namespace

// --- integers ---

template <class I>
class IntegerConversion : public ::testing::Test {};
using integer_types =
    ::testing::Types<std::int8_t, std::uint8_t, std::int16_t, std::uint16_t, std::int32_t, std::uint32_t,
                     std::int64_t, std::uint64_t, long long, unsigned long long>;
TYPED_TEST_SUITE(IntegerConversion, integer_types);

TYPED_TEST(IntegerConversion, RoundTripsZeroAndBothEdges) {
  for (TypeParam value :
       {TypeParam{0}, std::numeric_limits<TypeParam>::min(), std::numeric_limits<TypeParam>::max()}) {
    term t = to_term(value);
    EXPECT_TRUE(t.is_integer());
    EXPECT_EQ(from_term<TypeParam>(t), value);
  }
}

// The integer one further from zero than `edge`: no edge of an integer type ends in the digit 9.
template <class I>
term one_beyond(I edge) {
  std::string decimal = std::to_string(edge);
  ++decimal.back();
  return beam::integer_from_string(decimal);
}

TYPED_TEST(IntegerConversion, RejectsOneBeyondEachEdge) {
  term below = std::is_signed_v<TypeParam> ? one_beyond(std::numeric_limits<TypeParam>::min()) : term(-1);
  EXPECT_THROW((void)from_term<TypeParam>(below), std::out_of_range);
  EXPECT_THROW((void)from_term<TypeParam>(one_beyond(std::numeric_limits<TypeParam>::max())),
               std::out_of_range);
}

TEST(Conversion, IntegerOutOfRangeNamesTheValueAndTheType) {
  EXPECT_EQ(range_error<std::uint8_t>(term(300)), "integer 300 is out of range for std::uint8_t (0..255)");
  EXPECT_EQ(range_error<std::int8_t>(term(-129)), "integer -129 is out of range for std::int8_t (-128..127)");
  EXPECT_EQ(range_error<unsigned>(term(-1)), "integer -1 is out of range for std::uint32_t (0..4294967295)");
  EXPECT_EQ(range_error<std::int64_t>(beam::integer_from_string("9223372036854775808")),
            "integer 9223372036854775808 is out of range for std::int64_t "
            "(-9223372036854775808..9223372036854775807)");
  EXPECT_EQ(range_error<std::uint64_t>(beam::integer_from_string("18446744073709551616")),
            "integer 18446744073709551616 is out of range for std::uint64_t (0..18446744073709551615)");
  EXPECT_EQ(range_error<std::uint64_t>(beam::integer_from_string("-9223372036854775809")),
            "integer -9223372036854775809 is out of range for std::uint64_t (0..18446744073709551615)");
}

TEST(Conversion, Uint64BeyondInt64TravelsAsABigInteger) {
  term t = to_term(std::uint64_t{18446744073709551615ULL});
  EXPECT_FALSE(t.is_small_integer());
  EXPECT_EQ(from_term<std::uint64_t>(t), 18446744073709551615ULL);
  EXPECT_EQ(from_term<std::uint64_t>(beam::integer_from_string("9223372036854775808")),
            9223372036854775808ULL);
}

TEST(Conversion, IntegerFromAnotherKindNamesTheTypeAndTheKind) {
  EXPECT_EQ(access_error<int>(term("ok"_a)),
            "bad term access: expected an integer for std::int32_t, got atom");
  EXPECT_EQ(access_error<std::uint16_t>(term(1.0)),
            "bad term access: expected an integer for std::uint16_t, got float");
}

TEST(Conversion, CharactersAndBoolAreNotIntegers) {
  static_assert(!beam::convertible_to_term<char>);
  static_assert(!beam::convertible_from_term<char32_t>);
  static_assert(!beam::convertible_from_term<wchar_t>);
  static_assert(beam::convertible_from_term<signed char>);
  EXPECT_EQ(to_term(true), term("true"_a));
}

// --- floats ---

TEST(Conversion, FloatsRoundTrip) {
  expect_round_trip(1.5, term(1.5));
  expect_round_trip(-0.25f, term(-0.25));
  expect_round_trip(std::numeric_limits<double>::max(), term(std::numeric_limits<double>::max()));
}

TEST(Conversion, FloatsTakeFloatsOnlyAsErlangTellsOneFromOnePointZero) {
  EXPECT_EQ(access_error<double>(term(1)), "bad term access: expected a float for double, got integer");
  EXPECT_EQ(access_error<float>(term("x"_a)), "bad term access: expected a float for float, got atom");
}

TEST(Conversion, FloatBeyondFloatRangeNamesTheValue) {
  EXPECT_EQ(range_error<float>(term(1e300)), "float 1e+300 is out of range for float");
  EXPECT_EQ(range_error<float>(term(-1e300)), "float -1e+300 is out of range for float");
}

// --- atoms, pids, references, terms ---

TEST(Conversion, BoolsAreTheAtomsTrueAndFalse) {
  expect_round_trip(true, term("true"_a));
  expect_round_trip(false, term("false"_a));
  EXPECT_EQ(access_error<bool>(term("maybe"_a)),
            "bad term access: expected the atom true or false for bool, got atom");
  EXPECT_EQ(access_error<bool>(term(1)),
            "bad term access: expected the atom true or false for bool, got integer");
}

TEST(Conversion, AtomsPidsAndReferencesAreThemselves) {
  expect_round_trip("hello"_a, term("hello"_a));
  expect_round_trip(beam::pid(109, 0), term(beam::pid(109, 0)));
  auto ref = beam::reference::make();
  expect_round_trip(ref, term(ref));
  EXPECT_EQ(access_error<beam::atom>(term("hello")),
            "bad term access: expected an atom for beam::atom, got bitstring");
  EXPECT_EQ(access_error<beam::pid>(term("hello"_a)),
            "bad term access: expected a pid for beam::pid, got atom");
  EXPECT_EQ(access_error<beam::reference>(term(beam::pid(1, 0))),
            "bad term access: expected a reference for beam::reference, got pid");
}

TEST(Conversion, TermConvertsToItself) {
  term t = beam::tuple("hello3"_a, 42);
  EXPECT_EQ(to_term(t), t);
  EXPECT_EQ(from_term<term>(t).as_tuple().data(), t.as_tuple().data());
}

// --- binaries ---

TEST(Conversion, StringsAreBinariesWithEveryByteKept) {
  std::string bytes("a\0b\xff", 4);
  expect_round_trip(bytes, beam::binary(bytes));
  expect_round_trip(std::string(), beam::binary(std::string_view()));
  EXPECT_EQ(to_term("any"), beam::binary("any"));
  EXPECT_EQ(to_term(std::string_view("any")), beam::binary("any"));
}

TEST(Conversion, StringViewViewsTheTermsOwnBytes) {
  term t = beam::binary("message");
  std::string_view view = from_term<std::string_view>(t);
  EXPECT_EQ(view, "message");
  EXPECT_EQ(view.data(), t.as_string_view().data());
}

template <class T>
concept views_a_temporary = requires(T&& t) {
  from_term<std::string_view>(std::move(t));
};
TEST(Conversion, StringViewOfATemporaryTermDoesNotCompile) {
  static_assert(!views_a_temporary<term>);
  static_assert(!beam::convertible_from_term<const char*>);
}

TEST(Conversion, StringsTakeBinariesNotCharlistsNorBitstrings) {
  EXPECT_EQ(access_error<std::string>(beam::charlist("be")),
            "bad term access: expected a binary for std::string, got list");
  std::uint8_t byte = 0xa0;
  EXPECT_EQ(access_error<std::string_view>(beam::bitstring(std::span(&byte, 1), 3)),
            "bad term access: expected a binary for std::string_view, got bitstring");
}

// --- containers ---

TEST(Conversion, VectorsAreProperLists) {
  expect_round_trip(std::vector<int>{1, 2, 3}, beam::list(1, 2, 3));
  expect_round_trip(std::vector<int>{}, term());
  expect_round_trip(std::vector<bool>{true, false}, beam::list(true, false));
  expect_round_trip(std::vector<std::string>{"message", "any"}, beam::list("message", "any"));
}

TEST(Conversion, VectorRejectsImproperListsAndNamesTheBadElementsType) {
  EXPECT_EQ(access_error<std::vector<int>>(beam::make_list(std::vector<term>{1}, term(2))),
            "bad term access: expected a proper list for std::vector<std::int32_t>, got list");
  EXPECT_EQ(access_error<std::vector<int>>(beam::tuple(1)),
            "bad term access: expected a proper list for std::vector<std::int32_t>, got tuple");
  EXPECT_EQ(access_error<std::vector<int>>(beam::list(1, "can"_a)),
            "bad term access: expected an integer for std::int32_t, got atom");
}

TEST(Conversion, ArraysAreListsOfExactlyTheirSize) {
  expect_round_trip(std::array<int, 3>{1, 2, 3}, beam::list(1, 2, 3));
  expect_round_trip(std::array<int, 0>{}, term());
  // atom has no default constructor: the array is built from its elements directly.
  expect_round_trip(std::array<beam::atom, 2>{"can"_a, "data"_a}, beam::list("can"_a, "data"_a));
  using three = std::array<int, 3>;
  EXPECT_EQ(
      access_error<three>(beam::list(1, 2)),
      "bad term access: expected a list of 3 elements for std::array<std::int32_t, 3> (it has 2), got list");
  EXPECT_EQ(access_error<three>(term(1)),
            "bad term access: expected a proper list for std::array<std::int32_t, 3>, got integer");
}

TEST(Conversion, TuplesAndPairsAreErlangTuplesOfTheSameArity) {
  expect_round_trip(std::tuple<beam::atom, int>{"hello3"_a, 42}, beam::tuple("hello3"_a, 42));
  expect_round_trip(std::pair<std::string, double>{"pi", 3.14}, beam::tuple("pi", 3.14));
  expect_round_trip(std::tuple<>{}, beam::tuple());
  using pair = std::pair<int, std::string>;
  EXPECT_EQ(
      access_error<pair>(beam::tuple(1, "a", 2)),
      "bad term access: expected a tuple of 2 elements for std::pair<std::int32_t, std::string> (it has 3), "
      "got tuple");
  EXPECT_EQ(access_error<std::tuple<int>>(beam::list(1)),
            "bad term access: expected a tuple for std::tuple<std::int32_t>, got list");
}

TEST(Conversion, MapsAreErlangMaps) {
  term expected = beam::map({{"a", 1}, {"b", 2}});
  expect_round_trip(std::map<std::string, int>{{"a", 1}, {"b", 2}}, expected);
  expect_round_trip(std::unordered_map<std::string, int>{{"b", 2}, {"a", 1}}, expected);
  expect_round_trip(std::map<int, int>{}, beam::map({}));
  using int_map = std::map<int, int>;
  EXPECT_EQ(access_error<int_map>(beam::list(beam::tuple(1, 2))),
            "bad term access: expected a map for std::map<std::int32_t, std::int32_t>, got list");
  using flag_map = std::unordered_map<int, bool>;
  EXPECT_EQ(access_error<flag_map>(beam::map({{1, 2}})),
            "bad term access: expected the atom true or false for bool, got integer");
}

TEST(Conversion, OptionalIsNilOrTheValue) {
  expect_round_trip(std::optional<int>(), term("nil"_a));
  expect_round_trip(std::optional<int>(42), term(42));
  EXPECT_EQ(access_error<std::optional<int>>(term("none"_a)),
            "bad term access: expected an integer for std::int32_t, got atom");
}

TEST(Conversion, NestedContainersConvertElementByElement) {
  using nested = std::map<std::string, std::vector<std::pair<beam::atom, std::optional<double>>>>;
  nested value{{"k", {{"a"_a, 1.0}, {"b"_a, std::nullopt}}}};
  expect_round_trip(value,
                    beam::map({{"k", beam::list(beam::tuple("a"_a, 1.0), beam::tuple("b"_a, "nil"_a))}}));
  EXPECT_EQ(beam::type_name<nested>(),
            "std::map<std::string, std::vector<std::pair<beam::atom, std::optional<double>>>>");
}

// --- user types ---

namespace geometry {
struct point {
  std::int64_t x;
  std::int64_t y;
  friend bool operator==(const point&, const point&) = default;
};
struct named {
  int value;
  friend bool operator==(const named&, const named&) = default;
};
}  // namespace geometry

template <>
struct beam::convert<geometry::point> {
  static term to(const geometry::point& p) { return beam::tuple("point"_a, p.x, p.y); }
  static geometry::point from(const term& t) {
    auto [tag, x, y] = from_term<std::tuple<beam::atom, std::int64_t, std::int64_t>>(t);
    if (tag != "point"_a)
      throw beam::bad_term_access("{:point, x, y} for " + type_name<geometry::point>(), t.kind());
    return {x, y};
  }
};

template <>
struct beam::convert<geometry::named> {
  static std::string name() { return "named"; }
  static term to(const geometry::named& n) { return term(n.value); }
  static geometry::named from(const term& t) { return {from_term<int>(t)}; }
};

TEST(Conversion, UserTypesConvertThroughTheirSpecialisation) {
  expect_round_trip(geometry::point{1, -2}, beam::tuple("point"_a, 1, -2));
  expect_round_trip(std::vector<geometry::point>{{0, 0}}, beam::list(beam::tuple("point"_a, 0, 0)));
  EXPECT_EQ(access_error<geometry::point>(beam::tuple("line"_a, 1, 2)),
            "bad term access: expected {:point, x, y} for geometry::point, got tuple");
}

TEST(Conversion, UserTypesMayNameThemselvesInErrors) {
  EXPECT_EQ(beam::type_name<geometry::named>(), "named");
  EXPECT_EQ(access_error<std::vector<geometry::named>>(term(1)),
            "bad term access: expected a proper list for std::vector<named>, got integer");
}

TEST(Conversion, TypesWithoutASpecialisationDoNotConvert) {
  struct unknown {};
  static_assert(!beam::convertible_to_term<unknown>);
  static_assert(!beam::convertible_from_term<unknown>);
  static_assert(!beam::convertible_from_term<long double>);
}
