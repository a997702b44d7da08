// proc/call.cpp: request/reply (beam/call.hpp), as OTP 25's gen:do_call and gen:reply: the caller monitors
// the server with a reference that is also its alias until the monitor is removed ({alias, demonitor}), tags
// the request [alias | Ref], and the reply is sent to the alias (beam/alias.hpp), so a reply that comes after
// the call gave up is dropped on arrival. A failure names the call as OTP 25's gen_server:call does, {Reason,
// {gen_server, call, Args}} (call_site); rejected: bare reasons (gen:call's), which no Erlang caller of
// gen_server:call ever sees.
//
// Cost: the caller makes the monitor's reference term once (detail::monitor_ref) and keys everything by it:
// its monitor record, the [alias | Ref] tag, the DOWN pattern, the demonitor; reply sends to the tag's alias
// term. Building the term from the reference at each of those steps made six reference nodes per call; one
// now (w8 under callgrind: 8,700 -> 7,748 instructions per call, commit 715dfd0). The alias is five words
// (its process's pid in the last two), too wide to be an immediate as make()'s references are
// (term/heap.hpp).
#include <beam/call.hpp>

#include <chrono>
#include <optional>
#include <string>

#include <fmt/format.h>

#include <beam/alias.hpp>
#include <beam/error.hpp>
#include <beam/inspect.hpp>
#include <beam/monitor.hpp>
#include <beam/receive.hpp>
#include <beam/registry.hpp>

#include "proc/call.hpp"
#include "proc/node.hpp"
#include "proc/process_control.hpp"
#include "proc/signals.hpp"
#include "term/atom_table.hpp"

namespace beam {
namespace {

// One call as gen_server:call names it when it fails: {Reason, {gen_server, call, Args}}.
struct call_site {
  term server;  // the pid or the name, as given
  term request;
  std::optional<std::chrono::milliseconds> timeout;  // none: gen_server:call/2, which waits the default

  [[nodiscard]] std::chrono::milliseconds wait() const { return timeout.value_or(default_call_timeout); }

  // Args: [Server, Request, Timeout], or [Server, Request] for call/2; Timeout is `infinity` or the ms.
  [[nodiscard]] term args() const {
    if (!timeout) return list(server, request);
    return list(server, request, *timeout == infinity ? term(atom("infinity")) : term(timeout->count()));
  }

  // The error the caller raises: {reason, {gen_server, call, Args}}, `what` saying it in words.
  [[nodiscard]] beam::error failure(term reason, const std::string& what) const {
    static const atom gen_server("gen_server");
    static const atom call("call");
    return beam::error(tuple(std::move(reason), tuple(gen_server, call, args())), "call: " + what);
  }
};

enum class call_outcome { replied, server_down, timed_out };

// Waits for the reply to `site`'s call tagged `tag`, [alias | ref] (the server monitored under `ref`). The
// reply carries the request's tag, the same node, so matching it is a pointer comparison; `ref` is the term
// the caller keys its monitor by, so the DOWN pattern and the demonitor build none.
task<term> await_reply(call_site site, term ref, term tag) {
  term result;
  call_outcome outcome = call_outcome::timed_out;
  const auto replied = [&](term value) {
    result = std::move(value);
    outcome = call_outcome::replied;
  };
  co_await receive(on(tuple(tag, _term), replied),
                   on(tuple(detail::atoms::down, ref, detail::atoms::process, _, _term),
                      [&](term reason) {
                        result = std::move(reason);
                        outcome = call_outcome::server_down;
                      }),
                   after(site.wait(), [] {}));
  // The alias ends with the monitor (a DOWN ended both): a reply sent from now on is dropped on arrival.
  if (outcome != call_outcome::server_down) {
    detail::demonitor_ref(detail::signalling_process("beam::call"), ref, demonitor_option::flush);
  }
  // A reply that arrived before that still counts, as in gen:do_call.
  if (outcome == call_outcome::timed_out) {
    co_await receive(on(tuple(tag, _term), replied), after(std::chrono::milliseconds(0), [] {}));
  }
  switch (outcome) {
    case call_outcome::replied:
      co_return result;
    case call_outcome::server_down:
      throw site.failure(result, fmt::format("the server {} ended before replying: {}", inspect(site.server),
                                             inspect(result)));
    case call_outcome::timed_out:
      break;
  }
  throw site.failure(term(atom("timeout")),
                     fmt::format("no reply from {} within {} ms", inspect(site.server), site.wait().count()));
}

// A call that cannot be made fails when awaited, without waiting, as gen:call's does.
task<term> refuse_call(beam::error why) {
  throw std::move(why);
  co_return term();
}

// Why `site`'s call to `to` (the caller is `p`) cannot be made: a call to oneself would wait for a reply only
// the caller could send; a timeout must be OTP's (0 ... 2^32-1 ms, or infinity).
std::optional<beam::error> call_refused(const detail::process_control& p, const std::optional<pid>& to,
                                        const call_site& site) {
  if (to == p.self()) {
    return site.failure(term(atom("calling_self")),
                        fmt::format("{} is the calling process itself", inspect(site.server)));
  }
  const std::chrono::milliseconds timeout = site.wait();
  if (detail::to_timeout(timeout) == detail::timeout_too_long || timeout.count() < 0) {
    return site.failure(
        term(atom("timeout_value")),
        fmt::format("the timeout {} ms is outside 0 ... 4294967295 ms (or beam::infinity)", timeout.count()));
  }
  return std::nullopt;
}

const atom alias_tag("alias");

// A call's tag: [alias | Ref], OTP 25's.
term call_tag(const term& ref) {
  const term head(alias_tag);
  return make_list(std::span<const term>(&head, 1), ref);
}

// The reference in an [alias | Ref] tag; none for any other tag.
std::optional<term> alias_in_tag(const term& tag) {
  if (!tag.is_list() || tag.as_list().size() != 1 || !tag.as_list()[0].is_atom(alias_tag))
    return std::nullopt;
  term rest = tag.list_tail();
  return rest.is_reference() ? std::optional(std::move(rest)) : std::nullopt;
}

term call_message(const pid& caller, const term& tag, term request) {
  static const atom gen_call("$gen_call");
  return tuple(gen_call, tuple(caller, tag), std::move(request));
}

// Starts `site`'s call to `to` (a pid, or what `whereis` found for a name), monitored under `ref`, an alias
// of the caller: sends the request tagged [alias | ref]. Returns the task that waits for the reply.
task<term> start_call(const detail::process_control& p, call_site site, const std::optional<pid>& to,
                      term ref) {
  term tag = call_tag(ref);
  if (to) send(*to, call_message(p.self(), tag, site.request));
  return await_reply(std::move(site), std::move(ref), std::move(tag));
}

task<term> call_pid(const pid& server, call_site site) {
  detail::process_control& p = detail::signalling_process("beam::call");
  if (auto refused = call_refused(p, server, site)) return refuse_call(std::move(*refused));
  term ref = detail::monitor_ref(p, server, monitor_alias::demonitor);
  return start_call(p, std::move(site), server, std::move(ref));
}

task<term> call_name(atom name, call_site site) {
  detail::process_control& p = detail::signalling_process("beam::call");
  // Before whereis: a server that ends in between is seen as DOWN.
  term ref = detail::monitor_ref(p, name, monitor_alias::demonitor);
  const std::optional<pid> to = whereis(name);
  if (auto refused = call_refused(p, to, site)) {
    detail::demonitor_ref(p, ref, demonitor_option::none);  // none when the name is the caller's own
    return refuse_call(std::move(*refused));
  }
  return start_call(p, std::move(site), to, std::move(ref));
}

task<term> call_name_at_node(const std::pair<atom, atom>& name_at_node, call_site site) {
  if (name_at_node.second == this_node().name) return call_name(name_at_node.first, std::move(site));
  detail::process_control& p = detail::current_process("beam::call");
  // The other node resolves the name, for the monitor and for the request alike.
  term ref(monitor(name_at_node, monitor_alias::demonitor));
  term tag = call_tag(ref);
  send(name_at_node, call_message(p.self(), tag, site.request));
  return await_reply(std::move(site), std::move(ref), std::move(tag));
}

}  // namespace

task<term> detail::call_resolved(term server, const std::optional<pid>& to, term request,
                                 std::optional<std::chrono::milliseconds> timeout) {
  call_site site{std::move(server), std::move(request), timeout};
  if (to) return call_pid(*to, std::move(site));
  return refuse_call(site.failure(term(detail::atoms::noproc),
                                  fmt::format("no process is registered as {}", inspect(site.server))));
}

task<term> call(const pid& server, term request) {
  return call_pid(server, {term(server), std::move(request), std::nullopt});
}

task<term> call(const pid& server, term request, std::chrono::milliseconds timeout) {
  return call_pid(server, {term(server), std::move(request), timeout});
}

task<term> call(atom name, term request) {
  return call_name(name, {term(name), std::move(request), std::nullopt});
}

task<term> call(atom name, term request, std::chrono::milliseconds timeout) {
  return call_name(name, {term(name), std::move(request), timeout});
}

task<term> call(const std::pair<atom, atom>& name_at_node, term request) {
  return call_name_at_node(
      name_at_node, {tuple(name_at_node.first, name_at_node.second), std::move(request), std::nullopt});
}

task<term> call(const std::pair<atom, atom>& name_at_node, term request, std::chrono::milliseconds timeout) {
  return call_name_at_node(name_at_node,
                           {tuple(name_at_node.first, name_at_node.second), std::move(request), timeout});
}

bool is_call_from(const term& from) {
  const auto fields = from.is_tuple() ? from.as_tuple() : std::span<const term>();
  return fields.size() == 2 && fields[0].is_pid() &&
         (fields[1].is_reference() || alias_in_tag(fields[1]).has_value());
}

// As gen:reply: {Tag, Reply} to the alias of an [alias | Ref] tag, else to the caller's pid.
void reply(const term& from, term value) {
  if (!is_call_from(from)) {
    throw beam::error(term(detail::atoms::badarg),
                      fmt::format("reply: {} is not the {{caller, tag}} of a call", inspect(from)));
  }
  const term& tag = from.as_tuple()[1];
  if (const std::optional<term> alias = alias_in_tag(tag)) {
    detail::send_to_alias(detail::node_for("beam::reply"), *alias, tuple(tag, std::move(value)));
  } else {
    send(from.as_tuple()[0].as_pid(), tuple(tag, std::move(value)));
  }
}

}  // namespace beam
