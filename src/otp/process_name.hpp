// otp/process_name.hpp: what the behaviours (gen_server, the supervisors, the key registry) do with the name
// a process starts under, an atom or a via name (beam/via.hpp), alike for both.
#pragma once

#include <optional>

#include <beam/pid.hpp>
#include <beam/term.hpp>
#include <beam/via.hpp>

namespace beam::otp {

// The calling process takes `name`: nullopt when it did, else the process that holds it. Throws
// beam::error(badarg) for the atom `undefined`, or a via name whose registry is unknown or has duplicate
// keys. Process-only.
[[nodiscard]] std::optional<pid> claim_name(const process_name& name);
// The calling process gives up `name`, which it holds. Process-only.
void release_name(const process_name& name);
// The process under `name` now, if any. Any thread in a runtime.
[[nodiscard]] std::optional<pid> whereis_name(const process_name& name);
// `name` as reports and call failures show it: the atom, or {via, 'Elixir.Registry', {Registry, Key}}.
[[nodiscard]] term name_term(const process_name& name);

}  // namespace beam::otp
