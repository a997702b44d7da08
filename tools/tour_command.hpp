// tools/tour_command.hpp: `beampp tour`, the lesson's claims checked live on this machine.
#pragma once

#include "command.hpp"

namespace beampp {
void add_tour_command(CLI::App& app, command_action& action);
}
