// beam::inspect: Elixir 1.14's inspect/2, byte for byte. Every expected string below was printed by
// Elixir 1.14.0 for the same term and options (inspect(t, limit: :infinity) unless the test says otherwise).
#include <chrono>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <beam/beam.hpp>

#include "support/term_literals.hpp"

namespace {

using namespace beam::literals;
using beam::term;

// Elixir's inspect(t, limit: :infinity).
std::string elixir(const term& t) {
  return beam::inspect(t);
}

using beam::testing::bytes;
using beam::testing::ints;

term range(std::int64_t first, std::int64_t last) {
  std::vector<term> elements;
  for (std::int64_t i = first; i <= last; ++i) elements.emplace_back(i);
  return beam::make_list(std::move(elements));
}

term atom_term(std::string_view text) {
  return beam::atom(text);
}

beam::inspect_options pretty(std::size_t width, std::size_t limit = std::numeric_limits<std::size_t>::max()) {
  return {.limit = limit, .pretty = true, .width = width};
}

TEST(Inspect, PrintsTheLessonsFourLines) {
  EXPECT_EQ(elixir("hello1"_a), ":hello1");
  EXPECT_EQ(elixir("hello2"_a), ":hello2");
  EXPECT_EQ(elixir(beam::tuple("hello3"_a, 42)), "{:hello3, 42}");
  EXPECT_EQ(elixir(beam::list("message", "can"_a, beam::tuple(beam::charlist("be"), "any"), "data"_a)),
            "[\"message\", :can, {'be', \"any\"}, :data]");
}

TEST(InspectAtoms, WritesIdentifiersPlainAndEverythingElseQuoted) {
  EXPECT_EQ(elixir("ok"_a), ":ok");
  EXPECT_EQ(elixir("hello world"_a), ":\"hello world\"");
  EXPECT_EQ(elixir("foo?"_a), ":foo?");
  EXPECT_EQ(elixir("foo?bar"_a), ":\"foo?bar\"");
  EXPECT_EQ(elixir("9a"_a), ":\"9a\"");
  EXPECT_EQ(elixir(""_a), ":\"\"");
  EXPECT_EQ(elixir("a\"b"_a), ":\"a\\\"b\"");
  EXPECT_EQ(elixir("with\nnewline"_a), ":\"with\\nnewline\"");
  EXPECT_EQ(elixir("_x"_a), ":_x");
}

TEST(InspectAtoms, WritesBooleansAndNilBare) {
  EXPECT_EQ(elixir(true), "true");
  EXPECT_EQ(elixir(false), "false");
  EXPECT_EQ(elixir("nil"_a), "nil");
  EXPECT_EQ(elixir("Elixir.true"_a), ":\"Elixir.true\"");
}

TEST(InspectAtoms, WritesAliasesWithoutTheElixirPrefix) {
  EXPECT_EQ(elixir("Elixir.Foo"_a), "Foo");
  EXPECT_EQ(elixir("Elixir.Foo.Bar"_a), "Foo.Bar");
  EXPECT_EQ(elixir("Elixir"_a), "Elixir");
  EXPECT_EQ(elixir("Elixir.Elixir.Foo"_a), "Elixir.Elixir.Foo");
  EXPECT_EQ(elixir("Elixir.foo"_a), ":\"Elixir.foo\"");
  EXPECT_EQ(elixir("Foo"_a), ":Foo");
}

TEST(InspectAtoms, WritesOperatorsAndSpecialFormsUnquotedExceptTheAmbiguousOnes) {
  for (const char* op :
       {"+", "===", "..", "...", "%{}", "in", "not", "when", "&", "@", "..//", "->", "\\\\"}) {
    EXPECT_EQ(elixir(atom_term(op)), fmt::format(":{}", op));
  }
  for (const char* op : {"::", "^^^", "~~~", "<|>", "//"}) {
    EXPECT_EQ(elixir(atom_term(op)), fmt::format(":\"{}\"", op));
  }
  EXPECT_EQ(elixir("foo@bar"_a), ":foo@bar");
}

TEST(InspectAtoms, FollowsElixirsUnicodeIdentifierRules) {
  EXPECT_EQ(elixir("héllo"_a), ":héllo");
  EXPECT_EQ(elixir("привет"_a), ":привет");
  EXPECT_EQ(elixir("_п"_a), ":_п");
  EXPECT_EQ(elixir("Éa"_a), ":Éa");
  EXPECT_EQ(elixir("aп"_a), ":\"aп\"");    // Latin and Cyrillic mixed
  EXPECT_EQ(elixir("日本a"_a), ":日本a");  // Han with Latin is an allowed mix
  EXPECT_EQ(elixir("😀"_a), ":\"😀\"");
  EXPECT_EQ(elixir("µ"_a), ":\"µ\"");              // the micro sign is not in normal form KC
  EXPECT_EQ(elixir("e\u0301"_a), ":\"e\u0301\"");  // not in normal form C
  EXPECT_EQ(elixir("\u00e9"_a), ":\u00e9");
  EXPECT_EQ(elixir("a\u0323\u0301"_a), ":\"a\u0323\u0301\"");  // composes to U+1EA1 U+0301
  EXPECT_EQ(elixir("a\u0301\u0323"_a), ":\"a\u0301\u0323\"");  // marks out of canonical order
}

TEST(InspectNumbers, WritesIntegersOfAnySize) {
  EXPECT_EQ(elixir(0), "0");
  EXPECT_EQ(elixir(-1), "-1");
  EXPECT_EQ(elixir(std::numeric_limits<std::int64_t>::min()), "-9223372036854775808");
  EXPECT_EQ(elixir(beam::integer_from_string("123456789012345678901234567890")),
            "123456789012345678901234567890");
}

TEST(InspectNumbers, WritesFloatsWithShortestDigitsAsElixirPlacesThem) {
  EXPECT_EQ(elixir(1.0), "1.0");
  EXPECT_EQ(elixir(-0.0), "-0.0");
  EXPECT_EQ(elixir(0.0), "0.0");
  EXPECT_EQ(elixir(1.0e15), "1000000000000000.0");  // Erlang: 1.0e15
  EXPECT_EQ(elixir(-1.0e15), "-1000000000000000.0");
  EXPECT_EQ(elixir(1.0e16), "1.0e16");
  EXPECT_EQ(elixir(9007199254740992.0), "9007199254740992.0");
  EXPECT_EQ(elixir(1000.0), "1000.0");
  EXPECT_EQ(elixir(0.1), "0.1");
  EXPECT_EQ(elixir(0.0001), "0.0001");
  EXPECT_EQ(elixir(1.0e-5), "1.0e-5");
  EXPECT_EQ(elixir(1.5e300), "1.5e300");
  EXPECT_EQ(elixir(5.0e-324), "5.0e-324");
  EXPECT_EQ(elixir(3.14159), "3.14159");
}

TEST(InspectNumbers, RefusesFloatsThatErlangCannotHold) {
  EXPECT_THROW((void)elixir(std::numeric_limits<double>::quiet_NaN()), std::invalid_argument);
  EXPECT_THROW((void)elixir(beam::list(std::numeric_limits<double>::infinity())), std::invalid_argument);
}

TEST(InspectBinaries, WritesPrintableUtf8AsStringsWithElixirsEscapes) {
  EXPECT_EQ(elixir(""), "\"\"");
  EXPECT_EQ(elixir("tab\there"), "\"tab\\there\"");
  EXPECT_EQ(elixir("q\"s"), "\"q\\\"s\"");
  EXPECT_EQ(elixir("b\\s"), "\"b\\\\s\"");
  EXPECT_EQ(elixir("#{x}"), "\"\\#{x}\"");
  EXPECT_EQ(elixir("#x"), "\"#x\"");
  EXPECT_EQ(elixir("\x1b[0m"), "\"\\e[0m\"");
  EXPECT_EQ(elixir("\a\b\v\f\r\x7f"), "\"\\a\\b\\v\\f\\r\\d\"");
  EXPECT_EQ(elixir("\uFEFF"), "\"\\uFEFF\"");
  EXPECT_EQ(elixir("\u00A0"), "\"\u00A0\"");
  EXPECT_EQ(elixir("😀 é"), "\"😀 é\"");
}

TEST(InspectBinaries, WritesAnyOtherBinaryAsBytes) {
  EXPECT_EQ(elixir(bytes({0})), "<<0>>");
  EXPECT_EQ(elixir(term(std::string_view("nul\0byte", 8))), "<<110, 117, 108, 0, 98, 121, 116, 101>>");
  EXPECT_EQ(elixir(bytes({0xC2, 0x85})), "<<194, 133>>");             // U+0085 is a control character
  EXPECT_EQ(elixir(bytes({0xEF, 0xBF, 0xBE})), "<<239, 191, 190>>");  // U+FFFE
  EXPECT_EQ(elixir(bytes({255, 254})), "<<255, 254>>");
  EXPECT_EQ(elixir(bytes({'a', 255})), "<<97, 255>>");
}

TEST(InspectBinaries, WritesBitstringsWithTheTrailingBitsSize) {
  const std::uint8_t one[] = {0x20};
  EXPECT_EQ(elixir(beam::bitstring(one, 3)), "<<1::size(3)>>");
  const std::uint8_t two[] = {255, 0x80};
  EXPECT_EQ(elixir(beam::bitstring(two, 9)), "<<255, 1::size(1)>>");
}

TEST(InspectCharlists, WritesAsciiPrintableListsAsCharlists) {
  EXPECT_EQ(elixir(beam::charlist("be")), "'be'");
  EXPECT_EQ(elixir(beam::charlist("a\tb")), "'a\\tb'");
  EXPECT_EQ(elixir(beam::charlist("quote'")), "'quote\\''");
  EXPECT_EQ(elixir(beam::charlist("\"")), "'\"'");
  EXPECT_EQ(elixir(beam::charlist("#{")), "'\\#{'");
  EXPECT_EQ(elixir(ints({7, 8, 9, 10, 11, 12, 13, 27})), "'\\a\\b\\t\\n\\v\\f\\r\\e'");
}

TEST(InspectCharlists, WritesOtherIntegerListsAsLists) {
  EXPECT_EQ(elixir(ints({127})), "[127]");
  EXPECT_EQ(elixir(ints({6})), "[6]");
  EXPECT_EQ(elixir(beam::charlist("é")), "[233]");  // Elixir 1.14 infers only ASCII charlists
  EXPECT_EQ(elixir(ints({97, 1000})), "[97, 1000]");
  EXPECT_EQ(elixir(beam::cons(97, 98)), "[97 | 98]");
}

TEST(InspectContainers, WritesEmptyAndImproperContainers) {
  EXPECT_EQ(elixir(term()), "[]");
  EXPECT_EQ(elixir(beam::tuple()), "{}");
  EXPECT_EQ(elixir(beam::map({})), "%{}");
  EXPECT_EQ(elixir(beam::cons(1, 2)), "[1 | 2]");
  EXPECT_EQ(elixir(beam::make_list(std::vector<term>{1, 2}, 3)), "[1, 2 | 3]");
  EXPECT_EQ(elixir(beam::list(term())), "[[]]");
  EXPECT_EQ(elixir(beam::tuple(beam::tuple())), "{{}}");
}

TEST(InspectContainers, WritesKeywordListsOnlyWhenEveryKeyIsANonAliasAtom) {
  EXPECT_EQ(elixir(beam::list(beam::tuple("ok"_a, 1))), "[ok: 1]");
  EXPECT_EQ(elixir(beam::list(beam::tuple("hello world"_a, 1))), "[\"hello world\": 1]");
  EXPECT_EQ(elixir(beam::list(beam::tuple("Elixir.Foo"_a, 1))), "[{Foo, 1}]");
  EXPECT_EQ(elixir(beam::list(beam::tuple("Foo"_a, 1))), "[Foo: 1]");
  EXPECT_EQ(elixir(beam::list(beam::tuple("+"_a, 1))), "[+: 1]");
  EXPECT_EQ(elixir(beam::list(beam::tuple("::"_a, 1))), "[\"::\": 1]");
  EXPECT_EQ(elixir(beam::list(beam::tuple("Elixir"_a, 1))), "[\"Elixir\": 1]");
  EXPECT_EQ(elixir(beam::list(beam::tuple("nil"_a, 1))), "[nil: 1]");
  EXPECT_EQ(elixir(beam::make_list(std::vector<term>{beam::tuple("a"_a, 1), beam::tuple("b"_a, 2)}, 3)),
            "[{:a, 1}, {:b, 2} | 3]");
  EXPECT_EQ(elixir(beam::list(beam::tuple("a"_a, 1), 2)), "[{:a, 1}, 2]");
  EXPECT_EQ(elixir(beam::list(beam::tuple("a"_a, 1, 2))), "[{:a, 1, 2}]");
}

TEST(InspectContainers, WritesMapsWithKeywordSyntaxOnlyWhenEveryKeyAllowsIt) {
  EXPECT_EQ(elixir(beam::map({{"a"_a, 1}, {"b"_a, "x"}})), "%{a: 1, b: \"x\"}");
  EXPECT_EQ(elixir(beam::map({{"k", 1}})), "%{\"k\" => 1}");
  EXPECT_EQ(elixir(beam::map({{"a"_a, 1}, {"b", 2}})), "%{:a => 1, \"b\" => 2}");
  EXPECT_EQ(elixir(beam::map({{1, 2}, {1.0, 3}, {"a"_a, 4}})), "%{1 => 2, 1.0 => 3, :a => 4}");
  EXPECT_EQ(elixir(beam::map({{"Elixir.Foo"_a, 1}})), "%{Foo => 1}");
  EXPECT_EQ(
      elixir(beam::map({{beam::tuple("a"_a), beam::map({{"b"_a, beam::list(beam::tuple("c"_a, 1))}})}})),
      "%{{:a} => %{b: [c: 1]}}");
}

TEST(InspectOthers, WritesPidsReferencesAndExportFuns) {
  EXPECT_EQ(elixir(beam::pid(109, 0)), "#PID<0.109.0>");
  const std::uint32_t words[] = {3, 2, 1};
  EXPECT_EQ(elixir(beam::reference(beam::this_node(), words)), "#Reference<0.1.2.3>");
  const std::uint32_t short_words[] = {7, 8};
  EXPECT_EQ(elixir(beam::reference(beam::this_node(), short_words)), "#Reference<0.0.8.7>");
  EXPECT_EQ(elixir(beam::export_fun{"lists"_a, "map"_a, 2}), "&:lists.map/2");
  EXPECT_EQ(elixir(beam::export_fun{"Elixir.Enum"_a, "map"_a, 2}), "&Enum.map/2");
  EXPECT_EQ(elixir(beam::export_fun{"hello world"_a, "a b"_a, 0}), "&:\"hello world\".\"a b\"/0");
  EXPECT_EQ(elixir(beam::export_fun{"Elixir.Foo"_a, "::"_a, 2}), "&Foo.::/2");
  EXPECT_EQ(elixir(beam::export_fun{"Elixir.Foo"_a, ".."_a, 0}), "&Foo.\"..\"/0");
  EXPECT_EQ(elixir(beam::export_fun{"Elixir.Foo"_a, "Elixir.Foo.Bar"_a, 1}), "&Foo.\"Elixir.Foo.Bar\"/1");
  EXPECT_EQ(elixir(beam::export_fun{"Elixir.Foo"_a, "+"_a, 2}), "&Foo.+/2");
  EXPECT_EQ(elixir(beam::export_fun{"lists"_a, "a\"b"_a, 0}), "&:lists.\"a\\\"b\"/0");
}

TEST(InspectLimit, ShowsLimitElementsOfEachCollectionThenDots) {
  const beam::inspect_options three{.limit = 3};
  EXPECT_EQ(beam::inspect(beam::tuple(ints({1, 2, 3, 4, 5}), beam::map({{"a"_a, 1}, {"b"_a, 2}, {"c"_a, 3}}),
                                      bytes({1, 2, 3, 4, 5}), beam::tuple(1, 2, 3),
                                      beam::list(ints({1, 2}), ints({3, 4}))),
                          three),
            "{[1, 2, ...], %{a: 1, ...}, <<...>>, ...}");
  EXPECT_EQ(beam::inspect(beam::list(ints({1, 2, 3}), ints({4, 5, 6}), ints({7, 8, 9})), {.limit = 2}),
            "[[1, ...], [...], ...]");
}

TEST(InspectLimit, CountsAnImproperTailWithItsLastElement) {
  const term improper = beam::make_list(std::vector<term>{1, 2}, 3);
  EXPECT_EQ(beam::inspect(improper, {.limit = 1}), "[1, ...]");
  EXPECT_EQ(beam::inspect(improper, {.limit = 2}), "[1, 2 | 3]");
}

TEST(InspectLimit, ZeroShowsOnlyDots) {
  EXPECT_EQ(beam::inspect(ints({1, 2}), {.limit = 0}), "[...]");
  EXPECT_EQ(beam::inspect(bytes({1, 2}), {.limit = 0}), "<<...>>");
  const std::uint8_t bits[] = {1, 2, 0x30};
  EXPECT_EQ(beam::inspect(beam::bitstring(bits, 20), {.limit = 2}), "<<1, 2, ...>>");
}

TEST(InspectLimit, CutsPrintableStringsAndCharlistsAtPrintableLimit) {
  const beam::inspect_options five{.printable_limit = 5};
  EXPECT_EQ(beam::inspect(beam::tuple("hello world", beam::charlist("hello world"), "短い文字列です"), five),
            "{\"hello\" <> ..., 'hello' ++ ..., \"短い文字列\" <> ...}");
  EXPECT_EQ(beam::inspect("#{a}#{b}#{c}", {.printable_limit = 2}), "\"\\#{a\" <> ...");
  EXPECT_EQ(beam::inspect(beam::tuple("", "a", term()), {.printable_limit = 0}), "{\"\", \"\" <> ..., []}");
}

TEST(InspectLimit, AppliesPrintableLimitEvenWithAnUnlimitedLimit) {
  const term long_string(std::string(5000, 'x'));
  EXPECT_EQ(elixir(long_string), fmt::format("\"{}\" <> ...", std::string(4096, 'x')));
}

TEST(InspectPretty, PrintsWhatIexPrintsForALongList) {
  EXPECT_EQ(beam::inspect(range(1, 100), beam::iex_inspect_options),
            "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,\n"
            " 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42,\n"
            " 43, 44, 45, 46, 47, 48, 49, 50, ...]");
}

TEST(InspectPretty, FillsLinesWithSimpleElements) {
  std::vector<term> words;
  for (int i = 1; i <= 30; ++i) words.emplace_back(fmt::format("word{}", i));
  EXPECT_EQ(
      beam::inspect(beam::make_list(std::move(words)), pretty(80)),
      "[\"word1\", \"word2\", \"word3\", \"word4\", \"word5\", \"word6\", \"word7\", \"word8\",\n"
      " \"word9\", \"word10\", \"word11\", \"word12\", \"word13\", \"word14\", \"word15\", \"word16\",\n"
      " \"word17\", \"word18\", \"word19\", \"word20\", \"word21\", \"word22\", \"word23\", \"word24\",\n"
      " \"word25\", \"word26\", \"word27\", \"word28\", \"word29\", \"word30\"]");
}

TEST(InspectPretty, BreaksNestedTuplesAndMapsAtWidth80) {
  const term state =
      beam::tuple("ok"_a, beam::tuple("state"_a, ints({1, 2, 3}),
                                      beam::map({{"name"_a, "server"},
                                                 {"pid_count"_a, 42},
                                                 {"children"_a, beam::list("a"_a, "b"_a, "c"_a)}}),
                                      beam::tuple("config"_a, "a long configuration string value")));
  EXPECT_EQ(beam::inspect(state, pretty(80)),
            "{:ok,\n"
            " {:state, [1, 2, 3], %{children: [:a, :b, :c], name: \"server\", pid_count: 42},\n"
            "  {:config, \"a long configuration string value\"}}}");
}

TEST(InspectPretty, BreaksNestedTuplesAndMapsAtWidth20) {
  const term state = beam::tuple("ok"_a, beam::tuple("state"_a, ints({1, 2, 3}),
                                                     beam::map({{"name"_a, "server"}, {"pid_count"_a, 42}})));
  EXPECT_EQ(beam::inspect(state, pretty(20)),
            "{:ok,\n"
            " {:state, [1, 2, 3],\n"
            "  %{\n"
            "    name: \"server\",\n"
            "    pid_count: 42\n"
            "  }}}");
}

TEST(InspectPretty, PutsEachMapEntryOnItsOwnLineWhenTheMapBreaks) {
  const term m = beam::map({{"alpha"_a, "first value"},
                            {"beta"_a, range(1, 10)},
                            {"gamma"_a, beam::map({{"nested", beam::tuple(1, 2)}})}});
  EXPECT_EQ(beam::inspect(m, pretty(30)),
            "%{\n"
            "  alpha: \"first value\",\n"
            "  beta: [1, 2, 3, 4, 5, 6, 7,\n"
            "   8, 9, 10],\n"
            "  gamma: %{\"nested\" => {1, 2}}\n"
            "}");
}

TEST(InspectPretty, FillsLinesWithBytes) {
  std::vector<std::uint8_t> data;
  for (int b = 200; b <= 240; ++b) data.push_back(static_cast<std::uint8_t>(b));
  EXPECT_EQ(beam::inspect(beam::binary(data), pretty(30)),
            "<<200, 201, 202, 203, 204,\n"
            "  205, 206, 207, 208, 209,\n"
            "  210, 211, 212, 213, 214,\n"
            "  215, 216, 217, 218, 219,\n"
            "  220, 221, 222, 223, 224,\n"
            "  225, 226, 227, 228, 229,\n"
            "  230, 231, 232, 233, 234,\n"
            "  235, 236, 237, 238, 239,\n"
            "  240>>");
}

TEST(InspectPretty, PutsEachElementOnItsOwnLineWhenAListHoldsContainers) {
  const std::uint8_t half[] = {0xB0};
  const term mixed =
      beam::list(1, "two", "three"_a, beam::tuple(4, 5), ints({6, 7}), beam::map({{"eight"_a, 8}}), 9.0,
                 beam::charlist("ten"), beam::bitstring(half, 4), 12);
  EXPECT_EQ(beam::inspect(mixed, pretty(40)),
            "[\n  1,\n  \"two\",\n  :three,\n  {4, 5},\n  [6, 7],\n  %{eight: 8},\n  9.0,\n  'ten',\n"
            "  <<11::size(4)>>,\n  12\n]");
}

TEST(InspectPretty, BreaksImproperListsBeforeTheTail) {
  EXPECT_EQ(
      beam::inspect(beam::make_list(std::vector<term>{"aaaa"_a, "bbbb"_a, "cccc"_a}, "dddd"_a), pretty(10)),
      "[:aaaa,\n :bbbb,\n :cccc |\n :dddd]");
  EXPECT_EQ(beam::inspect(beam::make_list(std::vector<term>{beam::tuple("aaaa"_a, 1), "bbbb"_a},
                                          beam::tuple("cccc"_a, "dddd"_a)),
                          pretty(10)),
            "[\n  {:aaaa,\n   1},\n  :bbbb |\n  {:cccc,\n   :dddd}\n]");
}

TEST(InspectPretty, BreaksEverywhereAtWidthZero) {
  EXPECT_EQ(beam::inspect(beam::list(1, ints({2, 3}), beam::tuple(4, 5), beam::map({{"a"_a, 6}})), pretty(0)),
            "[\n  1,\n  [2,\n   3],\n  {4,\n   5},\n  %{\n    a: 6\n  }\n]");
}

TEST(InspectPretty, BreaksKeywordListsOneEntryPerLine) {
  const term kw =
      beam::list(beam::tuple("name"_a, "a rather long name"),
                 beam::tuple("tags"_a, beam::list("one"_a, "two"_a, "three"_a)), beam::tuple("ok"_a, true));
  EXPECT_EQ(beam::inspect(kw, pretty(30)),
            "[\n  name: \"a rather long name\",\n  tags: [:one, :two, :three],\n  ok: true\n]");
}

TEST(InspectPretty, IndentsDeepNesting) {
  term t = range(1, 8);
  for (int i = 0; i < 7; ++i) t = beam::list(t);
  EXPECT_EQ(beam::inspect(t, pretty(20)),
            "[\n  [\n    [\n      [\n        [\n          [\n            [\n              [1, 2,\n"
            "               3, 4,\n               5, 6,\n               7, 8]\n            ]\n          ]\n"
            "        ]\n      ]\n    ]\n  ]\n]");
}

TEST(InspectPretty, MeasuresTextInBytes) {
  EXPECT_EQ(beam::inspect(beam::list("привет", "мир", "ok"), pretty(12)),
            "[\"привет\",\n \"мир\",\n \"ok\"]");
}

TEST(InspectDeepTerms, PrintsAHundredThousandLevelsWithoutRecursionInLinearTime) {
  constexpr int depth = 100'000;
  term t = 1;
  for (int i = 0; i < depth; ++i) t = beam::tuple(t);
  const auto start = std::chrono::steady_clock::now();
  const std::string flat = elixir(t);
  const std::string broken = beam::inspect(t, pretty(80));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(flat, std::string(depth, '{') + "1" + std::string(depth, '}'));
  EXPECT_EQ(broken, flat);                       // no break anywhere: one tuple per level
  EXPECT_LT(elapsed, std::chrono::seconds(20));  // quadratic work would take minutes
}

// [[[[1, 2], 3], 3], 3] nested `depth` times, as Elixir lays it out at width 80 once it is too deep for one
// line (checked against Elixir for depths 40, 100 and 300).
std::string expected_deep_layout(int depth) {
  auto spaces = [](int n) { return std::string(static_cast<std::size_t>(n), ' '); };
  std::string out;
  for (int k = 0; k < depth; ++k) out += spaces(2 * k) + "[\n";
  out += spaces(2 * depth) + "[1,\n" + spaces(2 * depth + 1) + "2],\n";
  for (int k = depth - 1; k >= 0; --k)
    out += spaces(2 * k + 2) + "3\n" + spaces(2 * k) + (k > 0 ? "],\n" : "]");
  return out;
}

TEST(InspectDeepTerms, BreaksDeepListsOfListsAsElixirDoes) {
  for (int depth : {40, 1000}) {
    term t = beam::list(1, 2);
    for (int i = 0; i < depth; ++i) t = beam::list(t, 3);
    EXPECT_EQ(beam::inspect(t, pretty(80)), expected_deep_layout(depth)) << "depth " << depth;
  }
}

TEST(InspectFormatter, FormatsTermsPidsReferencesAndAtomsAsInspectDoes) {
  const std::uint32_t words[] = {3, 2, 1};
  EXPECT_EQ(fmt::format("{}", beam::tuple("hello3"_a, 42)), "{:hello3, 42}");
  EXPECT_EQ(fmt::format("{}", beam::pid(109, 0)), "#PID<0.109.0>");
  EXPECT_EQ(fmt::format("{}", beam::reference(beam::this_node(), words)), "#Reference<0.1.2.3>");
  EXPECT_EQ(fmt::format("{}", "hello world"_a), ":\"hello world\"");
  EXPECT_EQ(fmt::format("[{:>8}]", "ok"_a), "[     :ok]");
}

}  // namespace
