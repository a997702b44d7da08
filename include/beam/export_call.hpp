// beam/export_call.hpp: C++ functions that other nodes call with rpc:call / erpc:call, as they call an
// Erlang function, and get its value back.
//
//   beam::export_call("calc"_a, "add"_a, [](std::span<const beam::term> args) {
//     return args[0].as_int() + args[1].as_int();                   // rpc:call(CppNode, calc, add, [1, 2])
//     -> 3
//   });
//   beam::export_call("calc"_a, "ask"_a, [](std::span<const beam::term> args) -> beam::task<beam::term> {
//     co_return co_await beam::call(args[0].as_pid(), args[1]);     // may receive, call servers, sleep
//   });
//
// The callable gets the argument list (any arity: it checks what it gets) and may return, as
// beam::task_async's function does, anything beam::to_term converts, void (the result is `ok`), or a
// beam::task<T>, co_awaited in the process that runs the call. Each call runs in a process of its own, as
// erpc runs it on an Erlang node, so the callable may be called on many threads at once.
//
// How the caller on the Erlang side sees the outcome (erpc:call; rpc:call turns the exceptions into
// {badrpc, ...} as it does for an Erlang function):
//   a value V                       erpc:call returns V
//   throw beam::error(R)            error {exception, R, [{Module, Function, Arity, []}]}
//                                   (rpc:call: {badrpc, {'EXIT', {R, [...]}}})
//   beam::exit(R)                   exit {exception, R}              (rpc:call: {badrpc, {'EXIT', R}})
//   any other exception             error {exception, {exception, Type, What}, [...]}, as the process would
//                                   exit (beam::exit_reason_of)
//   no such export                  error {exception, undef, [{Module, Function, Args, []}]}, as for an
//                                   Erlang function that does not exist
// An exported call is also a function for spawn/3 and for another node's spawn: it runs, and its value is
// dropped (an exception ends the process with its reason). A function exported with beam::export_function
// (a process body, no value) may be called too: its process runs it, and the caller sees its end as erpc's
// exit {signal, Reason} (`normal` when the body returns).
//
// Registering again replaces the earlier export of the same Module:Function, of either kind.
#pragma once

#include <functional>
#include <span>
#include <type_traits>
#include <utility>

#include <beam/atom.hpp>
#include <beam/convert.hpp>
#include <beam/detail/task_traits.hpp>
#include <beam/process.hpp>
#include <beam/term.hpp>

namespace beam {

// An exported call, type-erased: the argument list in, the value as a term out. The span stays valid until
// the task ends.
using exported_call = std::function<task<term>(std::span<const term> args)>;

// Registers `call` as `module:function` for any arity. Any thread. Throws std::invalid_argument for an empty
// function.
void export_call(atom module, atom function, exported_call call);

namespace detail {
// The value of f(args) as a term, f's result co_awaited when it is a task (f copied into the frame, so the
// task owns what it runs).
template <class F>
task<term> call_to_term(F f, std::span<const term> args) {
  using R = std::invoke_result_t<F&, std::span<const term>>;
  if constexpr (is_task_v<R>) {
    if constexpr (std::is_void_v<decltype(std::declval<R&>().await_resume())>) {
      co_await std::invoke(f, args);
      co_return term(atom("ok"));
    } else {
      co_return to_term(co_await std::invoke(f, args));
    }
  } else if constexpr (std::is_void_v<R>) {
    std::invoke(f, args);
    co_return term(atom("ok"));
  } else {
    co_return to_term(std::invoke(f, args));
  }
}
}  // namespace detail

// Registers a callable of any of the forms above as `module:function`.
template <class F>
requires(std::is_invocable_v<std::decay_t<F>&, std::span<const term>> &&
         !std::is_same_v<std::decay_t<F>, exported_call>) void export_call(atom module, atom function,
                                                                           F&& f) {
  export_call(module, function,
              exported_call([g = std::decay_t<F>(std::forward<F>(f))](std::span<const term> args) {
                return detail::call_to_term(g, args);
              }));
}

}  // namespace beam
