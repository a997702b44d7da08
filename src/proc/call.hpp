// proc/call.hpp: request/reply to a process that a name of a layer above resolved (via names, otp/): the
// call itself is this layer's (call.cpp), the lookup is not.
#pragma once

#include <chrono>
#include <optional>

#include <beam/pid.hpp>
#include <beam/process.hpp>
#include <beam/term.hpp>

namespace beam::detail {

// Calls `to`, what the name `server` (as given, to name the call in a failure) resolved to; none: fails with
// noproc. `timeout`: none for call/2's default.
[[nodiscard]] task<term> call_resolved(term server, const std::optional<pid>& to, term request,
                                       std::optional<std::chrono::milliseconds> timeout);

}  // namespace beam::detail
