// beam/gen_server.hpp: request/reply server processes, as OTP's gen_server behaves.
//
// A server is a C++ type whose members are the server's private state; its member functions are the
// callbacks. The object lives in the server process and only that process touches it, so it needs no lock:
//
//   namespace gs = beam::gen_server;
//   struct counter {
//     std::int64_t n;
//     explicit counter(std::int64_t start) : n(start) {}              // init's arguments: the constructor's
//     gs::call_result handle_call(const beam::term& request, const beam::term& from) {
//       if (request == beam::term("get"_a)) return gs::reply(n);
//       return gs::stop("bad_request"_a, "error"_a);                   // replies `error`, then stops
//     }
//     gs::handler_result handle_cast(const beam::term& message) {
//       n += message.as_int();
//       return gs::noreply();
//     }
//   };
//   beam::pid server = co_await gs::start_link<counter>({.name = "counter"_a}, 0);
//   beam::cast("counter"_a, 5);
//   beam::term n = co_await beam::call("counter"_a, "get"_a);           // 5 (beam/call.hpp)
//   co_await beam::stop(server);
//
// Callbacks, all optional, each may be a coroutine returning beam::task<R> instead of R (so it can call other
// servers, receive or sleep; the server handles nothing else meanwhile, as in OTP):
//   init()                      -> init_result:    ok(), ok(next), stop(reason), ignore()
//   handle_call(request, from)  -> call_result:    reply(v), reply(v, next), noreply(), noreply(next),
//                                                  stop(reason, v), stop(reason)
//   handle_cast(message)        -> handler_result: noreply(), noreply(next), stop(reason)
//   handle_info(message)        -> handler_result: the same
//   handle_continue(value)      -> handler_result: the same
//   terminate(reason)           -> void
// (The result types and helpers are in beam/gen_server_result.hpp.) The arguments are const beam::term&. A
// member named as a callback (code_change and format_status too, which beampp never calls) with another
// signature does not compile: a static_assert names the expected one. `from` is the caller's {pid, tag}:
// after noreply(), any callback may answer later with beam::reply(from, v). Missing callbacks: a call stops
// the server with {:bad_call, request}, a cast with {:bad_cast, message}, a continuation with {:bad_continue,
// value} (OTP would crash with `undef`); an info message is logged as a warning and dropped, as OTP's default
// handle_info.
//
// `next` (a gen_server::next_action) is OTP's last element of {ok, S, _}, {reply, R, S, _} and
// {noreply, S, _}: a timeout (a std::chrono duration, e.g. 100ms; beam::infinity for none): when no message
// comes within it, handle_info gets the atom `timeout`; gen_server::hibernate: waits for the next message
// (beampp has no erlang:hibernate, so the process keeps its memory); gen_server::continue_with(c):
// handle_continue(c) runs before any other message (after the reply; after the start's ack, for init). As
// OTP's loop, a timeout outside 0 ... 2^32-1 ms ends the server with timeout_value, without terminate.
//
// Starting: start<S>(options, args...) / start_link<S>(options, args...) spawn the server (the options may be
// left out). It builds S(args...) and runs init() in the new process; co_await gives its pid once init has
// finished. start_link links the caller and the server first, so it fits a supervisor's start function.
// Outcomes of co_await start/start_link, all beam::error with an Erlang reason:
//   - the name (an atom, or a beam::via name: beam/via.hpp) is taken: {:already_started, pid} (the new
//     process ends with `normal`);
//   - the constructor or init throws, or init returns stop(reason): that reason (the exception's exit
//     reason as a process body's would be). As OTP 25, the server then exits with it, so a linked caller that
//     does not trap exits is killed by the link right after (a trapping one gets the {:EXIT, pid, reason}
//     message);
//   - init returns ignore(): reason `ignore` (OTP returns the atom; C++ has only the pid to return);
//   - no answer within options.timeout: `timeout`, and the server is killed (unlinked first).
// The server's parent is the caller of start_link (itself for start, as in OTP).
//
// Ending: a callback returning stop(...), a callback that throws (its exit reason, as a process body's),
// beam::stop below, or, while the server traps exits (beam::trap_exit(true) in init), an {:EXIT, parent,
// reason} from its parent: terminate(reason) runs, then the process exits with that reason. An {:EXIT, ...}
// from any other process goes to handle_info. A reason other than normal, shutdown or {:shutdown, _} is
// reported to the logger as OTP does ("GenServer <pid or name> terminating", the reason, the last message).
// terminate throwing replaces the reason with its own. stop(reason, v) replies v after terminate has run, as
// OTP; a continuation that stops or throws reports {:continue, value} as its last message, as OTP. Not done
// (OTP has them): sys messages other than terminate, {global, _} names, hibernate_after. C++
// differs: no state in reports (the state is a C++ object); a result of the wrong kind (reply() from
// handle_cast) does not compile rather than exiting with {:bad_return_value, v}.
//
// Calls (beam::call in beam/call.hpp) fail as OTP 25's gen_server:call: the caller exits with {Reason,
// {gen_server, call, [Server, Request, Timeout]}}, Reason being noproc, the server's exit reason, timeout,
// calling_self or timeout_value. cast and stop below (stop's failures are bare reasons, as
// gen_server:stop's). start, start_link and stop are process-only: outside a process they throw
// std::logic_error. cast works from wherever send does.
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <exception>
#include <optional>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include <beam/atom.hpp>
#include <beam/call.hpp>
#include <beam/convert.hpp>
#include <beam/detail/gen_server_callbacks.hpp>
#include <beam/detail/task_traits.hpp>
#include <beam/gen_server_result.hpp>
#include <beam/pid.hpp>
#include <beam/process.hpp>
#include <beam/receive.hpp>
#include <beam/reference.hpp>
#include <beam/term.hpp>
#include <beam/via.hpp>

namespace beam {

// gen_server:cast: sends {:"$gen_cast", message} to the server and returns at once. A dead server, or no
// process under `name`: nothing happens, as in OTP.
void cast(const pid& server, term message);
void cast(atom name, term message);
void cast(const via& name, term message);  // no such registry either: nothing happens

// gen_server:stop/3: asks the server to end with `reason` (terminate runs) and waits until it has. Raises
// beam::error: noproc when there is no such server; timeout when it has not ended in time (it keeps running);
// the other reason when it ended with another one (terminate threw); calling_self for the caller itself.
[[nodiscard]] task<> stop(const pid& server, term reason = term(atom("normal")),
                          std::chrono::milliseconds timeout = infinity);
[[nodiscard]] task<> stop(atom name, term reason = term(atom("normal")),
                          std::chrono::milliseconds timeout = infinity);
// By a via name: looked up now (an unknown registry: badarg at once).
[[nodiscard]] task<> stop(const via& name, term reason = term(atom("normal")),
                          std::chrono::milliseconds timeout = infinity);

namespace gen_server {

struct start_options {
  std::optional<process_name> name = std::nullopt;  // registers the server under this name (atom or via)
  std::chrono::milliseconds timeout = infinity;     // how long co_await start waits for init
};

namespace detail {

// What the server process knows of its start. `tag` is also the starter's monitor on the server.
struct start_context {
  pid starter;
  reference tag;
  std::optional<process_name> name;
  bool linked;
  const char* type_name;  // typeid(S).name(), for reports
};

// The server's view of itself while it runs.
struct server_context {
  pid parent;
  std::optional<process_name> name;
  const char* type_name;
};

// Non-template halves of the start protocol (src/otp/gen_server.cpp).
// Server side: registers ctx.name; when taken, acks {:already_started, pid} and exits with `normal`.
void register_or_exit(const start_context& ctx);
// Server side: acks init's outcome; on stop, unregisters the name, acks {:error, reason} and exits with
// reason; on ignore, acks and exits with `normal`. Returns only for ok.
void acknowledge(const start_context& ctx, const init_result& result);
// Starter side: waits for the ack of `server`, monitored under `tag`; see the top of this header for
// outcomes.
task<pid> await_start(pid server, reference tag, std::chrono::milliseconds timeout, bool linked);
// A new start_context for the calling process (the starter).
start_context make_start_context(const start_options& options, bool linked, const char* type_name);
spawn_options start_spawn_options(bool linked);

// One incoming message, sorted.
struct incoming {
  enum class kind : std::uint8_t { call, cast, info, parent_exit, system_stop, continuation };
  kind what = kind::info;
  term body;  // call: the request; cast: the message; info: the whole message; parent_exit, system_stop:
              // the reason; continuation: continue_with's value
  term from;  // call: {caller, tag}
};
[[nodiscard]] incoming classify(const term& message, const pid& parent);
// The message a continuation stands for in reports: {continue, value}, as OTP's.
[[nodiscard]] term continue_message(const term& value);

// Whether `reason` ends a server quietly (normal, shutdown, {:shutdown, _}).
[[nodiscard]] bool quiet_reason(const term& reason);
// The error report of a server that ends with a loud reason.
void report_termination(const server_context& ctx, const term& reason, const term& last_message);
// handle_info's default: a warning naming the server and the message.
void report_unexpected_info(const server_context& ctx, const term& message);
[[noreturn]] void throw_bad_call(const term& request);
[[noreturn]] void throw_bad_cast(const term& message);
[[noreturn]] void throw_bad_continue(const term& value);

// co_await maybe_async(x): x itself when it is a beam::task, else an awaitable that is ready with x.
// Callbacks may be coroutines or plain functions; a plain one costs no coroutine frame.
template <class T>
struct ready {
  T value;
  bool await_ready() const noexcept { return true; }
  void await_suspend(std::coroutine_handle<>) const noexcept {}
  T await_resume() { return std::move(value); }
};
template <class T>
auto maybe_async(T&& x) {
  if constexpr (beam::detail::is_task_v<T>) {
    return std::forward<T>(x);
  } else {
    return ready<std::remove_cvref_t<T>>{std::forward<T>(x)};
  }
}

template <class S>
auto call_callback(S& s, const term& request, const term& from) {
  if constexpr (valid_handle_call<S>) {
    return maybe_async(s.handle_call(request, from));
  } else {
    throw_bad_call(request);
    return ready<call_result>{};
  }
}
template <class S>
auto cast_callback(S& s, const term& message) {
  if constexpr (valid_handle_cast<S>) {
    return maybe_async(s.handle_cast(message));
  } else {
    throw_bad_cast(message);
    return ready<handler_result>{};
  }
}
template <class S>
auto info_callback(S& s, const server_context& ctx, const term& message) {
  if constexpr (valid_handle_info<S>) {
    return maybe_async(s.handle_info(message));
  } else {
    report_unexpected_info(ctx, message);
    return ready<handler_result>{};
  }
}
template <class S>
auto continue_callback(S& s, const term& value) {
  if constexpr (valid_handle_continue<S>) {
    return maybe_async(s.handle_continue(value));
  } else {
    throw_bad_continue(value);
    return ready<handler_result>{};
  }
}
template <class S>
task<> run_terminate(S& s, const term& reason) {
  if constexpr (valid_terminate<S>) {
    if constexpr (beam::detail::is_task_v<decltype(s.terminate(reason))>) {
      co_await s.terminate(reason);
    } else {
      s.terminate(reason);
    }
  }
}

// Runs terminate, sends the pending reply, reports, and exits with the (possibly replaced) reason.
template <class S>
task<> shut_down(S& s, const server_context& ctx, term reason, const term& last_message,
                 std::optional<std::pair<term, term>> pending_reply) {
  std::exception_ptr crash;
  try {
    co_await run_terminate(s, reason);
  } catch (...) {
    crash = std::current_exception();
  }
  if (crash) reason = beam::exit_reason_of(crash);
  if (pending_reply) beam::reply(pending_reply->first, std::move(pending_reply->second));
  if (!quiet_reason(reason)) report_termination(ctx, reason, last_message);
  beam::exit(std::move(reason));
}

// The server loop: one message at a time (or first the continuation `next` asks for), until a stop. Never
// returns (the process exits). The dispatch is inline (not a task of its own) so that a message costs no
// coroutine frame unless its callback is a coroutine. A timeout outside OTP's range fails the receive: the
// process exits with timeout_value, without terminate, as OTP's loop does.
template <class S>
task<> serve(S& s, const server_context& ctx, next_action next) {
  for (;;) {
    term message;
    incoming in;
    if (const term* value = next.continuation()) {
      in = {incoming::kind::continuation, *value, {}};
      message = continue_message(*value);
    } else {
      if (next.timeout() == infinity) {
        message = co_await receive();
      } else {
        message = co_await receive(on(_term, [](term m) { return m; }),
                                   after(next.timeout(), [] { return term(atom("timeout")); }));
      }
      in = classify(message, ctx.parent);
    }
    call_result r;
    std::exception_ptr crash;
    try {
      switch (in.what) {
        case incoming::kind::call:
          r = co_await call_callback(s, in.body, in.from);
          break;
        case incoming::kind::cast:
          r = handler_result(co_await cast_callback(s, in.body));
          break;
        case incoming::kind::info:
          r = handler_result(co_await info_callback(s, ctx, in.body));
          break;
        case incoming::kind::continuation:
          r = handler_result(co_await continue_callback(s, in.body));
          break;
        case incoming::kind::parent_exit:
        case incoming::kind::system_stop:
          r = stop(in.body);
          break;
      }
    } catch (...) {
      crash = std::current_exception();
    }
    if (crash) r = stop(beam::exit_reason_of(crash));
    if (!r.stop_reason) {
      if (r.reply) beam::reply(in.from, std::move(*r.reply));
      next = std::move(r.next);
      continue;
    }
    std::optional<std::pair<term, term>> pending_reply;  // stop(reason, v): v, sent after terminate
    if (r.reply) pending_reply.emplace(in.from, std::move(*r.reply));
    co_await shut_down(s, ctx, std::move(*r.stop_reason), message, std::move(pending_reply));
  }
}

// The server process: builds S from the start arguments (kept by spawn for the process's life), runs init,
// acknowledges, serves.
template <class S, class... Args>
process server_body(const start_context& ctx, Args&... args) {
  register_or_exit(ctx);
  std::optional<S> state;
  std::optional<init_result> result;
  std::exception_ptr crash;
  try {
    state.emplace(std::move(args)...);
    if constexpr (valid_init<S>) {
      result.emplace(co_await maybe_async(state->init()));
    } else {
      result.emplace(ok());
    }
  } catch (...) {
    crash = std::current_exception();
  }
  if (crash) result.emplace(stop(beam::exit_reason_of(crash)));
  acknowledge(ctx, *result);
  const server_context server{ctx.linked ? ctx.starter : self(), ctx.name, ctx.type_name};
  co_await serve(*state, server, std::move(result->next));
}

template <class S, class... Args>
task<pid> start_server(const start_options& options, bool linked, Args&&... args) {
  check_callbacks<S>();
  static_assert(std::is_constructible_v<S, std::decay_t<Args>&&...>,
                "gen_server::start<S>(args...): S must be constructible from the arguments");
  const start_context ctx = make_start_context(options, linked, typeid(S).name());
  const spawn_options spawn = start_spawn_options(linked);
  const pid server = beam::detail::spawn_with(
      &spawn, nullptr, &ctx.tag, &server_body<S, std::decay_t<Args>...>, ctx, std::forward<Args>(args)...);
  return await_start(server, ctx.tag, options.timeout, linked);
}

template <class T>
concept not_options = !std::same_as<std::remove_cvref_t<T>, start_options>;

}  // namespace detail

// Spawns a server of type S built from `args` (copied into the server process) and waits for its init.
template <class S, class... Args>
[[nodiscard]] task<pid> start(const start_options& options, Args&&... args) {
  return detail::start_server<S>(options, false, std::forward<Args>(args)...);
}
template <class S, class First, class... Args>
requires detail::not_options<First>
[[nodiscard]] task<pid> start(First&& first, Args&&... args) {
  return detail::start_server<S>({}, false, std::forward<First>(first), std::forward<Args>(args)...);
}
template <class S>
[[nodiscard]] task<pid> start() {
  return detail::start_server<S>({}, false);
}
// The same, linked to the caller.
template <class S, class... Args>
[[nodiscard]] task<pid> start_link(const start_options& options, Args&&... args) {
  return detail::start_server<S>(options, true, std::forward<Args>(args)...);
}
template <class S, class First, class... Args>
requires detail::not_options<First>
[[nodiscard]] task<pid> start_link(First&& first, Args&&... args) {
  return detail::start_server<S>({}, true, std::forward<First>(first), std::forward<Args>(args)...);
}
template <class S>
[[nodiscard]] task<pid> start_link() {
  return detail::start_server<S>({}, true);
}

}  // namespace gen_server
}  // namespace beam
