// beam/runtime.hpp: the runtime: schedulers, the process table and the services processes use.
//
//   beam::runtime rt({.schedulers = 0 /* one per core */, .process_limit = 262'144});
//   beam::term reason = rt.run(body, args...);   // runs the initial process; returns its exit reason
//
// One runtime at a time per program (it is this node). Processes still alive when the initial process ends
// are ended with reason `shutdown`, and every process's memory is freed before run() returns.
//
// Where code runs. A process body is a coroutine: its locals live in its coroutine frame, not on a stack.
// What it calls without co_await (plain functions, plain recursion) runs on the stack of the scheduler
// thread that resumes it: `scheduler_stack_size` bytes (default 8 MiB, as a main thread's), with a guard
// region below it. Running past it ends the program with a report naming the process (a C++ stack cannot
// be unwound from that point); recursion through beam::task coroutines uses frames on the heap instead.
//
// Hogs. A loop that never reaches a co_await cannot be preempted. A scheduler stuck in such a slice for 4 ms
// gets a spare scheduler thread that runs the processes queued behind it, one spare per stuck scheduler (a
// stuck spare gets a spare too) up to `max_spare_schedulers`; past that, the processes queued behind the
// newest hogs wait until a hog suspends (a warning says so), while timers still fire. `exit(hog, kill)`
// takes effect only when the hog suspends. At shutdown, processes that do not suspend within
// `shutdown_timeout` are reported by pid and initial call; then run() returns, leaving them running on their
// threads (the runtime's memory is kept for them, and no other runtime can start in this program), or, with
// `stuck_shutdown::abort`, the program aborts after the report.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <future>
#include <memory>
#include <type_traits>
#include <utility>

#include <beam/error.hpp>
#include <beam/process.hpp>
#include <beam/term.hpp>

namespace beam {

// What run() does when processes are still running `shutdown_timeout` after the initial process ended.
enum class stuck_shutdown {
  abandon,  // report them and return; their threads go on (the runtime's memory is never freed)
  abort,    // report them and std::abort()
};

struct runtime_options {
  // Scheduler threads; 0: the cores this process may use (affinity mask and cgroup CPU quota respected).
  std::uint32_t schedulers = 0;
  // Processes alive at once: 1,024 ... 134,217,727 (Erlang's +P). Rounded up as OTP rounds +P, to a power of
  // two capped at 134,217,727 (2000 -> 2048, 100000 -> 131072); system_info().process_limit shows the result.
  std::uint32_t process_limit = 262'144;
  // Spare scheduler threads started while schedulers are stuck in slices that do not yield: 0 ... 1,024.
  std::uint32_t max_spare_schedulers = 64;
  // Each scheduler thread's stack in bytes, where code a process calls without co_await runs:
  // 128 KiB ... 1 GiB.
  std::size_t scheduler_stack_size = std::size_t{8} << 20;
  // Dirty threads for calls that block (beam::blocking_call, files, standard input): 1 ... 1,024, as BEAM's
  // +SDio. Started as calls need them; past this many calls at once, calls queue.
  std::uint32_t dirty_io_threads = 10;
  // How long shut-down waits for processes that do not suspend (see "Hogs" above).
  std::chrono::milliseconds shutdown_timeout = std::chrono::seconds(5);
  stuck_shutdown on_stuck_shutdown = stuck_shutdown::abandon;
};

inline constexpr std::uint32_t min_process_limit = 1'024;
inline constexpr std::uint32_t max_process_limit = 134'217'727;
inline constexpr std::uint32_t max_spare_schedulers = 1'024;
inline constexpr std::uint32_t max_dirty_io_threads = 1'024;
inline constexpr std::size_t min_scheduler_stack_size = std::size_t{128} << 10;
inline constexpr std::size_t max_scheduler_stack_size = std::size_t{1} << 30;

// The exit reason of a process, as run() returns it.
class exit_reason {
 public:
  explicit exit_reason(term reason) : reason_(std::move(reason)) {}
  [[nodiscard]] bool is_normal() const noexcept;
  [[nodiscard]] const term& reason() const noexcept { return reason_; }

 private:
  term reason_;
};

namespace detail {
class runtime_state;
}

class runtime {
 public:
  // Throws std::invalid_argument naming the accepted range for a bad option; std::logic_error if another
  // runtime is alive in this program.
  explicit runtime(runtime_options options = {});
  ~runtime();
  runtime(const runtime&) = delete;
  runtime& operator=(const runtime&) = delete;

  // Spawns body(args...) as the initial process, runs until it ends, ends every other process with reason
  // `shutdown`, and returns the initial process's exit reason. Call from outside any process. Processes that
  // do not suspend within options.shutdown_timeout after that are reported (see "Hogs" above).
  template <class F, class... Args>
  exit_reason run(F&& body, Args&&... args) {
    start(std::forward<F>(body), std::forward<Args>(args)...);
    return wait();
  }
  // run() in two halves, so that the calling thread may use the runtime in between (call, send): start()
  // spawns the initial process and returns its pid; wait() waits for its end and shuts down as run() does.
  // Once per runtime, from outside any process.
  template <class F, class... Args>
  pid start(F&& body, Args&&... args) {
    begin();
    return beam::spawn(std::forward<F>(body), std::forward<Args>(args)...);
  }
  exit_reason wait();

  // From a thread that is not a scheduler's (main between start() and wait(), or any other thread while the
  // runtime runs): runs `body()`, a beam::task<T> coroutine (or a plain function returning T), in a new
  // process and returns a future of what it returns. What it throws (an exit, a beam::error, any exception)
  // reaches the future as beam::error with the process's exit reason, or as the std::exception itself; a
  // process killed before it returns gives std::future_error (broken_promise). From inside a process:
  // std::logic_error (waiting on the future would block a scheduler: spawn and receive instead).
  template <class F>
  auto call(F&& body);

  [[nodiscard]] std::uint32_t schedulers() const noexcept;

 private:
  void begin();
  static void check_call_from_outside();
  std::unique_ptr<detail::runtime_state> state_;
};

namespace detail {
// What a call body's future holds: the task's value, or the function's.
template <class F>
using call_value_t = awaited_t<std::invoke_result_t<F&>>;

// Sets `promise` from what `body` returns or throws (as runtime::call documents).
template <class T, class F>
process call_body(std::shared_ptr<std::promise<T>> promise, F body) {
  try {
    if constexpr (std::is_void_v<T>) {
      if constexpr (std::is_same_v<std::invoke_result_t<F&>, task<>>) {
        co_await body();
      } else {
        body();
      }
      promise->set_value();
    } else if constexpr (std::is_same_v<std::invoke_result_t<F&>, task<T>>) {
      promise->set_value(co_await body());
    } else {
      promise->set_value(body());
    }
  } catch (const std::exception&) {
    promise->set_exception(std::current_exception());
  } catch (...) {  // an exit or a non-standard exception: its exit reason
    promise->set_exception(std::make_exception_ptr(error(exit_reason_of(std::current_exception()))));
  }
}
}  // namespace detail

template <class F>
auto runtime::call(F&& body) {
  check_call_from_outside();
  using value = detail::call_value_t<std::decay_t<F>>;
  auto promise = std::make_shared<std::promise<value>>();
  std::future<value> result = promise->get_future();
  beam::spawn(detail::call_body<value, std::decay_t<F>>, std::move(promise), std::forward<F>(body));
  return result;
}

// The number of schedulers a default runtime starts: the CPUs this process may run on, within its cgroup
// quota.
[[nodiscard]] std::uint32_t default_schedulers();

}  // namespace beam
