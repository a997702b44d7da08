// The beampp tool, run as a separate process: etf encode/decode round trips, framing, every error path and
// usage. Build the `beampp` target before this test (tools/beampp under the build directory).
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <regex>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include <beam/beam.hpp>

#include "support/subprocess.hpp"

using beam::testing::process_result;

namespace {

constexpr const char* beampp_path = BEAM_BINARY_DIR "/tools/beampp";

// Runs beampp with `args` and `input` on stdin, for a minute at most.
process_result beampp(const std::vector<std::string>& args, std::string_view input = {}) {
  if (access(beampp_path, X_OK) != 0) {
    ADD_FAILURE() << beampp_path << " is missing: build the beampp target first";
    process_result missing;
    missing.exit_code = -1;
    return missing;
  }
  std::vector<std::string> argv{beampp_path};
  argv.insert(argv.end(), args.begin(), args.end());
  process_result result = beam::testing::run_process(argv, input, std::chrono::minutes(1));
  EXPECT_FALSE(result.timed_out) << "beampp ran past the time limit";
  return result;
}

std::string as_text(const std::vector<std::uint8_t>& bytes) {
  return {bytes.begin(), bytes.end()};
}

// The ETF bytes of `elixir`, framed by a big-endian header of `header_size` bytes (none when 0).
std::string etf_of(std::string_view elixir, std::size_t header_size = 0) {
  std::string bytes = as_text(beam::term_to_binary(beam::parse(elixir)));
  std::string header;
  for (std::size_t i = header_size; i-- > 0;) header.push_back(static_cast<char>(bytes.size() >> (8 * i)));
  return header + bytes;
}

// What the library says of bad ETF bytes, and of bad text.
beam::decode_error decode_error_of(std::string_view bytes) {
  try {
    (void)beam::binary_to_term(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  } catch (const beam::decode_error& e) {
    return e;
  }
  throw std::logic_error("these bytes decode");
}
beam::parse_error parse_error_of(std::string_view text) {
  try {
    (void)beam::parse(text);
  } catch (const beam::parse_error& e) {
    return e;
  }
  throw std::logic_error("this text parses");
}

const std::string lesson_list = R"(["message", :can, {'be', "any"}, :data])";

}  // namespace

// --- round trips ---

TEST(Cli, LessonListComesBackThroughEncodeAndDecode) {
  process_result encoded = beampp({"etf", "encode"}, lesson_list + "\n");
  ASSERT_EQ(encoded.exit_code, 0) << encoded.err;
  // As OTP 25's :erlang.term_to_binary(["message", :can, {'be', "any"}, :data]) gives them.
  const std::uint8_t otp[] = {131, 108, 0,   0, 0,  4,   109, 0,   0,   0, 7,   109, 101, 115, 115, 97,
                              103, 101, 100, 0, 3,  99,  97,  110, 104, 2, 107, 0,   2,   98,  101, 109,
                              0,   0,   0,   3, 97, 110, 121, 100, 0,   4, 100, 97,  116, 97,  106};
  EXPECT_EQ(encoded.out, std::string(std::begin(otp), std::end(otp)));
  process_result decoded = beampp({"etf", "decode"}, encoded.out);
  EXPECT_EQ(decoded.exit_code, 0) << decoded.err;
  EXPECT_EQ(decoded.out, lesson_list + "\n");
  EXPECT_EQ(decoded.err, "");
}

TEST(Cli, DecodePrintsErlangSyntaxWithTheErlangFlag) {
  process_result decoded = beampp({"etf", "decode", "--erlang"}, etf_of(lesson_list));
  EXPECT_EQ(decoded.exit_code, 0) << decoded.err;
  EXPECT_EQ(decoded.out, "[<<\"message\">>,can,{\"be\",<<\"any\">>},data]\n");
}

TEST(Cli, EncodeWithPacketWritesOneFramePerNonBlankLine) {
  process_result encoded =
      beampp({"etf", "encode", "--packet", "4"}, ":hello\n\n  \n{:hello3, 42}\n" + lesson_list);
  EXPECT_EQ(encoded.exit_code, 0) << encoded.err;
  EXPECT_EQ(encoded.out, etf_of(":hello", 4) + etf_of("{:hello3, 42}", 4) + etf_of(lesson_list, 4));
}

TEST(Cli, DecodeWithPacketPrintsOneLinePerFrame) {
  process_result decoded =
      beampp({"etf", "decode", "--packet", "4"}, etf_of(":hello", 4) + etf_of("%{a: 1}", 4));
  EXPECT_EQ(decoded.exit_code, 0) << decoded.err;
  EXPECT_EQ(decoded.out, ":hello\n%{a: 1}\n");
  EXPECT_EQ(beampp({"etf", "decode", "--packet", "4"}).out, "");
}

TEST(Cli, PacketHeadersOfOneAndTwoBytesWorkBothWays) {
  for (std::size_t header : {1u, 2u}) {
    std::string packet = std::to_string(header);
    process_result encoded = beampp({"etf", "encode", "--packet", packet}, "1\n[2.5]\n");
    EXPECT_EQ(encoded.out, etf_of("1", header) + etf_of("[2.5]", header));
    EXPECT_EQ(beampp({"etf", "decode", "--packet", packet}, encoded.out).out, "1\n[2.5]\n");
  }
}

TEST(Cli, LargeInputsPassThroughWhole) {
  std::string text = "[";
  for (int i = 0; i < 30000; ++i) text += std::to_string(i * 7919) + ", ";
  text += "\"end\"]";
  process_result encoded = beampp({"etf", "encode"}, text);
  ASSERT_EQ(encoded.exit_code, 0) << encoded.err;
  EXPECT_EQ(encoded.out, etf_of(text));
  process_result decoded = beampp({"etf", "decode", "--limit", "infinity"}, encoded.out);
  EXPECT_EQ(decoded.exit_code, 0) << decoded.err;
  EXPECT_EQ(decoded.out, beam::inspect(beam::parse(text)) + "\n");
}

// The ETF bytes of a binary of `size` bytes of 1.
std::string binary_etf(std::uint32_t size) {
  std::string bytes("\x83m", 2);
  for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>(size >> shift));
  return bytes + std::string(size, '\x01');
}

TEST(Cli, DecodeShowsFiftyElementsAsIexUnlessToldOtherwise) {
  const std::string list = etf_of("[1, 2, 3, 4, 5]");
  EXPECT_EQ(beampp({"etf", "decode", "--limit", "2"}, list).out, "[1, 2, ...]\n");
  EXPECT_EQ(beampp({"etf", "decode"}, list).out, "[1, 2, 3, 4, 5]\n");
  std::string fifty;
  for (int i = 0; i < 50; ++i) fifty += "1, ";
  const process_result decoded = beampp({"etf", "decode"}, binary_etf(10 << 20));  // 10 MiB: was 1.1 GB, 4 s
  EXPECT_EQ(decoded.exit_code, 0) << decoded.err;
  EXPECT_EQ(decoded.out, "<<" + fifty + "...>>\n");
  const process_result bad = beampp({"etf", "decode", "--limit", "some"}, list);
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("some is not a limit: expected a count of elements or infinity"), std::string::npos)
      << bad.err;
}

TEST(Cli, DecodeRefusesAnInputOrFramePastMaxInput) {
  const process_result whole = beampp({"etf", "decode", "--max-input", "1000"}, binary_etf(1001));
  EXPECT_EQ(whole.exit_code, 1);
  EXPECT_EQ(whole.err, "beampp: the input is larger than --max-input 1000 bytes\n");
  EXPECT_EQ(beampp({"etf", "decode", "--max-input", "1006"}, binary_etf(1000)).exit_code, 0);
  const process_result framed = beampp({"etf", "decode", "--packet", "4", "--max-input", "100"},
                                       etf_of(":ok", 4) + etf_of("\"" + std::string(200, 'x') + "\"", 4));
  EXPECT_EQ(framed.exit_code, 1);
  EXPECT_EQ(framed.out, ":ok\n");
  EXPECT_NE(framed.err.find("frame 2: 206 bytes, larger than --max-input 100 bytes"), std::string::npos)
      << framed.err;
}

// --- bad input: exit status 1 and where ---

TEST(Cli, BadBytesNameTheOffset) {
  std::string bytes("\x83\x64\x00\x05he", 6);  // an atom of 5 bytes, 2 of them there
  process_result decoded = beampp({"etf", "decode"}, bytes);
  EXPECT_EQ(decoded.exit_code, 1);
  EXPECT_EQ(decoded.out, "");
  beam::decode_error error = decode_error_of(bytes);
  EXPECT_EQ(error.offset(), 4u);
  EXPECT_EQ(decoded.err, fmt::format("beampp: bad ETF: {}\n", error.what()));
  EXPECT_EQ(beampp({"etf", "decode"}, "").err,
            fmt::format("beampp: bad ETF: {}\n", decode_error_of("").what()));
}

TEST(Cli, BadFrameNamesTheFrameAndBothOffsets) {
  std::string bad_term("\x83\x77\x01", 3);  // an atom of one byte, and no byte
  std::string input = etf_of(":ok", 4) + std::string("\0\0\0\3", 4) + bad_term;
  process_result decoded = beampp({"etf", "decode", "--packet", "4"}, input);
  EXPECT_EQ(decoded.exit_code, 1);
  EXPECT_EQ(decoded.out, ":ok\n");  // frames before the bad one are answered
  beam::decode_error error = decode_error_of(bad_term);
  EXPECT_EQ(error.offset(), 3u);
  EXPECT_EQ(decoded.err,
            fmt::format("beampp: frame 2: bad ETF at byte 17 of the input (byte 3 of the frame's term): "
                        "{}\n",
                        error.what()));
}

TEST(Cli, TruncatedFrameHeaderIsBadInput) {
  process_result decoded =
      beampp({"etf", "decode", "--packet", "4"}, etf_of(":ok", 4) + std::string("\0\0", 2));
  EXPECT_EQ(decoded.exit_code, 1);
  EXPECT_EQ(decoded.out, ":ok\n");
  EXPECT_EQ(decoded.err,
            "beampp: frame 2: truncated header: the input ends after 2 of its 4 length bytes, at byte 12\n");
}

TEST(Cli, TruncatedFrameBodyIsBadInput) {
  process_result decoded = beampp({"etf", "decode", "--packet", "2"}, std::string("\0\x09\x83\x64\0", 5));
  EXPECT_EQ(decoded.exit_code, 1);
  EXPECT_EQ(decoded.err,
            "beampp: frame 1: truncated: its header counts 9 bytes but the input ends after 3, at byte 5\n");
  // A length of 4 GiB that never comes allocates only what arrives.
  EXPECT_EQ(beampp({"etf", "decode", "--packet", "4"}, "\xff\xff\xff\xff").err,
            "beampp: frame 1: truncated: its header counts 4294967295 bytes but the input ends after 0, at "
            "byte 4\n");
}

TEST(Cli, ParseErrorNamesLineAndColumn) {
  process_result encoded = beampp({"etf", "encode"}, "[\n  1,\n  :\n]");
  EXPECT_EQ(encoded.exit_code, 1);
  EXPECT_EQ(encoded.out, "");
  EXPECT_EQ(encoded.err, fmt::format("beampp: line 3, column 3: {}\n", parse_error_of("  :").expected()));
}

TEST(Cli, ParseErrorWithPacketNamesTheInputLine) {
  process_result encoded = beampp({"etf", "encode", "--packet", "4"}, "1\n\n{2,\n");
  EXPECT_EQ(encoded.exit_code, 1);
  EXPECT_EQ(encoded.out, etf_of("1", 4));
  EXPECT_EQ(encoded.err, fmt::format("beampp: line 3, column 4: {}\n", parse_error_of("{2,").expected()));
}

TEST(Cli, TermTooLargeForItsPacketHeaderIsBadInput) {
  process_result encoded = beampp({"etf", "encode", "--packet", "1"}, "\"" + std::string(300, 'x') + "\"\n");
  EXPECT_EQ(encoded.exit_code, 1);
  EXPECT_EQ(encoded.err,
            "beampp: line 1: the term takes 306 bytes, more than a 1-byte packet header can count\n");
}

// --- usage: exit status 2, or 0 for help and version ---

TEST(Cli, UsageErrorsExitWithTwoAndPointToHelp) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{},
                                             {"frob"},
                                             {"--frob"},
                                             {"etf"},
                                             {"etf", "decode", "--frob"},
                                             {"etf", "decode", "--packet", "3"},
                                             {"etf", "encode", "--packet", "four"},
                                             {"etf", "encode", "--packet"},
                                             {"etf", "encode", "--erlang"}}) {
    process_result result = beampp(args);
    EXPECT_EQ(result.exit_code, 2) << testing::PrintToString(args);
    EXPECT_TRUE(result.err.starts_with("beampp: ")) << result.err;
    EXPECT_NE(result.err.find("--help"), std::string::npos) << result.err;
    EXPECT_EQ(result.out, "");
  }
  EXPECT_EQ(beampp({"etf", "decode", "--packet", "3"}).err,
            "beampp: --packet: 3 is not a packet header size: expected 1, 2 or 4 (bytes)\n"
            "Run with --help for more information.\n");
  EXPECT_TRUE(beampp({"frob"}).err.starts_with("beampp: unknown subcommand or argument: frob\n"));
  EXPECT_TRUE(beampp({"etf", "decode", "--frob"})
                  .err.starts_with("beampp: unknown subcommand or argument: --frob\n"));
}

TEST(Cli, HelpDescribesTheCommands) {
  process_result help = beampp({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("etf"), std::string::npos) << help.out;
  process_result decode_help = beampp({"etf", "decode", "--help"});
  EXPECT_EQ(decode_help.exit_code, 0);
  EXPECT_NE(decode_help.out.find("--packet"), std::string::npos) << decode_help.out;
  EXPECT_NE(decode_help.out.find("--erlang"), std::string::npos) << decode_help.out;
}

TEST(Cli, VersionPrintsTheProjectVersion) {
  process_result version = beampp({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_TRUE(std::regex_match(version.out, std::regex(R"(beampp \d+\.\d+\.\d+\n)"))) << version.out;
}
