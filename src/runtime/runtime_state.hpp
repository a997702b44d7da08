// runtime/runtime_state.hpp: the composition root: what one runtime is made of, in start-up order, and how
// the parts are connected. It builds the node of processes (proc/node.hpp), the BIF timers, the poller, the
// services (services/services.hpp: the I/O server's writer, the dirty pool, the sockets) and the scheduler,
// and connects them; it owns nothing else. Shut-down runs in reverse: the
// initial process ends, the schedulers stop, the node ends the remaining processes with reason `shutdown` on
// the stopping thread, then the parts are freed.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <vector>

#include <beam/pid.hpp>
#include <beam/runtime.hpp>

#include "io/poller.hpp"
#include "proc/node.hpp"
#include "runtime/timer_table.hpp"
#include "sched/scheduler.hpp"
#include "services/services.hpp"

namespace beam::detail {

class runtime_state {
 public:
  explicit runtime_state(const runtime_options& options);
  ~runtime_state();

  // Spawns the I/O server (registered as `user`); from runtime::run, before the initial process.
  void start_io_server();

  // Stops the schedulers and ends the processes left. False when processes did not suspend within
  // options.shutdown_timeout and were left running (reported; the state must then outlive them: never free
  // it). Aborts instead with stuck_shutdown::abort.
  [[nodiscard]] bool shut_down();

  const runtime_options options;  // validated before anything is built
  proc::node node;
  timer_table timers;                       // send_after and start_timer timers by reference (timers.cpp)
  std::unique_ptr<io_impl::poller> poller;  // socket readiness; idle workers sleep in it
  runtime_services services;                // published for the calls of src/services
  std::unique_ptr<sched::scheduler> sched;  // last: its workers start at once

 private:
  // Reports the processes that kept their schedulers past the shutdown timeout.
  void report_stuck(const std::vector<sched::scheduler::stuck_task>& stuck);
  // The stopping thread, the schedulers stopped: hands what the I/O server's mailbox holds to the writer.
  void write_queued_output();
};

// The runtime of this program, if one is alive (for the BIF timers).
[[nodiscard]] runtime_state* current_runtime() noexcept;
[[nodiscard]] runtime_state& runtime_for(const char* what);

}  // namespace beam::detail
