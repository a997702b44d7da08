// proc/node.hpp: a node of processes: what the processes of one runtime share.
//
// What it owns. The process table (pid -> PCB), the registered names, the pools that PCBs, closures and
// message nodes come from (one set per worker, plus shared ones for other threads), a timer wheel per worker
// with the receive ... after timers in it, the clock those wheels count in, the initial process's end, and
// the stopping flag. The code of src/proc reaches nothing else: not the runtime, not the services.
//
// What it does not own. The scheduler, the services above the processes (the I/O server, the BIF timers of
// send_after and start_timer) and the runtime's options: the runtime (src/runtime, the composition root)
// builds the node first, then the scheduler and the services, and connects them (connect, set_router) before
// the first process is spawned. The node reaches the two services it needs through interfaces it defines
// here and they implement: `timer_service` (a process's end cancels the timers aimed at it) and
// `remote_router` (a message to a pid of another node). Dependencies so point one way: proc <- services <-
// runtime.
//
// Who may touch what. The fields that are set at start-up (schedulers, spares, started, sched, bif_timers)
// are read by any thread afterwards without synchronisation: connect runs before the first spawn, and every
// process is reached through the table, whose publication (release) orders them. `router` may change while
// processes run (distribution starts inside a runtime): an atomic pointer, stored with release and loaded
// with acquire. `locals[i]` is worker i's (see worker_local.hpp). `names` is under `names_mutex`. The table,
// the chunk store and the shared pools guard themselves. `stopping` and `initial` are the stopping thread's
// and the first spawn's, as noted at each.
//
// Why the split. src/proc used to reach the whole runtime through one `runtime_state`, a service locator
// holding the table, the names, the pools, the scheduler, the timers and the I/O server: every file of the
// process layer included the composition root, nothing said which part of it the processes need, and the
// next layers (a poller, distribution) had no place of their own to plug in. The node is what the process
// layer needs and nothing more; the runtime is wiring.
//
// The hot paths are as before. A PCB finds its node through `the_node` (one runtime, so one node, at a time;
// a relaxed load), as it found the runtime, and the scheduler through a plain pointer. A send to a pid looks
// in the table first and asks whether the pid is remote only when the table has no such process, so a send
// to a live local process pays nothing for the router.
//
// Rejected: a node pointer in each PCB (8 bytes more for each of a million idle processes, issue 4's W2);
// passing the node through every call of the process layer (the detail interface the public templates call
// would change, for no gain while one node runs at a time); the node owning the scheduler (the scheduler is
// below the processes and is shared with the coming I/O poller: the runtime owns both); the BIF timer table
// inside the node (send_after and start_timer are a service with their own API and checks; a process's end
// needs only "cancel this reference", so the node sees a two-call interface); std::function hooks for the
// router (the distribution layer will carry state and more calls: an interface documents them in one place);
// routing the timers of send_after aimed at a remote pid as well (a timer is not set). Signals (link,
// monitor, exit) to a remote pid go to the router's route_signal: without distribution it carries none and
// they answer `noproc`, as before.
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

#include <beam/atom.hpp>
#include <beam/pid.hpp>
#include <beam/reference.hpp>
#include <beam/term.hpp>

#include "base/epochs.hpp"
#include "base/pool.hpp"
#include "proc/process_control.hpp"
#include "proc/process_table.hpp"
#include "proc/signals.hpp"
#include "proc/worker_local.hpp"
#include "sched/scheduler.hpp"

namespace beam::proc {

// Where the node sends what is addressed to another node. With no distribution nothing is reachable there:
// the default router drops every message, as Erlang drops one sent to a node it cannot reach. The
// distribution issue plugs its router in here (set_router, before the first spawn).
class remote_router {
 public:
  virtual ~remote_router() = default;
  // Any thread (the sender's): `message` for the process `to`, a pid of another node.
  virtual void route(const pid& to, term message) = 0;
  // Any thread: `message` for the process registered as `name` on the node named `node`, not this one.
  virtual void route(atom name, atom node, term message) = 0;
  // Any thread: a signal for `to`, a pid of another node, as proc/signals.cpp would queue it for a local one
  // (kinds link, unlink, exit_linked, exit, monitor, demonitor, down; the payload as mailbox.hpp describes
  // it). Returns false when it cannot be carried (no distribution, another kind): the sender then answers
  // as for a process that does not exist (noproc). The default carries none.
  virtual bool route_signal(const pid& to, signal_kind kind, const term& payload) {
    (void)to, (void)kind, (void)payload;
    return false;
  }
  // Any thread: `message` for `alias`, a reference of another node (a reply to a caller there). The
  // default drops it.
  virtual void route_alias(const reference& alias, term message) { (void)alias, (void)message; }
};

// The BIF timers (send_after, start_timer; runtime/timers.cpp) as the node sees them: what a process's end
// needs from them.
class timer_service {
 public:
  virtual ~timer_service() = default;
  // Any thread that holds no wheel's lock: cancels the timer `ref` if it is still listed and frees its entry.
  virtual void cancel_listed(const term& ref) noexcept = 0;
  // The owner of the process whose set `refs` is: erases the references of timers no longer listed.
  virtual void keep_listed(detail::process_links::set<term>& refs) const = 0;
};

// The ports (sockets, services/tcp) as the node sees them: what a process's end needs from them.
class port_service {
 public:
  virtual ~port_service() = default;
  // Any thread: `owner` has ended; closes the ports it still owns.
  virtual void owner_ended(const pid& owner) noexcept = 0;
};

class node {
 public:
  // `process_limit` (already rounded as the runtime rounds it), `schedulers` regular workers and `spares`
  // spare ones, each with a worker_local. Throws std::logic_error when another node is alive in this program
  // (one runtime at a time).
  node(std::uint32_t process_limit, std::uint32_t schedulers, std::uint32_t spares);
  ~node();
  node(const node&) = delete;
  node& operator=(const node&) = delete;

  // Start-up, before the first spawn (the runtime): the scheduler that runs the processes and the BIF timers.
  void connect(sched::scheduler& s, timer_service& timers) noexcept;
  // The runtime's end, once the scheduler's workers have been joined: PCBs retired from now on are freed at
  // once (no worker is left to hold one), with those still waiting.
  void disconnect() noexcept;
  // Any time, any thread: where messages to other nodes go from now on (default: dropped). Distribution
  // (src/dist) plugs in while processes run; a router set must live as long as the node.
  void set_router(remote_router& r) noexcept {
    router.store(&r, std::memory_order_release);  // pairs with the senders' acquire loads
  }
  // Start-up, before the first spawn: who closes the ports of a process that ends (default: none).
  void set_ports(port_service& p) noexcept { ports = &p; }

  // The calling thread's pools: its worker's, or the shared ones under `shared_mutex_` for other threads.
  // `pcb` picks the PCB-only pools.
  void* allocate(std::size_t size, bool pcb = false);
  void free(void* block, std::size_t size, bool pcb = false) noexcept;
  [[nodiscard]] slot_cache* slot_cache_here() noexcept;
  [[nodiscard]] worker_local& local(const sched::worker& w) noexcept { return *locals[w.index()]; }

  // PCB lifetime (base/epochs.hpp). Any thread: `p`'s last reference is gone and the table no longer has
  // it; its block goes back to the pools (detail::destroy_pcb) once no worker can still hold it: a worker
  // in a slice may have found it in the table without taking a reference (a send from a process, a park).
  void retire(detail::process_control& p) noexcept;
  // The worker `w`'s own thread, between tasks: frees what `w` retired that no worker can hold any more, and
  // what threads that are not workers retired.
  void reclaim(sched::worker& w) noexcept;
  // The worker `w`'s own thread, about to sleep (park, or a spare stopping): hands what it retired to the
  // shared limbo, which the workers still running free.
  void hand_over_limbo(sched::worker& w) noexcept;
  // Once no worker runs (the node's end): frees everything retired.
  void reclaim_all() noexcept;

  // Messages: nodes from the calling thread's pool.
  [[nodiscard]] message_node* new_message(term message);
  void free_message(message_node* n) noexcept;

  // Milliseconds since start-up, the timer wheels' clock.
  [[nodiscard]] std::uint64_t now_ms() const noexcept;
  [[nodiscard]] std::uint64_t to_ms(std::chrono::steady_clock::time_point t) const noexcept;
  // The owner of `p`, on a worker: a timer that ends p's current wait at `deadline` (receive ... after).
  void start_receive_timer(detail::process_control& p, std::chrono::steady_clock::time_point deadline);
  // The owner of `p` (`on` is its worker, or nullptr at shutdown): forgets p's receive timer, if any.
  void end_receive_timer(detail::process_control& p, sched::worker* on) noexcept;
  // The scheduler's poll hook for `w` (its worker, or the monitor thread for a worker stuck in a long slice):
  // fires the due timers of w's wheel and returns its next deadline (time_point::max() when none).
  std::chrono::steady_clock::time_point poll_timers(sched::worker& w);

  // Registered names (registry.cpp). The lock is taken only by the name functions and by the exit of a named
  // process; spawn, send to a pid and the exit of an unnamed process never take it.
  std::mutex names_mutex;
  std::unordered_map<std::uint32_t, pid> names;  // atom index -> pid; names_mutex
  // Exit path of `p`: drops its name, if it has one.
  void release_name(detail::process_control& p) noexcept;

  // The initial process: the runtime sets `capture_initial` before spawning it, and that spawn records its
  // pid; its exit path reports its reason here, last, and the runtime waits for it.
  void on_initial_exit(const term& reason);
  [[nodiscard]] term wait_for_initial();
  std::optional<pid> initial;                // set by the spawn that captures it, before the process can run
  std::atomic<bool> capture_initial{false};  // the runtime sets it; that spawn clears it

  // The stopping thread, once the schedulers have stopped: sets `stopping` and ends the processes left, with
  // reason `shutdown`.
  void shut_down_processes();

  const std::uint32_t
      schedulers;              // regular schedulers (spares not counted); before `table`, which sizes by it
  const std::uint32_t spares;  // spare schedulers at most; before `table`
  const std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  base::chunk_store chunks;  // before everything that allocates from it
  process_table table;
  // The workers (by index) pin an epoch around each use of a PCB found without a reference (a send from a
  // process, a park): see retire.
  base::epochs epochs;
  std::vector<std::unique_ptr<worker_local>> locals;  // one per worker and spare, built before they start
  sched::scheduler* sched = nullptr;                  // connect
  timer_service* bif_timers = nullptr;                // connect
  std::atomic<remote_router*> router;                 // set_router; a router that drops, until then
  port_service* ports = nullptr;                      // set_ports
  // Set by shut_down_processes: processes ended from then on send no exit signals or DOWNs, and spawn
  // refuses. Relaxed: read by threads ordered after the stopping thread (run() has returned to them) or
  // racing with a shutdown that has stopped the schedulers.
  std::atomic<bool> stopping{false};

 private:
  std::mutex shared_mutex_;
  base::pool_set shared_pool_;      // shared_mutex_
  base::pool_set shared_pcb_pool_;  // shared_mutex_
  // PCBs retired by threads that are not workers (a sender outside the processes dropping the last
  // reference), and those of workers gone idle. Any running worker frees them as it reclaims its own.
  std::mutex limbo_mutex_;
  pcb_limbo shared_limbo_;                      // limbo_mutex_
  std::atomic<bool> shared_limbo_used_{false};  // shared_limbo_ holds PCBs (a hint, read without the lock)
  [[nodiscard]] sched::worker* own_worker() const noexcept;
  // Moves the epoch on if no worker holds it back; returns the epoch now.
  std::uint64_t advance_epoch() noexcept;
  void reclaim_shared(std::uint64_t epoch) noexcept;

  std::mutex initial_mutex_;
  std::condition_variable initial_done_;
  std::optional<term> initial_reason_;  // initial_mutex_
};

}  // namespace beam::proc

namespace beam::detail {
// The node of the runtime running now, if one is alive.
[[nodiscard]] proc::node* current_node() noexcept;
// The same, for a call that needs one: std::logic_error naming `what` when no runtime runs.
[[nodiscard]] proc::node& node_for(const char* what);
}  // namespace beam::detail
