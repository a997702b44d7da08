// beam/alias.hpp: process aliases (OTP 24's alias/0,1, unalias/1, and `Alias ! Message`).
//
// An alias is a reference that names the process that made it, for as long as that process keeps it active: a
// message sent to it reaches the process while the alias is active and is dropped silently once it is not
// (unalias, a reply alias used once, its monitor removed, or its process ended). A server may answer a caller
// that has stopped waiting, and the late answer never reaches the caller's mailbox:
//   beam::reference me = beam::alias(beam::alias_option::reply);
//   beam::send(server, beam::tuple("get"_a, me));   // the server answers beam::send(me, value)
// beam::call's tag is an alias of the caller ([alias | Ref], as OTP 25's gen_server:call), and
// beam::monitor(target, monitor_alias::...) makes its reference an alias too.
//
// alias and unalias are process-only (outside a process they throw std::logic_error); send works from any
// thread in a runtime. An alias is a reference of this node like any other (print, compare, send it in a
// message); it also carries its process, as OTP's do, so sending to it looks nothing up.
#pragma once

#include <beam/reference.hpp>
#include <beam/term.hpp>

namespace beam {

enum class alias_option {
  explicit_unalias,  // active until unalias (or the process ends)
  reply,             // ... or until the first message sent to it arrives (a reply): that one is delivered
};
// A new active alias of the calling process.
[[nodiscard]] reference alias(alias_option option = alias_option::explicit_unalias);
// Deactivates `alias`: whether it was an active alias of the calling process (unalias/1).
bool unalias(const reference& alias);
// Sends `message` to the process of `alias`, and returns it. Delivered only while the alias is active; a
// reference that is no alias, or no longer active, drops the message silently (`Alias ! Message`).
term send(const reference& alias, term message);

}  // namespace beam
