// tools/workloads_links.cpp: W7 and W10, links and monitors (their Erlang twins are in
// bench/erlang/workloads.erl).
#include <algorithm>
#include <chrono>
#include <vector>

#include <fmt/format.h>

#include <beam/beam.hpp>

#include "workloads.hpp"

namespace beampp {
namespace {

using namespace beam::literals;
using clock = std::chrono::steady_clock;

double elapsed_ms(clock::time_point since) {
  return std::chrono::duration<double, std::milli>(clock::now() - since).count();
}

beam::task<> expect(beam::atom a) {
  co_await beam::receive(beam::on(a, [] {}));
}

// A link of the chain: spawns the next one linked (the last links to the tail and says `ready`), then waits
// for `go`, which only the head receives: it exits with `boom`, and the exit travels down the links.
beam::process chain_link(beam::pid tail, std::int64_t left) {
  if (left == 0) {
    beam::link(tail);
    beam::send(tail, "ready"_a);
  } else {
    beam::spawn_link(chain_link, tail, left - 1);
  }
  co_await expect("go"_a);
  beam::exit("boom"_a);
}

}  // namespace

// W7: a chain of `procs` linked processes; the head exits with `boom`; time until the trapping tail gets its
// EXIT.
results w7_link_chain(const parameters& p, std::uint32_t schedulers) {
  const std::int64_t procs = p.at("procs");
  double ms = 0;
  beam::runtime rt(options_for(schedulers, procs));
  rt.run([&]() -> beam::process {
    beam::trap_exit(true);
    const beam::pid head = beam::spawn(chain_link, beam::self(), procs - 1);
    co_await expect("ready"_a);
    const auto start = clock::now();
    beam::send(head, "go"_a);
    co_await beam::receive(beam::on(beam::tuple("EXIT"_a, beam::_, "boom"_a), [] {}));
    ms = elapsed_ms(start);
  });
  return {{"total_ms", fmt::format("{:.1f}", ms)}};
}

namespace {
beam::process wait_for_stop() {
  co_await expect("stop"_a);
}
}  // namespace

// W10: in batches of 10,000 idle processes: monitor each, tell it to stop, receive every DOWN. Spawning the
// batch is not timed.
results w10_monitor_down(const parameters& p, std::uint32_t schedulers) {
  const std::int64_t monitors = p.at("monitors");
  constexpr std::int64_t batch = 10'000;
  double ns = 0;
  beam::runtime rt(options_for(schedulers, batch));
  rt.run([&]() -> beam::process {
    std::vector<beam::pid> targets;
    for (std::int64_t done = 0; done < monitors; done += batch) {
      const std::int64_t n = std::min(batch, monitors - done);
      targets.clear();
      for (std::int64_t i = 0; i < n; ++i) targets.push_back(beam::spawn(wait_for_stop));
      const auto start = clock::now();
      for (const beam::pid& t : targets) {
        beam::monitor(t);
        beam::send(t, "stop"_a);
      }
      for (std::int64_t i = 0; i < n; ++i) {
        co_await beam::receive(
            beam::on(beam::tuple("DOWN"_a, beam::_, "process"_a, beam::_, "normal"_a), [] {}));
      }
      ns += std::chrono::duration<double, std::nano>(clock::now() - start).count();
    }
  });
  return {{"ns_per_monitor", fmt::format("{:.1f}", ns / static_cast<double>(monitors))}};
}

}  // namespace beampp
