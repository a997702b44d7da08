// proc/process_control.hpp: the process control block (PCB).
//
// State word (`state`), one of:
//   queued   in exactly one run queue; nobody else may resume it
//   running  a worker is executing it; that worker owns every owner-only field below
//   waiting  suspended in receive or sleep; the first thread to CAS it to `queued` (a sender, a timer, an
//   exit
//            signal) schedules it
//   exited   its body has finished; it is being torn down
// Transitions: spawn -> queued; worker pop: queued -> running; after a slice: running -> queued (yield),
// running -> waiting (then the owner re-checks the mailbox and may CAS waiting -> queued itself), running ->
// exited. Wake-up protocol: the owner stores `waiting` (seq_cst CAS) and then checks mailbox.has_new()
// (seq_cst); a waker makes its change (a sender's push, a timer's raise, a kill: seq_cst) and then reads the
// state (a seq_cst load, and only if it reads `waiting`, the CAS to `queued`). One of them sees the other, so
// no message is left unseen by a sleeping process.
//
// Lifetime: `refs` counts the process table's slot (1 while alive) and every sender holding the PCB for a
// send. It is 0 until the table publishes the PCB, so nobody can retain a PCB still being built. PCBs live in
// type-stable memory (their own pools: a freed PCB block is only ever reused as a PCB), so a sender may read
// `refs` of a PCB it found in the table even if the process just exited: try_retain fails on zero, and a
// retained PCB whose pid is another (the slot was reused) is released again. The last release does not free
// the PCB at once: it retires it (node::retire), and the block goes back to its pool only once no worker
// that had pinned an epoch before can still be pinned (base/epochs.hpp). So a worker may use a PCB it found
// in the table without taking a reference while it pins an epoch: a process's send to a pid (one exchange on
// the worker's own line instead of a retain and a release on the receiver's, which every sender of a fan-in
// fights over) and a process's park (which may look at its PCB after another worker has already run it to
// its end). Threads that are not workers still take references.
#pragma once

#include <atomic>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <type_traits>

#include <beam/detail/process_base.hpp>
#include <beam/pid.hpp>
#include <beam/process.hpp>
#include <beam/term.hpp>

#include "proc/mailbox.hpp"
#include "sched/scheduler.hpp"
#include "sched/task.hpp"
#include "timer/timer_wheel.hpp"

namespace beam::proc {
class node;
}

namespace beam::detail {

struct process_control;
struct process_links;

// The node of the runtime running now, or nullptr (proc/node.cpp): release when published, acquire when read
// from outside its threads; relaxed by a PCB's users, which reached the PCB through the node.
extern std::atomic<proc::node*> the_node;

// The scheduler's entry point for a process: one slice (proc/process.cpp).
void run_slice(sched::task* t, sched::worker& on);
// Drops one reference; the last one retires the PCB (node::retire frees it once no worker can hold it). Any
// thread.
void release(process_control& p) noexcept;
// Frees the PCB `p` (what late senders queued is answered as for a dead process): nobody may hold it.
void destroy_pcb(process_control& p) noexcept;
// Any thread: makes `p` runnable if it waits (the first waker wins).
void wake(process_control& p);
// Queues `message` (or a signal of `kind`) for `p`, which the caller retained (the reference is dropped
// here), and wakes it.
void deliver(process_control& p, const term& message, proc::signal_kind kind = proc::signal_kind::message);
// Any thread: sends `message` to `to`: delivered if it is a live process of this node, handed to the node's
// router if it is a pid of another node, else dropped (as Erlang drops a message to a dead pid).
void send_message(proc::node& node, const pid& to, const term& message);
// Whether a kill of `p` is pending (its owner ends it at the next scheduling point).
[[nodiscard]] bool kill_pending(const process_control& p) noexcept;
// Any thread: ends `p` with `reason` at its next scheduling point (now if it waits). The first kill wins:
// false when an earlier one did.
bool kill(process_control& p, term reason);
// The bytes of `p`'s control block and closure.
std::size_t pcb_memory(const process_control& p) noexcept;
// Any thread: the live process registered as `name`, retained, or nullptr (registry.cpp).
process_control* find_named(proc::node& node, atom name);
// Ends a process that is not running (runtime shutdown): reason `shutdown`, no resume. The stopping thread
// only.
void shut_down_process(process_control& p) noexcept;

enum class process_state : std::uint32_t { queued, running, waiting, exited };

// What few processes have (spawn_opt's limit, spawn/3's initial call): allocated at spawn only when needed,
// before the PCB is published, and immutable from then on, so any thread may read it.
struct process_rare {
  std::optional<export_fun> initial_mfa;  // spawn/3's {Module, Function, Arity}
  std::size_t max_message_queue_len = 0;  // 0: no limit
};

// Fields are ordered to leave no padding: a million idle processes pay for every byte (issue 4's W2).
struct process_control : sched::task {  // the task base: the scheduler's handle, in one queue while `queued`
  process_control() noexcept : sched::task(&run_slice) {}

  std::atomic<process_state> state{process_state::queued};
  std::atomic<std::uint32_t> refs{0};  // the table's (set to 1 by insert) + transient senders'

  // --- owner only (the worker running it, or the thread tearing it down) ---
  std::coroutine_handle<> resume_point;       // the innermost suspended coroutine
  std::coroutine_handle<> body;               // the process body's frame (destroyed at exit)
  receive_waiter* waiter = nullptr;           // the receive in progress, if waiting in one
  std::atomic<std::uint64_t> reductions{0};   // written by the owner (relaxed), read by process_info
  std::uint32_t closure_size = 0;             // immutable after spawn
  std::atomic<std::uint32_t> frame_bytes{0};  // coroutine frames of this process, for process_info's memory
  static constexpr std::uint32_t no_name = ~std::uint32_t{0};
  std::atomic<std::uint32_t> name{no_name};   // registered name's atom index; changed under the names lock
  std::atomic<std::uint32_t> timer_fired{0};  // the newest generation whose timeout fired (timers raise it)
  process_links* links = nullptr;             // links and monitors, made at the first use (proc/signals.hpp)
  const process_rare* rare = nullptr;         // set at spawn when needed, immutable (any thread reads it)

  std::uint32_t wait_generation = 0;  // bumped at each wait; timers name the wait they end
  // A pending kill (an exit signal, a message past the mailbox limit), set as the owner acts on its signals:
  // the first kill CASes `kill_state` from none to writing, stores `end_reason`, then stores ready (release;
  // read with acquire before each slice and by park's re-check).
  enum kill_status : std::uint8_t { kill_none, kill_writing, kill_ready };
  std::atomic<std::uint8_t> kill_state{kill_none};
  // Owner only, packed in one byte (bit-fields are one memory location: no other thread may write beside
  // them).
  suspend_reason reason : 2 = suspend_reason::yield;
  bool trap_exit : 1 = false;                 // process_flag(trap_exit)
  bool threw : 1 = false;                     // the body ended with an exception: its reason is in end_reason
  bool crashed : 1 = false;                   // ... and it was a crash to report (not exit/1)
  bool owns_ports : 1 = false;                // it was given a port once: its end closes the ports it owns
  std::atomic<std::uint16_t> last_worker{0};  // for process_info; written by the owner, read by anyone
  term end_reason;  // a pending kill's reason, or what the body threw (then `threw` is set)
  timer::timer_entry* receive_timer = nullptr;  // the timeout of the wait in progress; we hold one reference

  proc::mailbox mailbox;

  // Immutable after spawn; any thread.
  [[nodiscard]] std::size_t max_message_queue_len() const noexcept {
    return rare != nullptr ? rare->max_message_queue_len : 0;
  }
  // The pid is the task's tag (serial << 32 | number), set by the table before the PCB is published and
  // immutable while alive, so the scheduler's reports name the process without a field of their own.
  [[nodiscard]] std::uint32_t number() const noexcept { return static_cast<std::uint32_t>(tag); }
  [[nodiscard]] std::uint32_t serial() const noexcept { return static_cast<std::uint32_t>(tag >> 32); }
  [[nodiscard]] pid self() const noexcept { return pid(number(), serial()); }
  // The node it belongs to: the one running (one runtime at a time; see proc/node.hpp), not a field, to keep
  // the PCB small.
  [[nodiscard]] static proc::node& node() noexcept { return *the_node.load(std::memory_order_relaxed); }
  [[nodiscard]] bool try_retain() noexcept {
    std::uint32_t r = refs.load(std::memory_order_relaxed);
    do {
      if (r == 0) return false;
    } while (!refs.compare_exchange_weak(r, r + 1, std::memory_order_acquire, std::memory_order_relaxed));
    return true;  // acquire: we read the tag (the pid) after this, written before the PCB was published
  }
  static process_control* from_task(sched::task* t) noexcept { return static_cast<process_control*>(t); }
};

}  // namespace beam::detail
