// beam/call.hpp: request/reply between processes (the protocol of gen_server:call, usable by any server
// loop).
//
// A call monitors the server, sends it {:"$gen_call", {caller, tag}, request} and waits for the reply:
//   beam::term answer = co_await beam::call(server, beam::tuple("get"_a, key));
// The server answers with beam::reply(from, value), `from` being the {caller, tag} it got. The tag is an
// alias of the caller while the call waits, as OTP 24's process aliases: a reply that comes after the call
// gave up (timeout, or the server ended) is dropped, so late replies never reach the caller's mailbox.
// Outcomes: the reply; beam::error(noproc) when the server does not exist; beam::error(reason) with the
// server's exit reason when it ends before replying; beam::error(calling_self), at once, for a call to the
// caller itself; beam::error(timeout_value), at once, for a timeout outside OTP's 0 ... 2^32-1 ms;
// beam::error(timeout) when no reply comes in time (the default timeout is 5 s, as gen_server's;
// beam::infinity waits forever). A process that receives calls but never replies (not a server) gives a
// timeout, as in Erlang.
#pragma once

#include <chrono>

#include <beam/atom.hpp>
#include <beam/pid.hpp>
#include <beam/process.hpp>
#include <beam/term.hpp>

namespace beam {

// A timeout that never ends.
inline constexpr std::chrono::milliseconds infinity = std::chrono::milliseconds::max();
inline constexpr std::chrono::milliseconds default_call_timeout{5000};

// Calls `server` (process-only). See the top of this header for the outcomes.
[[nodiscard]] task<term> call(const pid& server, term request,
                              std::chrono::milliseconds timeout = default_call_timeout);
// Calls the process registered as `name`; no such name: beam::error(noproc).
[[nodiscard]] task<term> call(atom name, term request,
                              std::chrono::milliseconds timeout = default_call_timeout);
// Answers a call: `from` is the {caller, tag} of the request. Any thread in a runtime; a caller gone:
// nothing. Throws beam::error(badarg) when `from` is not a {pid, reference} pair.
void reply(const term& from, term value);

}  // namespace beam
