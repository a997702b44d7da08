// beam/blocking.hpp: calls that block, run off the schedulers (BEAM's dirty I/O schedulers).
//
//   std::int64_t n = co_await beam::blocking_call([] { return count_lines("/var/log/syslog"); });
//
// `f` runs on one of the runtime's dirty threads (runtime_options::dirty_io_threads, default 10); the calling
// process waits without holding a scheduler thread, so its neighbours keep running. When all dirty threads
// are busy the call waits its turn in a queue. co_await gives what f returns, or throws what f threw.
//
// The waiting process stays a process: messages that arrive meanwhile stay in its mailbox, in order, and a
// kill or an exit signal ends it at once. Its call is then forgotten: a job not yet started is dropped, one
// already running runs to its end and its result is destroyed. The runtime, when destroyed, drops the queued
// jobs and waits for the running ones.
//
// f is moved to the dirty thread and must not touch the process's own state (its frame may be gone when f
// ends); what it needs, it captures by value.
//
// GCC 12 (a compiler bug, not one of this call: any coroutine given a lambda has it): a lambda temporary
// whose captures have destructors (`[path] {...}`, `[s = std::move(s)] {...}`), written inside the co_await
// expression, is destroyed twice (a double free). Name it first:
//   auto read = [path] { return slurp(path); };
//   std::string text = co_await beam::blocking_call(std::move(read));
// Lambdas capturing only references or trivial values (`[&]`, `[pid]`, `[n]`) are not affected.
#pragma once

#include <concepts>
#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include <beam/pid.hpp>
#include <beam/process.hpp>
#include <beam/receive.hpp>
#include <beam/reference.hpp>

namespace beam {

namespace detail {
// The shared state of one blocking call: the function, then its result. The dirty thread writes the result,
// then sends the waiting process its reference; the process reads the result after receiving it (the mailbox
// orders the two). Either side may drop the state last.
class blocking_job {
 public:
  virtual ~blocking_job() = default;
  // On a dirty thread: calls f and keeps its result or exception.
  virtual void run() noexcept = 0;
};

template <class R, class F>
class blocking_state final : public blocking_job {
 public:
  explicit blocking_state(F f) : f_(std::move(f)) {}
  void run() noexcept override {
    try {
      if constexpr (std::is_void_v<R>) {
        f_();
      } else {
        value_.emplace(f_());
      }
    } catch (...) {
      error_ = std::current_exception();
    }
  }
  // In the process, once the reference arrived.
  R take() {
    if (error_) std::rethrow_exception(error_);
    if constexpr (!std::is_void_v<R>) return std::move(*value_);
  }

 private:
  struct none {};
  F f_;
  [[no_unique_address]] std::conditional_t<std::is_void_v<R>, none, std::optional<R>> value_;
  std::exception_ptr error_;
};

// The calling process: queues `job` on the runtime's dirty pool; once it has run, `owner` gets `done` as a
// message. Dropped unrun when `owner` has ended by the time a dirty thread takes it.
void submit_blocking(std::shared_ptr<blocking_job> job, const pid& owner, const reference& done);
}  // namespace detail

namespace detail {
// The awaiting half of blocking_call: queues `job` and waits for its end (f lives in the job only, not also
// in a coroutine frame as a parameter copy).
template <class R, class F>
task<R> await_blocking(std::shared_ptr<blocking_state<R, F>> job) {
  const reference done = reference::make();
  submit_blocking(job, self(), done);
  co_await receive(on(done, [] {}));
  co_return job->take();
}
}  // namespace detail

// co_await beam::blocking_call(f): f() on a dirty thread (see the top of this header). Process-only.
template <class F>
requires std::invocable<F&>
[[nodiscard]] task<std::invoke_result_t<F&>> blocking_call(F f) {
  using result = std::invoke_result_t<F&>;
  static_assert(std::is_void_v<result> || (std::is_object_v<result> && std::is_move_constructible_v<result>),
                "blocking_call's function returns void or a movable value (no reference)");
  return detail::await_blocking(std::make_shared<detail::blocking_state<result, F>>(std::move(f)));
}

}  // namespace beam
