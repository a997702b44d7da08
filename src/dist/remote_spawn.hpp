// dist/remote_spawn.hpp: spawns that cross nodes (the design is at the top of dist/remote_spawn.cpp).
#pragma once

#include <span>

#include <beam/atom.hpp>
#include <beam/pid.hpp>
#include <beam/term.hpp>

namespace beam::dist_impl {

// A SPAWN_REQUEST from the peer, {29, ReqId, From, GroupLeader, {M, F, Arity}, OptList} (30: a trace token
// after OptList), and its argument list.
struct spawn_ask {
  term req_id;  // also the reference of the parent's monitor
  pid from;     // the parent, a process of the peer
  atom module;
  atom function;
  bool link = false, monitor = false;
  bool bad_option = false;  // an option other than link and monitor: refused with badopt
  term args{};              // as sent: checked by the spawned process, as erlang:apply checks it
};

// The request in `control` (a SPAWN_REQUEST or SPAWN_REQUEST_TT tuple) with its argument list. A malformed
// control tuple (arity, a request id that is no reference, a parent that is no pid of another node, a group
// leader that is no pid, an MFA that is not {atom, atom, integer}, an option list that is not a proper list)
// throws frame_error, which closes the connection as OTP closes it ("Invalid distribution message").
[[nodiscard]] spawn_ask parse_spawn_request(std::span<const term> control, const term& args);

// Spawns what `ask` asks for, linked to and monitored by ask.from before it can run, as asked: the export
// module:function with the arguments; erpc:execute_call/4 as OTP runs it (the result as the exit reason
// {Ref, return, Value}, or {Ref, error | exit, ...}); erpc:execute_cast/3 (erpc:cast) as the spawn of its
// M:F(A); for an unknown function a process that exits with
// {undef, [{M, F, Args, []}]}, and for an argument list that is not a proper list one that exits with
// {badarg, [{erlang, apply, [M, F, Args], []}]}, as an OTP node's spawned process does. Throws
// beam::error(system_limit) past the process limit. Process-only (the connection's process).
[[nodiscard]] pid spawn_asked(const spawn_ask& ask);

}  // namespace beam::dist_impl
