// runtime/runtime_state.hpp: the composition root: everything one runtime (this node) owns, in start-up
// order. Shut-down runs in reverse: the initial process ends, the schedulers stop, the remaining processes
// are ended with reason `shutdown` on the stopping thread, then the pools are freed.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include <beam/pid.hpp>
#include <beam/runtime.hpp>
#include <beam/term.hpp>

#include "base/pool.hpp"
#include "io/dirty_pool.hpp"
#include "io/io_server.hpp"
#include "proc/process_control.hpp"
#include "proc/process_table.hpp"
#include "runtime/timer_table.hpp"
#include "sched/scheduler.hpp"
#include "timer/timer_wheel.hpp"

namespace beam::detail {

// What each scheduler keeps for itself. Owner worker only.
struct worker_local {
  worker_local(base::chunk_store& store, std::uint64_t now_ms)
      : pool(store), pcb_pool(store), timers(now_ms) {}
  base::pool_set pool;
  base::pool_set pcb_pool;  // PCBs only: type-stable (see process_control.hpp)
  proc::slot_cache slots;
  // The timers are the owner's, but the monitor thread polls them while the owner is stuck in a long slice,
  // and a cancel of a send_after timer (timers.cpp) takes it out from any thread.
  std::mutex timers_mutex;
  timer::timer_wheel timers;  // timers_mutex
  // No timer of the wheel is due before this (no_deadline: the wheel is empty). Written under timers_mutex
  // (lowered by each insert, set by each poll; never later than the true next deadline), read by the owner
  // without the lock (relaxed: a stale value is earlier, which only costs a poll), so a worker with nothing
  // due reads no clock and takes no lock between tasks.
  std::atomic<std::uint64_t> next_due_ms{timer::timer_wheel::no_deadline};

  // Owner only: adds `t` (its deadline set) to the wheel.
  void insert_timer(timer::timer_entry* t) noexcept {
    std::lock_guard lock(timers_mutex);
    timers.insert(t);
    if (t->deadline_ms < next_due_ms.load(std::memory_order_relaxed)) {
      next_due_ms.store(t->deadline_ms, std::memory_order_relaxed);
    }
  }
};

class runtime_state {
 public:
  explicit runtime_state(const runtime_options& options);
  ~runtime_state();

  // The calling thread's pools: its worker's, or the shared ones under `shared_mutex_` for other threads.
  // `pcb` picks the PCB-only pools.
  void* allocate(std::size_t size, bool pcb = false);
  void free(void* block, std::size_t size, bool pcb = false) noexcept;
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

  // Registered names (registry.cpp). The lock is taken only by the name functions and by the exit of a named
  // process; spawn, send to a pid and the exit of an unnamed process never take it.
  std::mutex names_mutex;
  std::unordered_map<std::uint32_t, pid> names;  // atom index -> pid; names_mutex
  // Exit path of `p`: drops its name, if it has one.
  void release_name(process_control& p) noexcept;

  // send_after and start_timer timers by reference (timers.cpp).
  timer_table timers;

  // Spawns the I/O server (registered as `user`); from runtime::run, before the initial process.
  void start_io_server();

  void on_initial_exit(const term& reason);
  exit_reason wait_for_initial();
  // Stops the schedulers and ends the processes left. False when processes did not suspend within
  // options.shutdown_timeout and were left running (reported; the state must then outlive them: never free
  // it). Aborts instead with stuck_shutdown::abort.
  [[nodiscard]] bool shut_down();

  const runtime_options options;
  const std::uint32_t
      schedulers;              // regular schedulers (spares not counted); before `table`, which sizes by it
  const std::uint32_t spares;  // spare schedulers at most; before `table`
  const std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  base::chunk_store chunks;  // before everything that allocates from it
  proc::process_table table;
  std::vector<std::unique_ptr<worker_local>> locals;  // one per worker, built before the workers start
  std::unique_ptr<io_impl::writer> output;            // the I/O server's writer thread
  std::unique_ptr<io_impl::dirty_pool> dirty;         // blocking calls (beam/blocking.hpp)
  std::unique_ptr<sched::scheduler> sched;
  std::optional<pid> io_server;              // set by start_io_server, before the initial process
  std::optional<pid> initial;                // set by the spawn that run() makes, before the process can run
  std::atomic<bool> capture_initial{false};  // run() sets it; that spawn clears it
  // Set by shut_down once the schedulers have stopped: processes ended from then on send no exit signals or
  // DOWNs.
  std::atomic<bool> stopping{false};

 private:
  // Reports the processes that kept their schedulers past the shutdown timeout.
  void report_stuck(const std::vector<sched::scheduler::stuck_task>& stuck);
  // The stopping thread, the schedulers stopped: hands what the I/O server's mailbox holds to the writer.
  void write_queued_output();

  std::mutex shared_mutex_;
  base::pool_set shared_pool_;      // shared_mutex_
  base::pool_set shared_pcb_pool_;  // shared_mutex_

  std::mutex initial_mutex_;
  std::condition_variable initial_done_;
  std::optional<term> initial_reason_;  // initial_mutex_
};

// The runtime of this program, if one is alive.
[[nodiscard]] runtime_state* current_runtime() noexcept;
[[nodiscard]] runtime_state& runtime_for(const char* what);

}  // namespace beam::detail
