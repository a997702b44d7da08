// bench/etf_bench.cpp: term_to_binary / binary_to_term throughput of beampp beside OTP's, on the same corpus.
//
// The corpus is the kind of messages processes send one another (atoms, small tuples, gen_server calls with a
// pid and a reference, short binaries, small maps, lists of integers, pids, references), drawn from a fixed
// seed until it holds --corpus-mb megabytes of ETF. beampp is timed with Google Benchmark: --reps repetitions
// of --passes passes over the whole corpus, one new byte vector per term when encoding, one term per frame
// (freed at once) when decoding. Then the corpus goes to erl as {packet,4} frames and
// bench/erlang/etf_bench.erl times term_to_binary/1 and binary_to_term/1 over it with the same passes and
// repetitions. Both sides report the median repetition. MB is 10^6 bytes of ETF (the corpus's encoded size);
// terms/s counts top-level terms.
//
//   build/release/bench/etf_bench [--passes=N] [--reps=N] [--corpus-mb=N] [--no-erlang] [--benchmark_...]
//
// Prints, after Google Benchmark's own table:
//   RESULT system=beampp workload=etf_encode mb_per_s=... terms_per_s=...
//   RESULT system=erlang workload=etf_encode mb_per_s=... terms_per_s=...
//   RESULT ratio workload=etf_encode beampp_over_erlang=...
//   RESULT ratio_cpu workload=etf_encode beampp_over_erlang=...    (the same from CPU time, steadier on a
//   busy host)
// and the same for etf_decode. The RESULT figures are wall-clock medians. Exits 1 when erl cannot be run
// (unless --no-erlang) or a check fails.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <beam/beam.hpp>

#include "support/subprocess.hpp"

namespace {

using beam::term;
using namespace beam::literals;

struct settings {
  int passes = 10;
  int reps = 9;
  double corpus_mb = 4.0;
  bool erlang = true;
};
settings options;

// --- the corpus ---

class message_maker {
 public:
  explicit message_maker(std::uint64_t seed) : rng_(seed) {}

  term next() {
    switch (below(12)) {
      case 0:
        return pick_atom();
      case 1:
        return beam::tuple("ok"_a, small_int());
      case 2:
        return beam::tuple("$gen_call"_a, beam::tuple(a_pid(), a_ref()), beam::tuple("get"_a, pick_atom()));
      case 3:
        return beam::tuple("$gen_cast"_a, beam::tuple("update"_a, pick_atom(), uniform() * 1000.0));
      case 4:
        return beam::tuple("data"_a, short_binary());
      case 5:
        return small_map();
      case 6:
        return int_list();
      case 7:
        return a_pid();
      case 8:
        return a_ref();
      case 9:
        return beam::tuple("reply"_a, a_ref(), keyword_list());
      case 10:
        return beam::tuple("EXIT"_a, a_pid(), below(2) ? term("normal"_a) : beam::tuple("shutdown"_a, 1));
      default:
        return beam::list(beam::tuple("event"_a, small_int()), short_binary(), pick_atom());
    }
  }

 private:
  std::size_t below(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }
  double uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }

  term pick_atom() {
    static const char* const names[] = {
        "ok",  "error", "ping",   "pong",    "timeout", "undefined", "normal",
        "get", "put",   "delete", "user_id", "status",  "active",    "Elixir.MyApp.Worker"};
    return beam::atom(names[below(std::size(names))]);
  }
  term small_int() {
    if (below(4) == 0) return static_cast<std::int64_t>(rng_() >> 1);  // some beyond 32 bits
    return static_cast<std::int64_t>(below(100000));
  }
  term a_pid() {
    return beam::pid(static_cast<std::uint32_t>(below(32768)), static_cast<std::uint32_t>(below(4)));
  }
  term a_ref() {
    const std::uint32_t words[3] = {static_cast<std::uint32_t>(below(1 << 18)),
                                    static_cast<std::uint32_t>(rng_()), static_cast<std::uint32_t>(rng_())};
    return beam::reference(beam::this_node(), words);
  }
  term short_binary() {
    std::string bytes(4 + below(60), ' ');
    for (auto& c : bytes) c = static_cast<char>('a' + below(26));
    return beam::binary(bytes);
  }
  term small_map() {
    return beam::map({{"id"_a, small_int()},
                      {"name"_a, short_binary()},
                      {"status"_a, pick_atom()},
                      {"score"_a, uniform()},
                      {"tags"_a, beam::list(pick_atom(), pick_atom())}});
  }
  term int_list() {
    std::vector<term> ints(3 + below(20));
    const bool bytes = below(2) == 0;  // STRING_EXT when all fit a byte
    for (auto& i : ints) i = static_cast<std::int64_t>(bytes ? below(256) : below(1'000'000));
    return beam::make_list(std::move(ints));
  }
  term keyword_list() {
    std::vector<term> pairs;
    for (std::size_t i = 0, n = 1 + below(4); i < n; ++i)
      pairs.push_back(beam::tuple(pick_atom(), small_int()));
    return beam::make_list(std::move(pairs));
  }

  std::mt19937_64 rng_;
};

struct corpus_data {
  std::vector<term> terms;
  std::vector<std::vector<std::uint8_t>> frames;  // term_to_binary(terms[i])
  std::size_t bytes = 0;
};

const corpus_data& corpus() {
  static const corpus_data c = [] {
    corpus_data d;
    message_maker maker(42);
    const auto target = static_cast<std::size_t>(options.corpus_mb * 1e6);
    while (d.bytes < target) {
      d.terms.push_back(maker.next());
      d.frames.push_back(beam::term_to_binary(d.terms.back()));
      d.bytes += d.frames.back().size();
    }
    return d;
  }();
  return c;
}

// --- beampp's side ---

void etf_encode(benchmark::State& state) {
  const auto& c = corpus();
  for (auto _ : state) {
    std::size_t size = 0;
    for (const term& t : c.terms) {
      auto bytes = beam::term_to_binary(t);
      size += bytes.size();
      benchmark::DoNotOptimize(bytes.data());
    }
    benchmark::DoNotOptimize(size);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(c.bytes));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(c.terms.size()));
}

void etf_decode(benchmark::State& state) {
  const auto& c = corpus();
  for (auto _ : state) {
    for (const auto& frame : c.frames) {
      term t = beam::binary_to_term(frame);
      benchmark::DoNotOptimize(t);
    }
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(c.bytes));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(c.terms.size()));
}

// Informational: encoding into one reused buffer (no allocation per term once it has grown).
void etf_encode_reused_buffer(benchmark::State& state) {
  const auto& c = corpus();
  std::vector<std::uint8_t> out;
  for (auto _ : state) {
    for (const term& t : c.terms) {
      out.clear();
      beam::term_to_binary(t, out);
      benchmark::DoNotOptimize(out.data());
    }
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(c.bytes));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(c.terms.size()));
}

// Single messages, for a feel of the per-term cost.
const std::map<std::string, term>& single_messages() {
  static const std::map<std::string, term> messages = [] {
    std::map<std::string, term> m;
    m["ok_42"] = beam::tuple("ok"_a, 42);
    const std::uint32_t words[3] = {1, 2, 3};
    m["gen_call"] =
        beam::tuple("$gen_call"_a, beam::tuple(beam::pid(100, 0), beam::reference(beam::this_node(), words)),
                    beam::tuple("get"_a, "user_id"_a));
    m["map_5_keys"] = beam::map({{"id"_a, 1},
                                 {"name"_a, "joe"},
                                 {"status"_a, "active"_a},
                                 {"score"_a, 0.5},
                                 {"tags"_a, beam::list("a"_a, "b"_a)}});
    m["binary_1k"] = beam::binary(std::string(1024, 'x'));
    std::vector<term> ints;
    for (int i = 0; i < 100; ++i) ints.emplace_back(i * 1000);
    m["int_list_100"] = beam::make_list(std::move(ints));
    return m;
  }();
  return messages;
}

void register_single_messages() {
  for (const auto& [name, message] : single_messages()) {
    const term t = message;
    benchmark::RegisterBenchmark(("encode/" + name).c_str(), [t](benchmark::State& state) {
      for (auto _ : state) {
        auto bytes = beam::term_to_binary(t);
        benchmark::DoNotOptimize(bytes.data());
      }
    });
    const auto frame = beam::term_to_binary(t);
    benchmark::RegisterBenchmark(("decode/" + name).c_str(), [frame](benchmark::State& state) {
      for (auto _ : state) {
        term back = beam::binary_to_term(frame);
        benchmark::DoNotOptimize(back);
      }
    });
  }
}

// Median seconds per pass over the corpus: wall clock, and CPU time (less disturbed by other load on the
// machine).
struct pass_time {
  double wall = 0;
  double cpu = 0;
};

// Keeps Google Benchmark's console table and notes the medians of the corpus benchmarks.
class median_reporter : public benchmark::ConsoleReporter {
 public:
  std::map<std::string, pass_time> medians;

  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type == Run::RT_Aggregate && run.aggregate_name == "median") {
        const double unit = benchmark::GetTimeUnitMultiplier(run.time_unit);
        medians[run.run_name.function_name] = {run.GetAdjustedRealTime() / unit,
                                               run.GetAdjustedCPUTime() / unit};
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
};

// --- Erlang's side ---

struct erlang_figures {
  std::map<std::string, pass_time> medians;
  std::string same_bytes;
};

std::optional<std::string> field(std::string_view line, std::string_view key) {
  const std::string needle = std::string(key) + "=";
  std::size_t at = 0;
  while ((at = line.find(needle, at)) != std::string_view::npos) {
    if (at == 0 || line[at - 1] == ' ') {
      const auto start = at + needle.size();
      return std::string(line.substr(start, line.find(' ', start) - start));
    }
    at += needle.size();
  }
  return std::nullopt;
}

std::optional<erlang_figures> run_erlang() {
  if (!beam::testing::find_on_path("escript")) {
    fmt::print(stderr, "escript not found: run scripts/setup.sh or apt-get install erlang-base\n");
    return std::nullopt;
  }
  const auto& c = corpus();
  beam::testing::temp_dir dir("beampp-etf-bench");
  std::string frames;
  for (const auto& f : c.frames) {
    beam::testing::append_packet4(frames,
                                  {reinterpret_cast<const char*>(f.data()), f.size()});  // NOLINT: bytes
  }
  beam::testing::write_file(dir.file("corpus.etf"), frames);
  const auto result = beam::testing::run_process(
      {"escript", std::string(BEAM_SOURCE_DIR) + "/bench/erlang/etf_bench.erl", dir.file("corpus.etf"),
       std::to_string(options.passes), std::to_string(options.reps)},
      {}, std::chrono::minutes(10));
  if (result.exit_code != 0) {
    fmt::print(stderr, "erlang bench failed (exit {}):\n{}{}\n", result.exit_code, result.out, result.err);
    return std::nullopt;
  }
  erlang_figures figures;
  std::string_view out = result.out;
  while (!out.empty()) {
    const auto eol = out.find('\n');
    const std::string_view line = out.substr(0, eol);
    out.remove_prefix(eol == std::string_view::npos ? out.size() : eol + 1);
    if (!line.starts_with("ERLANG ")) continue;
    fmt::print("{}\n", line);
    if (auto same = field(line, "same_bytes")) figures.same_bytes = *same;
    const auto workload = field(line, "workload");
    const auto median = field(line, "median_ns");
    const auto cpu = field(line, "cpu_median_ns");
    if (workload && median && cpu)
      figures.medians[*workload] = {std::stod(*median) / 1e9, std::stod(*cpu) / 1e9};
  }
  return figures;
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with("--passes=")) {
      options.passes = std::atoi(argv[i] + 9);
    } else if (arg.starts_with("--reps=")) {
      options.reps = std::atoi(argv[i] + 7);
    } else if (arg.starts_with("--corpus-mb=")) {
      options.corpus_mb = std::atof(argv[i] + 12);
    } else if (arg == "--no-erlang") {
      options.erlang = false;
    } else {
      fmt::print(stderr, "unknown argument {}\n", arg);
      return 2;
    }
  }
  if (options.passes < 1 || options.reps < 1 || options.corpus_mb <= 0) {
    fmt::print(stderr, "--passes, --reps and --corpus-mb must be positive\n");
    return 2;
  }

  const auto& c = corpus();
  std::size_t round_trip_failures = 0;
  for (std::size_t i = 0; i < c.terms.size(); ++i)
    round_trip_failures += beam::binary_to_term(c.frames[i]) != c.terms[i];
  fmt::print(
      "corpus: {} terms, {} bytes of ETF (seed 42; {:.1f} bytes per term); {} passes x {} repetitions, "
      "medians\n",
      c.terms.size(), c.bytes, static_cast<double>(c.bytes) / static_cast<double>(c.terms.size()),
      options.passes, options.reps);
  if (round_trip_failures != 0) {
    fmt::print(stderr, "{} corpus terms do not survive a round trip through beampp\n", round_trip_failures);
    return 1;
  }

  using bench_fn = void (*)(benchmark::State&);
  const std::pair<const char*, bench_fn> corpus_benchmarks[] = {
      {"etf_encode", &etf_encode},
      {"etf_decode", &etf_decode},
      {"etf_encode_reused_buffer", &etf_encode_reused_buffer}};
  for (const auto& [name, fn] : corpus_benchmarks) {
    benchmark::RegisterBenchmark(name, fn)
        ->Iterations(options.passes)
        ->Repetitions(options.reps)
        ->ReportAggregatesOnly(true)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
  register_single_messages();
  median_reporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();

  std::optional<erlang_figures> erlang;
  if (options.erlang) {
    erlang = run_erlang();
    if (!erlang) return 1;
  }

  const auto mb = static_cast<double>(c.bytes) / 1e6;
  const auto terms = static_cast<double>(c.terms.size());
  bool ok = true;
  fmt::print("\n{:<12} {:>8} {:>10} {:>12} {:>14} {:>14}\n", "workload", "system", "MB/s", "terms/s",
             "MB/s (CPU)", "terms/s (CPU)");
  std::string results;
  for (const char* workload : {"etf_encode", "etf_decode"}) {
    const auto ours = reporter.medians.find(workload);
    if (ours == reporter.medians.end()) continue;  // filtered out
    const auto row = [&](const char* system, pass_time t) {
      fmt::print("{:<12} {:>8} {:>10.1f} {:>12.0f} {:>14.1f} {:>14.0f}\n", workload, system, mb / t.wall,
                 terms / t.wall, mb / t.cpu, terms / t.cpu);
      results += fmt::format("RESULT system={} workload={} mb_per_s={:.1f} terms_per_s={:.0f}\n", system,
                             workload, mb / t.wall, terms / t.wall);
    };
    row("beampp", ours->second);
    if (!erlang) continue;
    const auto theirs = erlang->medians.find(workload);
    if (theirs == erlang->medians.end()) {
      fmt::print(stderr, "no erlang figure for {}\n", workload);
      ok = false;
      continue;
    }
    row("erlang", theirs->second);
    const double wall_ratio = theirs->second.wall / ours->second.wall;
    const double cpu_ratio = theirs->second.cpu / ours->second.cpu;
    fmt::print("{:<12} {:>8} {:>10.2f}x {:>26.2f}x\n", workload, "ratio", wall_ratio, cpu_ratio);
    results += fmt::format("RESULT ratio workload={} beampp_over_erlang={:.2f}\n", workload, wall_ratio);
    results += fmt::format("RESULT ratio_cpu workload={} beampp_over_erlang={:.2f}\n", workload, cpu_ratio);
  }
  if (erlang) fmt::print("erlang re-encodes {} corpus terms to beampp's exact bytes\n", erlang->same_bytes);
  fmt::print("\n{}", results);
  return ok ? 0 : 1;
}
