// tools/etf_command.hpp: `beampp etf decode` and `beampp etf encode`, between ETF bytes and terms as text.
#pragma once

#include "command.hpp"

namespace beampp {

// Adds `etf decode [--erlang] [--packet N]` and `etf encode [--packet N]` to `app`.
void add_etf_command(CLI::App& app, command_action& action);

}  // namespace beampp
