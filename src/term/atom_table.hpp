// term/atom_table.hpp: indices of the atoms every part of beampp needs, interned first so they are constants.
#pragma once

#include <cstdint>

#include <beam/atom.hpp>

namespace beam::detail::atoms {

// The table interns these, in this order, before any other atom.
inline constexpr const char* predefined[] = {
    "false",        "true",      "nil",    "nonode@nohost", "undefined", "ok",   "error",
    "system_limit", "badarg",    "normal", "shutdown",      "undef",     "kill", "killed",
    "noproc",       "exception", "EXIT",   "DOWN",          "process",
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
inline constexpr atom normal = atom::from_index(9);
inline constexpr atom shutdown = atom::from_index(10);
inline constexpr atom undef = atom::from_index(11);
inline constexpr atom kill = atom::from_index(12);
inline constexpr atom killed = atom::from_index(13);
inline constexpr atom noproc = atom::from_index(14);
inline constexpr atom exception = atom::from_index(15);
inline constexpr atom exit_tag = atom::from_index(16);  // 'EXIT'
inline constexpr atom down = atom::from_index(17);      // 'DOWN'
inline constexpr atom process = atom::from_index(18);

}  // namespace beam::detail::atoms
