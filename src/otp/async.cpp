// otp/async.cpp: tasks (beam/async.hpp), as Elixir 1.14's Task. The owner monitors the task under `ref`,
// which also tags the result message {ref, result}; per-pair order puts that message before the task's DOWN,
// so after a DOWN a result, if any, is already in the mailbox.
#include <beam/async.hpp>

#include <stdexcept>

#include <fmt/format.h>

#include <beam/error.hpp>
#include <beam/inspect.hpp>
#include <beam/link.hpp>
#include <beam/monitor.hpp>
#include <beam/receive.hpp>

namespace beam {
namespace {

using namespace beam::literals;

term timeout_term(std::chrono::milliseconds timeout) {
  return timeout == infinity ? term("infinity"_a) : term(static_cast<std::int64_t>(timeout.count()));
}

// What came first for the task tagged `ref`: its result, its DOWN, or neither within `timeout`.
struct arrival {
  enum class kind { result, down, none } what = kind::none;
  term value;  // the result, or the exit reason
};

task<arrival> next_arrival(reference ref, std::chrono::milliseconds timeout) {
  arrival a;
  co_await receive(on(tuple(ref, _term),
                      [&](term result) {
                        a = {arrival::kind::result, std::move(result)};
                      }),
                   on(tuple("DOWN"_a, ref, "process"_a, _, _term),
                      [&](term reason) {
                        a = {arrival::kind::down, std::move(reason)};
                      }),
                   after(timeout, [] {}));
  if (a.what == arrival::kind::result) demonitor(ref, demonitor_option::flush);
  co_return a;
}

}  // namespace

term async_outcome::to_term() const {
  return tuple(ok ? "ok"_a : "exit"_a, value);
}

term async_task::to_term() const {
  return map({{term("__struct__"_a), term("Elixir.Task"_a)},
              {term("mfa"_a), tuple("erlang"_a, "apply"_a, 2)},
              {term("owner"_a), term(owner_)},
              {term("pid"_a), term(pid_)},
              {term("ref"_a), term(ref_)}});
}

void async_task::check_use(const char* what) const {
  const beam::pid caller = self();
  if (caller != owner_) {
    throw std::logic_error(fmt::format("async_task::{}: task {} must be queried from its owner {}, not {}",
                                       what, inspect(term(pid_)), inspect(term(owner_)),
                                       inspect(term(caller))));
  }
  if (taken_) {
    throw std::logic_error(fmt::format("async_task::{}: the outcome of task {} has already been taken", what,
                                       inspect(term(pid_))));
  }
}

task<term> async_task::await(std::chrono::milliseconds timeout) {
  check_use("await");
  const arrival a = co_await next_arrival(ref_, timeout);
  taken_ = true;
  if (a.what == arrival::kind::result) co_return a.value;
  const term where = tuple("Elixir.Task"_a, "await"_a, list(to_term(), timeout_term(timeout)));
  if (a.what == arrival::kind::down) beam::exit(tuple(a.value, where));
  demonitor(ref_, demonitor_option::flush);
  beam::exit(tuple("timeout"_a, where));
}

task<std::optional<async_outcome>> async_task::yield(std::chrono::milliseconds timeout) {
  check_use("yield");
  const arrival a = co_await next_arrival(ref_, timeout);
  if (a.what == arrival::kind::none) co_return std::nullopt;
  taken_ = true;
  co_return async_outcome{a.what == arrival::kind::result, a.value};
}

task<std::optional<async_outcome>> async_task::shutdown(std::chrono::milliseconds timeout) {
  return stop_task(term("shutdown"_a), timeout);
}

task<std::optional<async_outcome>> async_task::shutdown(brutal_kill_t) {
  return stop_task(term("kill"_a), infinity);
}

task<std::optional<async_outcome>> async_task::stop_task(term signal, std::chrono::milliseconds timeout) {
  check_use("shutdown");
  unlink(pid_);
  beam::exit(pid_, signal);
  std::optional<term> down;
  const auto on_down = [&](term reason) { down = std::move(reason); };
  co_await receive(on(tuple("DOWN"_a, ref_, "process"_a, _, _term), on_down), after(timeout, [] {}));
  if (!down) {
    beam::exit(pid_, "kill"_a);
    co_await receive(on(tuple("DOWN"_a, ref_, "process"_a, _, _term), on_down));
  }
  taken_ = true;
  std::optional<term> result;  // a result sent before the end wins, as in Elixir
  co_await receive(on(tuple(ref_, _term), [&](term r) { result = std::move(r); }),
                   after(std::chrono::milliseconds(0), [] {}));
  if (result) co_return async_outcome{true, *result};
  if (*down == term("shutdown"_a) || *down == term("killed"_a)) co_return std::nullopt;
  co_return async_outcome{false, *down};
}

namespace detail {
spawn_options async_spawn_options() {
  return {.link = true};
}
}  // namespace detail

}  // namespace beam
