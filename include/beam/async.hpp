// beam/async.hpp: tasks, as Elixir 1.14's Task.async / await / yield / shutdown.
//
// beam::task_async(f, args...) runs f(args...) in a new process, linked to the caller (its owner) and
// monitored by it, and returns a handle; the owner collects the result later:
//   beam::async_task t = beam::task_async([](std::int64_t n) { return n * 2; }, 21);
//   ... other work ...
//   beam::term r = co_await t.await();          // 42
// f may return anything beam::to_term converts, void (the result is :ok), or a beam::task<T> (co_awaited in
// the task's process, so f may call servers, receive or sleep). f and the arguments are copied into the task.
//
// Outcomes, as Elixir's:
//   co_await t.await(timeout)    the result. The task crashing with R: the link kills the owner with R (as in
//                                Elixir); an owner that traps exits instead exits with {R, {Task, :await,
//                                [task, timeout]}}. No result in time: the owner exits with {:timeout, {Task,
//                                :await, [task, timeout]}} (and the link takes the task down). "Exits" is
//                                beam::exit: the process ends, as Elixir's exit/1 (catch (...) sees it;
//                                std::exception does not).
//   co_await t.yield(timeout)    the result as async_outcome{ok = true}; the exit reason of a task that ended
//                                without one as async_outcome{ok = false}; std::nullopt when neither came in
//                                time (the task goes on and may be awaited or yielded again): {:ok, r} |
//                                {:exit, r} | nil.
//   co_await t.shutdown(timeout) unlinks and stops the task: exit(task, shutdown), then kill after `timeout`;
//   co_await t.shutdown(async_task::brutal_kill)   kills at once. The result if it came before the task ended
//                                (even if the reply raced the shutdown), std::nullopt if the task was shut
//                                down, async_outcome{ok = false, reason} if it ended with another reason.
// `timeout` is milliseconds (default 5 s), or beam::infinity.
// Misuse throws std::logic_error: any of these outside a process or from a process other than the owner
// (Elixir raises ArgumentError), and await/yield/shutdown once the task's outcome has been taken (Elixir
// would wait for a message that never comes). The handle must outlive each co_await on it.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

#include <beam/atom.hpp>
#include <beam/call.hpp>
#include <beam/convert.hpp>
#include <beam/detail/task_traits.hpp>
#include <beam/pid.hpp>
#include <beam/process.hpp>
#include <beam/reference.hpp>
#include <beam/term.hpp>

namespace beam {

// The outcome of a task that ended: its result, or the reason it exited with.
struct async_outcome {
  bool ok = false;  // true: `value` is the task's result; false: `value` is its exit reason
  term value;

  // {:ok, value} or {:exit, value}, as Elixir's Task.yield gives.
  [[nodiscard]] term to_term() const;
  friend bool operator==(const async_outcome&, const async_outcome&) = default;
};

// A running task's handle (Elixir's %Task{}). Copyable; only the owner may use it.
class async_task {
 public:
  struct brutal_kill_t {};
  static constexpr brutal_kill_t brutal_kill{};
  static constexpr std::chrono::milliseconds default_timeout{5000};

  async_task(beam::pid task, reference ref, beam::pid owner) noexcept
      : pid_(task), ref_(std::move(ref)), owner_(owner) {}

  [[nodiscard]] const beam::pid& pid() const noexcept { return pid_; }
  [[nodiscard]] const reference& ref() const noexcept { return ref_; }
  [[nodiscard]] const beam::pid& owner() const noexcept { return owner_; }
  // %Task{mfa: {:erlang, :apply, 2}, owner: ..., pid: ..., ref: ...}, as in the reasons await exits with.
  [[nodiscard]] term to_term() const;

  [[nodiscard]] task<term> await(std::chrono::milliseconds timeout = default_timeout);
  [[nodiscard]] task<std::optional<async_outcome>> yield(std::chrono::milliseconds timeout = default_timeout);
  [[nodiscard]] task<std::optional<async_outcome>> shutdown(
      std::chrono::milliseconds timeout = default_timeout);
  [[nodiscard]] task<std::optional<async_outcome>> shutdown(brutal_kill_t);

 private:
  void check_use(const char* what) const;
  task<std::optional<async_outcome>> stop_task(term signal, std::chrono::milliseconds timeout);

  beam::pid pid_;
  reference ref_;  // the owner's monitor on the task, and the tag of its result message {ref, result}
  beam::pid owner_;
  bool taken_ = false;  // the outcome has been received (owner only)
};

namespace detail {

// The task's process: runs f(args...) (stored by spawn for the process's life) and sends {ref, result} to
// owner.
template <class F, class... Args>
process async_body(const pid& owner, const reference& ref, F& f, Args&... args) {
  using R = std::invoke_result_t<F&, Args&...>;
  if constexpr (is_task_v<R>) {
    if constexpr (std::is_void_v<decltype(std::declval<R&>().await_resume())>) {
      co_await std::invoke(f, args...);
      send(owner, tuple(ref, atom("ok")));
    } else {
      send(owner, tuple(ref, to_term(co_await std::invoke(f, args...))));
    }
  } else if constexpr (std::is_void_v<R>) {
    std::invoke(f, args...);
    send(owner, tuple(ref, atom("ok")));
  } else {
    send(owner, tuple(ref, to_term(std::invoke(f, args...))));
  }
}

spawn_options async_spawn_options();

}  // namespace detail

// Task.async: see the top of this header. Process-only (std::logic_error outside); beam::error(system_limit)
// past the process limit.
template <class F, class... Args>
requires std::is_invocable_v < std::decay_t<F>
&, std::decay_t<Args>&... > [[nodiscard]] async_task task_async(F&& f, Args&&... args) {
  const pid owner = self();
  const reference ref = reference::make();
  const spawn_options linked = detail::async_spawn_options();
  const pid child =
      detail::spawn_with(&linked, nullptr, &ref, &detail::async_body<std::decay_t<F>, std::decay_t<Args>...>,
                         owner, ref, std::forward<F>(f), std::forward<Args>(args)...);
  return async_task(child, ref, owner);
}

}  // namespace beam
