// bench/dist_bench.cpp: the distribution benchmarks of issue 13, beampp's side. bench/erlang/dist_bench.erl
// is its Erlang twin: the same roles, the same messages, the same RESULT keys; scripts/bench_dist.sh pairs
// them (beampp and erl as client and as server, on one machine, with a private EPMD).
//
//   dist_bench serve --name NAME --cookie C
//       a node with two registered processes: `echo`, which sends every {From, Seq, Payload} back to From
//       unchanged, and `w15_server`, a gen_server answering each call with {ok, Request}. Prints
//       "ready NODE" once both are up; runs until `echo` receives `stop`.
//   dist_bench w14 --name NAME --cookie C --peer NODE [--msgs 1000000] [--window 1000] [--server S]
//       W14: streams --msgs messages {self(), Seq, hello} (msg=tuple_of_3) to {echo, NODE} and takes each one
//       back, keeping at most --window on their way. Prints
//         RESULT system=beampp workload=w14_dist_send client=beampp server=S msgs= msg=tuple_of_3 window=
//                msgs_per_sec=
//       where a message counts once it has gone there and back.
//   dist_bench w15 --name NAME --cookie C --peer NODE [--calls 100000] [--server S]
//       W15: --calls gen_server calls {w15_server, NODE} one after another (beam::call({Name, Node}, I));
//       each call's latency goes to a histogram. Prints
//         RESULT system=beampp workload=w15_dist_call client=beampp server=S calls= calls_per_sec= p50_us=
//                p99_us= max_us=
// Every role takes --schedulers N (default: one per core).
// Both clients first make one untimed round trip, so the connection (EPMD lookup, handshake) is not timed.
// EPMD's port comes from $ERL_EPMD_PORT, as erl takes it. Exit status: 0 measured, 1 an error (on stderr).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <beam/beam.hpp>
#include <beam/dist.hpp>
#include <beam/gen_server.hpp>

namespace {

using namespace beam::literals;
using clock_type = std::chrono::steady_clock;

struct arguments {
  std::string role;
  std::map<std::string, std::string> values;

  [[nodiscard]] std::string text(const std::string& key, const char* fallback = nullptr) const {
    if (auto it = values.find(key); it != values.end()) return it->second;
    if (fallback == nullptr)
      throw std::invalid_argument("dist_bench " + role + ": --" + key + " is required");
    return fallback;
  }
  [[nodiscard]] std::int64_t number(const std::string& key, std::int64_t fallback) const {
    auto it = values.find(key);
    if (it == values.end()) return fallback;
    std::size_t used = 0;
    const std::int64_t n = std::stoll(it->second, &used);
    if (used != it->second.size() || n < 1) {
      throw std::invalid_argument("dist_bench: --" + key + " wants a positive integer, not " + it->second);
    }
    return n;
  }
};

arguments parse(int argc, char** argv) {
  if (argc < 2) throw std::invalid_argument("usage: dist_bench serve|w14|w15 --name NAME --cookie C [...]");
  arguments a{argv[1], {}};
  if (a.role != "serve" && a.role != "w14" && a.role != "w15") {
    throw std::invalid_argument("dist_bench: unknown role " + a.role + " (serve, w14 or w15)");
  }
  for (int i = 2; i < argc; i += 2) {
    const std::string key = argv[i];
    if (key.rfind("--", 0) != 0 || i + 1 >= argc) {
      throw std::invalid_argument("dist_bench: expected --key value, got " + key);
    }
    a.values[key.substr(2)] = argv[i + 1];
  }
  return a;
}

// W15's server: {ok, Request} for every call, as bench/erlang/w8_server.erl answers.
struct echo_server {
  beam::gen_server::call_result handle_call(const beam::term& request, const beam::term&) {
    return beam::gen_server::reply(beam::tuple("ok"_a, request));
  }
};

beam::task<void> start_node(const arguments& a) {
  beam::dist::options opts{.name = a.text("name"), .cookie = a.text("cookie")};
  (void)co_await beam::dist::start(std::move(opts));
}

beam::process serve(const arguments& a) {
  co_await start_node(a);
  beam::register_name("echo"_a, beam::self());
  beam::gen_server::start_options server_options{.name = "w15_server"_a};
  (void)co_await beam::gen_server::start<echo_server>(server_options);
  std::printf("ready %s\n", std::string(beam::this_node().name.text()).c_str());
  std::fflush(stdout);
  bool running = true;
  while (running) {
    // Sent back as it came, as the Erlang twin does (From ! M): no new tuple.
    co_await beam::receive(beam::on(beam::tuple(beam::_, beam::_, beam::_),
                                    [](const beam::term& m) {
                                      if (m.as_tuple()[0].is_pid()) beam::send(m.as_tuple()[0].as_pid(), m);
                                    }),
                           beam::on("stop"_a, [&] { running = false; }));
  }
}

beam::task<std::int64_t> next_echo() {
  co_return co_await beam::receive(beam::on(beam::tuple(beam::_pid, beam::_int, beam::_),
                                            [](const beam::pid&, std::int64_t seq) { return seq; }));
}

beam::process w14(const arguments& a, std::string& line) {
  co_await start_node(a);
  const std::int64_t msgs = a.number("msgs", 1'000'000);
  const std::int64_t window = a.number("window", 1000);
  const std::pair<beam::atom, beam::atom> echo{"echo"_a, beam::atom(a.text("peer"))};
  const beam::pid me = beam::self();
  beam::send(echo, beam::tuple(me, 0, "hello"_a));
  (void)co_await next_echo();
  const auto start = clock_type::now();
  std::int64_t sent = 0;
  for (; sent < std::min(window, msgs); ++sent) beam::send(echo, beam::tuple(me, sent + 1, "hello"_a));
  for (std::int64_t back = 0; back < msgs; ++back) {
    (void)co_await next_echo();
    if (sent < msgs) {
      ++sent;
      beam::send(echo, beam::tuple(me, sent, "hello"_a));
    }
  }
  const double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  line = fmt::format(
      "RESULT system=beampp workload=w14_dist_send client=beampp server={} msgs={} msg=tuple_of_3 window={} "
      "msgs_per_sec={:.0f}",
      a.text("server", "unknown"), msgs, window, static_cast<double>(msgs) / seconds);
}

double percentile(std::vector<double>& sorted_us, double p) {
  const auto i = static_cast<std::size_t>(p * static_cast<double>(sorted_us.size() - 1));
  return sorted_us[i];
}

beam::process w15(const arguments& a, std::string& line) {
  co_await start_node(a);
  const std::int64_t calls = a.number("calls", 100'000);
  const std::pair<beam::atom, beam::atom> server{"w15_server"_a, beam::atom(a.text("peer"))};
  (void)co_await beam::call(server, 0);
  std::vector<double> us;
  us.reserve(static_cast<std::size_t>(calls));
  const auto start = clock_type::now();
  for (std::int64_t i = 1; i <= calls; ++i) {
    const auto before = clock_type::now();
    (void)co_await beam::call(server, i);
    us.push_back(std::chrono::duration<double, std::micro>(clock_type::now() - before).count());
  }
  const double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  std::sort(us.begin(), us.end());
  line = fmt::format(
      "RESULT system=beampp workload=w15_dist_call client=beampp server={} calls={} calls_per_sec={:.0f} "
      "p50_us={:.1f} p99_us={:.1f} max_us={:.1f}",
      a.text("server", "unknown"), calls, static_cast<double>(calls) / seconds, percentile(us, 0.50),
      percentile(us, 0.99), us.back());
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const arguments a = parse(argc, argv);
    beam::runtime rt({.schedulers = static_cast<std::uint32_t>(a.number("schedulers", 0))});
    std::string line;
    const beam::exit_reason reason = rt.run([&]() -> beam::process {
      if (a.role == "serve") return serve(a);
      return a.role == "w14" ? w14(a, line) : w15(a, line);
    });
    if (!reason.is_normal()) {
      std::fprintf(stderr, "dist_bench %s: the main process exited with %s\n", a.role.c_str(),
                   beam::inspect(reason.reason()).c_str());
      return 1;
    }
    if (!line.empty()) std::printf("%s\n", line.c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
