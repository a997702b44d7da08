// proc/process.cpp: the life of a process: spawn, a scheduling slice, waiting for messages, send, exit.
//
// A process is a PCB (process_control.hpp) plus the coroutine frame of its body. The scheduler runs the PCB's
// task node; run_slice resumes the innermost suspended coroutine of the process and, when the coroutine gives
// control back, acts on the reason it recorded (note_suspend): requeue it (yield), park it in `waiting`
// (receive), or tear it down (exit). Waking a waiting process is a CAS on its state and a push on the waker's
// run queue (its runnext slot when the waker is a running process: see scheduler.cpp).
#include <cxxabi.h>
#include <dlfcn.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

#include <beam/error.hpp>
#include <beam/inspect.hpp>
#include <beam/logger.hpp>
#include <beam/process.hpp>
#include <beam/receive.hpp>

#include "base/assert.hpp"
#include "base/small_pool.hpp"
#include "proc/exports.hpp"
#include "proc/key_table.hpp"
#include "proc/node.hpp"
#include "proc/process_control.hpp"
#include "proc/signals.hpp"
#include "term/atom_table.hpp"
#include "term/heap.hpp"

namespace beam {
namespace detail {
namespace {

thread_local process_control* running = nullptr;
thread_local std::uint32_t slice_budget = 0;       // reductions left in the slice of the process running here
thread_local process_control* spawning = nullptr;  // the process whose body spawn_process is creating
constexpr std::uint32_t not_a_worker = ~std::uint32_t{0};
// This thread's worker (set by its first slice). A thread that is not a worker runs a process's end only at
// shutdown (shut_down_process, `running` set): its sends take references.
thread_local std::uint32_t running_worker = not_a_worker;

constexpr std::uint32_t slice_reductions = 4000;  // as BEAM's CONTEXT_REDS
// What the runtime's calls cost: a send, link, monitor or exit signal 1 (a BIF call in BEAM); a spawn 10 (it
// builds a process: about the work of 20 sends); building terms 1 per 64 bytes of nodes (BEAM charges the
// garbage collection such values cause). The co_await points (receive, a beam::task) yield when the slice's
// budget is spent, so a loop that spawns or sends and awaits anything at all shares its scheduler.
constexpr std::uint32_t spawn_reductions = 10;
constexpr std::size_t bytes_per_reduction = 64;
constexpr std::size_t inline_closure_bytes = 48;

// Thrown by beam::exit; not a std::exception, so `catch (const std::exception&)` in a body does not swallow
// it.
struct exit_signal {
  term reason;
};

std::string demangle(const char* name) {
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> out(abi::__cxa_demangle(name, nullptr, nullptr, &status),
                                                  &std::free);
  return status == 0 && out ? std::string(out.get()) : std::string(name);
}

// Inside a catch: the C++ type of the exception being handled, demangled ("std::runtime_error", "int").
std::string thrown_type_name() {
  const std::type_info* type = abi::__cxa_current_exception_type();
  return type != nullptr ? demangle(type->name()) : std::string("unknown");
}

}  // namespace

// The exit reason for what a body threw, and whether it is a crash to report (declared in proc/exports.hpp).
std::pair<term, bool> reason_of(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const exit_signal& s) {
    return {s.reason, false};
  } catch (const beam::error& err) {
    return {err.reason(), true};
  } catch (const std::exception& ex) {
    return {tuple(atom("exception"), thrown_type_name(), std::string_view(ex.what())), true};
  } catch (...) {  // `throw 42`: {:exception, "int", ...}
    return {tuple(atom("exception"), thrown_type_name(), "a non-standard exception"), true};
  }
}

namespace {

// --- PCB memory ---
// A PCB and, when small, its closure share one pooled block sized for that closure. The PCB pools keep blocks
// type-stable per size class: a PCB always starts a block of its class, whatever closure follows it.
bool closure_inline(std::size_t closure_size) noexcept {
  return closure_size <= inline_closure_bytes;
}
std::size_t pcb_block_size(std::size_t closure_size) noexcept {
  return sizeof(process_control) + (closure_inline(closure_size) ? closure_size : sizeof(void*));
}

// Answers what senders queued after the process's end cleared its mailbox (a monitor gets its DOWN with
// noproc, a link its exit signal), and frees those nodes.
void drop_late_nodes(process_control& p) noexcept {
  proc::node& node = p.node();
  const pid dead = p.self();
  p.mailbox.clear([&](proc::message_node* n) { drop_late(node, dead, n); });
}

}  // namespace

void destroy_pcb(process_control& p) noexcept {
  if (p.mailbox.has_new()) drop_late_nodes(p);  // sends that found it without a reference after its retiring
  delete p.rare;
  const std::size_t block = pcb_block_size(p.closure_size);
  p.~process_control();
  p.node().free(&p, block, /*pcb=*/true);
}

namespace {

process_control* new_pcb(proc::node& node, std::size_t closure_size) {
  void* block = node.allocate(pcb_block_size(closure_size), /*pcb=*/true);
  auto* p = new (block) process_control();
  p->closure_size = static_cast<std::uint32_t>(closure_size);
  return p;
}

// Right after the PCB: the closure when small, else the address of its own block.
void* closure_place(process_control& p) noexcept {
  return reinterpret_cast<std::byte*>(&p) + sizeof(process_control);
}
void* closure_storage(process_control& p) noexcept {
  void* place = closure_place(p);
  return closure_inline(p.closure_size) ? place : *static_cast<void**>(place);
}
// At spawn: where to build the closure (a pooled block of its own when it is large).
void* make_closure_storage(process_control& p) {
  if (closure_inline(p.closure_size)) return closure_place(p);
  void* storage = p.node().allocate(p.closure_size);
  *static_cast<void**>(closure_place(p)) = storage;
  return storage;
}
void free_closure_storage(process_control& p) noexcept {
  if (!closure_inline(p.closure_size)) p.node().free(closure_storage(p), p.closure_size);
}
// The closure spawn built in closure_storage(p) (closure<F> has closure_base at offset 0).
closure_base& closure_of(process_control& p) noexcept {
  return *static_cast<closure_base*>(closure_storage(p));
}

void destroy_closure(process_control& p) noexcept {
  closure_of(p).~closure_base();
  free_closure_storage(p);
}

void report_crash(process_control& p, const term& reason) {
  beam::log(log_level::error,
            fmt::format("Process {} raised an exception\n** (EXIT) {}\n    initial call: {}",
                        inspect(term(p.self())), inspect(reason), demangle(closure_of(p).body_name())));
}

void make_runnable(process_control& p) {
  p.node().sched->submit(&p);
}

bool ready_to_resume(process_control& p) {
  if (p.waiter == nullptr) return true;
  if (p.waiter->try_match(p.waiter)) return true;
  if (p.timer_fired.load(std::memory_order_acquire) == p.wait_generation) {
    p.waiter->timed_out = true;
    return true;
  }
  return false;
}

// Owner only, in its slice on worker `on`: parks `p` in `waiting`, unless something arrived meanwhile. Once
// `waiting` is stored, p is no longer ours: a sender may already be running it elsewhere, even to its end, so
// only atomics are read after the store. The pinned epoch keeps the PCB a PCB, and this process's, while we
// look (node::retire).
void park(process_control& p, const sched::worker& on) {
  const base::pinned_epoch pin(p.node().epochs, on.index());
  const std::uint32_t generation = p.wait_generation;
  p.state.store(process_state::waiting);  // seq_cst: before the re-check (wake-up protocol)
  if (p.mailbox.has_new() || p.timer_fired.load() == generation ||
      p.kill_state.load() == process_control::kill_ready) {  // a kill that found us running: see kill()
    wake(p);
  }
}

void exit_process(process_control& p, sched::worker* on,
                  std::optional<term> forced_reason = std::nullopt) noexcept;

}  // namespace

bool kill_pending(const process_control& p) noexcept {
  return p.kill_state.load(std::memory_order_acquire) == process_control::kill_ready;  // pairs with kill()
}

void run_slice(sched::task* t, sched::worker& on) {
  process_control& p = *process_control::from_task(t);
  p.state.store(process_state::running, std::memory_order_relaxed);  // we popped it: it is ours
  p.last_worker.store(static_cast<std::uint16_t>(on.index()), std::memory_order_relaxed);  // < 2,048 workers
  if (kill_pending(p)) {
    exit_process(p, &on, p.end_reason);
    return;
  }
  if (p.mailbox.has_new()) take_arrivals(p);  // signals take effect between slices, even without a receive
  if (kill_pending(p)) {
    exit_process(p, &on, p.end_reason);
    return;
  }
  running = &p;
  running_worker = on.index();
  slice_budget = slice_reductions;
  (void)take_built_bytes();  // built before this slice (signals, timers): not this process's work
  if (!ready_to_resume(p)) {
    running = nullptr;
    park(p, on);
    return;
  }
  p.waiter = nullptr;
  p.node().end_receive_timer(p, &on);
  p.resume_point.resume();
  running = nullptr;
  // A kill that came while the slice ran ends the process with its reason, also when the body then returned
  // (exit(self(), die) caught and ignored); a body that threw keeps its own reason and crash report.
  if (kill_pending(p) && !(p.reason == suspend_reason::exited && p.threw)) {
    exit_process(p, &on, p.end_reason);
    return;
  }
  switch (p.reason) {
    case suspend_reason::yield:
      p.state.store(process_state::queued, std::memory_order_relaxed);
      make_runnable(p);
      return;
    case suspend_reason::wait:
      park(p, on);
      return;
    case suspend_reason::exited:
      exit_process(p, &on);
      return;
  }
}

namespace {

// The owner (or the stopping thread at shutdown) only. Tears `p` down; `forced_reason` ends it without a
// result.
void exit_process(process_control& p, sched::worker* on, std::optional<term> forced_reason) noexcept {
  p.state.store(process_state::exited, std::memory_order_release);  // register_name refuses it from here on
  auto [reason, crashed] = forced_reason ? std::pair<term, bool>{*forced_reason, false}
                           : p.threw     ? std::pair<term, bool>{p.end_reason, bool{p.crashed}}
                                         : std::pair<term, bool>{term(atoms::normal), false};
  if (crashed) report_crash(p, reason);
  proc::node& node = p.node();
  node.release_name(p);
  release_keys(p);  // before the exit signals: whoever sees p end no longer finds it
  process_control* previous = std::exchange(running, &p);  // destructors in the frame may ask for self()
  if (p.body) p.body.destroy();
  running = previous;
  destroy_closure(p);
  // Out of the table only now: whoever finds p gone (a monitor answered at once with noproc, alive()) also
  // finds what the frame's destructors undo undone. Signals that come meanwhile are answered by the mailbox's
  // clearing below, as for a dead process.
  node.table.remove(p, on != nullptr ? &node.local(*on).slots : nullptr);
  node.end_receive_timer(p, on);
  const pid self = p.self();
  p.mailbox.clear([&](proc::message_node* n) { drop_for_dead(node, self, n); });
  notify_exit(p, reason);
  const bool initial = node.initial && *node.initial == p.self();
  release(p);
  if (initial) node.on_initial_exit(reason);  // last: run() may tear the runtime down once it hears this
}

}  // namespace

void wake(process_control& p) {
  // seq_cst: the waker's read in the wake-up protocol (process_control.hpp), after its push; a plain load
  // first, so that sends to a process that is not waiting (running, queued) cost no locked instruction.
  if (p.state.load() != process_state::waiting) return;
  process_state expected = process_state::waiting;
  if (!p.state.compare_exchange_strong(expected, process_state::queued)) return;  // another waker won
  // Woken by the running process (a send): it runs next on this worker, where the message is still in cache.
  if (running != nullptr) {
    p.node().sched->submit_next(&p);
  } else {
    make_runnable(p);
  }
}

// --- the detail interface of <beam/detail/process_base.hpp> ---

process_control& current_process(const char* what) {
  if (running == nullptr) throw std::logic_error(fmt::format("{} called outside a process", what));
  return *running;
}
process_control* current_process_or_null() noexcept {
  return running;
}

// Owner only (or the spawner, before the PCB is published): no read-modify-write needed.
void add_frame_bytes(process_control& p, std::int64_t delta) noexcept {
  const auto now = static_cast<std::int64_t>(p.frame_bytes.load(std::memory_order_relaxed)) + delta;
  p.frame_bytes.store(static_cast<std::uint32_t>(now), std::memory_order_relaxed);
}

// Frames come from the program's small-block pools (base/small_pool.hpp): a frame may be made outside any
// runtime (a body called directly) and freed inside one, so it cannot come from a runtime's pools. Each frame
// made while a process runs (or is being spawned) is counted in that process's memory.
void* allocate_frame(std::size_t size) {
  if (process_control* p = spawning != nullptr ? spawning : running) {
    add_frame_bytes(*p, static_cast<std::int64_t>(size));
  }
  return base::allocate_small(size);
}
void free_frame(void* frame, std::size_t size) noexcept {
  if (running != nullptr) add_frame_bytes(*running, -static_cast<std::int64_t>(size));
  base::free_small(frame, size);
}

std::size_t pcb_memory(const process_control& p) noexcept {
  return pcb_block_size(p.closure_size) + (closure_inline(p.closure_size) ? 0 : p.closure_size) +
         (p.rare != nullptr ? sizeof(process_rare) : 0);
}

void note_suspend(process_control& p, std::coroutine_handle<> h, suspend_reason why) noexcept {
  p.resume_point = h;
  p.reason = why;
}

void note_exception(process_control& p, std::exception_ptr e) noexcept {
  auto [reason, crashed] = reason_of(e);
  p.end_reason = std::move(reason);
  p.threw = true;
  p.crashed = crashed;
}

bool bump_reductions(process_control& p, std::uint32_t n) noexcept {
  n += static_cast<std::uint32_t>(
      std::min<std::size_t>(take_built_bytes() / bytes_per_reduction, slice_reductions));
  p.reductions.store(p.reductions.load(std::memory_order_relaxed) + n,
                     std::memory_order_relaxed);  // owner only
  slice_budget = slice_budget > n ? slice_budget - n : 0;
  return slice_budget == 0;
}

std::coroutine_handle<> enter_task(std::coroutine_handle<> h) noexcept {
  process_control* p = running;
  if (p == nullptr || !bump_reductions(*p, 1)) return h;  // outside a process, tasks run as plain coroutines
  note_suspend(*p, h, suspend_reason::yield);
  return std::noop_coroutine();
}

void release(process_control& p) noexcept {
  if (p.refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;  // acq_rel: see term::release
  // The last reference: every signal sent to it has been queued (signals are sent holding a reference), so
  // they are answered now, not when the block is freed; only messages can still come (node::retire).
  drop_late_nodes(p);
  p.node().retire(p);
}

const term* mailbox_peek(process_control& p, mailbox_cursor& c) noexcept {
  auto** link = c.link ? static_cast<proc::message_node**>(c.link) : p.mailbox.first_link();
  c.link = link;
  if (*link == nullptr) take_arrivals(p);
  if (kill_pending(p))
    return nullptr;  // an exit signal or a kill ends it at the next suspension: match nothing
  return *link ? &(*link)->message : nullptr;
}

void mailbox_skip(process_control&, mailbox_cursor& c) noexcept {
  auto** link = static_cast<proc::message_node**>(c.link);
  c.link = &(*link)->next;
}

term mailbox_take(process_control& p, mailbox_cursor& c) noexcept {
  proc::message_node* n = p.mailbox.unlink(static_cast<proc::message_node**>(c.link));
  term message = std::move(n->message);
  p.node().free_message(n);
  c.link = nullptr;
  return message;
}

void wait_for_message(process_control& p, receive_waiter& w, std::coroutine_handle<> h,
                      std::chrono::steady_clock::time_point deadline) noexcept {
  p.waiter = &w;
  ++p.wait_generation;
  note_suspend(p, h, suspend_reason::wait);
  if (deadline != std::chrono::steady_clock::time_point::max()) p.node().start_receive_timer(p, deadline);
}

std::chrono::steady_clock::time_point receive_deadline(std::chrono::steady_clock::duration timeout) {
  using clock = std::chrono::steady_clock;
  if (timeout == timeout_too_long) {
    throw beam::error(
        term(atom("timeout_value")),
        "receive ... after: the timeout is past 4294967295 ms, OTP's largest (beam::infinity waits "
        "forever)");
  }
  if (timeout < clock::duration::zero()) {
    throw beam::error(term(atom("timeout_value")), "receive ... after: the timeout is negative");
  }
  const clock::time_point now = clock::now();
  return timeout >= clock::time_point::max() - now ? clock::time_point::max() : now + timeout;
}

const char* function_symbol(const void* address) noexcept {
  Dl_info info{};
  if (dladdr(address, &info) == 0 || info.dli_sname == nullptr || info.dli_saddr != address) return nullptr;
  return info.dli_sname;
}

pid spawn_process(const spawn_request& request) {
  proc::node& node = node_for("spawn");
  if (node.stopping.load(std::memory_order_relaxed))  // set by the thread that returns from run()
    throw std::logic_error("spawn called after beam::runtime::run() has returned: no process would run it");
  const bool link = request.options != nullptr && request.options->link;
  process_control* parent = link || request.monitor != nullptr
                                ? &current_process(link ? "beam::spawn_link" : "beam::spawn_monitor")
                                : running;
  process_control* p = new_pcb(node, request.closure_size);
  bool storage_made = false, built = false;
  try {
    void* storage = make_closure_storage(*p);
    storage_made = true;
    [[maybe_unused]] closure_base* closure = request.construct(storage, request.context);
    BEAM_ASSERT(closure == storage, "closure_of finds the closure at its storage");
    built = true;
    const std::size_t limit = request.options != nullptr ? request.options->max_message_queue_len : 0;
    if (limit != 0 || request.mfa != nullptr) {
      p->rare = new process_rare{request.mfa != nullptr ? std::optional(*request.mfa) : std::nullopt, limit};
    }
    spawning = p;
    p->body = closure_of(*p).start().release();
    spawning = nullptr;
    if (!p->body) {
      throw std::logic_error(
          "spawn: the body returned an empty beam::process (one it had moved from): a body must be a "
          "coroutine "
          "(using co_await or co_return) or return the beam::process of one");
    }
    p->resume_point = p->body;
    node.table.insert(*p, node.slot_cache_here());
  } catch (...) {  // the limit (logged by the table), or the closure or body failing to build
    spawning = nullptr;
    if (p->body) p->body.destroy();
    if (built) {
      destroy_closure(*p);
    } else if (storage_made) {
      free_closure_storage(*p);
    }
    destroy_pcb(*p);  // never in the table: nobody can hold it
    throw;
  }
  const pid id = p->self();
  if (node.capture_initial.load(std::memory_order_relaxed) && node.capture_initial.exchange(false))
    node.initial = id;
  if (parent != nullptr) {
    bump_reductions(*parent, spawn_reductions);
    if (link) link_at_spawn(*parent, *p);
    if (request.monitor != nullptr) monitor_at_spawn(*parent, *p, *request.monitor);
  }
  if (request.remote != nullptr) remote_parent_at_spawn(*p, *request.remote);
  make_runnable(*p);  // after this, another worker may run (and end) it: use `id`, not `p`
  return id;
}

void shut_down_process(process_control& p) noexcept {
  exit_process(p, nullptr, term(atoms::shutdown));
}

}  // namespace detail

pid self() {
  return detail::current_process("beam::self").self();
}

namespace detail {
namespace {
// Queues `message` (of `kind`) for `p` and wakes it; the caller keeps p from being freed meanwhile.
void queue_for(process_control& p, const term& message, proc::signal_kind kind) {
  if (process_control* sender = running) bump_reductions(*sender, 1);
  proc::message_node* n = p.node().new_message(message);  // O(1): the copy shares the term's nodes
  n->kind = kind;
  // Past the limit the message becomes a signal that ends the receiver, in its place in the queue: the
  // signals sent before it (a monitor, a link) take effect first, as the sender expects.
  const std::size_t limit = p.max_message_queue_len();
  if (kind == proc::signal_kind::message && limit != 0 && p.mailbox.size() >= limit) {
    n->kind = proc::signal_kind::overflow;
  }
  p.mailbox.push(n);
  wake(p);
}
}  // namespace

void deliver(process_control& p, const term& message, proc::signal_kind kind) {
  queue_for(p, message, kind);
  release(p);
}

void send_message(proc::node& node, const pid& to, const term& message) {
  if (running != nullptr && running_worker != not_a_worker) {   // a process's send, on its worker
    const base::pinned_epoch pin(node.epochs, running_worker);  // the PCB found outlives it (node::retire)
    if (process_control* p = node.table.find_unretained(to)) {
      queue_for(*p, message, proc::signal_kind::message);
      return;
    }
  } else if (process_control* p = node.table.find(to)) {
    deliver(*p, message);
    return;
  }
  if (!to.is_local()) {  // only when the table has no such process: a local send never asks
    node.router.load(std::memory_order_acquire)->route(to, message);  // pairs with set_router
  }  // else a dead or unknown pid: dropped silently, as in Erlang
}

bool kill(process_control& p, term reason) {
  std::uint8_t expected = process_control::kill_none;
  if (!p.kill_state.compare_exchange_strong(expected, process_control::kill_writing,
                                            std::memory_order_acquire)) {
    return false;  // an earlier kill wins
  }
  p.end_reason = std::move(reason);
  // seq_cst: release for kill_pending, and ordered before wake's CAS as park's store is before its re-check,
  // so a kill that finds the process running (its wake fails) is seen by the park that follows.
  p.kill_state.store(process_control::kill_ready);
  wake(p);
  return true;
}
}  // namespace detail

term send(const pid& dest, term message) {
  detail::send_message(detail::node_for("beam::send"), dest, message);
  return message;
}

term send(atom name, term message) {
  proc::node& node = detail::node_for("beam::send");
  detail::process_control* p = detail::find_named(node, name);
  if (p == nullptr) {
    throw beam::error(term(detail::atoms::badarg),
                      fmt::format("send: no process is registered as {}", name.text()));
  }
  detail::deliver(*p, message);
  return message;
}

term exit_reason_of(const std::exception_ptr& e) {
  return detail::reason_of(e).first;
}

void exit(term reason) {
  (void)detail::current_process(
      "beam::exit");  // outside a process: std::logic_error, as every process-only call
  throw detail::exit_signal{std::move(reason)};
}

}  // namespace beam
