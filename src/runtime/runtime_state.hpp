// runtime/runtime_state.hpp: the composition root: everything one runtime (this node) owns, in start-up order.
// Shut-down runs in reverse: the initial process ends, the schedulers stop, the remaining processes are ended with
// reason `shutdown` on the stopping thread, then the pools are freed.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include <beam/pid.hpp>
#include <beam/runtime.hpp>
#include <beam/term.hpp>

#include "base/pool.hpp"
#include "proc/process_control.hpp"
#include "proc/process_table.hpp"
#include "sched/scheduler.hpp"
#include "timer/timer_wheel.hpp"

namespace beam::detail {

// What each scheduler keeps for itself. Owner worker only.
struct worker_local {
  worker_local(base::chunk_store& store, std::uint64_t now_ms) : pool(store), timers(now_ms) {}
  base::pool_set pool;
  proc::slot_cache slots;
  timer::timer_wheel timers;
};

class runtime_state {
 public:
  explicit runtime_state(const runtime_options& options);
  ~runtime_state();

  // The calling thread's pools: its worker's, or the shared ones under `shared_mutex_` for other threads.
  void* allocate(std::size_t size);
  void free(void* block, std::size_t size) noexcept;
  [[nodiscard]] proc::slot_cache* slot_cache_here() noexcept;
  [[nodiscard]] worker_local& local(const sched::worker& w) noexcept { return *locals[w.index()]; }

  // Messages: nodes from the calling thread's pool.
  [[nodiscard]] proc::message_node* new_message(term message);
  void free_message(proc::message_node* n) noexcept;

  // Milliseconds since start-up, the timer wheels' clock.
  [[nodiscard]] std::uint64_t now_ms() const noexcept;
  [[nodiscard]] std::uint64_t to_ms(std::chrono::steady_clock::time_point t) const noexcept;
  // The owner of `p`, on a worker: a timer that ends p's current wait at `deadline` (receive ... after).
  void start_receive_timer(process_control& p, std::chrono::steady_clock::time_point deadline);
  // The owner of `p` (`on` is its worker, or nullptr at shutdown): forgets p's receive timer, if any.
  void end_receive_timer(process_control& p, sched::worker* on) noexcept;

  void on_initial_exit(const term& reason);
  exit_reason wait_for_initial();
  void shut_down();

  const runtime_options options;
  const std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  base::chunk_store chunks;  // before everything that allocates from it
  proc::process_table table;
  std::vector<std::unique_ptr<worker_local>> locals;  // one per worker, built before the workers start
  std::unique_ptr<sched::scheduler> sched;
  std::optional<pid> initial;              // set by the spawn that run() makes, before the process can run
  std::atomic<bool> capture_initial{false};  // run() sets it; that spawn clears it

 private:
  std::mutex shared_mutex_;
  base::pool_set shared_pool_;  // shared_mutex_

  std::mutex initial_mutex_;
  std::condition_variable initial_done_;
  std::optional<term> initial_reason_;  // initial_mutex_
};

// The runtime of this program, if one is alive.
[[nodiscard]] runtime_state* current_runtime() noexcept;
[[nodiscard]] runtime_state& runtime_for(const char* what);

}  // namespace beam::detail
