// dist/remote_spawn.cpp: spawns that cross nodes, both ways.
//
// Incoming (SPAWN_REQUEST from the peer, served by the connection's process, dist/serve.cpp). The
// connection's process checks the request, spawns the child with the peer's process as its remote parent, so
// that the child's side of the link and of the monitor exist before it can run (a child that ends at once
// still sends its EXIT or DOWN), records both in the connection's crossings (for noconnection), and writes
// SPAWN_REPLY before it reads its mailbox again: the child's exit signal or DOWN, routed to the same
// process's mailbox, is written after the reply, as the peer expects. The monitor's reference is the request
// id, as in OTP. rpc:call and erpc:call arrive as a spawn of erpc:execute_call/4 with [Ref, M, F, A]: the
// process runs the exported call (proc/exports.hpp) and exits with erpc's reply, {Ref, return, Value} or
// {Ref, error | exit,
// ...}, which travels to the caller as the monitor's DOWN reason.
//
// Outgoing (beam::dist::spawn_request). The caller encodes SPAWN_REQUEST on its own thread, as the router
// encodes messages, and hands it to the connection's process as {'$dist_spawn', Caller, ReqId, Frame}; that
// process writes it and keeps ReqId -> Caller until the SPAWN_REPLY. The reply reaches the caller as a
// spawn_reply signal (proc/mailbox.hpp), which the caller's own worker turns into the link and monitor it
// asked for and the message {spawn_reply, ReqId, ok, Pid}, so the child's EXIT or DOWN, arriving behind the
// reply on the same connection and the same mailbox, finds them. A connection that ends, or never comes up,
// answers the requests it still holds with {spawn_reply, ReqId, error, noconnection}.
//
// Rejected: having the spawned child set up its remote links itself when it first runs (a child that the
// scheduler runs before the connection records them loses its EXIT); sending the spawn_reply as a plain
// message and linking from the connection's process (the caller's own link record has one writer, its owner).
#include "dist/remote_spawn.hpp"

#include <string>
#include <vector>

#include <fmt/format.h>

#include <beam/dist.hpp>
#include <beam/process.hpp>
#include <beam/reference.hpp>

#include "dist/frames.hpp"
#include "dist/node_table.hpp"
#include "proc/exports.hpp"

namespace beam::dist_impl {
namespace {

using namespace beam::literals;

// Exits at once with `reason`: how an unknown function or a bad argument list ends, as on an OTP node.
process exit_with(term reason) {
  beam::exit(reason);
  co_return;
}

// erpc:execute_call/4's exit reason for an outcome.
term erpc_reply(const term& ref, atom module, atom function, std::size_t arity,
                const detail::call_outcome& out) {
  if (out.kind == "error"_a) {
    const term stack = list(tuple(module, function, static_cast<std::int64_t>(arity), term()));
    return tuple(ref, out.kind, out.value, stack);
  }
  return tuple(ref, out.kind, out.value);
}

// erpc:execute_call(Ref, M, F, A) of an exported call: its outcome as the exit reason.
process erpc_call(term ref, atom module, atom function, exported_call call, std::vector<term> args) {
  const detail::call_outcome out = co_await detail::run_call(call, args);
  beam::exit(erpc_reply(ref, module, function, args.size(), out));
}

// The child, linked and monitored as asked.
template <class F, class... Args>
pid spawn_for(const spawn_ask& ask, F&& body, Args&&... args) {
  const detail::remote_parent parent{ask.from, ask.link, ask.monitor ? &ask.req_id : nullptr};
  const std::size_t arity = ask.args.is_proper_list() ? ask.args.as_list().size() : 0;
  const export_fun mfa{ask.module, ask.function,
                       static_cast<std::uint8_t>(std::min<std::size_t>(arity, 255))};
  const detail::spawn_request request{0, nullptr, nullptr, nullptr, &mfa, nullptr, &parent};
  return detail::spawn_built(request, std::forward<F>(body), std::forward<Args>(args)...);
}

term undef_reason(atom module, atom function, const term& args) {
  return tuple("undef"_a, list(tuple(module, function, args, term())));
}

term badarg_reason(const term& module, const term& function, const term& args) {
  return tuple("badarg"_a, list(tuple("erlang"_a, "apply"_a, list(module, function, args), term())));
}

// An exported process body with its arguments.
pid spawn_body(const spawn_ask& ask, exported_function body, std::vector<term> args) {
  return spawn_for(
      ask, [f = std::move(body)](const std::vector<term>& a) { return f(a); }, std::move(args));
}

std::vector<term> elements(const term& list) {
  const auto e = list.as_list();
  return std::vector<term>(e.begin(), e.end());
}

// erpc:execute_call/4 with [Ref, M, F, A].
pid spawn_erpc(const spawn_ask& ask, std::vector<term> a) {
  const term& ref = a[0];
  if (!a[1].is_atom() || !a[2].is_atom() || !a[3].is_proper_list()) {
    const term stack = list(tuple("erlang"_a, "apply"_a, list(a[1], a[2], a[3]), term()));
    return spawn_for(ask, exit_with, tuple(ref, "error"_a, "badarg"_a, stack));
  }
  const atom module = a[1].as_atom(), function = a[2].as_atom();
  const std::optional<detail::export_entry> e = detail::find_export(module, function);
  if (!e) {
    const term stack = list(tuple(module, function, a[3], term()));
    return spawn_for(ask, exit_with, tuple(ref, "error"_a, "undef"_a, stack));
  }
  if (!e->call) return spawn_body(ask, e->body, elements(a[3]));  // erpc sees its end as exit {signal, R}
  return spawn_for(ask, erpc_call, ref, module, function, e->call, elements(a[3]));
}

}  // namespace

spawn_ask parse_spawn_request(std::span<const term> c, const term& args) {
  const bool traced = c[0].as_int() == op::spawn_request_tt;  // decode_frame checked c[0]
  if (c.size() != (traced ? 7u : 6u)) throw frame_error(fmt::format("SPAWN_REQUEST of arity {}", c.size()));
  if (!c[1].is_reference()) throw frame_error("SPAWN_REQUEST: the request id is not a reference");
  if (!c[2].is_pid() || c[2].as_pid().is_local())
    throw frame_error("SPAWN_REQUEST: the parent is not a pid of another node");
  if (!c[3].is_pid()) throw frame_error("SPAWN_REQUEST: the group leader is not a pid");
  const term& mfa = c[4];
  if (!mfa.is_tuple() || mfa.as_tuple().size() != 3 || !mfa.as_tuple()[0].is_atom() ||
      !mfa.as_tuple()[1].is_atom() || !mfa.as_tuple()[2].is_small_integer()) {
    throw frame_error("SPAWN_REQUEST: the MFA is not {Module, Function, Arity}");
  }
  if (!c[5].is_proper_list()) throw frame_error("SPAWN_REQUEST: the option list is not a proper list");
  spawn_ask ask{.req_id = c[1],
                .from = c[2].as_pid(),
                .module = mfa.as_tuple()[0].as_atom(),
                .function = mfa.as_tuple()[1].as_atom()};
  for (const term& option : c[5].as_list()) {
    if (option == term("link"_a)) {
      ask.link = true;
    } else if (option == term("monitor"_a)) {
      ask.monitor = true;
    } else {
      ask.bad_option = true;
    }
  }
  ask.args = args;
  return ask;
}

// module:function(args), or the process that exits undef.
pid spawn_export(const spawn_ask& ask, atom module, atom function, const term& args) {
  const std::optional<detail::export_entry> e = detail::find_export(module, function);
  if (!e) return spawn_for(ask, exit_with, undef_reason(module, function, args));
  return spawn_body(ask, e->body, elements(args));
}

pid spawn_asked(const spawn_ask& ask) {
  if (!ask.args.is_proper_list())
    return spawn_for(ask, exit_with, badarg_reason(term(ask.module), term(ask.function), ask.args));
  std::vector<term> args = elements(ask.args);
  if (ask.module == "erpc"_a && ask.function == "execute_call"_a && args.size() == 4)
    return spawn_erpc(ask, std::move(args));
  // erpc:cast and rpc:cast: erpc:execute_cast(M, F, A) runs M:F(A), nobody waits for its value.
  if (ask.module == "erpc"_a && ask.function == "execute_cast"_a && args.size() == 3 && args[0].is_atom() &&
      args[1].is_atom() && args[2].is_proper_list()) {
    return spawn_export(ask, args[0].as_atom(), args[1].as_atom(), args[2]);
  }
  return spawn_export(ask, ask.module, ask.function, ask.args);
}

}  // namespace beam::dist_impl

namespace beam::dist {

using namespace beam::literals;

namespace {

// {spawn_reply, Ref, error, Reason} to the caller now.
reference refused(const pid& caller, const reference& ref, const term& reason) {
  send(caller, tuple("spawn_reply"_a, ref, "error"_a, reason));
  return ref;
}

term option_list(const spawn_request_options& options) {
  std::vector<term> o;
  if (options.link) o.emplace_back("link"_a);
  if (options.monitor) o.emplace_back("monitor"_a);
  return make_list(std::move(o));
}

}  // namespace

reference spawn_request(atom node, atom module, atom function, std::vector<term> args,
                        spawn_request_options options) {
  const pid caller = self();
  const reference ref = reference::make();
  dist_impl::dist_state& st = dist_impl::state();
  if (!st.running.load(std::memory_order_acquire)) return refused(caller, ref, "noconnection"_a);
  if (node == st.config.name) {  // this node: spawn/3 here, linked and monitored (under ref) as asked
    const spawn_options linked{.link = options.link};
    const pid child =
        detail::spawn_mfa(&linked, options.monitor ? &ref : nullptr, module, function, std::move(args));
    send(caller, tuple("spawn_reply"_a, ref, "ok"_a, child));
    return ref;
  }
  const term arglist = make_list(std::move(args));
  const auto arity = static_cast<std::int64_t>(arglist.is_nil() ? 0 : arglist.as_list().size());
  // The caller is its children's group leader: their io requests come to it (see dist.hpp).
  const term control = tuple(dist_impl::op::spawn_request, term(ref), term(caller), term(caller),
                             tuple(module, function, arity), option_list(options));
  const std::string frame = dist_impl::encode_frame(control, &arglist);
  const std::optional<pid> conn = dist_impl::connection_for(node);
  if (!conn) return refused(caller, ref, "noconnection"_a);
  send(*conn, tuple("$dist_spawn"_a, caller, ref, binary(frame)));
  return ref;
}

}  // namespace beam::dist
