// term/atom_table.hpp: indices of the atoms every part of beampp needs, interned first so they are constants.
#pragma once

#include <cstdint>

#include <beam/atom.hpp>

namespace beam::detail::atoms {

// The table interns these, in this order, before any other atom.
inline constexpr const char* predefined[] = {
    "false", "true", "nil", "nonode@nohost", "undefined", "ok", "error", "system_limit", "badarg",
};
inline constexpr atom false_ = atom::from_index(0);
inline constexpr atom true_ = atom::from_index(1);
inline constexpr atom nil = atom::from_index(2);
inline constexpr atom nonode_at_nohost = atom::from_index(3);
inline constexpr atom undefined = atom::from_index(4);
inline constexpr atom ok = atom::from_index(5);
inline constexpr atom error = atom::from_index(6);
inline constexpr atom system_limit = atom::from_index(7);
inline constexpr atom badarg = atom::from_index(8);

}  // namespace beam::detail::atoms
