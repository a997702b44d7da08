// tools/workloads_supervisor.cpp: W9, supervisor restarts (its Erlang twin is bench/erlang/w9_sup.erl, a real
// OTP supervisor).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include <beam/beam.hpp>

#include "workloads.hpp"

namespace beampp {
namespace {

using namespace beam::literals;
namespace sup = beam::supervisor;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// When each generation of the child started and crashed. Each child writes its own slots; the bench reads
// them after the last child's `done`, which every earlier write happened before (each child is started after
// the previous one's exit reached the supervisor).
struct restart_times {
  std::vector<std::int64_t> started_ns;
  std::vector<std::int64_t> crashed_ns;
};

// Generation `gen` of the child: notes when it runs, then crashes at once; the last one says `done` and
// waits.
beam::process crashing_child(std::int64_t gen, std::int64_t last, beam::pid bench, restart_times* times) {
  times->started_ns[static_cast<std::size_t>(gen)] = now_ns();
  if (gen == last) {
    beam::send(bench, "done"_a);
    co_await beam::receive(beam::on("stop"_a, [] {}));
    co_return;
  }
  times->crashed_ns[static_cast<std::size_t>(gen)] = now_ns();
  beam::exit("crash"_a);
}

}  // namespace

// W9: a one_for_one supervisor restarting a child that crashes at once, `restarts` times (intensity above
// that); each restart's latency runs from the crash to the new child running. Reports are off (a sink that
// drops them), as the Erlang twin sets the logger's level to none.
results w9_supervisor_restart(const parameters& p, std::uint32_t schedulers) {
  const std::int64_t restarts = p.at("restarts");
  restart_times times{std::vector<std::int64_t>(static_cast<std::size_t>(restarts) + 1),
                      std::vector<std::int64_t>(static_cast<std::size_t>(restarts) + 1)};
  const beam::log_sink previous = beam::set_logger([](beam::log_level, std::string_view) {});
  beam::runtime rt(options_for(schedulers, 16));
  rt.run([&]() -> beam::process {
    beam::trap_exit(true);
    const beam::pid bench = beam::self();
    sup::child_spec crasher{.id = "crasher"_a,
                            .start = [gen = std::int64_t{0}, restarts, bench,
                                      t = &times]() mutable -> beam::task<sup::start_result> {
                              co_return beam::spawn_link(crashing_child, gen++, restarts, bench, t);
                            }};
    const beam::pid s = co_await sup::start_link({.intensity = restarts + 1, .period = std::chrono::hours(1)},
                                                 sup::child_specs(std::move(crasher)));
    co_await beam::receive(beam::on("done"_a, [] {}));
    const beam::reference down = beam::monitor(s);
    beam::exit(s, "shutdown"_a);
    co_await beam::receive(beam::on(beam::tuple("DOWN"_a, down, "process"_a, beam::_, beam::_), [] {}));
  });
  beam::set_logger(previous);
  std::vector<double> latency_us;
  latency_us.reserve(static_cast<std::size_t>(restarts));
  for (std::size_t i = 0; i + 1 < times.started_ns.size(); ++i) {
    latency_us.push_back(static_cast<double>(times.started_ns[i + 1] - times.crashed_ns[i]) / 1000.0);
  }
  std::sort(latency_us.begin(), latency_us.end());
  const auto at = [&](double q) {
    return latency_us.empty()
               ? 0.0
               : latency_us[static_cast<std::size_t>(q * static_cast<double>(latency_us.size() - 1))];
  };
  return {{"p50_us", fmt::format("{:.2f}", at(0.5))}, {"p99_us", fmt::format("{:.2f}", at(0.99))}};
}

}  // namespace beampp
