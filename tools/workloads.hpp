// tools/workloads.hpp: the process benchmarks W1-W10 and W13, each written once here and once in Erlang
// (bench/erlang/workloads.erl), with the same keys, so `beampp bench` and the Erlang twin print comparable
// lines:
//   RESULT system=beampp schedulers=S workload=w1_spawn_exit n=1000000 ns_per_proc=...
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <beam/runtime.hpp>

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

// Runtime options for a workload that keeps up to `processes` processes alive at once.
[[nodiscard]] beam::runtime_options options_for(std::uint32_t schedulers, std::int64_t processes);

// The workloads of links and monitors (workloads_links.cpp).
results w7_link_chain(const parameters& p, std::uint32_t schedulers);
results w10_monitor_down(const parameters& p, std::uint32_t schedulers);
// The workloads of OTP behaviours (workloads_otp.cpp).
results w8_gen_server_call(const parameters& p, std::uint32_t schedulers);

// The workload of supervisors (workloads_supervisor.cpp).
results w9_supervisor_restart(const parameters& p, std::uint32_t schedulers);

// The workload of blocking calls (workloads_blocking.cpp).
results w13_blocking_neighbours(const parameters& p, std::uint32_t schedulers);

// Answers each {:ping, from} with :pong until it receives :stop (the ping-pong workloads' other half).
beam::process pong_until_stopped();

// The RESULT line of one run.
[[nodiscard]] std::string result_line(const workload& w, std::uint32_t schedulers, const parameters& params,
                                      const results& measured);

}  // namespace beampp
