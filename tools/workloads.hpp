// tools/workloads.hpp: the process benchmarks W1-W6, each written once here and once in Erlang
// (bench/erlang/workloads.erl), with the same keys, so `beampp bench` and the Erlang twin print comparable lines:
//   RESULT system=beampp schedulers=S workload=w1_spawn_exit n=1000000 ns_per_proc=...
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace beampp {

// A workload's parameters (key=value from the command line over its defaults) and its results, in order.
using parameters = std::map<std::string, std::int64_t>;
using results = std::vector<std::pair<std::string, std::string>>;

struct workload {
  std::string name;
  std::string summary;
  parameters defaults;
  // Runs on a fresh runtime of `schedulers` schedulers (0: one per core).
  std::function<results(const parameters&, std::uint32_t schedulers)> run;
};

[[nodiscard]] const std::vector<workload>& workloads();

// The RESULT line of one run.
[[nodiscard]] std::string result_line(const workload& w, std::uint32_t schedulers, const parameters& params,
                                      const results& measured);

}  // namespace beampp
