// tools/bench_command.hpp: `beampp bench <workload> [key=value ...] [schedulers=S]`, the process benchmarks.
#pragma once

#include "command.hpp"

namespace beampp {
void add_bench_command(CLI::App& app, command_action& action);
}
