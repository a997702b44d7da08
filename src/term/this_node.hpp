// term/this_node.hpp: who may rename this node. beam::this_node() (beam/pid.hpp) is `nonode@nohost`, creation
// 0, until distribution starts: src/dist sets its name and the creation EPMD gave it, once, before any
// connection carries a pid. Pids made before keep their local form and from then on encode and print under
// the new name; a pid of the new name with another creation is another incarnation's, and stays remote.
#pragma once

#include <beam/pid.hpp>

namespace beam::detail {
// Any thread; release, paired with this_node()'s acquire.
void set_this_node(node_id node) noexcept;
}  // namespace beam::detail
