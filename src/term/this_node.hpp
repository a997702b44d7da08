// term/this_node.hpp: who may rename this node. beam::this_node() (beam/pid.hpp) is `nonode@nohost`, creation
// 0, while distribution is not running: src/dist sets its name and the creation EPMD gave it at each start,
// before any connection carries a pid, and sets `nonode@nohost`, 0 again when distribution stops. Pids and
// references of this node keep their local form across each rename and encode and print under the name of
// the moment; a pid or reference of another name, or of this name with another creation, is another
// incarnation's, and stays remote.
#pragma once

#include <beam/pid.hpp>

namespace beam::detail {
// Any thread; release, paired with this_node()'s acquire.
void set_this_node(node_id node) noexcept;
}  // namespace beam::detail
