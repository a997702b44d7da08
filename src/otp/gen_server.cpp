// otp/gen_server.cpp: the non-template half of beam/gen_server.hpp: the start protocol, message sorting,
// stop, cast and the reports. Built only on the public API (send, receive, monitors, links, the registry).
//
// Start protocol (as OTP's proc_lib start/ack): the starter makes a reference `tag`, spawns the server linked
// (start_link) and monitored under `tag`, both before the server can run, then waits for {tag, ack} where ack
// is :ok, :ignore or {:error, reason}. The monitor catches a server that dies before acknowledging (killed
// during init), so a start never waits on a dead process; the DOWN of the server comes after its ack
// (per-pair order), so an ack is never mistaken for a death. Rejected: an alias for the ack, as the monitor
// is needed anyway and a late ack (after a start timeout) is flushed once the killed server's DOWN has come.
#include <beam/gen_server.hpp>

#include <cxxabi.h>

#include <cstdlib>
#include <memory>
#include <string>

#include <fmt/format.h>

#include <beam/error.hpp>
#include <beam/inspect.hpp>
#include <beam/link.hpp>
#include <beam/logger.hpp>
#include <beam/monitor.hpp>
#include <beam/registry.hpp>

#include "otp/process_name.hpp"

namespace beam {
namespace {

using namespace beam::literals;

term server_name(const std::optional<process_name>& name) {
  return name ? otp::name_term(*name) : term(self());
}

std::string demangle(const char* name) {
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> out(abi::__cxa_demangle(name, nullptr, nullptr, &status),
                                                  &std::free);
  return status == 0 && out ? std::string(out.get()) : std::string(name);
}

// Waits for the DOWN of `server` under `tag`, then drops an ack that came before it.
task<term> await_down_and_flush(reference tag) {
  term reason = co_await receive(on(tuple("DOWN"_a, tag, "process"_a, _, _term), [](term r) { return r; }));
  co_await receive(on(tuple(tag, _), [] {}), after(std::chrono::milliseconds(0), [] {}));
  co_return reason;
}

// stop/3 for `target`, what a pid or name (`server`, as given) stands for now. Checked when awaited so that
// every outcome is raised by co_await.
task<> stop_server(std::optional<pid> target, term server, term reason, std::chrono::milliseconds timeout) {
  if (!target)
    throw error(term("noproc"_a), fmt::format("stop: no process is registered as {}", inspect(server)));
  if (*target == self()) throw error(term("calling_self"_a), "stop: a server cannot stop itself this way");
  const reference ref = monitor(*target);
  send(*target, tuple("system"_a, tuple(self(), ref), tuple("terminate"_a, reason)));
  std::optional<term> down;
  co_await receive(on(tuple("DOWN"_a, ref, "process"_a, _, _term), [&](term r) { down = std::move(r); }),
                   after(timeout, [] {}));
  if (!down) {
    demonitor(ref, demonitor_option::flush);
    throw error(term("timeout"_a), fmt::format("stop: the server {} did not end within {} ms",
                                               inspect(server), timeout.count()));
  }
  if (*down == reason) co_return;
  if (*down == term("noproc"_a)) throw error(*down, fmt::format("stop: no server {}", inspect(server)));
  throw error(*down, fmt::format("stop: the server {} ended with {}, not {}", inspect(server), inspect(*down),
                                 inspect(reason)));
}

}  // namespace

void cast(const pid& server, term message) {
  send(server, tuple("$gen_cast"_a, std::move(message)));
}

void cast(atom name, term message) {
  if (std::optional<pid> server = whereis(name)) cast(*server, std::move(message));
}

void cast(const via& name, term message) {
  try {
    if (std::optional<pid> server = whereis(name)) cast(*server, std::move(message));
  } catch (const error&) {  // no such registry: nothing happens, as Elixir's GenServer.cast
  }
}

task<> stop(const pid& server, term reason, std::chrono::milliseconds timeout) {
  return stop_server(server, term(server), std::move(reason), timeout);
}

task<> stop(atom name, term reason, std::chrono::milliseconds timeout) {
  return stop_server(whereis(name), term(name), std::move(reason), timeout);
}

task<> stop(const via& name, term reason, std::chrono::milliseconds timeout) {
  return stop_server(whereis(name), to_term(name), std::move(reason), timeout);
}

namespace gen_server::detail {

start_context make_start_context(const start_options& options, bool linked, const char* type_name) {
  if (options.name == process_name("undefined"_a)) {
    throw error(term("badarg"_a), "gen_server start: the name 'undefined' is reserved");
  }
  return {self(), reference::make(), options.name, linked, type_name};
}

spawn_options start_spawn_options(bool linked) {
  return {.link = linked};
}

void register_or_exit(const start_context& ctx) {
  if (!ctx.name) return;
  if (std::optional<pid> holder = otp::claim_name(*ctx.name)) {
    send(ctx.starter, tuple(ctx.tag, tuple("error"_a, tuple("already_started"_a, *holder))));
    beam::exit("normal"_a);
  }
}

void acknowledge(const start_context& ctx, const init_result& result) {
  if (result.what == init_result::outcome::ok) {
    send(ctx.starter, tuple(ctx.tag, "ok"_a));
    return;
  }
  if (ctx.name) otp::release_name(*ctx.name);  // first, so that a restart at once does not find it taken
  if (result.what == init_result::outcome::ignore) {
    send(ctx.starter, tuple(ctx.tag, "ignore"_a));
    beam::exit("normal"_a);
  }
  send(ctx.starter, tuple(ctx.tag, tuple("error"_a, result.reason)));
  beam::exit(result.reason);
}

task<pid> await_start(pid server, reference tag, std::chrono::milliseconds timeout, bool linked) {
  enum class outcome { acked, died, timed_out } what = outcome::timed_out;
  term value;
  co_await receive(on(tuple(tag, _term),
                      [&](term ack) {
                        value = std::move(ack);
                        what = outcome::acked;
                      }),
                   on(tuple("DOWN"_a, tag, "process"_a, _, _term),
                      [&](term reason) {
                        value = std::move(reason);
                        what = outcome::died;
                      }),
                   after(timeout, [] {}));
  switch (what) {
    case outcome::acked:
      demonitor(tag, demonitor_option::flush);
      if (value == term("ok"_a)) co_return server;
      if (value == term("ignore"_a))
        throw error(value, fmt::format("gen_server start: {} ignored", inspect(server)));
      {
        const term reason = value.as_tuple()[1];  // {:error, reason}
        throw error(reason, fmt::format("gen_server start: {} failed to start: {}", inspect(server),
                                        inspect(reason)));
      }
    case outcome::died:
      throw error(value,
                  fmt::format("gen_server start: {} ended during init: {}", inspect(server), inspect(value)));
    case outcome::timed_out:
      break;
  }
  if (linked) unlink(server);
  beam::exit(server, "kill"_a);
  co_await await_down_and_flush(tag);
  throw error(term("timeout"_a), fmt::format("gen_server start: {} did not finish init within {} ms",
                                             inspect(server), timeout.count()));
}

incoming classify(const term& message, const pid& parent) {
  if (message.is_tuple()) {
    const auto f = message.as_tuple();
    if (f.size() == 3 && f[0] == term("$gen_call"_a) && is_call_from(f[1]))
      return {incoming::kind::call, f[2], f[1]};
    if (f.size() == 2 && f[0] == term("$gen_cast"_a)) return {incoming::kind::cast, f[1], {}};
    if (f.size() == 3 && f[0] == term("EXIT"_a) && f[1] == term(parent))
      return {incoming::kind::parent_exit, f[2], {}};
    if (f.size() == 3 && f[0] == term("system"_a) && f[2].is_tuple() && f[2].as_tuple().size() == 2 &&
        f[2].as_tuple()[0] == term("terminate"_a)) {
      return {incoming::kind::system_stop, f[2].as_tuple()[1], {}};
    }
  }
  return {incoming::kind::info, message, {}};
}

term continue_message(const term& value) {
  return tuple("continue"_a, value);
}

bool quiet_reason(const term& reason) {
  if (reason == term("normal"_a) || reason == term("shutdown"_a)) return true;
  return reason.is_tuple() && reason.as_tuple().size() == 2 && reason.as_tuple()[0] == term("shutdown"_a);
}

void report_termination(const server_context& ctx, const term& reason, const term& last_message) {
  const incoming last = classify(last_message, ctx.parent);
  const std::string from = last.what == incoming::kind::call
                               ? fmt::format(" (from {})", inspect(last.from.as_tuple()[0]))
                               : std::string();
  const term& shown = last.what == incoming::kind::call ? last.body : last_message;
  log(log_level::error,
      fmt::format("GenServer {} terminating\n** (stop) {}\nLast message{}: {}\nServer type: {}",
                  inspect(server_name(ctx.name)), inspect(reason), from, inspect(shown),
                  demangle(ctx.type_name)));
}

void report_unexpected_info(const server_context& ctx, const term& message) {
  log(log_level::warning,
      fmt::format("GenServer {} received unexpected message in handle_info (server type {} has none): {}",
                  inspect(server_name(ctx.name)), demangle(ctx.type_name), inspect(message)));
}

void throw_bad_call(const term& request) {
  throw error(
      tuple("bad_call"_a, request),
      fmt::format("gen_server: the server type has no handle_call, got the call {}", inspect(request)));
}

void throw_bad_cast(const term& message) {
  throw error(
      tuple("bad_cast"_a, message),
      fmt::format("gen_server: the server type has no handle_cast, got the cast {}", inspect(message)));
}

void throw_bad_continue(const term& value) {
  throw error(tuple("bad_continue"_a, value),
              fmt::format("gen_server: the server type has no handle_continue, got continue_with({})",
                          inspect(value)));
}

}  // namespace gen_server::detail
}  // namespace beam
