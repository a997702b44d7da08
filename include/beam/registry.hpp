// beam/registry.hpp: registered names (Erlang's register/2, whereis/1 ...). A name is released when its
// process ends. Errors are beam::error with reason `badarg`, as in Erlang, with a message naming the cause.
#pragma once

#include <optional>
#include <vector>

#include <beam/atom.hpp>
#include <beam/pid.hpp>

namespace beam {

// Registers `name` for `process`. badarg when: the name is taken, the process is not alive, the process
// already has a name, or the name is `undefined`.
void register_name(atom name, const pid& process);
// Removes the name. badarg when it is not registered.
void unregister_name(atom name);
// The process registered as `name`, if any.
[[nodiscard]] std::optional<pid> whereis(atom name);
// Every registered name.
[[nodiscard]] std::vector<atom> registered();

}  // namespace beam
