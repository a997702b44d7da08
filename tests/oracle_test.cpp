// Checks against the real thing: beampp's ETF bytes, Elixir text and Erlang text compared with what OTP 25
// and Elixir 1.14 produce for the same terms, by running tests/oracle/oracle.exs once per corpus.
//
// Two corpora:
// - terms beampp makes (beam::testing::term_generator over several seeds, plus hand-picked edge terms): we
// send our
//   term_to_binary bytes; Erlang decodes them and sends back its own term_to_binary bytes, inspect/2 text and
//   one-line ~tp text; we check (a) our decoder reads Erlang's bytes back to the term we sent, (b) our bytes
//   equal Erlang's, (c) beam::inspect equals Elixir's text, (d) beam::format_erlang equals Erlang's text, and
//   (e) beam::parse reads Elixir's text back to the term (terms without pids, ports and references, which
//   have no literal syntax);
// - terms Erlang makes (self(), make_ref(), alias(), ports, compressed and minor_version 0 ETF, unicode
// atoms, big integers,
//   random nested data, legacy ETF forms): we decode Erlang's bytes and check our text, our re-encoding and
//   (e).
// Maps of more than 32 keys anywhere inside a term are compared as terms only (OTP orders them by an internal
// hash in its bytes and in both printers), and so are pids, ports and references of other nodes (OTP prints
// them with a local distribution-table index that beampp cannot know).
//
// One test per corpus runs elixir once and makes every check on it (ctest runs each test in its own process,
// so a test per check would run elixir once per check). Each check's mismatches go to
// <build>/oracle/<suite>.<check>.txt and the first few are printed in the failure. Without erl or elixir on
// PATH the tests fail: they never skip. Generated terms are kept under 32 KiB of ETF each, so that the whole
// test takes seconds, not minutes.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <beam/beam.hpp>

#include "support/subprocess.hpp"
#include "support/term_gen.hpp"

namespace {

using beam::term;
using namespace beam::literals;
namespace bt = beam::testing;

constexpr std::size_t printed_mismatches = 8;
constexpr std::size_t max_text = 400;

const std::string oracle_script = std::string(BEAM_SOURCE_DIR) + "/tests/oracle/oracle.exs";

std::string clip(std::string_view text, std::size_t limit = max_text) {
  if (text.size() <= limit) return std::string(text);
  return fmt::format("{}... ({} bytes)", text.substr(0, limit), text.size());
}

// Two texts that differ, for a mismatch entry: both whole when short, else both from a little before the
// first difference (where the bug is), with its byte offset.
std::string text_difference(std::string_view ours, std::string_view theirs, std::string_view who) {
  if (ours.size() <= max_text && theirs.size() <= max_text) {
    return fmt::format("ours:   {}\n  {}: {}", ours, who, theirs);
  }
  std::size_t at = 0;
  while (at < ours.size() && at < theirs.size() && ours[at] == theirs[at]) ++at;
  std::size_t from = at > 60 ? at - 60 : 0;
  while (from > 0 && (static_cast<unsigned char>(ours[from]) & 0xC0) == 0x80)
    --from;  // a whole UTF-8 character
  return fmt::format("first difference at byte {} of {} / {}:\n  ours:   ...{}\n  {}: ...{}", at, ours.size(),
                     theirs.size(), clip(ours.substr(from), 160), who, clip(theirs.substr(from), 160));
}

// Bytes as Erlang writes a binary, <<131,104,...>>, the first 160 of them.
std::string erlang_bytes(std::string_view bytes) {
  std::string out;
  const std::size_t shown = std::min<std::size_t>(bytes.size(), 160);
  for (std::size_t i = 0; i < shown; ++i) {
    out += fmt::format("{}{}", i ? "," : "", static_cast<unsigned>(static_cast<unsigned char>(bytes[i])));
  }
  if (shown < bytes.size()) out += fmt::format(",... ({} bytes)", bytes.size());
  return "<<" + out + ">>";
}

std::string_view as_chars(const std::vector<std::uint8_t>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};  // NOLINT: bytes as chars
}

std::span<const std::uint8_t> as_bytes(std::string_view chars) {
  return {reinterpret_cast<const std::uint8_t*>(chars.data()), chars.size()};  // NOLINT: chars as bytes
}

// Calls `f`, turning an exception into the text "<threw: ...>" so one bad term does not end the comparison.
template <class F>
std::string guarded(F&& f) {
  try {
    return std::forward<F>(f)();
  } catch (const std::exception& e) {
    return fmt::format("<threw: {}>", e.what());
  }
}

// The mismatches of one check: kept whole in <build>/oracle/<suite>.<check>.txt, the first few shown in the
// failure.
class mismatch_log {
 public:
  explicit mismatch_log(std::string check) : check_(std::move(check)) {}
  void add(std::string entry) { entries_.push_back(std::move(entry)); }

  // Writes the file and fails the test when there is any mismatch; `checked` terms were compared.
  void report(std::size_t checked) const {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    const std::string dir = std::string(BEAM_BINARY_DIR) + "/oracle";
    const std::string path = fmt::format("{}/{}.{}.txt", dir, info->test_suite_name(), check_);
    std::filesystem::create_directories(dir);
    std::ofstream file(path, std::ios::trunc);
    for (const auto& e : entries_) file << e << "\n\n";
    if (entries_.empty()) return;
    std::string shown;
    for (std::size_t i = 0; i < std::min(entries_.size(), printed_mismatches); ++i)
      shown += entries_[i] + "\n";
    ADD_FAILURE() << check_ << ": " << entries_.size() << " of " << checked << " terms differ (all in "
                  << path << "); the first " << std::min(entries_.size(), printed_mismatches) << ":\n"
                  << shown;
  }

 private:
  std::string check_;
  std::vector<std::string> entries_;
};

// --- what the oracle script sends back ---

struct oracle_record {
  int status = 0;       // 0 ok, 1 the input did not decode in Erlang, 2 an Erlang/Elixir printer raised
  std::string input;    // generate mode: the ETF bytes (maybe compressed) we must decode
  std::string etf;      // OTP's term_to_binary(T)
  std::string inspect;  // Elixir's inspect(T, limit: :infinity)
  std::string tp;       // Erlang's ~tp on one line
  std::string tp80;     // io_lib:format("~tp") as is: equals tp when it has no newline
  std::string label;    // how Erlang made the term, or the error text
};

struct oracle_run {
  std::string error;  // why the oracle could not run; empty when it did
  std::vector<oracle_record> records;
};

std::string missing_tools() {
  for (const char* tool : {"erl", "elixir"}) {
    if (!bt::find_on_path(tool)) {
      return fmt::format("{} not found: run scripts/setup.sh or apt-get install erlang-base elixir", tool);
    }
  }
  return {};
}

std::vector<oracle_record> parse_records(std::string_view data) {
  std::vector<oracle_record> records;
  for (std::string_view frame : bt::split_packet4(data)) {
    if (frame.empty()) throw std::runtime_error("empty oracle record");
    oracle_record r;
    r.status = static_cast<unsigned char>(frame[0]);
    frame.remove_prefix(1);
    std::string* fields[] = {&r.input, &r.etf, &r.inspect, &r.tp, &r.tp80, &r.label};
    for (std::string* field : fields) {
      if (frame.size() < 4) throw std::runtime_error("truncated oracle record");
      const auto* p = reinterpret_cast<const unsigned char*>(frame.data());  // NOLINT: bytes
      const std::size_t size =
          std::size_t{p[0]} << 24 | std::size_t{p[1]} << 16 | std::size_t{p[2]} << 8 | p[3];
      frame.remove_prefix(4);
      if (frame.size() < size) throw std::runtime_error("truncated oracle field");
      field->assign(frame.substr(0, size));
      frame.remove_prefix(size);
    }
    records.push_back(std::move(r));
  }
  return records;
}

// Runs `elixir oracle.exs <mode> [IN] OUT` with `input` (frames) as IN when the mode is "check".
oracle_run run_oracle(const std::string& mode, const std::string& input, std::size_t expected_records) {
  oracle_run run;
  run.error = missing_tools();
  if (!run.error.empty()) return run;
  try {
    bt::temp_dir dir("beampp-oracle");
    std::vector<std::string> argv = {"elixir", oracle_script, mode};
    if (mode == "check") {
      bt::write_file(dir.file("in.etf"), input);
      argv.push_back(dir.file("in.etf"));
    }
    argv.push_back(dir.file("out.etf"));
    const auto result = bt::run_process(argv, {}, std::chrono::seconds(120));
    if (result.timed_out || result.exit_code != 0) {
      run.error =
          fmt::format("{} {} {}: exit {}{}\nstderr: {}\nstdout: {}", argv[0], argv[1], mode, result.exit_code,
                      result.timed_out ? " (timed out)" : "", clip(result.err, 2000), clip(result.out, 2000));
      return run;
    }
    run.records = parse_records(bt::read_file(dir.file("out.etf")));
    if (expected_records != 0 && run.records.size() != expected_records) {
      run.error =
          fmt::format("the oracle answered {} records for {} terms", run.records.size(), expected_records);
    }
  } catch (const std::exception& e) {
    run.error = fmt::format("running the oracle failed: {}", e.what());
  }
  return run;
}

// --- terms ---

// Visits every subterm of `t` (t included) until `f` returns true; true when it did.
bool any_subterm(const term& t, const std::function<bool(const term&)>& f) {
  if (f(t)) return true;
  switch (t.kind()) {
    case beam::term_kind::tuple:
      return std::any_of(t.as_tuple().begin(), t.as_tuple().end(),
                         [&](const term& e) { return any_subterm(e, f); });
    case beam::term_kind::list:
      return std::any_of(t.as_list().begin(), t.as_list().end(),
                         [&](const term& e) { return any_subterm(e, f); }) ||
             any_subterm(t.list_tail(), f);
    case beam::term_kind::map:
      return std::any_of(t.as_map().begin(), t.as_map().end(), [&](const beam::map_entry& e) {
        return any_subterm(e.first, f) || any_subterm(e.second, f);
      });
    default:
      return false;
  }
}

bool has_big_map(const term& t) {
  return any_subterm(t, [](const term& s) { return s.is_map() && s.as_map().size() > 32; });
}

bool has_remote_id(const term& t) {
  return any_subterm(t, [](const term& s) {
    return (s.is_pid() && !s.as_pid().is_local()) || (s.is_port() && !s.as_port().is_local()) ||
           (s.is_reference() && !s.as_reference().is_local());
  });
}

// Elixir's text is a literal beam::parse must read back: no pids, ports or references (Elixir has no literal
// syntax for them), and no string or charlist beyond inspect's printable_limit (4096), which Elixir cuts
// short with
// "...".
bool parsable(const term& t) {
  return !any_subterm(t, [](const term& s) {
    return s.is_pid() || s.is_port() || s.is_reference() || (s.is_list() && s.as_list().size() > 4096) ||
           (s.is_bitstring() && s.bitstring_bytes().size() > 4096);
  });
}

// (e): beam::parse reads Elixir's own text of `t` back to `t`; "" or what differs.
std::string parse_difference(const term& t, const std::string& elixir_text) {
  try {
    const term back = beam::parse(elixir_text);
    if (back == t) return {};
    return fmt::format("parse(elixir's text) gives another term: {}",
                       clip(guarded([&] { return beam::inspect(back); })));
  } catch (const std::exception& e) {
    return fmt::format("parse(elixir's text) threw: {}", e.what());
  }
}

// OTP's text for this term is what beampp must produce (see the top of the file).
bool text_comparable(const term& t) {
  return !has_big_map(t) && !has_remote_id(t);
}

term power_of_two(unsigned bits) {
  std::vector<std::uint8_t> magnitude(bits / 8 + 1, 0);
  magnitude.back() = static_cast<std::uint8_t>(1u << (bits % 8));
  return beam::make_integer(false, magnitude);
}

term negate(const term& integer) {
  if (integer.is_small_integer())
    return beam::integer_from_string(fmt::format("-{}", beam::integer_to_string(integer)));
  return beam::make_integer(!integer.big_negative(), integer.big_magnitude());
}

// Hand-picked terms at the edges of the encodings (tag choices, length fields) and of the printers.
std::vector<term> edge_terms() {
  std::vector<term> terms = {
      term(),
      beam::tuple(),
      beam::map({}),
      beam::binary(""),
      beam::bitstring(std::vector<std::uint8_t>{0x80}, 1),
      beam::bitstring(std::vector<std::uint8_t>{0xff, 0xfe}, 15),
      0,
      1,
      -1,
      255,
      256,
      -256,
      2147483647,
      -2147483648LL,
      2147483648LL,
      -2147483649LL,
      std::numeric_limits<std::int64_t>::max(),
      std::numeric_limits<std::int64_t>::min(),
      std::numeric_limits<std::uint64_t>::max(),
      0.0,
      -0.0,
      1.0e15,
      1.0e16,
      1.0e21,
      1.0e22,
      1.0e-5,
      5.0e-324,
      1.7976931348623157e308,
      0.1 + 0.2,
      1.0 / 3,
      true,
      false,
      "nil"_a,
      "undefined"_a,
      beam::atom(""),
      beam::atom("hello world"),
      beam::atom("Elixir.Foo.Bar"),
      beam::atom("Elixir"),
      beam::atom("ÿ"),
      beam::atom("é"),
      beam::atom("привет"),
      beam::atom("😀"),
      beam::atom("a'b\"c\\d\ne"),
      beam::atom(std::string(255, 'a')),
      beam::atom([] {
        std::string s;
        for (int i = 0; i < 255; ++i) s += "é";
        return s;
      }()),
      beam::atom([] {
        std::string s;
        for (int i = 0; i < 255; ++i) s += "😀";
        return s;
      }()),
      beam::export_fun{"lists"_a, "map"_a, 2},
      beam::export_fun{"Elixir.Enum"_a, "reduce"_a, 3},
      beam::export_fun{beam::atom("my mod"), beam::atom("my fun"), 255},
      beam::pid(0, 0),
      beam::pid(32767, 8191),
      beam::port(0),
      beam::port(5),
      beam::port((1 << 28) - 1),  // the largest of this node's ports that OTP 25 decodes
      beam::charlist("hello"),
      beam::charlist("привет 😀"),
      beam::list(233, 255, 128),
      beam::list(255, 256),
      beam::make_list(std::vector<term>{1, 2}, term(3)),
      beam::make_list(std::vector<term>{1}, term("tail")),
      beam::list(beam::tuple("a"_a, 1), beam::tuple("b"_a, "two")),
      beam::binary("héllo wörld ✓ 😀"),
      beam::binary(std::string_view("\xc3\x28\xff")),
      beam::binary(std::string_view("nul\0tab\tnl\n#{x}", 16)),
      beam::map({{1, "int"_a}, {1.0, "float"_a}, {"s", "bin"_a}, {"a"_a, "atom"_a}, {beam::tuple(1), "t"_a}}),
      beam::map({{beam::atom("hello world"), 1}, {beam::atom("é"), 2}, {"nil"_a, 3}, {"true"_a, 4}})};
  for (unsigned bits : {63u, 64u, 2039u, 2040u, 4000u}) {
    terms.push_back(power_of_two(bits));
    terms.push_back(negate(power_of_two(bits)));
  }
  std::vector<term> bytes(65535, term(97));
  terms.push_back(beam::make_list(bytes));  // the longest STRING_EXT
  bytes.emplace_back(98);
  terms.push_back(beam::make_list(std::move(bytes)));  // one too long: LIST_EXT
  std::vector<term> ints;
  for (int i = 0; i < 300; ++i) ints.emplace_back(i);
  terms.push_back(beam::make_list(std::move(ints)));
  std::vector<beam::map_entry> entries;
  for (int i = 1; i <= 32; ++i) entries.emplace_back(i, i * i);
  terms.push_back(beam::make_map(std::move(entries)));  // the largest flatmap
  term deep = "leaf"_a;
  for (int i = 0; i < 200; ++i) deep = beam::tuple(i, beam::list(deep));
  terms.push_back(deep);
  // Other nodes' pids, ports and references: compared as bytes and terms only.
  const beam::node_id other{beam::atom("foo@bar"), 5};
  terms.push_back(beam::pid(other, 0xffffffff, 0xffffffff));
  for (std::uint64_t number : {std::uint64_t{9}, (std::uint64_t{1} << 28) - 1, std::uint64_t{1} << 28,
                               std::numeric_limits<std::uint64_t>::max()}) {
    terms.push_back(beam::port(other, number));  // NEW_PORT_EXT up to 28 bits, V4_PORT_EXT beyond
  }
  for (std::uint32_t n = 1; n <= beam::reference::max_words; ++n) {
    std::vector<std::uint32_t> words(n, 0xfffffff0 + n);
    terms.push_back(beam::reference(other, words));
  }
  return terms;
}

// The terms beampp makes for the comparison: edge terms, then generated ones (several seeds, one with big
// maps).
struct generated_corpus {
  std::vector<term> terms;
  std::vector<std::string> our_bytes;  // term_to_binary(terms[i]), or empty when it threw
  std::vector<std::string> encode_errors;
};

constexpr std::size_t terms_per_seed = 700;
constexpr std::size_t max_generated_etf = 32 * 1024;

generated_corpus make_generated_corpus() {
  generated_corpus c;
  auto add = [&](term t) {
    std::string error;
    std::string bytes;
    try {
      bytes = std::string(as_chars(beam::term_to_binary(t)));
    } catch (const std::exception& e) {
      error = e.what();
    }
    c.terms.push_back(std::move(t));
    c.our_bytes.push_back(std::move(bytes));
    c.encode_errors.push_back(std::move(error));
  };
  for (term& t : edge_terms()) add(std::move(t));
  auto add_generated = [&](bt::term_generator& gen, std::size_t count) {
    for (std::size_t added = 0, drawn = 0; added < count && drawn < 4 * count; ++drawn) {
      term t = gen.next();
      std::size_t size = 0;
      try {
        size = beam::term_to_binary(t).size();
      } catch (const std::exception&) {
        // add() records the error
      }
      if (size > max_generated_etf) continue;
      add(std::move(t));
      ++added;
    }
  };
  for (std::uint64_t seed : {1, 2, 3, 4}) {
    bt::term_generator gen(seed);
    add_generated(gen, terms_per_seed);
  }
  bt::term_generator big_maps(5, {.big_maps = true});
  add_generated(big_maps, 300);
  return c;
}

// How a generated term appears in a mismatch: Elixir's text of it (ours may be the thing that is wrong) and
// bytes.
std::string describe_generated(const generated_corpus& c, const oracle_record& r, std::size_t i) {
  const std::string text = r.status == 0 ? r.inspect : guarded([&] { return beam::inspect(c.terms[i]); });
  return fmt::format("term #{}: {}\n  our bytes: {}", i, clip(text), erlang_bytes(c.our_bytes[i]));
}

TEST(OracleGenerated, CorpusCoversEveryKindOfTerm) {
  const generated_corpus c = make_generated_corpus();
  std::vector<bool> seen(static_cast<std::size_t>(beam::term_kind::bitstring) + 1, false);
  bool big_integer = false, improper = false, big_map = false, byte_list = false;
  for (const term& t : c.terms) {
    (void)any_subterm(t, [&](const term& s) {
      seen[static_cast<std::size_t>(s.kind())] = true;
      big_integer |= s.is_integer() && !s.is_small_integer();
      improper |= s.is_list() && !s.is_proper_list();
      big_map |= s.is_map() && s.as_map().size() > 32;
      byte_list |= s.is_list() && s.as_list().size() > 1 && s.is_proper_list() &&
                   std::all_of(s.as_list().begin(), s.as_list().end(), [](const term& e) {
                     return e.is_small_integer() && e.as_int() >= 0 && e.as_int() < 256;
                   });
      return false;
    });
  }
  for (std::size_t k = 0; k < seen.size(); ++k) {
    EXPECT_TRUE(seen[k]) << "no " << beam::to_string(static_cast<beam::term_kind>(k));
  }
  EXPECT_TRUE(big_integer);
  EXPECT_TRUE(improper);
  EXPECT_TRUE(big_map);
  EXPECT_TRUE(byte_list);
  EXPECT_GE(c.terms.size(), 4 * terms_per_seed + 300);
}

// (a)-(d) above, over one elixir run.
TEST(OracleGenerated, MatchesErlangAndElixir) {
  const generated_corpus c = make_generated_corpus();
  std::string frames;
  for (const auto& bytes : c.our_bytes) bt::append_packet4(frames, bytes);
  const oracle_run oracle = run_oracle("check", frames, c.terms.size());
  ASSERT_TRUE(oracle.error.empty()) << oracle.error;

  mismatch_log decoded("ErlangReadsOurBytesAndWeReadItsBytesBackToTheSameTerm");
  mismatch_log bytes("OurBytesEqualErlangs");
  mismatch_log inspected("InspectMatchesElixir");
  mismatch_log formatted("FormatErlangMatchesErlangsOneLineTp");
  mismatch_log printer("OraclesOneLinePrinterAgreesWithIoLibFormatTp");
  mismatch_log parsed("ParseReadsElixirsTextBack");
  std::size_t single_line = 0;
  for (std::size_t i = 0; i < c.terms.size(); ++i) {
    const term& t = c.terms[i];
    const oracle_record& r = oracle.records[i];
    if (!c.encode_errors[i].empty()) {
      decoded.add(fmt::format("term #{}: {}\n  our term_to_binary threw: {}", i,
                              clip(guarded([&] { return beam::inspect(t); })), c.encode_errors[i]));
      continue;
    }
    const std::string head = describe_generated(c, r, i);
    if (r.status != 0) {
      decoded.add(fmt::format("{}\n  {}: {}", head,
                              r.status == 1 ? "Erlang could not decode our bytes" : "the oracle failed",
                              r.label));
      continue;
    }
    // (a)
    try {
      const term back = beam::binary_to_term(as_bytes(r.etf));
      if (back != t) {
        decoded.add(fmt::format("{}\n  decoding Erlang's bytes {} gives another term: {}", head,
                                erlang_bytes(r.etf), clip(guarded([&] { return beam::inspect(back); }))));
      }
    } catch (const std::exception& e) {
      decoded.add(
          fmt::format("{}\n  decoding Erlang's bytes {} threw: {}", head, erlang_bytes(r.etf), e.what()));
    }
    // (b)
    if (!has_big_map(t) && c.our_bytes[i] != r.etf)
      bytes.add(fmt::format("{}\n  Erlang's:  {}", head, erlang_bytes(r.etf)));
    // The oracle's one-line ~tp is io_lib:format("~tp") whenever that fits on one line.
    if (r.tp80.find('\n') == std::string::npos) {
      ++single_line;
      if (r.tp != r.tp80) printer.add(fmt::format("{}\n  {}", head, text_difference(r.tp, r.tp80, "~tp")));
    }
    // (e)
    if (parsable(t)) {
      if (std::string what = parse_difference(t, r.inspect); !what.empty())
        parsed.add(fmt::format("{}\n  {}", head, what));
    }
    if (!text_comparable(t)) continue;
    // (c)
    const std::string ours = guarded([&] { return beam::inspect(t); });
    if (ours != r.inspect)
      inspected.add(fmt::format("{}\n  {}", head, text_difference(ours, r.inspect, "elixir")));
    // (d)
    const std::string erl = guarded([&] { return beam::format_erlang(t); });
    if (erl != r.tp) formatted.add(fmt::format("{}\n  {}", head, text_difference(erl, r.tp, "erlang")));
  }
  for (const auto* log : {&decoded, &bytes, &inspected, &formatted, &printer, &parsed})
    log->report(c.terms.size());
  EXPECT_GT(single_line, 1000u) << "too few terms to check the oracle's printer against ~tp";
}

// Terms Erlang makes: we decode its input bytes (some compressed, some minor_version 0), then compare our
// re-encoding, our decoding of its canonical bytes, and our text with its text.
TEST(OracleErlangMade, MatchesErlangAndElixir) {
  const oracle_run oracle = run_oracle("generate", {}, 0);
  ASSERT_TRUE(oracle.error.empty()) << oracle.error;
  ASSERT_GT(oracle.records.size(), 1000u);
  EXPECT_GT(std::count_if(oracle.records.begin(), oracle.records.end(),
                          [](const oracle_record& r) { return r.input.size() > 1 && r.input[1] == 80; }),
            30)
      << "few compressed inputs (tag 80)";

  mismatch_log decoded("WeDecodeErlangsBytes");
  mismatch_log reencoded("OurReencodingEqualsErlangsBytes");
  mismatch_log inspected("InspectMatchesElixir");
  mismatch_log formatted("FormatErlangMatchesErlangsOneLineTp");
  mismatch_log parsed("ParseReadsElixirsTextBack");
  for (const oracle_record& r : oracle.records) {
    const std::string head =
        fmt::format("{}: {}\n  input bytes: {}", r.label, clip(r.inspect), erlang_bytes(r.input));
    if (r.status != 0) {
      decoded.add(fmt::format("{}\n  the oracle failed", head));
      continue;
    }
    term t;
    try {
      t = beam::binary_to_term(as_bytes(r.input));
      if (beam::binary_to_term(as_bytes(r.etf)) != t) {
        decoded.add(fmt::format("{}\n  the input bytes and term_to_binary(T) {} decode to different terms",
                                head, erlang_bytes(r.etf)));
      }
    } catch (const std::exception& e) {
      decoded.add(fmt::format("{}\n  our binary_to_term threw: {}", head, e.what()));
      continue;
    }
    const std::string ours = guarded([&] { return std::string(as_chars(beam::term_to_binary(t))); });
    if (!has_big_map(t) && ours != r.etf) {
      reencoded.add(fmt::format("{}\n  our re-encoding: {}\n  Erlang's:        {}", head, erlang_bytes(ours),
                                erlang_bytes(r.etf)));
    }
    if (parsable(t)) {
      if (std::string what = parse_difference(t, r.inspect); !what.empty())
        parsed.add(fmt::format("{}\n  {}", head, what));
    }
    if (!text_comparable(t)) continue;
    const std::string text = guarded([&] { return beam::inspect(t); });
    if (text != r.inspect)
      inspected.add(fmt::format("{}\n  {}", head, text_difference(text, r.inspect, "elixir")));
    const std::string erl = guarded([&] { return beam::format_erlang(t); });
    if (erl != r.tp) formatted.add(fmt::format("{}\n  {}", head, text_difference(erl, r.tp, "erlang")));
  }
  for (const auto* log : {&decoded, &reencoded, &inspected, &formatted, &parsed})
    log->report(oracle.records.size());
}

}  // namespace
