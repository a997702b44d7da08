// tools/tour_cluster.hpp: step 9 of `beampp tour`: this runtime joins a cluster with a real erl node.
#pragma once

#include <ostream>

namespace beampp {
// Starts a private EPMD and an erl node, and shows messages, a link and a monitor crossing between them;
// says why and skips when erl is not installed.
void step_cluster(std::ostream& out);
}  // namespace beampp
