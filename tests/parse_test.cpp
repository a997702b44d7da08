// beam::parse: Elixir literals read as Elixir 1.14 reads them (every expected value below was checked against
// `Code.eval_string`), and every error with its line and column.
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <beam/error.hpp>
#include <beam/parse.hpp>
#include <beam/term.hpp>

using namespace beam::literals;
using beam::term;

namespace {

void expect_reads(std::string_view text, const term& expected) {
  SCOPED_TRACE(testing::Message() << "parse(" << text << ")");
  try {
    EXPECT_TRUE(beam::parse(text) == expected) << "read a different term";
  } catch (const beam::parse_error& e) {
    ADD_FAILURE() << "failed: " << e.what();
  }
}

void expect_error(std::string_view text, std::size_t line, std::size_t column, std::string_view message) {
  SCOPED_TRACE(testing::Message() << "parse(" << text << ")");
  try {
    (void)beam::parse(text);
    ADD_FAILURE() << "must fail";
  } catch (const beam::parse_error& e) {
    EXPECT_EQ(e.line(), line);
    EXPECT_EQ(e.column(), column);
    EXPECT_EQ(e.expected(), message);
  }
}

term bytes(std::string_view b) {
  return beam::binary(b);
}
term bits(std::vector<std::uint8_t> b, std::uint64_t n) {
  return beam::bitstring(b, n);
}
term big(std::string_view decimal) {
  return beam::integer_from_string(decimal);
}
term fun(std::string_view module, std::string_view function, std::uint8_t arity) {
  return beam::export_fun{beam::atom(module), beam::atom(function), arity};
}

// The operators Elixir 1.14 accepts after ':' as atoms.
constexpr std::string_view operator_atoms[] = {
    "+",   "-",   "*",   "/",   "=",    "<",   ">",   "!",   "&",   "|",   "^",   ".",    "@",
    "%",   "++",  "--",  "->",  "**",   "==",  "=~",  "<-",  "<=",  "<>",  "<~",  ">=",   "!=",
    "&&",  "|>",  "||",  "~>",  "\\\\", "..",  "::",  "{}",  "+++", "---", "===", "<<<",  "<<~",
    "<|>", "<~>", ">>>", "!==", "&&&",  "|||", "^^^", "~>>", "~~~", "...", "%{}", "..//", "<<>>"};

}  // namespace

// --- atoms ---

TEST(Parse, ReadsAtomsInEveryForm) {
  expect_reads(":ok", "ok"_a);
  expect_reads(":\"quoted atom\"", "quoted atom"_a);
  expect_reads(":'single'", "single"_a);
  expect_reads(":\"a\\nb\\\"c\"", beam::atom("a\nb\"c"));
  expect_reads(":foo?", "foo?"_a);
  expect_reads(":ok!", "ok!"_a);
  expect_reads(":Foo", "Foo"_a);
  expect_reads(":foo@bar", "foo@bar"_a);
  expect_reads(":_", "_"_a);
  expect_reads(":\"\"", ""_a);
  expect_reads(":\"Elixir.Foo\"", "Elixir.Foo"_a);
  expect_reads(":héllo", "héllo"_a);
  expect_reads(":привет", "привет"_a);
  expect_reads(":日本", "日本"_a);
}

TEST(Parse, ReadsEveryOperatorAtomAndOperatorKeywordKey) {
  // Appended, not `":" + std::string(op)`: GCC 12 at -O3 sees a false memcpy overflow (-Wstringop-overflow)
  // in that operator+ once the translation unit is large enough for it to be inlined.
  for (std::string_view op : operator_atoms) {
    expect_reads(std::string(":").append(op), beam::atom(op));
    if (op != "::")
      expect_reads(std::string("[").append(op).append(": 1]"), beam::list(beam::tuple(beam::atom(op), 1)));
  }
}

TEST(Parse, ReadsTrueFalseAndNilAsAtoms) {
  expect_reads("true", true);
  expect_reads("false", false);
  expect_reads("nil", "nil"_a);
  expect_reads(":true", true);
  expect_reads(":nil", "nil"_a);
}

TEST(Parse, ReadsAliasesAsElixirPrefixedAtoms) {
  expect_reads("Foo", "Elixir.Foo"_a);
  expect_reads("Foo.Bar", "Elixir.Foo.Bar"_a);
  expect_reads("Elixir.Foo", "Elixir.Foo"_a);
  expect_reads("Elixir", "Elixir"_a);
  expect_reads("Foo.Elixir", "Elixir.Foo.Elixir"_a);
  expect_reads("Foo1_a", "Elixir.Foo1_a"_a);
  expect_reads("Foo . Bar", "Elixir.Foo.Bar"_a);
  expect_reads("Foo.\nBar", "Elixir.Foo.Bar"_a);
}

TEST(Parse, ReadsTheMicroSignAsMuInUnquotedAtomsOnly) {
  expect_reads(":µ", "μ"_a);
  expect_reads(":\"µ\"", "µ"_a);
}

// --- numbers ---

TEST(Parse, ReadsIntegersInEveryBase) {
  expect_reads("0", 0);
  expect_reads("42", 42);
  expect_reads("-7", -7);
  expect_reads("007", 7);
  expect_reads("1_000_000", 1'000'000);
  expect_reads("0x1F", 31);
  expect_reads("0xff_ff", 65535);
  expect_reads("0o17", 15);
  expect_reads("0b101", 5);
  expect_reads("0b1_0_1", 5);
  expect_reads("-0x1F", -31);
}

TEST(Parse, ReadsIntegersBeyondSixtyFourBits) {
  expect_reads("9223372036854775807", INT64_MAX);
  expect_reads("-9223372036854775808", INT64_MIN);
  expect_reads("9223372036854775808", big("9223372036854775808"));
  expect_reads("-9223372036854775809", big("-9223372036854775809"));
  expect_reads("- -9223372036854775808", big("9223372036854775808"));
  expect_reads("123456789012345678901234567890", big("123456789012345678901234567890"));
  expect_reads("0xFFFFFFFFFFFFFFFFFF", big("4722366482869645213695"));
  expect_reads("-0xFFFFFFFFFFFFFFFFFF", big("-4722366482869645213695"));
  expect_reads("0b11111111111111111111111111111111111111111111111111111111111111111",
               big("36893488147419103231"));
  expect_reads("0o7777777777777777777777777", big("37778931862957161709567"));
}

TEST(Parse, ReadsCharacterLiteralsAsCodePoints) {
  expect_reads("?a", 97);
  expect_reads("?\\n", 10);
  expect_reads("?\\s", 32);
  expect_reads("?\\0", 0);
  expect_reads("?\\\\", 92);
  expect_reads("?\\q", 113);  // an unknown escape is the character itself
  expect_reads("?\\", 92);
  expect_reads("??", 63);
  expect_reads("? ", 32);
  expect_reads("?é", 233);
  expect_reads("?😀", 128512);
  expect_reads("-?a", -97);
}

TEST(Parse, ReadsSignsBeforeNumbersAsElixirDoes) {
  expect_reads("- 1", -1);
  expect_reads("+1", 1);
  expect_reads("-+1", -1);
  expect_reads("+-1", -1);
  expect_reads("- -1", 1);
  expect_reads("-\n1", -1);
  expect_reads("-0", 0);
}

TEST(Parse, ReadsFloats) {
  expect_reads("1.0", 1.0);
  expect_reads("1.0e20", 1.0e20);
  expect_reads("1.0E-4", 1.0e-4);
  expect_reads("1.0e+10", 1.0e10);
  expect_reads("1_000.5", 1000.5);
  expect_reads("1.0_5", 1.05);
  expect_reads("1.0e1_0", 1.0e10);
  expect_reads("0.1e1", 1.0);
  expect_reads("01.5", 1.5);
  expect_reads("5.0e-324", 5.0e-324);
  expect_reads("1.7976931348623157e308", 1.7976931348623157e308);
  expect_reads("1.797693134862315807e308", 1.7976931348623157e308);  // rounds down to the largest double
  expect_reads("1.0e-400", 0.0);                                     // underflow reads as zero, as in Erlang
  expect_reads("-1.5e-3", -1.5e-3);
}

TEST(Parse, ReadsNegativeZeroWithItsSign) {
  const term t = beam::parse("-0.0");
  ASSERT_TRUE(t.is_float());
  EXPECT_TRUE(std::signbit(t.as_float()));
  EXPECT_FALSE(std::signbit(beam::parse("0.0").as_float()));
}

// --- strings and charlists ---

TEST(Parse, ReadsStringsWithEveryEscape) {
  expect_reads("\"\"", bytes(""));
  expect_reads("\"hello world\"", bytes("hello world"));
  expect_reads(R"("\n\t\r\"\\\a\b\d\e\f\s\v\0\#")",
               bytes(std::string_view("\n\t\r\"\\\a\b\x7f\x1b\f \v\0#", 14)));
  expect_reads(R"("\x41\xff")", bytes("A\xff"));
  expect_reads(R"("\x4g")", bytes("\x04g"));
  expect_reads(R"("\u00e9\u{1F600}\u{0041}")", bytes("é😀A"));
  expect_reads(R"("\u{10FFFF}")", bytes("\xf4\x8f\xbf\xbf"));
  expect_reads(R"("\x{E9}")", bytes("é"));  // deprecated in Elixir, still read: a code point
  expect_reads(R"("\q\z")", bytes("qz"));   // unknown escapes are the character itself
  expect_reads(R"("\#{x}")", bytes("#{x}"));
  expect_reads(R"("#x # y")", bytes("#x # y"));
  expect_reads("\"a\\\nb\"", bytes("ab"));  // a backslash before a newline joins the lines
  expect_reads("\"a\\\r\nb\"", bytes("ab"));
  expect_reads("\"a\nb\"", bytes("a\nb"));
  expect_reads("\"a\r\nb\"", bytes("a\r\nb"));
  expect_reads("\"it's 'quoted'\"", bytes("it's 'quoted'"));
  expect_reads("\"é😀\"", bytes("é😀"));
}

TEST(Parse, ReadsCharlistsAsListsOfCodePoints) {
  expect_reads("''", term());
  expect_reads("'abc'", beam::list(97, 98, 99));
  expect_reads("'é'", beam::list(233));
  expect_reads(R"('\xc3\xa9')", beam::list(233));  // the escapes make UTF-8 bytes, decoded afterwards
  expect_reads(R"('a\'b"c')", beam::charlist("a'b\"c"));
  expect_reads(R"('\u{1F600}')", beam::list(128512));
}

// --- containers ---

TEST(Parse, ReadsListsProperAndImproper) {
  expect_reads("[]", term());
  expect_reads("[ ]", term());
  expect_reads("[1, 2, 3]", beam::list(1, 2, 3));
  expect_reads("[1, 2,]", beam::list(1, 2));
  expect_reads("[1 | 2]", beam::cons(1, 2));
  expect_reads("[1|2]", beam::cons(1, 2));
  expect_reads("[1, 2 | [3]]", beam::list(1, 2, 3));
  expect_reads("[1 | [2 | 3]]", beam::make_list(std::vector<term>{1, 2}, 3));
  expect_reads("[1 | 2,]", beam::cons(1, 2));
  expect_reads("[1\n|\n2\n]", beam::cons(1, 2));
  expect_reads("[[], [[]]]", beam::list(term(), beam::list(term())));
}

TEST(Parse, ReadsKeywordListsAndKeywordTails) {
  const auto kv = [](std::string_view key, const term& value) { return beam::tuple(beam::atom(key), value); };
  expect_reads("[a: 1, b: 2]", beam::list(kv("a", 1), kv("b", 2)));
  expect_reads("[a: 1, b: 2,]", beam::list(kv("a", 1), kv("b", 2)));
  expect_reads("[1, a: 2]", beam::list(1, kv("a", 2)));
  expect_reads(R"(["b c": 2, 'd': 3, "a\nb": 4])", beam::list(kv("b c", 2), kv("d", 3), kv("a\nb", 4)));
  expect_reads("[Foo: 1, foo?: 2, ok!: 3, nil: 4, do: 5, _: 6, a@b: 7]",
               beam::list(kv("Foo", 1), kv("foo?", 2), kv("ok!", 3), kv("nil", 4), kv("do", 5), kv("_", 6),
                          kv("a@b", 7)));
  expect_reads("[é: 1, Éa: 2]", beam::list(kv("é", 1), kv("Éa", 2)));
  expect_reads("[a:\n1, b:\t2]", beam::list(kv("a", 1), kv("b", 2)));
  expect_reads("[a: [b: 1]]", beam::list(kv("a", beam::list(kv("b", 1)))));
}

TEST(Parse, ReadsTuplesWithAKeywordTailAsAList) {
  expect_reads("{}", beam::tuple());
  expect_reads("{ }", beam::tuple());
  expect_reads("{:ok}", beam::tuple("ok"_a));
  expect_reads("{1, 2,}", beam::tuple(1, 2));
  expect_reads("{:ok, \"hello\"}", beam::tuple("ok"_a, bytes("hello")));
  expect_reads("{1, a: 2, b: 3}", beam::tuple(1, beam::list(beam::tuple("a"_a, 2), beam::tuple("b"_a, 3))));
  expect_reads("{1, a: 2,}", beam::tuple(1, beam::list(beam::tuple("a"_a, 2))));
}

TEST(Parse, ReadsMapsWithArrowsAndAKeywordPartLast) {
  expect_reads("%{}", beam::map({}));
  expect_reads("%{ }", beam::map({}));
  expect_reads("%{a: 1}", beam::map({{"a"_a, 1}}));
  expect_reads(R"(%{"k" => 1, :a => 2})", beam::map({{bytes("k"), 1}, {"a"_a, 2}}));
  expect_reads("%{1 => 2, a: 3}", beam::map({{1, 2}, {"a"_a, 3}}));
  expect_reads(R"(%{"a" => 1, "b": 2})", beam::map({{bytes("a"), 1}, {"b"_a, 2}}));
  expect_reads("%{:a=>1}", beam::map({{"a"_a, 1}}));
  expect_reads("%{a: 1, a: 2}", beam::map({{"a"_a, 2}}));  // the last duplicate wins
  expect_reads("%{[1] => {2}, %{} => []}",
               beam::map({{beam::list(1), beam::tuple(2)}, {beam::map({}), term()}}));
  expect_reads("%{a: 1,}", beam::map({{"a"_a, 1}}));
}

// --- binaries and bitstrings ---

TEST(Parse, ReadsBinariesOfIntegersAndStrings) {
  expect_reads("<<>>", bytes(""));
  expect_reads("<< >>", bytes(""));
  expect_reads("<<1, 2, 255>>", bytes("\x01\x02\xff"));
  expect_reads("<<1,2,>>", bytes("\x01\x02"));
  expect_reads("<<256, -1>>", bytes(std::string_view("\x00\xff", 2)));  // modulo 2^8
  expect_reads("<<?a, 0x62>>", bytes("ab"));
  expect_reads(R"(<<"abc">>)", bytes("abc"));
  expect_reads(R"(<<"a", "b">>)", bytes("ab"));
  expect_reads(R"(<<"é">>)", bytes("é"));
  expect_reads(R"(<<"\xff">>)", bytes("\xff"));
  expect_reads(R"(<<"abc"::binary, "d"::bytes, "e"::bits, "f"::bitstring>>)", bytes("abcdef"));
}

TEST(Parse, ReadsBitstringsWithSizesUnitsAndEndianness) {
  expect_reads("<<1::size(3)>>", bits({0x20}, 3));
  expect_reads("<<1::3>>", bits({0x20}, 3));
  expect_reads("<<1 :: size( 3 )>>", bits({0x20}, 3));
  expect_reads("<<1, 2::size(3)>>", bits({1, 0x40}, 11));
  expect_reads("<<1, 2::size(3), 3::size(5)>>", bytes("\x01\x43"));
  expect_reads("<<-1::size(3)>>", bits({0xE0}, 3));
  expect_reads("<<1::size(0)>>", bytes(""));
  expect_reads("<<1::size(100)>>", bits({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10}, 100));
  expect_reads("<<1::8*2>>", bytes(std::string_view("\x00\x01", 2)));
  expect_reads("<<1::unit(8)-size(2)>>", bytes(std::string_view("\x00\x01", 2)));
  expect_reads("<<1::16-little, 1::little-16>>", bytes(std::string_view("\x01\x00\x01\x00", 4)));
  expect_reads("<<0xABC::size(12)-little>>", bits({0xBC, 0xA0}, 12));
  expect_reads("<<-1::signed-16, 1::integer-size(16)-big-unsigned>>",
               bytes(std::string_view("\xff\xff\x00\x01", 4)));
  expect_reads("<<1::native-16>>", bytes(std::string_view("\x01\x00", 2)));
  expect_reads("<<123456789012345678901234567890::size(72)>>", bytes("\xf6\xc3\x73\xe0\xee\x4e\x3f\x0a\xd2"));
  expect_reads("<<-123456789012345678901234567890::size(72)-little>>",
               bytes("\x2e\xf5\xc0\xb1\x11\x1f\x8c\x3c\x09"));
  expect_reads(R"(<<"a"::bits, 1::1>>)", bits({97, 0x80}, 9));
}

TEST(Parse, ReadsFloatSegmentsOfSixteenThirtyTwoAndSixtyFourBits) {
  expect_reads("<<1.5>>", bytes(std::string_view("\x3f\xf8\0\0\0\0\0\0", 8)));
  expect_reads("<<1.5::float-little>>", bytes(std::string_view("\0\0\0\0\0\0\xf8\x3f", 8)));
  expect_reads("<<1.5::32>>", bytes(std::string_view("\x3f\xc0\0\0", 4)));
  expect_reads("<<1::float-32>>", bytes(std::string_view("\x3f\x80\0\0", 4)));
  expect_reads("<<-1.5::float>>", bytes(std::string_view("\xbf\xf8\0\0\0\0\0\0", 8)));
  expect_reads("<<1.0e300::32>>", bytes(std::string_view("\x7f\x80\0\0", 4)));  // infinity, as in OTP 25
  expect_reads("<<1.5::16>>", bytes(std::string_view("\x3e\x00", 2)));
  expect_reads("<<65520.0::16>>", bytes(std::string_view("\x7c\x00", 2)));
  expect_reads("<<5.960464477539063e-8::16>>", bytes(std::string_view("\x00\x01", 2)));
  expect_reads("<<2.98023223876953125e-8::16>>", bytes(std::string_view("\x00\x00", 2)));  // a tie: to even
  expect_reads("<<1.5::size(4)-unit(8)>>", bytes(std::string_view("\x3f\xc0\0\0", 4)));
}

TEST(Parse, ReadsUtfSegmentsOfStringsAndCodePoints) {
  expect_reads(R"(<<"é"::utf8>>)", bytes("é"));
  expect_reads(R"(<<"é"::utf16>>)", bytes(std::string_view("\x00\xe9", 2)));
  expect_reads(R"(<<"é"::utf16-little>>)", bytes(std::string_view("\xe9\x00", 2)));
  expect_reads(R"(<<"é"::utf32-little>>)", bytes(std::string_view("\xe9\x00\x00\x00", 4)));
  expect_reads("<<233::utf8, 0x10FFFF::utf8>>", bytes("é\xf4\x8f\xbf\xbf"));
  expect_reads("<<0x1F600::utf16>>", bytes(std::string_view("\xd8\x3d\xde\x00", 4)));
}

// --- export funs ---

TEST(Parse, ReadsExportFuns) {
  expect_reads("&:lists.map/2", fun("lists", "map", 2));
  expect_reads("&Enum.map/2", fun("Elixir.Enum", "map", 2));
  expect_reads("&Foo.Bar.baz?/0", fun("Elixir.Foo.Bar", "baz?", 0));
  expect_reads("&:erlang.+/2", fun("erlang", "+", 2));
  expect_reads("&:erlang.::/2", fun("erlang", "::", 2));
  expect_reads("&:erlang.===/2", fun("erlang", "===", 2));
  expect_reads("&:lists.\"hello world\"/2", fun("lists", "hello world", 2));
  expect_reads("&:\"a b\".'map'/1", fun("a b", "map", 1));
  expect_reads("& :lists . map / 2", fun("lists", "map", 2));
  expect_reads("&:lists.do/255", fun("lists", "do", 255));
  expect_reads("&:lists.map/0x2", fun("lists", "map", 2));
  for (std::string_view op : operator_atoms) {
    const bool function = op != "." && op != "%" && op != "->" && op != ".." && op != "..." && op != "%{}" &&
                          op != "..//" && op != "<<>>";
    if (function) expect_reads(fmt::format("&:erlang.{}/2", op), fun("erlang", op, 2));
  }
}

// --- white space and comments ---

TEST(Parse, SkipsWhiteSpaceNewlinesAndComments) {
  expect_reads("  # leading comment\n  [1, # one\n   2] # trailing comment\n", beam::list(1, 2));
  expect_reads("[1,\r\n2]", beam::list(1, 2));
  expect_reads("{\t1 ,\t2 }", beam::tuple(1, 2));
  expect_reads("%{\n  a: 1,\n  b: [\n    2\n  ]\n}\n", beam::map({{"a"_a, 1}, {"b"_a, beam::list(2)}}));
  expect_reads("<<1\n::\nsize(3)>>", bits({0x20}, 3));
  expect_reads("[1\n]", beam::list(1));
}

// --- errors ---

TEST(Parse, RejectsEmptyInput) {
  expect_error("", 1, 1, "expected a term");
  expect_error("  # only a comment", 1, 19, "expected a term");
  expect_error("\n\n", 3, 1, "expected a term");
}

TEST(Parse, RejectsTrailingInput) {
  expect_error("1 2", 1, 3, "unexpected trailing input: expected the end after one term");
  expect_error(":ok\n:error", 2, 1, "unexpected trailing input: expected the end after one term");
  expect_error("Foo.bar", 1, 4, "unexpected trailing input: expected the end after one term");
  expect_error("1.", 1, 2, "unexpected trailing input: expected the end after one term");
  expect_error("\"a\" <> \"b\"", 1, 5, "unexpected trailing input: expected the end after one term");
}

TEST(Parse, RejectsUnclosedContainersAtTheEnd) {
  expect_error("[1, 2", 1, 6, "expected ',', '|' or ']'");
  expect_error("{1, 2", 1, 6, "expected ',' or '}'");
  expect_error("%{a: 1", 1, 7, "expected ',' or '}'");
  expect_error("<<1", 1, 4, "expected ',' or '>>'");
  expect_error("[1 | 2", 1, 7, "expected ']' after the tail of the list");
  expect_error("[1 | 2, 3]", 1, 9, "expected ']' after the tail of the list");
  expect_error("[\n  1,\n  2", 3, 4, "expected ',', '|' or ']'");
}

TEST(Parse, RejectsMisplacedCommasAndMissingElements) {
  expect_error("[,]", 1, 2, "expected a term");
  expect_error("[1,,2]", 1, 4, "expected a term");
  expect_error("{1 2}", 1, 4, "expected ',' or '}'");
  expect_error("[1\n, 2]", 2, 1, "unexpected ',' at the start of a line (it must follow the element)");
  expect_error("[1 # c\n, 2]", 2, 1, "unexpected ',' at the start of a line (it must follow the element)");
  expect_error("[| 2]", 1, 2, "expected a term");
}

TEST(Parse, RejectsBadMaps) {
  expect_error("%{1 => }", 1, 8, "expected a term");
  expect_error("%{1 2}", 1, 5, "expected '=>' after the map key");
  expect_error("%{1}", 1, 4, "expected '=>' after the map key");
  expect_error("% {}", 1, 2, "expected '{' after '%'");
  expect_error("%Foo{}", 1, 2, "structs (%Name{...}) are not supported");
  expect_error("%{a: 1, 2 => 3}", 1, 9, "expected a keyword key: keyword pairs must come last");
}

TEST(Parse, RejectsBadKeywordLists) {
  expect_error("[a: 1, 2]", 1, 8, "expected a keyword key: keyword pairs must come last");
  expect_error("[a:1]", 1, 2, "a keyword key must be followed by a space after its ':'");
  expect_error("[\"a\":1]", 1, 2, "a keyword key must be followed by a space after its ':'");
  expect_error("[a: ]", 1, 5, "expected a term");
  expect_error("[a: 1 | 2]", 1, 7, "expected ',' or ']'");
  expect_error("[1 | a: 2]", 1, 6, "expected a term, not the variable or call a");
  expect_error("{a: 1}", 1, 2, "expected a term, not the variable or call a");
  expect_error("a: 1", 1, 1, "expected a term, not the variable or call a");
}

TEST(Parse, RejectsVariablesAndBadAliases) {
  expect_error("foo", 1, 1, "expected a term, not the variable or call foo");
  expect_error("[1, true?]", 1, 5, "expected a term, not the variable or call true?");
  expect_error("Foo?", 1, 1, "invalid alias Foo?: only ASCII letters, digits and _ may follow the capital");
  expect_error("Foo.Bär", 1, 5, "invalid alias Bär: only ASCII letters, digits and _ may follow the capital");
  expect_error("~w(a b)", 1, 1, "expected a term");
}

TEST(Parse, RejectsBadAtoms) {
  expect_error(":", 1, 1, "expected an atom name after ':'");
  expect_error(": a", 1, 1, "expected an atom name after ':'");
  expect_error(":1", 1, 1, "expected an atom name after ':'");
  expect_error(":😀", 1, 1, "expected an atom name after ':'");
  expect_error(":a😀", 1, 3, "unexpected trailing input: expected the end after one term");
  expect_error(R"(:"\xff")", 1, 1, "invalid UTF-8 in atom");
  expect_error(":" + std::string(256, 'a'), 1, 1, "atom longer than 255 characters");
  expect_error(":\"" + std::string(128, 'a') + std::string(128, 'b') + "\"", 1, 1,
               "atom longer than 255 characters");
  expect_reads(":" + std::string(255, 'a'), beam::atom(std::string(255, 'a')));
  expect_reads(":\"" + std::string(255, 'e') + "\"", beam::atom(std::string(255, 'e')));
}

TEST(Parse, RejectsMalformedNumbers) {
  expect_error("1e10", 1, 2, "invalid character 'e' after the number 1");
  expect_error("1.0e", 1, 4, "invalid character 'e' after the number 1.0");
  expect_error("1__000", 1, 2, "invalid character '_' after the number 1");
  expect_error("1_", 1, 2, "invalid character '_' after the number 1");
  expect_error("12abc", 1, 3, "invalid character 'a' after the number 12");
  expect_error("0b102", 1, 5, "invalid character '2' after the number 0b10");
  expect_error("0X1F", 1, 2, "invalid character 'X' after the number 0");
  expect_error("0x", 1, 3, "expected a base 16 digit after 0x");
  expect_error("0o8", 1, 3, "expected a base 8 digit after 0o");
  expect_error("1.0e400", 1, 1, "float out of range: 1.0e400");
  expect_error("1.7976931348623159e308", 1, 1, "float out of range: 1.7976931348623159e308");
  expect_error("--1", 1, 1, "expected a number after '-'");
  expect_error("- :a", 1, 3, "expected a number after '-'");
  expect_error("?", 1, 1, "expected a character after '?'");
}

TEST(Parse, RejectsUnterminatedTextAndBadEscapes) {
  expect_error("\"abc", 1, 5, "missing terminator \" (for the text that starts at line 1)");
  expect_error("'abc", 1, 5, "missing terminator ' (for the text that starts at line 1)");
  expect_error("[1,\n:\"abc", 2, 6, "missing terminator \" (for the text that starts at line 2)");
  expect_error("\"\\", 1, 3, "missing terminator \" (for the text that starts at line 1)");
  expect_error(R"("\xG")", 1, 2, "invalid hex escape: expected \\xHH where H is a hexadecimal digit");
  expect_error(R"("\u12")", 1, 2, "invalid Unicode escape: expected \\uHHHH or \\u{H*}");
  expect_error(R"("\u{}")", 1, 2,
               "invalid Unicode escape: expected \\u{H*} with one to six hexadecimal digits");
  expect_error(R"("\u{1234567}")", 1, 2,
               "invalid Unicode escape: expected \\u{H*} with one to six hexadecimal digits");
  expect_error(R"("ok\u{D800}")", 1, 4, "invalid or reserved Unicode code point \\u{D800}");
  expect_error(R"("\u{110000}")", 1, 2, "invalid or reserved Unicode code point \\u{110000}");
  expect_error(R"("\uDFFF")", 1, 2, "invalid or reserved Unicode code point \\uDFFF");
  expect_error(R"('\xff')", 1, 1, "invalid UTF-8 in charlist");
}

TEST(Parse, RejectsInterpolationAndHeredocs) {
  expect_error("\"a#{x}\"", 1, 3, "interpolation #{...} is not supported (write \\#{ for the characters)");
  expect_error("[\"#{\"]", 1, 3, "interpolation #{...} is not supported (write \\#{ for the characters)");
  expect_error(":\"#{1}\"", 1, 3, "interpolation #{...} is not supported (write \\#{ for the characters)");
  expect_error("\"\"\"\nheredoc\n\"\"\"", 1, 1, "heredocs (\"\"\" and ''') are not supported");
}

TEST(Parse, RejectsBadExportFuns) {
  expect_error("&map/1", 1, 2, "expected a module after '&', such as :lists or Enum");
  expect_error("&:lists/1", 1, 8, "expected '.' after the module");
  expect_error("&:erlang../2", 1, 9, "expected '.' after the module");
  expect_error("&:lists.Map/1", 1, 9, "expected a function name, not an alias");
  expect_error("&:lists.map", 1, 12, "expected '/' before the arity");
  expect_error("&:lists.map/256", 1, 13, "expected an arity from 0 to 255");
  expect_error("&:lists.map/-1", 1, 13, "expected an arity from 0 to 255");
  expect_error("&:lists.map/1.0", 1, 13, "expected an arity from 0 to 255");
  expect_error("&:lists.map/x", 1, 13, "expected an arity from 0 to 255");
  expect_error("&:lists.(/1", 1, 9, "expected a function name");
  for (const char* op : {"%", "->", "%{}", "<<>>"}) {
    expect_error(fmt::format("&:erlang.{}/2", op), 1, 10, "expected a function name");
  }
}

TEST(Parse, RejectsBadBitstringSegments) {
  expect_error("<<:a>>", 1, 3, "expected an integer, float or string segment");
  expect_error("<<'abc'>>", 1, 3, "expected an integer, float or string segment");
  expect_error("<<1::>>", 1, 6, "expected a segment specifier such as size(8), integer or utf8");
  expect_error("<<1::foo>>", 1, 6, "unknown segment specifier foo");
  expect_error("<<1::size(x)>>", 1, 11, "expected an integer size");
  expect_error("<<1::size(-1)>>", 1, 11, "expected an integer size");
  expect_error("<<1::size\n(3)>>", 2, 1, "expected '(' after size on the same line");
  expect_error("<<1::unit(0)-size(1)>>", 1, 11, "unit must be from 1 to 256");
  expect_error("<<1::unit(257)-size(1)>>", 1, 11, "unit must be from 1 to 256");
  expect_error("<<1::unit(8)>>", 1, 3, "a unit needs a size");
  expect_error("<<1::size(8)-size(16)>>", 1, 14, "conflicting size specifiers");
  expect_error("<<1::big-little>>", 1, 10, "conflicting endianness specifiers");
  expect_error("<<1::little-native>>", 1, 13, "conflicting endianness specifiers");
  expect_error("<<1::signed-unsigned>>", 1, 13, "conflicting signedness specifiers");
  expect_error("<<1::float-integer>>", 1, 12, "conflicting type specifiers");
  expect_error("<<1::binary>>", 1, 3, "conflicting types: an integer segment cannot have type binary");
  expect_error("<<1.5::integer>>", 1, 3, "conflicting types: a float segment cannot have type integer");
  expect_error("<<1.5::utf8>>", 1, 3, "conflicting types: a float segment cannot have type utf8");
  expect_error(R"(<<"abc"::integer>>)", 1, 3, "conflicting types: a string segment cannot have type integer");
  expect_error(R"(<<"abc"::size(2)>>)", 1, 3, "a string segment takes no size or unit");
  expect_error(R"(<<"abc"::signed>>)", 1, 3, "signed and unsigned apply to integer and float segments only");
  expect_error(R"(<<"\xff"::utf8>>)", 1, 3, "invalid UTF-8 in a utf segment");
  expect_error("<<1.5::8>>", 1, 3, "a float segment has 16, 32 or 64 bits, not 8");
  expect_error("<<-1.5>>", 1, 3,
               "a signed float segment needs ::float (Elixir reads a sign in <<>> as an integer expression)");
  expect_error("<<1::utf8-size(8)>>", 1, 3, "a utf segment takes no size or unit");
  expect_error("<<0xD800::utf8>>", 1, 3, "a utf segment must be a Unicode code point");
  expect_error("<<-1::utf16>>", 1, 3, "a utf segment must be a Unicode code point");
  expect_error("<<1\n, 2>>", 2, 1, "unexpected ',' at the start of a line (it must follow the element)");
}

TEST(Parse, RejectsIntegersTooLargeForAFloatSegment) {
  expect_error("<<" + std::string("1") + std::string(309, '0') + "::float>>", 1, 3,
               "integer too large for a float segment");
  // A big integer rounds correctly to the nearest double (Elixir's value).
  expect_reads("<<833077639700066664296055::float>>", bytes("\x44\xe6\x0d\x27\x56\xc2\x16\xa1"));
}

TEST(Parse, BoundsTheBitsThatSizedSegmentsMayAsk) {
  expect_error("<<0::size(16777217)>>", 1, 11, "size must be from 0 to 16777216");
  expect_error("<<1::size(99999999999999999999999)>>", 1, 11, "size must be from 0 to 16777216");
  expect_error("<<0::size(8388608), 0::size(8388608), 0::1>>", 1, 39,
               "bitstring too large: sized segments exceed 16777216 bits");
  expect_error("[<<0::size(8388608)>>, <<0::size(8388608)>>, <<0::1>>]", 1, 48,
               "bitstring too large: sized segments exceed 16777216 bits");
  const term large = beam::parse("<<0::size(8388608)-unit(2)>>");
  EXPECT_EQ(large.bit_size(), 16777216U);
}

TEST(Parse, RejectsInvalidUtf8AndStrayControlCharacters) {
  expect_error("[\"ok\", \xff]", 1, 8, "invalid UTF-8");
  expect_error("\"\xc3\x28\"", 1, 2, "invalid UTF-8");
  expect_error("# \xff\n1", 1, 3, "invalid UTF-8");
  expect_error("[1,\r2]", 1, 4, "expected a term");
  expect_error("[1,\v2]", 1, 4, "expected a term");
  expect_error(std::string_view("[1,\0 2]", 7), 1, 4, "expected a term");
  expect_error(
      "\xef\xbb\xbf"
      "1",
      1, 1, "expected a term");  // a byte order mark is not white space
}

TEST(Parse, CountsColumnsInCharactersAndLinesAfterNewlines) {
  expect_error("[\"é😀\", foo]", 1, 8, "expected a term, not the variable or call foo");
  expect_error("{\n  1,\n  :ok,\n  oops\n}", 4, 3, "expected a term, not the variable or call oops");
  expect_error("[1,\r\n  x]", 2, 3, "expected a term, not the variable or call x");
}

// --- limits ---

TEST(Parse, ReadsNestingUpToTheLimitAndRejectsDeeper) {
  constexpr std::size_t limit = 1000;
  term expected;
  for (std::size_t i = 1; i < limit; ++i) expected = beam::list(expected);
  expect_reads(std::string(limit, '[') + std::string(limit, ']'), expected);
  expect_error(std::string(limit + 1, '[') + std::string(limit + 1, ']'), 1, limit + 1,
               "nesting deeper than 1000 levels");
  expect_error(std::string(100'000, '{'), 1, limit + 1, "nesting deeper than 1000 levels");
  std::string mixed;  // [{%{a: [{%{a: ...
  std::size_t deepest = 0;
  for (std::size_t i = 0; i <= limit; ++i) {
    deepest = mixed.size();
    mixed += i % 3 == 0 ? "[" : i % 3 == 1 ? "{" : "%{a: ";
  }
  expect_error(mixed, 1, deepest + 1, "nesting deeper than 1000 levels");
}

TEST(Parse, ThrowsSystemLimitWhenTheAtomTableIsFull) {
  struct restore_limit {
    std::size_t limit = beam::atom_table_stats().limit;
    ~restore_limit() { beam::set_atom_limit(limit); }
  };
  const term existing = "parse_test_existing_atom"_a;
  const term system_limit = "system_limit"_a;
  {
    const restore_limit guard;
    beam::set_atom_limit(beam::atom_table_stats().count);
    try {
      (void)beam::parse("[:parse_test_existing_atom, :parse_test_atom_that_is_new]");
      ADD_FAILURE() << "a new atom past the limit must throw";
    } catch (const beam::error& e) {
      EXPECT_TRUE(e.reason() == system_limit);
    }
    EXPECT_TRUE(beam::parse(":parse_test_existing_atom") == existing);  // existing atoms still read
  }
  EXPECT_TRUE(beam::parse(":parse_test_atom_that_is_new") == beam::atom("parse_test_atom_that_is_new"));
}

TEST(Parse, ErrorMessageNamesLineAndColumn) {
  try {
    (void)beam::parse("[1,\n 2");
    FAIL() << "must fail";
  } catch (const beam::parse_error& e) {
    EXPECT_EQ(std::string(e.what()), "line 2, column 3: expected ',', '|' or ']'");
  }
}
