// beam/call.hpp: request/reply between processes (the protocol of gen_server:call, usable by any server
// loop).
//
// A call monitors the server, sends it {:"$gen_call", {caller, [:alias | ref]}, request} and waits for the
// reply {[:alias | ref], value}, exactly as OTP 25's gen_server:call:
//   beam::term answer = co_await beam::call(server, beam::tuple("get"_a, key));
// The server answers with beam::reply(from, value), `from` being the {caller, tag} it got. `ref` is both the
// monitor's reference and an alias of the caller (beam/alias.hpp) while the call waits: a reply that comes
// after the call gave up (timeout, or the server ended) is dropped, so late replies never reach the caller's
// mailbox.
// Outcomes, as OTP 25's gen_server:call: the reply, or the caller exits (a beam::error it may catch) with
// {Reason, {gen_server, call, [Server, Request, Timeout]}}, Server being the pid or name as given, Timeout
// the milliseconds or `infinity` (and [Server, Request] for a call without a timeout, as gen_server:call/2).
// Reason is: noproc when the server does not exist; the server's exit reason when it ends before replying;
// calling_self, at once, for a call to the caller itself; timeout_value, at once, for a timeout outside OTP's
// 0 ... 2^32-1 ms (OTP's reason holds a stack trace there: {timeout_value, Stack}, or {function_clause,
// Stack} for a negative one); timeout when no reply comes in time (the default timeout is 5 s, as
// gen_server's; beam::infinity waits forever). A process that receives calls but never replies (not a
// server) gives a timeout, as in Erlang.
#pragma once

#include <chrono>

#include <beam/atom.hpp>
#include <beam/pid.hpp>
#include <beam/process.hpp>
#include <beam/term.hpp>
#include <beam/via.hpp>

namespace beam {

// A timeout that never ends.
inline constexpr std::chrono::milliseconds infinity = std::chrono::milliseconds::max();
inline constexpr std::chrono::milliseconds default_call_timeout{5000};

// Calls `server` (process-only). See the top of this header for the outcomes. Without a timeout: waits
// default_call_timeout, and a failure names the call as gen_server:call/2 does.
[[nodiscard]] task<term> call(const pid& server, term request);
[[nodiscard]] task<term> call(const pid& server, term request, std::chrono::milliseconds timeout);
// Calls the process registered as `name`; no such name: Reason noproc.
[[nodiscard]] task<term> call(atom name, term request);
[[nodiscard]] task<term> call(atom name, term request, std::chrono::milliseconds timeout);
// Calls {Name, Node}: on this node as call(name); on another node (beam/dist.hpp) the process registered
// there, as gen_server:call({Name, Node}, Request) (no such name: Reason noproc; the node unreachable or its
// connection lost: noconnection). The failure names the server {Name, Node}.
[[nodiscard]] task<term> call(const std::pair<atom, atom>& name_at_node, term request);
[[nodiscard]] task<term> call(const std::pair<atom, atom>& name_at_node, term request,
                              std::chrono::milliseconds timeout);
// Calls the process under a via name (beam/via.hpp), looked up now; nobody under it: Reason noproc, and the
// failure names the server {via, 'Elixir.Registry', {Registry, Key}}. An unknown registry: badarg at once.
[[nodiscard]] task<term> call(const via& name, term request);
[[nodiscard]] task<term> call(const via& name, term request, std::chrono::milliseconds timeout);
// Answers a call: `from` is the {caller, tag} of the request. As OTP 25's gen:reply: to a tag [alias | Ref],
// {Tag, value} is sent to the alias Ref (dropped if the caller gave up); to a plain reference tag, {Tag,
// value} is sent to the caller's pid. Any thread in a runtime; a caller gone: nothing. Throws
// beam::error(badarg) when `from` is not of either form.
void reply(const term& from, term value);
// Whether `from` is the {caller, tag} of a call: {pid, [alias | reference]} or {pid, reference}.
[[nodiscard]] bool is_call_from(const term& from);

}  // namespace beam
