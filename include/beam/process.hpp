// beam/process.hpp: processes. A process body is a coroutine returning beam::process; it runs on the
// runtime's schedulers, many per thread, and owns a mailbox. Anything that waits (receive, sleep, yield) is
// co_awaited.
//
//   beam::process greeter(int id) {
//     co_await beam::receive(beam::on("stop"_a, [] {}));
//   }
//   beam::pid p = beam::spawn(greeter, 1);
//
// Nested helpers that need to wait are beam::task<T> coroutines, co_awaited from the body.
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include <beam/detail/process_base.hpp>
#include <beam/pid.hpp>
#include <beam/term.hpp>

// A process body written as a plain function (no co_await, no co_return) that runs off its end returns no
// process at all: undefined behaviour, a crash at spawn. In every file that includes this header it is a
// compile error instead ("no return statement in function returning non-void").
#pragma GCC diagnostic error "-Wreturn-type"

namespace beam {

class reference;

// The return type of a process body. Created suspended; spawn() schedules it.
class [[nodiscard]] process {
 public:
  struct promise_type {
    process get_return_object() noexcept {
      return process(std::coroutine_handle<promise_type>::from_promise(*this));
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    auto final_suspend() noexcept {
      struct exited {
        bool await_ready() noexcept { return false; }
        void await_suspend(std::coroutine_handle<> h) noexcept {
          detail::note_suspend(detail::current_process("process exit"), h, detail::suspend_reason::exited);
        }
        void await_resume() noexcept {}
      };
      return exited{};
    }
    void return_void() noexcept {}
    void unhandled_exception() noexcept {
      detail::note_exception(detail::current_process("process exit"), std::current_exception());
    }
    static void* operator new(std::size_t size) { return detail::allocate_frame(size); }
    static void operator delete(void* frame, std::size_t size) noexcept { detail::free_frame(frame, size); }
  };

  process(process&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  process& operator=(process&&) = delete;
  ~process() {
    if (handle_) handle_.destroy();
  }
  // The coroutine, handed to the runtime (which then owns it).
  [[nodiscard]] std::coroutine_handle<promise_type> release() noexcept { return std::exchange(handle_, {}); }

 private:
  explicit process(std::coroutine_handle<promise_type> h) noexcept : handle_(h) {}
  std::coroutine_handle<promise_type> handle_;
};

// A lazily started coroutine that returns T, for helpers deep in a call chain that receive or sleep:
//   beam::task<int> ask(beam::pid server) { ... co_return co_await beam::receive<int>(); }
// It starts when awaited and resumes its awaiter by symmetric transfer (no stack growth on long chains).
template <class T = void>
class [[nodiscard]] task {
 public:
  // Resumes the awaiting coroutine when the task ends (symmetric transfer).
  struct to_continuation {
    bool await_ready() noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      return h.promise().continuation;
    }
    void await_resume() noexcept {}
  };
  struct promise_base {
    std::coroutine_handle<> continuation;
    std::exception_ptr error;
    std::suspend_always initial_suspend() noexcept { return {}; }
    to_continuation final_suspend() noexcept { return {}; }
    void unhandled_exception() noexcept { error = std::current_exception(); }
    static void* operator new(std::size_t size) { return detail::allocate_frame(size); }
    static void operator delete(void* frame, std::size_t size) noexcept { detail::free_frame(frame, size); }
  };
  struct promise_value : promise_base {
    std::optional<T> value;
    template <class U>
    void return_value(U&& v) {
      value.emplace(std::forward<U>(v));
    }
    T take() {
      if (this->error) std::rethrow_exception(this->error);
      return std::move(*value);
    }
  };
  struct promise_void : promise_base {
    void return_void() noexcept {}
    void take() {
      if (this->error) std::rethrow_exception(this->error);
    }
  };
  struct promise_type : std::conditional_t<std::is_void_v<T>, promise_void, promise_value> {
    task get_return_object() noexcept {
      return task(std::coroutine_handle<promise_type>::from_promise(*this));
    }
  };

  task(task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  task& operator=(task&&) = delete;
  ~task() {
    if (handle_) handle_.destroy();
  }

  bool await_ready() const noexcept { return false; }
  // A co_await point: the process yields here first when its slice's reductions are spent.
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiter) noexcept {
    handle_.promise().continuation = awaiter;
    return detail::enter_task(handle_);
  }
  T await_resume() { return handle_.promise().take(); }

 private:
  explicit task(std::coroutine_handle<promise_type> h) noexcept : handle_(h) {}
  std::coroutine_handle<promise_type> handle_;
};

namespace detail {
// What co_await gives for a callable's result: T for a beam::task<T>, else the result itself.
template <class T>
struct awaited {
  using type = T;
};
template <class T>
struct awaited<task<T>> {
  using type = T;
};
template <class T>
using awaited_t = typename awaited<T>::type;
}  // namespace detail

// The pid of the calling process. Throws std::logic_error outside a process.
[[nodiscard]] pid self();

// Sends `message` to `dest` and returns it. Never blocks. A dead or unknown pid: the message is dropped
// silently.
term send(const pid& dest, term message);
// To a registered name. Throws beam::error(badarg) when no process is registered under `name`.
term send(atom name, term message);
// To {Name, Node}: the process registered as `name` when `node` is this node's name (this_node().name,
// `nonode@nohost` without distribution). As OTP's `{Name, Node} ! Message`, it never fails: no such name
// here, or another node (this runtime has no distribution), and the message is dropped silently.
term send(const std::pair<atom, atom>& name_at_node, term message);

// The exit reason a process would end with if its body threw `e`: beam::exit's reason, beam::error's reason,
// or {:exception, type, what} for any other exception ("int" for `throw 42`). In a `catch (...)`:
//   beam::term why = beam::exit_reason_of(std::current_exception());
[[nodiscard]] term exit_reason_of(const std::exception_ptr& e);

// Ends the calling process with `reason` (normal: a quiet exit). Does not return. Outside a process:
// std::logic_error.
[[noreturn]] void exit(term reason);

// Gives the rest of this slice to other processes: `co_await beam::yield();`.
struct yield_awaiter {
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) const noexcept {
    auto& p = detail::current_process("beam::yield");
    detail::bump_reductions(p, 1);
    detail::note_suspend(p, h, detail::suspend_reason::yield);
  }
  void await_resume() const noexcept {}
};
[[nodiscard]] inline yield_awaiter yield() {
  return {};
}

namespace detail {
// The (mangled) symbol of the function at `address`, or nullptr when the program does not export it (the
// beampp package links programs with -rdynamic so that it does).
[[nodiscard]] const char* function_symbol(const void* address) noexcept;

// The body's callable and its arguments, stored with the process for its whole life, so a lambda coroutine's
// captures and by-reference parameters stay valid across every suspension.
struct closure_base {
  virtual process start() = 0;
  // For crash reports: a function body's symbol, else the body's C++ type (both mangled).
  [[nodiscard]] virtual const char* body_name() const noexcept = 0;
  virtual ~closure_base() = default;
};
template <class F, class... Args>
struct closure final : closure_base {
  template <class G, class... As>
  explicit closure(G&& g, As&&... as) : fn(std::forward<G>(g)), args(std::forward<As>(as)...) {}
  process start() override { return std::apply(fn, args); }
  [[nodiscard]] const char* body_name() const noexcept override {
    if constexpr (std::is_pointer_v<F> && std::is_function_v<std::remove_pointer_t<F>>) {
      if (const char* symbol = function_symbol(reinterpret_cast<const void*>(fn))) return symbol;
    }
    return typeid(F).name();
  }
  F fn;
  std::tuple<Args...> args;
};

}  // namespace detail

// Options of spawn_opt (Erlang's spawn_opt/2).
struct spawn_options {
  // Past this many queued messages the process is killed with reason `message_queue_limit` (and a report), so
  // one flooded process cannot take the node's memory. 0: no limit.
  std::size_t max_message_queue_len = 0;
  // Links the child to the caller before it can run (spawn_link; see <beam/link.hpp>).
  bool link = false;
};

namespace detail {
// The parent of a spawn that a process of another node asked for (distribution's SPAWN_REQUEST): the child
// is linked to it and/or monitored by it under `monitor_ref` before it can run, as spawn_link and
// spawn_monitor do for a local parent, so a child that ends at once still sends it the exit signal or DOWN.
struct remote_parent {
  pid parent;
  bool link = false;
  const term* monitor_ref = nullptr;  // the monitor's reference (the request's id); nullptr: no monitor
};

// What spawn needs to build a process: room for its closure, how to build it there, and its initial call.
struct spawn_request {
  std::size_t closure_size;
  closure_base* (*construct)(void* storage, void* context);  // builds the closure in `storage`
  void* context;
  const spawn_options* options;
  const export_fun* mfa;     // spawn/3's {Module, Function, Arity}, for process_info's initial_call
  const reference* monitor;  // spawn_monitor: the caller monitors the child under this reference
  const remote_parent* remote = nullptr;  // a spawn another node asked for (distribution)
};
pid spawn_process(const spawn_request& request);

// Spawns `body(args...)` as `request` says; its closure fields are filled here.
template <class F, class... Args>
pid spawn_built(spawn_request request, F&& body, Args&&... args) {
  using closure_type = closure<std::decay_t<F>, std::decay_t<Args>...>;
  auto make = [&](void* storage) -> closure_base* {
    return new (storage) closure_type(std::forward<F>(body), std::forward<Args>(args)...);
  };
  static_assert(alignof(closure_type) <= alignof(std::max_align_t));
  request.closure_size = sizeof(closure_type);
  request.construct = [](void* storage, void* context) {
    return (*static_cast<decltype(make)*>(context))(storage);
  };
  request.context = &make;
  return spawn_process(request);
}

template <class F, class... Args>
pid spawn_with(const spawn_options* options, const export_fun* mfa, const reference* monitor, F&& body,
               Args&&... args) {
  return spawn_built(spawn_request{0, nullptr, nullptr, options, mfa, monitor, nullptr},
                     std::forward<F>(body), std::forward<Args>(args)...);
}
}  // namespace detail

// spawn/1: starts a process running `body(args...)`. Arguments are copied now; the callable and the copies
// live as long as the process. Never blocks, never waits for the child. Throws beam::error(system_limit) past
// the limit, and std::logic_error after runtime::run() has returned (no process would run it).
template <class F, class... Args>
requires std::is_invocable_r_v < process, std::decay_t<F>
&, std::decay_t<Args>&... > pid spawn(F&& body, Args&&... args) {
  return detail::spawn_with(nullptr, nullptr, nullptr, std::forward<F>(body), std::forward<Args>(args)...);
}

// spawn/1 with options.
template <class F, class... Args>
requires std::is_invocable_r_v < process, std::decay_t<F>
&, std::decay_t<Args>&... > pid spawn_opt(const spawn_options& options, F&& body, Args&&... args) {
  return detail::spawn_with(&options, nullptr, nullptr, std::forward<F>(body), std::forward<Args>(args)...);
}

// spawn/3: starts `module:function(args)` from the export registry (see beam::export_function). An unknown
// function still gives a pid; the new process exits with reason `undef`, as in Erlang.
pid spawn(atom module, atom function, std::vector<term> args);

// A C++ function callable by spawn/3 as Module.function(args...): it receives the argument list.
using exported_function = std::function<process(std::span<const term> args)>;
// Registers `fn` as `module:function` for any arity (the function checks the arguments it gets).
void export_function(atom module, atom function, exported_function fn);

}  // namespace beam
