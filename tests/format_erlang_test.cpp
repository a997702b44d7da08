// beam::format_erlang: Erlang's io_lib:format("~tp", [T]) on one line, byte for byte. Every expected string
// below was printed by OTP 25 (stdlib 4.2), default printable range (latin1).
//
// The oracle. ~tp is io_lib_pretty:print(T, [{column, 1}, {line_length, 80}, {depth, -1}, {chars_limit, -1},
// {encoding, unicode}, {strings, true}]); with a line length of 0 io_lib_pretty writes its intermediate form
// without any line break, which is exactly ~tp with a line long enough for everything:
//   unicode:characters_to_binary(io_lib_pretty:print(T, [{column, 1}, {line_length, 0}, {depth, -1},
//                                                       {chars_limit, -1}, {encoding, unicode}, {strings,
//                                                       true}]))
// (any line_length larger than the output, e.g. 1000000000, gives the same bytes).
#include <chrono>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <beam/beam.hpp>

#include "support/term_literals.hpp"

namespace {

using namespace beam::literals;
using beam::term;

std::string erlang(const term& t) {
  return beam::format_erlang(t);
}

using beam::testing::bytes;
using beam::testing::ints;

TEST(FormatErlang, PrintsTheLessonsTermsInErlangSyntax) {
  EXPECT_EQ(erlang(beam::tuple("hello3"_a, 42)), "{hello3,42}");
  EXPECT_EQ(erlang(beam::list("message", "can"_a, beam::tuple(beam::charlist("be"), "any"), "data"_a)),
            "[<<\"message\">>,can,{\"be\",<<\"any\">>},data]");
}

TEST(FormatErlangAtoms, QuotesAtomsThatAreNotPlainLatin1Names) {
  EXPECT_EQ(erlang("hello"_a), "hello");
  EXPECT_EQ(erlang("a@b"_a), "a@b");
  EXPECT_EQ(erlang("ß"_a), "ß");
  EXPECT_EQ(erlang("é"_a), "é");
  EXPECT_EQ(erlang("hello world"_a), "'hello world'");
  EXPECT_EQ(erlang("Elixir.Foo"_a), "'Elixir.Foo'");
  EXPECT_EQ(erlang("A"_a), "'A'");
  EXPECT_EQ(erlang("_a"_a), "'_a'");
  EXPECT_EQ(erlang("a.b"_a), "'a.b'");
  EXPECT_EQ(erlang("Éa"_a), "'Éa'");
  EXPECT_EQ(erlang("a×"_a), "'a×'");
  EXPECT_EQ(erlang("привет"_a), "'привет'");
  EXPECT_EQ(erlang("😀"_a), "'😀'");
  EXPECT_EQ(erlang(""_a), "''");
}

TEST(FormatErlangAtoms, QuotesReservedWordsButNotTheOptionalOnes) {
  EXPECT_EQ(erlang("end"_a), "'end'");
  EXPECT_EQ(erlang("cond"_a), "'cond'");
  EXPECT_EQ(erlang("receive"_a), "'receive'");
  EXPECT_EQ(erlang("maybe"_a), "maybe");  // a keyword only with the maybe_expr feature
  EXPECT_EQ(erlang("else"_a), "else");
}

TEST(FormatErlangAtoms, EscapesInsideQuotes) {
  EXPECT_EQ(erlang("a'b"_a), "'a\\'b'");
  EXPECT_EQ(erlang("a\\b"_a), "'a\\\\b'");
  EXPECT_EQ(erlang("a\nb"_a), "'a\\nb'");
  EXPECT_EQ(erlang(beam::atom(std::string_view("a\x01"
                                               "b"))),
            "'a\\001b'");
  EXPECT_EQ(erlang("a\x7f"
                   "b"_a),
            "'a\\db'");
  EXPECT_EQ(erlang("a\u0085b"_a), "'a\\205b'");
  EXPECT_EQ(erlang("a\x1b"
                   "b"_a),
            "'a\\eb'");
}

TEST(FormatErlangStrings, WritesListsOfLatin1PrintablesAsStrings) {
  EXPECT_EQ(erlang(beam::charlist("be")), "\"be\"");
  EXPECT_EQ(erlang(beam::charlist("a\tb\"c\\d")), "\"a\\tb\\\"c\\\\d\"");
  EXPECT_EQ(erlang(beam::charlist("é")), "\"é\"");
  EXPECT_EQ(erlang(ints({255})), "\"ÿ\"");
  EXPECT_EQ(erlang(ints({233, 256})), "[233,256]");  // beyond latin1: not printable by default
  EXPECT_EQ(erlang(beam::charlist("привет")), "[1087,1088,1080,1074,1077,1090]");
  EXPECT_EQ(erlang(ints({127})), "[127]");
  EXPECT_EQ(erlang(ints({7})), "[7]");
  EXPECT_EQ(erlang(beam::cons(97, 98)), "[97|98]");
}

TEST(FormatErlangBinaries, WritesPrintableBinariesAsStrings) {
  EXPECT_EQ(erlang("any"), "<<\"any\">>");
  EXPECT_EQ(erlang("é"), "<<\"é\"/utf8>>");
  EXPECT_EQ(erlang(bytes({255})), "<<\"ÿ\">>");  // not UTF-8, but printable latin1 bytes
  EXPECT_EQ(erlang(bytes({255, 254})), "<<\"ÿþ\">>");
  EXPECT_EQ(erlang("a\tb\"c"), "<<\"a\\tb\\\"c\">>");
  EXPECT_EQ(erlang(""), "<<>>");
}

TEST(FormatErlangBinaries, WritesOtherBinariesAsBytes) {
  EXPECT_EQ(erlang("привет"), "<<208,191,209,128,208,184,208,178,208,181,209,130>>");
  EXPECT_EQ(erlang("😀"), "<<240,159,152,128>>");
  EXPECT_EQ(erlang(bytes({0})), "<<0>>");
  EXPECT_EQ(erlang(bytes({127})), "<<127>>");
  const std::uint8_t three_bits[] = {0x20};
  EXPECT_EQ(erlang(beam::bitstring(three_bits, 3)), "<<1:3>>");
  const std::uint8_t partial[] = {1, 2, 0x18};
  EXPECT_EQ(erlang(beam::bitstring(partial, 21)), "<<1,2,3:5>>");
}

TEST(FormatErlangContainers, WritesContainersWithoutSpaces) {
  EXPECT_EQ(erlang(beam::tuple()), "{}");
  EXPECT_EQ(erlang(term()), "[]");
  EXPECT_EQ(erlang(beam::map({})), "#{}");
  EXPECT_EQ(erlang(beam::make_list(std::vector<term>{1, 2}, 3)), "[1,2|3]");
  EXPECT_EQ(erlang(beam::cons(1, 2)), "[1|2]");
  EXPECT_EQ(erlang(beam::map({{"a"_a, 1}})), "#{a => 1}");
  EXPECT_EQ(erlang(beam::map({{"a"_a, 1}, {"b", ints({2})}})), "#{a => 1,<<\"b\">> => [2]}");
  EXPECT_EQ(erlang(beam::map({{1, "a"_a}, {1.0, "b"_a}})), "#{1 => a,1.0 => b}");
}

TEST(FormatErlangNumbers, WritesFloatsAsErlangDoes) {
  EXPECT_EQ(erlang(0.0), "0.0");
  EXPECT_EQ(erlang(-0.0), "-0.0");
  EXPECT_EQ(erlang(1.0e15), "1.0e15");  // Elixir: 1000000000000000.0
  EXPECT_EQ(erlang(1.0e16), "1.0e16");
  EXPECT_EQ(erlang(0.1), "0.1");
  EXPECT_EQ(erlang(1.0e-5), "1.0e-5");
  EXPECT_EQ(erlang(100.0), "100.0");
  EXPECT_EQ(erlang(1000.0), "1.0e3");
  EXPECT_EQ(erlang(9007199254740992.0), "9.007199254740992e15");
  EXPECT_EQ(erlang(1234567890123456.0), "1234567890123456.0");
  EXPECT_EQ(erlang(12345678901.0), "12345678901.0");
  EXPECT_EQ(erlang(0.00123), "0.00123");
  EXPECT_EQ(erlang(1.23e-4), "1.23e-4");
  EXPECT_THROW((void)erlang(std::numeric_limits<double>::quiet_NaN()), std::invalid_argument);
}

TEST(FormatErlangNumbers, WritesIntegersOfAnySize) {
  EXPECT_EQ(erlang(-5), "-5");
  EXPECT_EQ(erlang(beam::integer_from_string("123456789012345678901234567890")),
            "123456789012345678901234567890");
}

TEST(FormatErlangOthers, WritesPidsAndReferences) {
  EXPECT_EQ(erlang(beam::pid(109, 0)), "<0.109.0>");
  const std::uint32_t words[] = {3, 2, 1};
  EXPECT_EQ(erlang(beam::reference(beam::this_node(), words)), "#Ref<0.1.2.3>");
}

TEST(FormatErlangOthers, WritesExportFunsAsTheRuntimeDoesWithItsOwnQuoting) {
  EXPECT_EQ(erlang(beam::export_fun{"lists"_a, "map"_a, 2}), "fun lists:map/2");
  EXPECT_EQ(erlang(beam::export_fun{"Elixir.Enum"_a, "map"_a, 2}), "fun 'Elixir.Enum':map/2");
  EXPECT_EQ(erlang(beam::export_fun{"a"_a, "a@b"_a, 1}), "fun a:'a@b'/1");  // '@' quotes here
  EXPECT_EQ(erlang(beam::export_fun{"a"_a, "end"_a, 1}), "fun a:end/1");    // reserved words do not
  // The runtime writes bytes; ~tp then shows each byte of a UTF-8 atom as a latin1 character.
  EXPECT_EQ(erlang(beam::export_fun{"é"_a, "a b"_a, 0}), "fun Ã©:'a b'/0");
  EXPECT_EQ(erlang(beam::export_fun{"привет"_a, "end"_a, 1}), "fun 'Ð¿Ñ\u0080Ð¸Ð²ÐµÑ\u0082':end/1");
}

TEST(FormatErlangDeepTerms, WritesAHundredThousandLevelsWithoutRecursion) {
  constexpr int depth = 100'000;
  term t = 1;
  for (int i = 0; i < depth; ++i) t = beam::list(t);
  const auto start = std::chrono::steady_clock::now();
  const std::string out = erlang(t);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(out, std::string(depth, '[') + "1" + std::string(depth, ']'));
}

}  // namespace
