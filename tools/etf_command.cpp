// tools/etf_command.cpp: `beampp etf decode` reads ETF bytes and prints terms; `beampp etf encode` reads
// terms in Elixir syntax and writes ETF bytes.
//
// Without --packet the whole input is one term. With --packet N the bytes side is a stream of frames
// ({packet, N} as Erlang ports frame it) and the text side one term per line, so `beampp etf decode --packet
// 4` can sit at the other end of an Erlang port: each frame is answered (written and flushed) before the next
// one is read. Errors say where: the frame and the byte offset (in the input and in the frame's term) for
// ETF, the line and column for text.
#include "etf_command.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <beam/etf.hpp>
#include <beam/inspect.hpp>
#include <beam/parse.hpp>

#include "packet.hpp"
#include "stream_io.hpp"

namespace beampp {

namespace {

constexpr std::size_t unlimited = std::numeric_limits<std::size_t>::max();

struct etf_options {
  bool erlang = false;     // decode: print Erlang syntax instead of Elixir's
  std::size_t packet = 0;  // 0: no framing; else the header size in bytes
  // decode: elements of each collection and bytes of each binary shown before "...", as inspect/2's limit:
  // (iex's 50); unlimited with `--limit infinity`.
  std::size_t limit = 50;
  // decode: the most input bytes read, and the largest size a compressed term may inflate to.
  std::size_t max_input = std::size_t{256} << 20;
};

std::string show(const beam::term& t, const etf_options& options) {
  return options.erlang ? beam::format_erlang(t) : beam::inspect(t, {.limit = options.limit});
}

beam::decode_options decoding(const etf_options& options) {
  return {.max_uncompressed_size = options.max_input};
}

// --- decode ---

void decode_whole(const etf_options& options, const stdio& io) {
  std::vector<std::uint8_t> bytes;  // read in pieces: memory grows with what arrives, up to the cap
  if (read_at_most(io.in, bytes, options.max_input + 1) > options.max_input) {
    throw input_error(fmt::format("the input is larger than --max-input {} bytes", options.max_input));
  }
  beam::term t;
  try {
    t = beam::binary_to_term(bytes, decoding(options));
  } catch (const beam::decode_error& e) {
    throw input_error(fmt::format("bad ETF: {}", e.what()));
  }
  io.out << show(t, options) << '\n';
}

void decode_frames(const etf_options& options, const stdio& io) {
  packet_reader frames(io.in, options.packet);
  while (auto frame = frames.next()) {
    if (frame->size() > options.max_input) {
      throw input_error(fmt::format("frame {}: {} bytes, larger than --max-input {} bytes",
                                    frames.frame_number(), frame->size(), options.max_input));
    }
    beam::term t;
    try {
      t = beam::binary_to_term(*frame, decoding(options));
    } catch (const beam::decode_error& e) {
      throw input_error(
          fmt::format("frame {}: bad ETF at byte {} of the input (byte {} of the frame's term): {}",
                      frames.frame_number(), frames.body_offset() + e.offset(), e.offset(), e.what()));
    }
    io.out << show(t, options) << '\n' << std::flush;
  }
}

void decode(const etf_options& options, const stdio& io) {
  if (options.packet == 0) {
    decode_whole(options, io);
  } else {
    decode_frames(options, io);
  }
}

// --- encode ---

// The term `text` holds; `line` is the input line where `text` starts.
beam::term parse_at(std::string_view text, std::size_t line) {
  try {
    return beam::parse(text);
  } catch (const beam::parse_error& e) {
    throw input_error(fmt::format("line {}, column {}: {}", line + e.line() - 1, e.column(), e.expected()));
  }
}

void encode_whole(const stdio& io) {
  std::vector<std::uint8_t> text = read_all(io.in);
  beam::term t = parse_at(std::string_view(reinterpret_cast<const char*>(text.data()), text.size()), 1);
  write_bytes(io.out, beam::term_to_binary(t));
}

bool is_blank(std::string_view line) {
  return std::all_of(line.begin(), line.end(), [](unsigned char c) { return std::isspace(c) != 0; });
}

void encode_lines(const etf_options& options, const stdio& io) {
  std::string line;
  std::vector<std::uint8_t> frame;
  for (std::size_t number = 1; std::getline(io.in, line); ++number) {
    if (is_blank(line)) continue;
    std::vector<std::uint8_t> bytes = beam::term_to_binary(parse_at(line, number));
    if (bytes.size() > max_packet_size(options.packet)) {
      throw input_error(
          fmt::format("line {}: the term takes {} bytes, more than a {}-byte packet header can count", number,
                      bytes.size(), options.packet));
    }
    frame.clear();
    append_packet(frame, bytes, options.packet);
    write_bytes(io.out, frame);
    io.out.flush();
  }
}

void encode(const etf_options& options, const stdio& io) {
  if (options.packet == 0) {
    encode_whole(io);
  } else {
    encode_lines(options, io);
  }
}

// --- the command line ---

// Empty when `input` names a packet header size, else what is wrong with it (CLI11's validator protocol).
std::string check_packet_size(const std::string& input) {
  std::size_t size = 0;
  const char* end = input.data() + input.size();
  auto [stop, error] = std::from_chars(input.data(), end, size);
  bool valid = error == std::errc() && stop == end && is_packet_header_size(size);
  return valid ? "" : fmt::format("{} is not a packet header size: expected 1, 2 or 4 (bytes)", input);
}

void add_packet_option(CLI::App& command, etf_options& options, std::string_view framed) {
  command
      .add_option("--packet", options.packet,
                  fmt::format("Frame each {} with a big-endian length header of 1, 2 or 4 bytes, as Erlang's "
                              "{{packet, N}} ports do",
                              framed))
      ->check(CLI::Validator(check_packet_size, "{1,2,4}"));
}

// Empty when `input` is a count of elements or `infinity`, else what is wrong with it.
std::string check_limit(const std::string& input) {
  std::size_t n = 0;
  const char* end = input.data() + input.size();
  auto [stop, error] = std::from_chars(input.data(), end, n);
  const bool valid = input == "infinity" || (error == std::errc() && stop == end);
  return valid ? "" : fmt::format("{} is not a limit: expected a count of elements or infinity", input);
}

void add_decode_limits(CLI::App& command, etf_options& options) {
  command
      .add_option_function<std::string>(
          "--limit",
          [&options](const std::string& value) {
            options.limit = value == "infinity" ? unlimited : std::stoull(value);
          },
          "Show at most N elements of each list, tuple and map and N bytes of each binary, then ... (as "
          "inspect/2's limit:; default 50, as iex; infinity: everything)")
      ->check(CLI::Validator(check_limit, "N|infinity"));
  command.add_option(
      "--max-input", options.max_input,
      "Refuse an input (or a frame, or a compressed term's inflated size) larger than this many "
      "bytes (default 268435456: 256 MiB)");
}

// Makes `command` choose `run` (with the options it parsed) as the action.
void on_parsed(CLI::App& command, command_action& action, std::shared_ptr<const etf_options> options,
               void (*run)(const etf_options&, const stdio&)) {
  command.callback(
      [&action, options, run] { action = [options, run](const stdio& io) { run(*options, io); }; });
}

}  // namespace

void add_etf_command(CLI::App& app, command_action& action) {
  CLI::App* etf = app.add_subcommand("etf", "Convert between Erlang's external term format and text");
  etf->require_subcommand(1);

  auto decode_options = std::make_shared<etf_options>();
  CLI::App* decode_command = etf->add_subcommand(
      "decode", "Read ETF bytes on stdin and print the term in Elixir syntax, on one line");
  decode_command->add_flag("--erlang", decode_options->erlang, "Print Erlang syntax instead of Elixir's");
  add_packet_option(*decode_command, *decode_options, "input term");
  add_decode_limits(*decode_command, *decode_options);
  on_parsed(*decode_command, action, decode_options, decode);

  auto encode_options = std::make_shared<etf_options>();
  CLI::App* encode_command = etf->add_subcommand(
      "encode", "Read a term in Elixir syntax on stdin (one per line with --packet) and write its ETF bytes");
  add_packet_option(*encode_command, *encode_options, "output term");
  on_parsed(*encode_command, action, encode_options, encode);
}

}  // namespace beampp
