// The external term format: exact bytes against OTP 25 (every expected byte below was printed by erl), round
// trips, the older forms OTP still reads, compressed terms, and every way hostile input is refused.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <zlib.h>

#include <beam/etf.hpp>

#include "support/counted_heap.hpp"
#include "support/term_gen.hpp"

using namespace beam::literals;
using beam::term;

namespace {

using bytes_t = std::vector<std::uint8_t>;

bytes_t concat(std::initializer_list<bytes_t> parts) {
  bytes_t out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

bytes_t text_bytes(std::string_view text) {
  return bytes_t(text.begin(), text.end());
}

// 100,0,13,"nonode@nohost": this node's name as OTP writes it.
bytes_t nonode() {
  return concat({{100, 0, 13}, text_bytes("nonode@nohost")});
}

struct golden {
  const char* name;
  term value;
  bytes_t etf;
};

// term_to_binary/1 of OTP 25 for each of these (see the file comment).
std::vector<golden> golden_terms() {
  const beam::pid remote_pid(beam::node_id{beam::atom("a@b.c"), 7}, 9, 1);
  const auto remote_port = [](std::uint64_t number) {
    return beam::port(beam::node_id{beam::atom("a@b.c"), 7}, number);
  };
  const std::uint32_t local_words[] = {7, 8, 9};
  const std::uint32_t remote_words[] = {7, 8};
  const std::uint8_t three_bits[] = {0x20};
  return {
      {"0", 0, {131, 97, 0}},
      {"255", 255, {131, 97, 255}},
      {"256", 256, {131, 98, 0, 0, 1, 0}},
      {"-1", -1, {131, 98, 255, 255, 255, 255}},
      {"int32 max", 2147483647, {131, 98, 127, 255, 255, 255}},
      {"int32 min", -2147483648LL, {131, 98, 128, 0, 0, 0}},
      {"2^31", 2147483648LL, {131, 110, 4, 0, 0, 0, 0, 128}},
      {"-2^31-1", -2147483649LL, {131, 110, 4, 1, 1, 0, 0, 128}},
      {"int64 max", INT64_MAX, {131, 110, 8, 0, 255, 255, 255, 255, 255, 255, 255, 127}},
      {"int64 min", INT64_MIN, {131, 110, 8, 1, 0, 0, 0, 0, 0, 0, 0, 128}},
      {"2^64",
       beam::integer_from_string("18446744073709551616"),
       {131, 110, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}},
      {"1.5", 1.5, {131, 70, 63, 248, 0, 0, 0, 0, 0, 0}},
      {"-0.0", -0.0, {131, 70, 128, 0, 0, 0, 0, 0, 0, 0}},
      {"0.1", 0.1, {131, 70, 63, 185, 153, 153, 153, 153, 153, 154}},
      {"1e300", 1e300, {131, 70, 126, 55, 228, 60, 136, 0, 117, 156}},
      {"ok", "ok"_a, {131, 100, 0, 2, 111, 107}},
      {"empty atom", beam::atom(""), {131, 100, 0, 0}},
      {"latin-1 atom", beam::atom("h\xC3\xA9llo"), {131, 100, 0, 5, 104, 233, 108, 108, 111}},
      {"y umlaut atom", beam::atom("\xC3\xBF"), {131, 100, 0, 1, 255}},
      {"cyrillic atom",
       beam::atom("привет"),
       {131, 119, 12, 208, 191, 209, 128, 208, 184, 208, 178, 208, 181, 209, 130}},
      {"emoji atom", beam::atom("😀"), {131, 119, 4, 240, 159, 152, 128}},
      {"{}", beam::tuple(), {131, 104, 0}},
      {"{1,a}", beam::tuple(1, "a"_a), {131, 104, 2, 97, 1, 100, 0, 1, 97}},
      {"[]", term(), {131, 106}},
      {"\"abc\"", beam::list(97, 98, 99), {131, 107, 0, 3, 97, 98, 99}},
      {"[1|2]", beam::cons(1, 2), {131, 108, 0, 0, 0, 1, 97, 1, 97, 2}},
      {"[256]", beam::list(256), {131, 108, 0, 0, 0, 1, 98, 0, 0, 1, 0, 106}},
      {"[a,b]", beam::list("a"_a, "b"_a), {131, 108, 0, 0, 0, 2, 100, 0, 1, 97, 100, 0, 1, 98, 106}},
      {"[1,2,3|<<>>]",
       beam::make_list(std::vector<term>{1, 2, 3}, beam::binary("")),
       {131, 108, 0, 0, 0, 3, 97, 1, 97, 2, 97, 3, 109, 0, 0, 0, 0}},
      {"[-1]", beam::list(-1), {131, 108, 0, 0, 0, 1, 98, 255, 255, 255, 255, 106}},
      {"<<>>", beam::binary(""), {131, 109, 0, 0, 0, 0}},
      {"<<1,2,3>>", beam::binary("\x01\x02\x03"), {131, 109, 0, 0, 0, 3, 1, 2, 3}},
      {"<<1,2,3:5>>",
       beam::bitstring(std::vector<std::uint8_t>{1, 2, 24}, 21),
       {131, 77, 0, 0, 0, 3, 5, 1, 2, 24}},
      {"<<1:1>>", beam::bitstring(std::vector<std::uint8_t>{128}, 1), {131, 77, 0, 0, 0, 1, 1, 128}},
      {"#{}", beam::map({}), {131, 116, 0, 0, 0, 0}},
      {"map of mixed keys",
       beam::map({{"a"_a, 1},
                  {1, 2},
                  {1.0, 3},
                  {beam::list(115), 4},
                  {beam::binary("b"), 5},
                  {beam::tuple("t"_a), 6},
                  {beam::list("x"_a), 7},
                  {2, 8}}),
       {131, 116, 0, 0,   0, 8, 97,  1,  97, 2,   97,  2,   97, 8,   70,  63, 240, 0,   0,  0,  0,   0,
        0,   97,  3, 100, 0, 1, 97,  97, 1,  104, 1,   100, 0,  1,   116, 97, 6,   107, 0,  1,  115, 97,
        4,   108, 0, 0,   0, 1, 100, 0,  1,  120, 106, 97,  7,  109, 0,   0,  0,   1,   98, 97, 5}},
      {"map of every key kind",
       beam::map({{"make_ref_dummy"_a, 0},
                  {-1, "a"_a},
                  {beam::integer_from_string("1180591620717411303424"), "b"_a},
                  {2.5, "c"_a},
                  {term(), "d"_a},
                  {beam::map({}), "e"_a},
                  {beam::bitstring(three_bits, 3), "f"_a},
                  {beam::export_fun{"lists"_a, "map"_a, 2}, "g"_a}}),
       {131, 116, 0,   0,   0,   8,  98,  255, 255, 255, 255, 100, 0,   1,   97,  110, 9,   0,   0,
        0,   0,   0,   0,   0,   0,  0,   64,  100, 0,   1,   98,  70,  64,  4,   0,   0,   0,   0,
        0,   0,   100, 0,   1,   99, 100, 0,   14,  109, 97,  107, 101, 95,  114, 101, 102, 95,  100,
        117, 109, 109, 121, 97,  0,  113, 100, 0,   5,   108, 105, 115, 116, 115, 100, 0,   3,   109,
        97,  112, 97,  2,   100, 0,  1,   103, 116, 0,   0,   0,   0,   100, 0,   1,   101, 106, 100,
        0,   1,   100, 77,  0,   0,  0,   1,   3,   32,  100, 0,   1,   102}},
      {"map with integers before floats",
       beam::map({{2, "a"_a},
                  {1.5, "b"_a},
                  {-3, "c"_a},
                  {1.0e30, "d"_a},
                  {beam::integer_from_string("1267650600228229401496703205376"), "e"_a}}),
       {131, 116, 0, 0, 0,   5, 98, 255, 255, 255, 253, 100, 0,  1,  99,  97,  2,   100, 0,  1,  97,  110, 13,
        0,   0,   0, 0, 0,   0, 0,  0,   0,   0,   0,   0,   0,  16, 100, 0,   1,   101, 70, 63, 248, 0,   0,
        0,   0,   0, 0, 100, 0, 1,  98,  70,  70,  41,  62,  89, 57, 160, 140, 234, 100, 0,  1,  100}},
      {"map with numbers inside keys",
       beam::map({{beam::tuple(1), "a"_a},
                  {beam::tuple(1.0), "b"_a},
                  {beam::list(1), "c"_a},
                  {beam::list(1.0), "d"_a}}),
       {131, 116, 0, 0, 0,  4,  104, 1, 97, 1,  100, 0, 1, 97,  104, 1, 70, 63, 240,
        0,   0,   0, 0, 0,  0,  100, 0, 1,  98, 107, 0, 1, 1,   100, 0, 1,  99, 108,
        0,   0,   0, 1, 70, 63, 240, 0, 0,  0,  0,   0, 0, 106, 100, 0, 1,  100}},
      {"export",
       beam::export_fun{"lists"_a, "map"_a, 2},
       {131, 113, 100, 0, 5, 108, 105, 115, 116, 115, 100, 0, 3, 109, 97, 112, 97, 2}},
      {"elixir export",
       beam::export_fun{"Elixir.Enum"_a, "reduce"_a, 3},
       {131, 113, 100, 0, 11, 69,  108, 105, 120, 105, 114, 46, 69, 110,
        117, 109, 100, 0, 6,  114, 101, 100, 117, 99,  101, 97, 3}},
      {"local pid", beam::pid(9, 0), concat({{131, 88}, nonode(), {0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0}})},
      {"remote pid", remote_pid, {131, 88, 100, 0, 5, 97, 64, 98, 46, 99, 0,
                                  0,   0,  9,   0, 0, 0,  1,  0,  0,  0,  7}},
      {"local port", beam::port(5), concat({{131, 89}, nonode(), {0, 0, 0, 5, 0, 0, 0, 0}})},
      {"local port of 28 bits", beam::port((1 << 28) - 1),
       concat({{131, 89}, nonode(), {15, 255, 255, 255, 0, 0, 0, 0}})},
      {"remote port", remote_port(9), {131, 89, 100, 0, 5, 97, 64, 98, 46, 99, 0, 0, 0, 9, 0, 0, 0, 7}},
      {"remote port of 28 bits",
       remote_port((1 << 28) - 1),
       {131, 89, 100, 0, 5, 97, 64, 98, 46, 99, 15, 255, 255, 255, 0, 0, 0, 7}},
      {"remote port past 28 bits", remote_port(1 << 28), {131, 120, 100, 0,  5, 97, 64, 98, 46, 99, 0,
                                                          0,   0,   0,   16, 0, 0,  0,  0,  0,  0,  7}},
      {"remote port past 32 bits",
       remote_port(std::uint64_t{1} << 32),
       {131, 120, 100, 0, 5, 97, 64, 98, 46, 99, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 7}},
      {"local reference", beam::reference(beam::this_node(), local_words),
       concat({{131, 90, 0, 3}, nonode(), {0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 8, 0, 0, 0, 9}})},
      {"remote reference",
       beam::reference(beam::node_id{beam::atom("a@b"), 5}, remote_words),
       {131, 90, 0, 2, 100, 0, 3, 97, 64, 98, 0, 0, 0, 5, 0, 0, 0, 7, 0, 0, 0, 8}},
      {"nested",
       beam::tuple("ok"_a, beam::list(1, beam::tuple(2, beam::list(120))),
                   beam::map({{"k"_a, beam::list(beam::binary("v"))}})),
       {131, 104, 3, 100, 0, 2, 111, 107, 108, 0,   0,   0, 2, 97, 1, 104, 2, 97, 2, 107, 0,   1,  120,
        106, 116, 0, 0,   0, 1, 100, 0,   1,   107, 108, 0, 0, 0,  1, 109, 0, 0,  0, 1,   118, 106}},
  };
}

// The repeated text as one string.
std::string repeat(std::string_view unit, std::size_t times) {
  std::string out;
  for (std::size_t i = 0; i < times; ++i) out += unit;
  return out;
}

term decode(const bytes_t& bytes, const beam::decode_options& options = {}) {
  return beam::binary_to_term(bytes, options);
}

// Decoding `bytes` fails at `offset` with a message that contains `reason`.
void expect_refused(const bytes_t& bytes, std::size_t offset, std::string_view reason,
                    const beam::decode_options& options = {}) {
  try {
    (void)beam::binary_to_term(bytes, options);
    ADD_FAILURE() << "decoding succeeded; expected: " << reason;
  } catch (const beam::decode_error& e) {
    EXPECT_EQ(e.offset(), offset) << e.what();
    EXPECT_NE(std::string(e.what()).find(reason), std::string::npos) << e.what();
  }
}

bytes_t deflate_bytes(const bytes_t& plain) {
  uLongf size = compressBound(static_cast<uLong>(plain.size()));
  bytes_t out(size);
  EXPECT_EQ(compress(out.data(), &size, plain.data(), static_cast<uLong>(plain.size())), Z_OK);
  out.resize(size);
  return out;
}

// 131, 80, the claimed size, then the zlib stream of `plain`.
bytes_t compressed(const bytes_t& plain, std::uint32_t claimed) {
  return concat({{131, 80, static_cast<std::uint8_t>(claimed >> 24), static_cast<std::uint8_t>(claimed >> 16),
                  static_cast<std::uint8_t>(claimed >> 8), static_cast<std::uint8_t>(claimed)},
                 deflate_bytes(plain)});
}

}  // namespace

// --- encoding: byte for byte what OTP 25 writes ---

TEST(EtfEncode, WritesEveryTagExactlyAsOtp25Does) {
  for (const auto& g : golden_terms()) {
    EXPECT_EQ(beam::term_to_binary(g.value), g.etf) << g.name;
  }
}

TEST(EtfEncode, LongAtomsSwitchFromSmallToLargeUtf8AtTwoHundredFiftySixBytes) {
  const auto header = [](const std::string& text) {
    const auto etf = beam::term_to_binary(beam::atom(text));
    return bytes_t(etf.begin(), etf.begin() + 4);
  };
  EXPECT_EQ(header(repeat("ф", 127) + "a"), (bytes_t{131, 119, 255, 209}));  // 255 bytes
  EXPECT_EQ(header(repeat("ф", 128)), (bytes_t{131, 118, 1, 0}));            // 256 bytes
  EXPECT_EQ(header(repeat("ф", 255)), (bytes_t{131, 118, 1, 254}));
  EXPECT_EQ(header(repeat("a", 255)), (bytes_t{131, 100, 0, 255}));
  EXPECT_EQ(header(repeat("\xC3\xBF", 255)), (bytes_t{131, 100, 0, 255}));  // ÿ: latin-1, one byte each
  EXPECT_EQ(beam::term_to_binary(beam::atom(repeat("\xC3\xBF", 255))).size(), 259u);
}

TEST(EtfEncode, TuplesOfMoreThan255ElementsAreLargeTuples) {
  std::vector<term> elements;
  for (int i = 1; i <= 256; ++i) elements.emplace_back(i);
  const auto etf = beam::term_to_binary(beam::make_tuple(std::move(elements)));
  EXPECT_EQ(bytes_t(etf.begin(), etf.begin() + 8), (bytes_t{131, 105, 0, 0, 1, 0, 97, 1}));
  EXPECT_EQ(etf.size(), 6 + 255 * 2 + 5u);  // 1..255 as SMALL_INTEGER, 256 as INTEGER
}

TEST(EtfEncode, ByteListsUpTo65535ElementsAreStrings) {
  const auto first_bytes = [](std::size_t length) {
    const auto etf = beam::term_to_binary(beam::make_list(std::vector<term>(length, term(1))));
    return bytes_t(etf.begin(), etf.begin() + 4);
  };
  EXPECT_EQ(first_bytes(65535), (bytes_t{131, 107, 255, 255}));
  EXPECT_EQ(first_bytes(65536), (bytes_t{131, 108, 0, 1}));
}

TEST(EtfEncode, BigIntegersOfMoreThan255BytesAreLargeBigs) {
  std::vector<std::uint8_t> magnitude(256, 0);
  magnitude[255] = 1;  // 2^2040
  const auto etf = beam::term_to_binary(beam::make_integer(true, magnitude));
  EXPECT_EQ(bytes_t(etf.begin(), etf.begin() + 7), (bytes_t{131, 111, 0, 0, 1, 0, 1}));
  EXPECT_EQ(etf.size(), 7 + 256u);
  EXPECT_EQ(etf.back(), 1);
}

TEST(EtfEncode, AppendingKeepsWhatTheVectorHeld) {
  bytes_t out{1, 2, 3};
  beam::term_to_binary(beam::tuple("ok"_a, 1), out);
  EXPECT_EQ(out, (bytes_t{1, 2, 3, 131, 104, 2, 100, 0, 2, 111, 107, 97, 1}));
}

TEST(EtfEncode, DeeplyNestedTermsEncodeWithoutRecursion) {
  term t = 1;
  for (int i = 0; i < 200'000; ++i) t = beam::tuple(t);
  const auto etf = beam::term_to_binary(t);
  EXPECT_EQ(etf.size(), 1 + 2 * 200'000u + 2);
  EXPECT_THROW((void)beam::binary_to_term(etf), beam::decode_error);  // deeper than the default max_depth
}

// --- round trips ---

TEST(EtfDecode, ReadsBackEveryGoldenTerm) {
  for (const auto& g : golden_terms()) {
    EXPECT_EQ(decode(g.etf), g.value) << g.name;
  }
}

TEST(EtfRoundTrip, ThousandsOfGeneratedTermsDecodeToThemselvesAndReencodeIdentically) {
  beam::testing::term_gen_options with_big_maps;
  with_big_maps.big_maps = true;
  for (const auto& options : {beam::testing::term_gen_options{}, with_big_maps}) {
    beam::testing::term_generator gen(42, options);
    for (int i = 0; i < 1500; ++i) {
      const term t = gen.next();
      const auto etf = beam::term_to_binary(t);
      const term back = decode(etf);
      ASSERT_EQ(back, t) << "term " << i;
      ASSERT_EQ(beam::term_to_binary(back), etf) << "term " << i;
    }
  }
}

// --- the forms OTP 25 reads but no longer writes, and normalisation ---

TEST(EtfDecode, ReadsTheOldAtomForms) {
  EXPECT_EQ(decode({131, 115, 3, 97, 98, 99}), term("abc"_a));                // SMALL_ATOM_EXT
  EXPECT_EQ(decode({131, 115, 2, 104, 233}), term(beam::atom("h\xC3\xA9")));  // latin-1 é
  EXPECT_EQ(decode({131, 118, 0, 2, 111, 107}), term("ok"_a));                // ATOM_UTF8 of a short atom
  EXPECT_EQ(decode(concat({{131, 100, 0, 255}, bytes_t(255, 233)})),
            term(beam::atom(repeat("\xC3\xA9", 255))));
}

TEST(EtfDecode, ReadsOldPidAndReferenceForms) {
  EXPECT_EQ(decode(concat({{131, 103}, nonode(), {0, 0, 0, 9, 0, 0, 0, 2, 0}})), term(beam::pid(9, 2)));
  // This node's references have three words: OTP pads shorter ones with zeros, and so does beampp.
  const std::uint32_t padded[] = {7, 0, 0};
  EXPECT_EQ(decode(concat({{131, 101}, nonode(), {0, 0, 0, 7, 0}})),
            term(beam::reference(beam::this_node(), padded)));
  // Another node's references keep their words.
  const std::uint32_t two[] = {7, 8};
  EXPECT_EQ(decode({131, 114, 0, 2, 100, 0, 3, 97, 64, 98, 3, 0, 0, 0, 7, 0, 0, 0, 8}),
            term(beam::reference(beam::node_id{beam::atom("a@b"), 3}, two)));
}

TEST(EtfDecode, PidsOfThisNodeBecomeLocalAndOthersStayRemote) {
  const term local = decode(concat({{131, 88}, nonode(), {0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 0}}));
  EXPECT_TRUE(local.as_pid().is_local());
  EXPECT_EQ(local, term(beam::pid(9, 1)));
  // The same name with another creation is another node (a restarted one), as in OTP.
  const term other = decode(concat({{131, 88}, nonode(), {0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 5}}));
  EXPECT_FALSE(other.as_pid().is_local());
  EXPECT_EQ(other.as_pid().node().creation, 5u);
  EXPECT_EQ(decode({131, 88, 119, 3, 97, 64, 98, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3}).as_pid().node().name,
            beam::atom("a@b"));
}

TEST(EtfDecode, ReadsTheOldPortFormAndEitherNewOneWhateverTheNumber) {
  // PORT_EXT: a 1-byte creation. OTP 25 re-encodes it as NEW_PORT_EXT.
  const term old = decode({131, 102, 100, 0, 5, 97, 64, 98, 46, 99, 0, 0, 0, 9, 2});
  EXPECT_EQ(old, term(beam::port(beam::node_id{beam::atom("a@b.c"), 2}, 9)));
  EXPECT_EQ(beam::term_to_binary(old),
            (bytes_t{131, 89, 100, 0, 5, 97, 64, 98, 46, 99, 0, 0, 0, 9, 0, 0, 0, 2}));
  EXPECT_EQ(decode(concat({{131, 102}, nonode(), {0, 0, 0, 9, 0}})), term(beam::port(9)));
  // A V4_PORT_EXT of a small number is the same port as its NEW_PORT_EXT, which is what it re-encodes to.
  const term small_v4 = decode({131, 120, 100, 0, 5, 97, 64, 98, 46, 99, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 7});
  EXPECT_EQ(small_v4, term(beam::port(beam::node_id{beam::atom("a@b.c"), 7}, 9)));
  EXPECT_EQ(beam::term_to_binary(small_v4),
            (bytes_t{131, 89, 100, 0, 5, 97, 64, 98, 46, 99, 0, 0, 0, 9, 0, 0, 0, 7}));
  // A number past 32 bits comes back whole.
  EXPECT_EQ(decode({131, 120, 100, 0, 5, 97, 64, 98, 46, 99, 128, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 7})
                .as_port()
                .number(),
            0x8000000000000001u);
}

TEST(EtfDecode, PortsOfThisNodeBecomeLocalAndOthersStayRemote) {
  const term local = decode(concat({{131, 89}, nonode(), {0, 0, 0, 5, 0, 0, 0, 0}}));
  EXPECT_TRUE(local.as_port().is_local());
  EXPECT_EQ(local, term(beam::port(5)));
  const term local_v4 = decode(concat({{131, 120}, nonode(), {0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0}}));
  EXPECT_TRUE(local_v4.as_port().is_local());
  EXPECT_EQ(local_v4, term(beam::port(5)));
  // The same name with another creation is another node.
  const term other = decode(concat({{131, 89}, nonode(), {0, 0, 0, 5, 0, 0, 0, 3}}));
  EXPECT_FALSE(other.as_port().is_local());
  EXPECT_EQ(other.as_port().node().creation, 3u);
}

TEST(EtfEncode, PortsOfThisNodePastTwentyEightBitsAreV4Ports) {
  EXPECT_EQ(beam::term_to_binary(beam::port(1 << 28)),
            concat({{131, 120}, nonode(), {0, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0}}));
  const term big = beam::port(~std::uint64_t{0});
  EXPECT_EQ(decode(beam::term_to_binary(big)), big);
}

TEST(EtfDecode, ReadsOldStringFloats) {
  const bytes_t text = text_bytes("1.50000000000000000000e+00");
  EXPECT_EQ(decode(concat({{131, 99}, text, bytes_t(31 - text.size(), 0)})), term(1.5));
  expect_refused(concat({{131, 99}, text_bytes("15"), bytes_t(29, 0)}), 1, "FLOAT_EXT");
  expect_refused(concat({{131, 99}, text_bytes("1e999"), bytes_t(26, 0)}), 1, "FLOAT_EXT");
  expect_refused(concat({{131, 99}, text_bytes("1.5x"), bytes_t(27, 0)}), 1, "FLOAT_EXT");
}

TEST(EtfDecode, BigIntegersAreNormalised) {
  EXPECT_EQ(decode({131, 110, 0, 0}), term(0));              // no digits
  EXPECT_EQ(decode({131, 110, 0, 1}), term(0));              // negative zero
  EXPECT_EQ(decode({131, 110, 3, 0, 5, 0, 0}), term(5));     // leading zeros, and it fits in 64 bits
  EXPECT_EQ(decode({131, 110, 1, 2, 5}), term(-5));          // any sign byte but 0 is negative
  EXPECT_EQ(decode({131, 111, 0, 0, 0, 1, 0, 7}), term(7));  // LARGE_BIG of a small number
  const term big = decode({131, 110, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0});
  EXPECT_EQ(big, beam::integer_from_string("18446744073709551616"));
  EXPECT_EQ(big.big_magnitude().size(), 9u);
}

TEST(EtfDecode, ListsAreFlattenedWhenTheirTailIsAList) {
  EXPECT_EQ(decode({131, 108, 0, 0, 0, 1, 97, 1, 108, 0, 0, 0, 1, 97, 2, 106}), beam::list(1, 2));
  EXPECT_EQ(decode({131, 108, 0, 0, 0, 1, 97, 1, 107, 0, 2, 5, 6}), beam::list(1, 5, 6));
  EXPECT_EQ(decode({131, 108, 0, 0, 0, 1, 97, 1, 108, 0, 0, 0, 1, 97, 2, 97, 3}),
            beam::make_list(std::vector<term>{1, 2}, term(3)));
  EXPECT_EQ(decode({131, 108, 0, 0, 0, 0, 97, 1}), term(1));  // no elements: just the tail, as OTP reads it
  EXPECT_EQ(decode({131, 108, 0, 0, 0, 0, 106}), term());
  EXPECT_EQ(decode({131, 108, 0, 0, 0, 0, 108, 0, 0, 0, 0, 97, 1}), term(1));  // found by the fuzzer
  EXPECT_EQ(decode({131, 108, 0, 0, 0, 0, 108, 0, 0, 0, 1, 97, 1, 106}), beam::list(1));
  EXPECT_EQ(decode({131, 108, 0, 0, 0, 1, 97, 1, 108, 0, 0, 0, 0, 106}), beam::list(1));
  EXPECT_EQ(decode({131, 108, 0, 0, 0, 0, 107, 0, 0}), term());
  // A chain of 20000 one-element segments is one list, read without recursion.
  bytes_t chain{131};
  for (int i = 0; i < 20000; ++i) chain.insert(chain.end(), {108, 0, 0, 0, 1, 97, 7});
  chain.push_back(106);
  EXPECT_EQ(decode(chain), beam::make_list(std::vector<term>(20000, term(7))));
}

TEST(EtfDecode, MapsInOtpHashOrderAreSortedByKey) {
  // term_to_binary(maps:from_list([{I, I} || I <- lists:seq(1, 33)])) in OTP 25.
  const bytes_t etf{131, 116, 0,  0,  0,  33, 97, 33, 97, 33, 97, 12, 97, 12, 97, 23, 97, 23, 97, 29,
                    97,  29,  97, 30, 97, 30, 97, 26, 97, 26, 97, 31, 97, 31, 97, 11, 97, 11, 97, 9,
                    97,  9,   97, 32, 97, 32, 97, 25, 97, 25, 97, 28, 97, 28, 97, 6,  97, 6,  97, 13,
                    97,  13,  97, 20, 97, 20, 97, 15, 97, 15, 97, 14, 97, 14, 97, 2,  97, 2,  97, 7,
                    97,  7,   97, 1,  97, 1,  97, 8,  97, 8,  97, 3,  97, 3,  97, 17, 97, 17, 97, 22,
                    97,  22,  97, 21, 97, 21, 97, 4,  97, 4,  97, 24, 97, 24, 97, 10, 97, 10, 97, 27,
                    97,  27,  97, 19, 97, 19, 97, 5,  97, 5,  97, 18, 97, 18, 97, 16, 97, 16};
  const term m = decode(etf);
  ASSERT_EQ(m.as_map().size(), 33u);
  for (std::size_t i = 0; i < 33; ++i) {
    EXPECT_EQ(m.as_map()[i].first, term(static_cast<int>(i) + 1));
    EXPECT_EQ(m.as_map()[i].second, term(static_cast<int>(i) + 1));
  }
}

TEST(EtfDecode, BitBinariesKeepTheirBitsAndClearTheUnusedOnes) {
  EXPECT_EQ(decode({131, 77, 0, 0, 0, 1, 1, 255}), beam::bitstring(std::vector<std::uint8_t>{128}, 1));
  EXPECT_EQ(decode({131, 77, 0, 0, 0, 1, 8, 255}), beam::binary("\xff"));
  EXPECT_TRUE(decode({131, 77, 0, 0, 0, 1, 8, 255}).is_binary());
  EXPECT_EQ(decode({131, 77, 0, 0, 0, 0, 0}), beam::binary(""));
}

TEST(EtfDecode, ExportArityMayBeAnInteger) {
  EXPECT_EQ(decode({131, 113, 100, 0, 1, 109, 100, 0, 1, 102, 98, 0, 0, 0, 255}),
            term(beam::export_fun{"m"_a, "f"_a, 255}));
}

TEST(EtfDecode, UsedTellsWhereTheTermEnds) {
  const bytes_t etf{131, 104, 1, 106, 9, 9, 9};
  std::size_t used = 0;
  EXPECT_EQ(beam::binary_to_term(etf, used), beam::tuple(term()));
  EXPECT_EQ(used, 4u);
  expect_refused(etf, 4, "3 bytes after the term");
}

TEST(EtfDecode, SafeRefusesOnlyAtomsThatDoNotExist) {
  beam::decode_options safe;
  safe.safe = true;
  EXPECT_EQ(decode({131, 100, 0, 2, 111, 107}, safe), term("ok"_a));
  const std::string fresh = "etf_test_fresh_atom_for_safe";
  const bytes_t etf =
      concat({{131, 104, 2, 97, 1, 119, static_cast<std::uint8_t>(fresh.size())}, text_bytes(fresh)});
  const auto before = beam::atom_table_stats().count;
  expect_refused(etf, 5, "does not exist", safe);
  EXPECT_EQ(beam::atom_table_stats().count, before);
  EXPECT_FALSE(beam::atom::existing(fresh).has_value());
  EXPECT_EQ(decode(etf), beam::tuple(1, beam::atom(fresh)));  // without safe, it is created
  EXPECT_EQ(decode(etf, safe), beam::tuple(1, beam::atom(fresh)));
}

// --- compressed terms ---

TEST(EtfCompressed, ReadsWhatOtpCompresses) {
  // term_to_binary({ok, lists:duplicate(20, <<"hello">>)}, [compressed]) in OTP 25.
  const bytes_t etf{131, 80,  0, 0,  0,   213, 120, 156, 203, 96,  74, 97,  96,  202, 207, 206, 97,  96, 96,
                    16,  201, 5, 18, 172, 25,  169, 57,  57,  249, 67, 155, 149, 5,   0,   133, 169, 53, 13};
  EXPECT_EQ(decode(etf), beam::tuple("ok"_a, beam::make_list(std::vector<term>(20, beam::binary("hello")))));
}

TEST(EtfCompressed, UsedEndsWithTheZlibStream) {
  bytes_t etf = compressed({104, 1, 97, 7}, 4);
  const std::size_t length = etf.size();
  etf.insert(etf.end(), {1, 2, 3});
  std::size_t used = 0;
  EXPECT_EQ(beam::binary_to_term(etf, used), beam::tuple(7));
  EXPECT_EQ(used, length);
  expect_refused(etf, length, "3 bytes after the term");
}

TEST(EtfCompressed, ASizeFieldThatLiesIsRefused) {
  const bytes_t plain{107, 0, 3, 1, 2, 3};
  expect_refused(compressed(plain, 5), 2, "more than the 5 bytes it claims");
  expect_refused(compressed(plain, 7), 2, "inflates to 6 bytes but claims 7 bytes");
}

TEST(EtfCompressed, AClaimAboveTheCapIsRefusedBeforeInflating) {
  beam::decode_options options;
  options.max_uncompressed_size = 1000;
  expect_refused(compressed(bytes_t(1001, 106), 1001), 2, "above max_uncompressed_size (1000)", options);
  expect_refused({131, 80, 255, 255, 255, 255, 120, 156}, 2, "above max_uncompressed_size");
}

TEST(EtfCompressed, AZipBombStopsRightAfterItsClaimedSize) {
  // 64 MiB of zeros, deflated, claiming 1 MiB: refused once 1 MiB + 1 byte has been inflated.
  z_stream stream{};
  ASSERT_EQ(deflateInit(&stream, 1), Z_OK);
  const bytes_t zeros(1 << 20, 0);
  bytes_t bomb{131, 80, 0, 16, 0, 0};
  bytes_t chunk(1 << 16);
  for (int i = 0; i < 64; ++i) {
    stream.next_in = const_cast<Bytef*>(zeros.data());
    stream.avail_in = static_cast<uInt>(zeros.size());
    do {
      stream.next_out = chunk.data();
      stream.avail_out = static_cast<uInt>(chunk.size());
      deflate(&stream, i == 63 ? Z_FINISH : Z_NO_FLUSH);
      bomb.insert(bomb.end(), chunk.data(), stream.next_out);
    } while (stream.avail_out == 0);
  }
  deflateEnd(&stream);
  const auto start = std::chrono::steady_clock::now();
  expect_refused(bomb, 2, "more than the 1048576 bytes it claims");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(EtfCompressed, BrokenStreamsAreRefused) {
  bytes_t truncated = compressed(bytes_t(100, 106), 100);
  truncated.erase(truncated.end() - 3, truncated.end());  // not resize: GCC 12 -O1 sees a huge growth there
  expect_refused(truncated, truncated.size(), "zlib stream ends early");
  bytes_t corrupt = compressed({106}, 1);
  corrupt[6] ^= 0xFF;  // the zlib header
  expect_refused(corrupt, 6, "corrupt zlib stream");
  expect_refused({131, 80, 0, 0}, 4, "truncated");
}

TEST(EtfCompressed, TheInflatedBytesMustHoldExactlyOneTerm) {
  expect_refused(compressed({106, 106}, 2), 1, "1 byte after the term in the inflated bytes");
  expect_refused(compressed({97}, 1), 1,
                 "truncated: SMALL_INTEGER_EXT needs 1 byte, 0 left in the inflated bytes");
  const bytes_t nested = concat({{80, 0, 0, 0, 1}, deflate_bytes({106})});
  expect_refused(compressed(nested, static_cast<std::uint32_t>(nested.size())), 0,
                 "only follow the version byte");
}

// --- hostile input ---

TEST(EtfHostile, EveryTruncationOfAValidTermIsRefused) {
  std::vector<term> terms;
  for (const auto& g : golden_terms()) terms.push_back(g.value);
  beam::testing::term_generator gen(7);
  while (terms.size() < 120) {  // every prefix decodes in O(size): keep the terms small
    term t = gen.next();
    if (beam::term_to_binary(t).size() <= 4000) terms.push_back(std::move(t));
  }
  for (const term& t : terms) {
    const auto etf = beam::term_to_binary(t);
    for (std::size_t n = 0; n < etf.size(); ++n) {
      const bytes_t prefix(etf.begin(), etf.begin() + static_cast<std::ptrdiff_t>(n));
      try {
        std::size_t used = 0;
        (void)beam::binary_to_term(prefix, used);
        FAIL() << "a prefix of " << n << " bytes decoded";
      } catch (const beam::decode_error& e) {
        ASSERT_LE(e.offset(), n) << e.what();
      }
    }
  }
}

TEST(EtfHostile, EmptyInputAndWrongVersionAreRefused) {
  expect_refused({}, 0, "empty input");
  expect_refused({130, 106}, 0, "version byte 130");
  expect_refused({131}, 1, "truncated: a term needs 1 byte, 0 left");
}

TEST(EtfHostile, LengthsBeyondTheInputFailFastWithoutAllocating) {
  const auto start = std::chrono::steady_clock::now();
  expect_refused({131, 108, 255, 255, 255, 255, 106, 106, 106, 106}, 1,
                 "a list of 4294967295 elements needs at least 4294967296 bytes more, only 4 left");
  expect_refused({131, 105, 255, 255, 255, 255, 106}, 1, "a tuple of 4294967295 elements needs at least");
  expect_refused({131, 116, 128, 0, 0, 0, 106}, 1,
                 "a map of 2147483648 entries needs at least 4294967296 bytes");
  expect_refused({131, 109, 255, 255, 255, 255, 1}, 6, "BINARY_EXT's bytes needs 4294967295 bytes, 1 left");
  expect_refused({131, 111, 255, 255, 255, 255, 0, 1}, 7, "big integer's digits");
  expect_refused({131, 107, 255, 255, 1}, 4, "STRING_EXT's bytes");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST(EtfHostile, NestedHeadersCannotClaimTheSameBytesTwice) {
  // {[_, _, _], _}: the list claims 3 elements and a tail, but the tuple still waits for one more element.
  expect_refused({131, 104, 2, 108, 0, 0, 0, 3, 106, 106, 106, 106}, 3, "only 3 left");
  EXPECT_EQ(decode({131, 104, 2, 108, 0, 0, 0, 2, 106, 106, 106, 106}),
            beam::tuple(beam::list(term(), term()), term()));
}

TEST(EtfHostile, DecodingHoldsAtMost32BytesOfMemoryPerInputByte) {
  const auto peak_of = [](const bytes_t& etf) {
    beam::testing::reset_heap_peak();
    const std::int64_t before = beam::testing::heap_live_bytes();
    try {
      (void)beam::binary_to_term(etf);
    } catch (const beam::decode_error&) {
    }
    return static_cast<std::size_t>(beam::testing::heap_peak_bytes() - before);
  };
  (void)decode({131, 100, 0, 1, 97});  // this thread's atom cache is made once
  const auto be32 = [](std::size_t n) {
    return bytes_t{static_cast<std::uint8_t>(n >> 24), static_cast<std::uint8_t>(n >> 16),
                   static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
  };
  constexpr std::size_t n = 20000;
  bytes_t empty_tuples = concat({{131, 108}, be32(n)});
  for (std::size_t i = 0; i < n; ++i) empty_tuples.insert(empty_tuples.end(), {104, 0});
  bytes_t int_keys = concat({{131, 116}, be32(n)});
  for (std::size_t i = 0; i < n; ++i)
    int_keys.insert(int_keys.end(),
                    {98, 0, 0, static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i), 106});
  const std::vector<bytes_t> inputs = {
      concat({{131, 108}, be32(n), bytes_t(n + 1, 106)}),                          // [[], [], ...]
      concat({empty_tuples, {106}}),                                               // [{}, {}, ...]
      empty_tuples,                                                                // the same, truncated
      int_keys,                                                                    // #{0 => [], 1 => [], ...}
      concat({{131, 107, 255, 255}, bytes_t(65535, 7)}),                           // a byte string
      concat({{131, 108, 0, 0, 0, 1, 97, 1, 107, 255, 255}, bytes_t(65535, 7)}),   // [1 | a byte string]
      concat({{131, 108, 0, 0, 0, 1, 97, 1, 108}, be32(n), bytes_t(n + 1, 106)}),  // [1 | [[], [], ...]]
  };
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    EXPECT_LE(peak_of(inputs[i]), 32 * inputs[i].size()) << "input " << i;
  }
}

TEST(EtfHostile, UnknownAndUnsupportedTagsAreRefused) {
  expect_refused({131, 1}, 1, "unknown tag 1");
  expect_refused({131, 104, 1, 200}, 3, "unknown tag 200");
  expect_refused({131, 112, 0, 0, 0, 0}, 1, "closure");
  expect_refused({131, 117, 0, 0, 0, 0}, 1, "closure");
  expect_refused({131, 82, 0}, 1, "distribution protocol");
  expect_refused({131, 104, 1, 131, 106}, 3, "version byte (131) inside a term");
  expect_refused({131, 104, 1, 80, 0, 0, 0, 1}, 3, "only follow the version byte");
}

TEST(EtfHostile, BadAtomsAreRefused) {
  expect_refused({131, 119, 1, 255}, 1, "not valid UTF-8");
  expect_refused({131, 119, 2, 0xC0, 0x80}, 1, "not valid UTF-8");        // overlong
  expect_refused({131, 119, 3, 0xED, 0xA0, 0x80}, 1, "not valid UTF-8");  // surrogate
  expect_refused(concat({{131, 100, 1, 0}, bytes_t(256, 97)}), 1,
                 "an atom of 256 characters (the limit is 255)");
  expect_refused(concat({{131, 118, 1, 0}, bytes_t(256, 97)}), 1, "an atom of 256 characters");
  expect_refused(concat({{131, 118, 2, 0}, text_bytes(repeat("ф", 256))}), 1, "an atom of 256 characters");
}

TEST(EtfHostile, NestingDeeperThanMaxDepthIsRefused) {
  const auto nested = [](std::size_t depth) {
    bytes_t etf{131};
    for (std::size_t i = 0; i < depth; ++i) etf.insert(etf.end(), {104, 1});
    etf.push_back(106);
    return etf;
  };
  EXPECT_NO_THROW((void)decode(nested(1000)));
  expect_refused(nested(1001), 1 + 2 * 1000, "nesting deeper than max_depth (1000)");
  beam::decode_options shallow;
  shallow.max_depth = 2;
  EXPECT_NO_THROW((void)decode(nested(2), shallow));
  expect_refused(nested(3), 5, "max_depth (2)", shallow);
  // Improper tails and map values nest too.
  expect_refused({131, 108, 0, 0, 0, 1, 97, 1, 104, 1, 104, 0}, 10, "max_depth (2)", shallow);
  expect_refused({131, 116, 0, 0, 0, 1, 97, 1, 104, 1, 104, 0}, 10, "max_depth (2)", shallow);
  // A million levels of input fail at the limit, without deep recursion.
  expect_refused(nested(1'000'000), 1 + 2 * 1000, "max_depth (1000)");
}

TEST(EtfHostile, NanAndInfinityAreRefused) {
  expect_refused({131, 70, 127, 248, 0, 0, 0, 0, 0, 0}, 1, "NaN or infinite");
  expect_refused({131, 70, 255, 240, 0, 0, 0, 0, 0, 0}, 1, "NaN or infinite");
  expect_refused({131, 104, 1, 70, 127, 240, 0, 0, 0, 0, 0, 0}, 3, "NaN or infinite");
}

TEST(EtfHostile, MapsWithADuplicateKeyAreRefused) {
  expect_refused({131, 116, 0, 0, 0, 2, 97, 1, 97, 2, 97, 1, 97, 3}, 1, "duplicate key");
  // 0.0 =:= -0.0 in OTP 25, so they are the same key.
  expect_refused(
      {131, 116, 0, 0, 0, 2, 70, 0, 0, 0, 0, 0, 0, 0, 0, 97, 2, 70, 128, 0, 0, 0, 0, 0, 0, 0, 97, 3}, 1,
      "duplicate key");
  EXPECT_EQ(
      decode({131, 116, 0, 0, 0, 2, 97, 1, 97, 2, 70, 63, 240, 0, 0, 0, 0, 0, 0, 97, 3}).as_map().size(), 2u);
}

TEST(EtfHostile, MalformedBitBinariesAreRefused) {
  expect_refused({131, 77, 0, 0, 0, 1, 0, 255}, 1, "1 bytes with 0 bits in its last byte");
  expect_refused({131, 77, 0, 0, 0, 1, 9, 255}, 1, "with 9 bits");
  expect_refused({131, 77, 0, 0, 0, 0, 3}, 1, "0 bytes with 3 bits");
}

TEST(EtfHostile, MalformedPidsPortsReferencesAndExportsAreRefused) {
  expect_refused({131, 88, 97, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1}, 2, "a pid's node is not an atom");
  expect_refused(concat({{131, 103}, nonode(), {0, 0, 0, 9, 0, 0, 0, 0, 4}}), 1, "creation 4");
  expect_refused({131, 89, 97, 1, 0, 0, 0, 1, 0, 0, 0, 1}, 2, "a port's node is not an atom");
  expect_refused(concat({{131, 102}, nonode(), {0, 0, 0, 9, 4}}), 1, "creation 4");
  expect_refused({131, 89, 100, 0, 1, 97}, 6, "a port's number needs 4 bytes");
  expect_refused({131, 120, 100, 0, 1, 97, 0, 0, 0, 0}, 6, "a port's number needs 8 bytes");
  expect_refused({131, 89, 100, 0, 1, 97, 0, 0, 0, 1}, 10, "a creation needs 4 bytes");
  expect_refused(concat({{131, 90, 0, 0}, nonode(), {0, 0, 0, 0}}), 1, "a reference of 0 words");
  expect_refused(concat({{131, 90, 0, 6}, nonode(), {0, 0, 0, 0}, bytes_t(24, 1)}), 1,
                 "a reference of 6 words");
  expect_refused({131, 113, 97, 1, 100, 0, 1, 102, 97, 1}, 2, "an export's module is not an atom");
  expect_refused({131, 113, 100, 0, 1, 109, 100, 0, 1, 102, 98, 0, 0, 1, 0}, 10,
                 "arity is not an integer in 0..255");
  expect_refused({131, 113, 100, 0, 1, 109, 100, 0, 1, 102, 106}, 10, "arity");
}

TEST(EtfHostile, ErrorsSayWhereAndWhy) {
  try {
    (void)decode({131, 104, 3, 97, 1});
    FAIL() << "a truncated tuple decoded";
  } catch (const beam::decode_error& e) {
    EXPECT_EQ(e.offset(), 1u);
    EXPECT_STREQ(
        e.what(),
        "binary_to_term: a tuple of 3 elements needs at least 3 bytes more, only 2 left (at byte 1)");
  }
  try {
    (void)decode({131, 104, 2, 97, 1, 97});
    FAIL() << "a truncated tuple decoded";
  } catch (const beam::decode_error& e) {
    EXPECT_EQ(e.offset(), 6u);
    EXPECT_STREQ(e.what(), "binary_to_term: truncated: SMALL_INTEGER_EXT needs 1 byte, 0 left (at byte 6)");
  }
}
