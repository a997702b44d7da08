// beam/runtime.hpp: the runtime: schedulers, the process table and the services processes use.
//
//   beam::runtime rt({.schedulers = 0 /* one per core */, .process_limit = 262'144});
//   beam::term reason = rt.run(body, args...);   // runs the initial process; returns its exit reason
//
// One runtime at a time per program (it is this node). Processes still alive when the initial process ends
// are ended with reason `shutdown`, and every process's memory is freed before run() returns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>

#include <beam/process.hpp>
#include <beam/term.hpp>

namespace beam {

struct runtime_options {
  // Scheduler threads; 0: the cores this process may use (affinity mask and cgroup CPU quota respected).
  std::uint32_t schedulers = 0;
  // Processes alive at once: 1,024 ... 134,217,727 (Erlang's +P). Rounded up as OTP rounds +P, to a power of
  // two capped at 134,217,727 (2000 -> 2048, 100000 -> 131072); system_info().process_limit shows the result.
  std::uint32_t process_limit = 262'144;
};

inline constexpr std::uint32_t min_process_limit = 1'024;
inline constexpr std::uint32_t max_process_limit = 134'217'727;

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
  // `shutdown`, and returns the initial process's exit reason. Call from outside any process.
  template <class F, class... Args>
  exit_reason run(F&& body, Args&&... args) {
    return run_initial([&] { return beam::spawn(std::forward<F>(body), std::forward<Args>(args)...); });
  }

  [[nodiscard]] std::uint32_t schedulers() const noexcept;

 private:
  template <class Spawn>
  exit_reason run_initial(Spawn&& spawn_initial) {
    start();
    spawn_initial();
    return finish();
  }
  void start();
  exit_reason finish();
  std::unique_ptr<detail::runtime_state> state_;
};

// The number of schedulers a default runtime starts: the CPUs this process may run on, within its cgroup
// quota.
[[nodiscard]] std::uint32_t default_schedulers();

}  // namespace beam
