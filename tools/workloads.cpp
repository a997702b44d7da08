// tools/workloads.cpp: W1-W6 and the table of all workloads. Each builds its own runtime, so figures are not
// skewed by a previous run's pools.
#include "workloads.hpp"

#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include <beam/beam.hpp>

namespace beampp {
namespace {

using namespace beam::literals;
using clock = std::chrono::steady_clock;

double elapsed_ns(clock::time_point since) {
  return std::chrono::duration<double, std::nano>(clock::now() - since).count();
}

std::int64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::int64_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

std::string fixed(double v, int decimals = 1) {
  return fmt::format("{:.{}f}", v, decimals);
}

// W1: spawn N processes that each send `done` to the parent and exit; time = spawn loop + receiving all N.
results w1_spawn_exit(const parameters& p, std::uint32_t schedulers) {
  const std::int64_t n = p.at("n");
  double ns = 0;
  beam::runtime rt(options_for(schedulers, n));
  rt.run([&]() -> beam::process {
    const beam::pid parent = beam::self();
    const auto start = clock::now();
    for (std::int64_t i = 0; i < n; ++i) {
      beam::spawn([parent]() -> beam::process {
        beam::send(parent, "done"_a);
        co_return;
      });
    }
    for (std::int64_t i = 0; i < n; ++i) co_await beam::receive(beam::on("done"_a, [] {}));
    ns = elapsed_ns(start);
  });
  return {{"ns_per_proc", fixed(ns / static_cast<double>(n))}};
}

// W2: N processes each send `ready` and then wait forever; bytes = (RSS after - RSS before) / N.
results w2_idle_memory(const parameters& p, std::uint32_t schedulers) {
  const std::int64_t n = p.at("n");
  double ns = 0;
  std::int64_t grown = 0;
  beam::runtime rt(options_for(schedulers, n));
  rt.run([&]() -> beam::process {
    const beam::pid parent = beam::self();
    const std::int64_t before = resident_bytes();
    const auto start = clock::now();
    for (std::int64_t i = 0; i < n; ++i) {
      beam::spawn([parent]() -> beam::process {
        beam::send(parent, "ready"_a);
        co_await beam::receive();
      });
    }
    for (std::int64_t i = 0; i < n; ++i) co_await beam::receive(beam::on("ready"_a, [] {}));
    ns = elapsed_ns(start);
    grown = resident_bytes() - before;
  });
  return {{"rss_bytes_per_proc", fixed(static_cast<double>(grown) / static_cast<double>(n))},
          {"ns_per_spawn", fixed(ns / static_cast<double>(n))}};
}

// W3 ring: `procs` processes in a ring pass a token `hops` times (set-up excluded).
beam::process ring_node(beam::pid next) {
  for (;;) {
    std::int64_t left = co_await beam::receive(beam::on(beam::_int, [](std::int64_t v) { return v; }));
    beam::send(next, left - 1);
    if (left <= 0) co_return;
  }
}

results w3_ring(const parameters& p, std::uint32_t schedulers) {
  const std::int64_t procs = p.at("procs"), hops = p.at("hops");
  double ns = 0;
  beam::runtime rt(options_for(schedulers, procs));
  rt.run([&]() -> beam::process {
    beam::pid next = beam::self();
    for (std::int64_t i = 1; i < procs; ++i) next = beam::spawn(ring_node, next);
    const auto start = clock::now();
    beam::send(next, hops);
    for (;;) {
      std::int64_t left = co_await beam::receive(beam::on(beam::_int, [](std::int64_t v) { return v; }));
      if (left <= 0) break;
      beam::send(next, left - 1);
    }
    ns = elapsed_ns(start);
    beam::send(next, std::int64_t{-1});  // lets the ring end
  });
  return {{"ns_per_hop", fixed(ns / static_cast<double>(hops))}};
}

// W3 ping-pong: two processes exchange a message `round_trips` times.
results w3_pingpong(const parameters& p, std::uint32_t schedulers) {
  const std::int64_t trips = p.at("round_trips");
  double ns = 0;
  beam::runtime rt(options_for(schedulers, 2));
  rt.run([&]() -> beam::process {
    const beam::pid ponger = beam::spawn(pong_until_stopped);
    const beam::term ping = beam::tuple("ping"_a, beam::self());
    const auto start = clock::now();
    for (std::int64_t i = 0; i < trips; ++i) {
      beam::send(ponger, ping);
      co_await beam::receive(beam::on("pong"_a, [] {}));
    }
    ns = elapsed_ns(start);
    beam::send(ponger, "stop"_a);
  });
  return {{"ns_per_round_trip", fixed(ns / static_cast<double>(trips))}};
}

// W4 skynet: a 10-ary tree of processes, six levels; each leaf sends its number, each node sums its children.
beam::process skynet(beam::pid parent, std::int64_t num, std::int64_t size) {
  if (size == 1) {
    beam::send(parent, num);
    co_return;
  }
  const beam::pid me = beam::self();
  const std::int64_t child = size / 10;
  for (std::int64_t i = 0; i < 10; ++i) beam::spawn(skynet, me, num + i * child, child);
  std::int64_t sum = 0;
  for (int i = 0; i < 10; ++i)
    sum += co_await beam::receive(beam::on(beam::_int, [](std::int64_t v) { return v; }));
  beam::send(parent, sum);
}

results w4_skynet(const parameters& p, std::uint32_t schedulers) {
  const std::int64_t leaves = p.at("leaves");
  std::int64_t sum = 0;
  double ns = 0;
  beam::runtime rt(options_for(schedulers, leaves + leaves / 9 + 10));
  rt.run([&]() -> beam::process {
    const auto start = clock::now();
    beam::spawn(skynet, beam::self(), std::int64_t{0}, leaves);
    sum = co_await beam::receive(beam::on(beam::_int, [](std::int64_t v) { return v; }));
    ns = elapsed_ns(start);
  });
  return {{"sum", std::to_string(sum)}, {"total_ms", fixed(ns / 1e6)}};
}

// W5 fan-in: `senders` processes each send `per_sender` messages to one receiver that counts them.
results w5_fan_in(const parameters& p, std::uint32_t schedulers) {
  const std::int64_t senders = p.at("senders"), per_sender = p.at("per_sender");
  double ns = 0;
  beam::runtime rt(options_for(schedulers, senders));
  rt.run([&]() -> beam::process {
    const beam::pid sink = beam::self();
    const auto start = clock::now();
    for (std::int64_t s = 0; s < senders; ++s) {
      beam::spawn([sink, per_sender]() -> beam::process {
        for (std::int64_t i = 0; i < per_sender; ++i) beam::send(sink, i);
        co_return;
      });
    }
    const std::int64_t total = senders * per_sender;
    for (std::int64_t i = 0; i < total; ++i) co_await beam::receive();
    ns = elapsed_ns(start);
  });
  return {{"msgs_per_sec", fixed(static_cast<double>(senders * per_sender) / (ns / 1e9), 0)}};
}

// W6 fairness: `hogs` processes spin without calling the runtime while a ping-pong pair runs for `window_ms`.
results w6_fairness(const parameters& p, std::uint32_t schedulers) {
  const std::int64_t hogs = p.at("hogs"), window_ms = p.at("window_ms");
  std::vector<double> trips_us;
  beam::set_logger([](beam::log_level, std::string_view) {});  // the expected long_schedule reports
  {
    beam::runtime rt(options_for(schedulers, hogs + 2));
    std::atomic<bool> stop{false};
    rt.run([&]() -> beam::process {
      for (std::int64_t i = 0; i < hogs; ++i) {
        beam::spawn([&stop]() -> beam::process {
          while (!stop.load(std::memory_order_relaxed)) {
          }
          co_return;
        });
      }
      const beam::pid ponger = beam::spawn(pong_until_stopped);
      const beam::term ping = beam::tuple("ping"_a, beam::self());
      const auto end = clock::now() + std::chrono::milliseconds(window_ms);
      // Room for every round trip up front: growing the vector inside the loop (copying millions of samples)
      // would stall the very round trip being measured.
      trips_us.reserve(static_cast<std::size_t>(window_ms) * 10'000);
      for (auto t = clock::now(); t < end;) {
        beam::send(ponger, ping);
        co_await beam::receive(beam::on("pong"_a, [] {}));
        const auto now = clock::now();
        trips_us.push_back(std::chrono::duration<double, std::micro>(now - t).count());
        t = now;
      }
      stop = true;
      beam::send(ponger, "stop"_a);
    });
  }
  beam::set_logger({});
  std::sort(trips_us.begin(), trips_us.end());
  auto at = [&](double q) {
    return trips_us.empty() ? 0.0 : trips_us[static_cast<std::size_t>(q * (trips_us.size() - 1))];
  };
  return {{"round_trips", std::to_string(trips_us.size())},
          {"p50_us", fixed(at(0.5))},
          {"p99_us", fixed(at(0.99))},
          {"max_us", fixed(trips_us.empty() ? 0.0 : trips_us.back())}};
}

}  // namespace

beam::process pong_until_stopped() {
  for (bool stop = false; !stop;) {
    co_await beam::receive(
        beam::on(beam::tuple("ping"_a, beam::_pid), [](beam::pid from) { beam::send(from, "pong"_a); }),
        beam::on("stop"_a, [&stop] { stop = true; }));
  }
}

beam::runtime_options options_for(std::uint32_t schedulers, std::int64_t processes) {
  const auto limit = std::clamp<std::int64_t>(processes + 1000, 262'144, beam::max_process_limit);
  return {.schedulers = schedulers, .process_limit = static_cast<std::uint32_t>(limit)};
}

const std::vector<workload>& workloads() {
  static const std::vector<workload> all = {
      {"w1_spawn_exit", "spawn N processes that send `done` and exit", {{"n", 1'000'000}}, w1_spawn_exit},
      {"w2_idle_memory", "N idle processes: resident bytes each", {{"n", 1'000'000}}, w2_idle_memory},
      {"w3_ring", "a token around a ring of processes", {{"procs", 10'000}, {"hops", 1'000'000}}, w3_ring},
      {"w3_pingpong", "round trips between two processes", {{"round_trips", 1'000'000}}, w3_pingpong},
      {"w4_skynet", "a 10-ary tree of processes summing its leaves", {{"leaves", 1'000'000}}, w4_skynet},
      {"w5_fan_in", "many senders, one receiver", {{"senders", 4}, {"per_sender", 2'500'000}}, w5_fan_in},
      {"w6_fairness",
       "a ping-pong pair beside spinning hogs",
       {{"hogs", 2}, {"window_ms", 5000}},
       w6_fairness},
      {"w7_link_chain",
       "an exit travelling down a chain of linked processes",
       {{"procs", 100'000}},
       w7_link_chain},
      {"w8_gen_server_call", "one client calling one gen_server", {{"calls", 1'000'000}}, w8_gen_server_call},
      {"w9_supervisor_restart",
       "a one_for_one supervisor restarting a child that crashes at once",
       {{"restarts", 100'000}},
       w9_supervisor_restart},
      {"w10_monitor_down",
       "monitor + DOWN for processes that exit",
       {{"monitors", 1'000'000}},
       w10_monitor_down},
      {"w13_blocking_neighbours",
       "a ping-pong pair beside processes in blocking_call(sleep) loops, and without them",
       {{"blockers", 8}, {"sleep_ms", 100}, {"window_ms", 2000}},
       w13_blocking_neighbours},
  };
  return all;
}

std::string result_line(const workload& w, std::uint32_t schedulers, const parameters& params,
                        const results& measured) {
  std::string line = fmt::format("RESULT system=beampp schedulers={} workload={}", schedulers, w.name);
  for (const auto& [key, value] : params) line += fmt::format(" {}={}", key, value);
  for (const auto& [key, value] : measured) line += fmt::format(" {}={}", key, value);
  return line;
}

}  // namespace beampp
