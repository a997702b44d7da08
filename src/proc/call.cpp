// proc/call.cpp: request/reply (beam/call.hpp). The reply travels as a `reply` signal, which the caller keeps
// only while the call's tag is one of its aliases (proc/signals.cpp), so a late reply is dropped on arrival.
#include <beam/call.hpp>

#include <optional>

#include <fmt/format.h>

#include <beam/error.hpp>
#include <beam/inspect.hpp>
#include <beam/monitor.hpp>
#include <beam/receive.hpp>
#include <beam/registry.hpp>

#include "proc/process_control.hpp"
#include "proc/signals.hpp"
#include "runtime/runtime_state.hpp"
#include "term/atom_table.hpp"

namespace beam {
namespace {

enum class call_outcome { replied, server_down, timed_out };

// Waits for the reply to the call tagged `ref` to `server` (monitored under `ref`). The caller is `p`. `tag`
// is `ref` as the term the request carried: the reply carries the same node, so matching it is a pointer
// comparison.
task<term> await_reply(detail::process_control& p, term server, reference ref, term tag,
                       std::chrono::milliseconds timeout) {
  term result;
  call_outcome outcome = call_outcome::timed_out;
  co_await receive(on(tuple(tag, _term),
                      [&](term value) {
                        result = std::move(value);
                        outcome = call_outcome::replied;
                      }),
                   on(tuple(detail::atoms::down, tag, detail::atoms::process, _, _term),
                      [&](term reason) {
                        result = std::move(reason);
                        outcome = call_outcome::server_down;
                      }),
                   after(timeout, [] {}));
  if (p.links != nullptr) p.links->aliases.erase(tag);
  if (outcome != call_outcome::server_down) demonitor(ref, demonitor_option::flush);
  switch (outcome) {
    case call_outcome::replied:
      co_return result;
    case call_outcome::server_down:
      throw beam::error(result, fmt::format("call: the server {} ended before replying: {}", inspect(server),
                                            inspect(result)));
    case call_outcome::timed_out:
      break;
  }
  throw beam::error(term(atom("timeout")),
                    fmt::format("call: no reply from {} within {} ms", inspect(server), timeout.count()));
}

// A call that cannot be made fails when awaited, without waiting, as gen:call's does.
task<term> refuse_call(beam::error why) {
  throw std::move(why);
  co_return term();
}

// Why a call to `to` (the caller is `p`) cannot be made: a call to oneself would wait for a reply only the
// caller could send; a timeout must be OTP's (0 ... 2^32-1 ms, or infinity).
std::optional<beam::error> call_refused(const detail::process_control& p, const std::optional<pid>& to,
                                        const term& server, std::chrono::milliseconds timeout) {
  if (to == p.self()) {
    return beam::error(term(atom("calling_self")),
                       fmt::format("call: {} is the calling process itself", inspect(server)));
  }
  if (detail::to_timeout(timeout) == detail::timeout_too_long || timeout.count() < 0) {
    return beam::error(
        term(atom("timeout_value")),
        fmt::format("call: the timeout {} ms is outside 0 ... 4294967295 ms (or beam::infinity)",
                    timeout.count()));
  }
  return std::nullopt;
}

term call_message(const pid& caller, const term& tag, term request) {
  static const atom gen_call("$gen_call");
  return tuple(gen_call, tuple(caller, tag), std::move(request));
}

// Starts a call to `server` (a pid, or a name `whereis` found), monitored under `ref`: `ref` becomes an alias
// of the caller and the request is sent. Returns the task that waits for the reply.
task<term> start_call(detail::process_control& p, term server, const std::optional<pid>& to, reference ref,
                      term request, std::chrono::milliseconds timeout) {
  term tag(ref);
  detail::links_of(p).aliases.insert(tag);
  if (to) send(*to, call_message(p.self(), tag, std::move(request)));
  return await_reply(p, std::move(server), std::move(ref), std::move(tag), timeout);
}

}  // namespace

task<term> call(const pid& server, term request, std::chrono::milliseconds timeout) {
  detail::process_control& p = detail::current_process("beam::call");
  if (auto refused = call_refused(p, server, term(server), timeout)) return refuse_call(std::move(*refused));
  reference ref = monitor(server);
  return start_call(p, term(server), server, std::move(ref), std::move(request), timeout);
}

task<term> call(atom name, term request, std::chrono::milliseconds timeout) {
  detail::process_control& p = detail::current_process("beam::call");
  reference ref = monitor(name);  // before whereis: a server that ends in between is seen as DOWN
  const std::optional<pid> to = whereis(name);
  if (auto refused = call_refused(p, to, term(name), timeout)) {
    demonitor(ref);  // none when the name is the caller's own
    return refuse_call(std::move(*refused));
  }
  return start_call(p, term(name), to, std::move(ref), std::move(request), timeout);
}

void reply(const term& from, term value) {
  const auto fields = from.is_tuple() ? from.as_tuple() : std::span<const term>();
  if (fields.size() != 2 || !fields[0].is_pid() || !fields[1].is_reference()) {
    throw beam::error(term(detail::atoms::badarg),
                      fmt::format("reply: {} is not the {{caller, tag}} of a call", inspect(from)));
  }
  detail::send_signal(detail::runtime_for("beam::reply"), fields[0].as_pid(), proc::signal_kind::reply,
                      tuple(fields[1], std::move(value)));
}

}  // namespace beam
