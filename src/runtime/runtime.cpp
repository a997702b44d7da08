// runtime/runtime.cpp: start-up and shut-down of a runtime, and the services that need all of it (timers,
// pools).
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <fstream>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include <beam/error.hpp>
#include <beam/inspect.hpp>
#include <beam/logger.hpp>
#include <beam/process_info.hpp>
#include <beam/registry.hpp>
#include <beam/runtime.hpp>

#include "runtime/runtime_state.hpp"
#include "term/atom_table.hpp"

namespace beam {
namespace detail {

std::atomic<runtime_state*> the_runtime{nullptr};  // see process_control.hpp

namespace {

// A receive timeout: when it fires, it raises the process's timer_fired to its wait generation and wakes it.
struct receive_timer final : timer::timer_entry {
  receive_timer(runtime_state& r, pid p, std::uint32_t gen, std::uint32_t w) noexcept
      : timer_entry(&receive_timer::on_fire, &receive_timer::on_free),
        rt(r),
        target(p),
        generation(gen),
        worker(w) {}
  static void on_fire(timer_entry* self) {
    auto* t = static_cast<receive_timer*>(self);
    process_control* p = t->rt.table.find(t->target);
    if (p == nullptr) return;
    // Generations only grow: an old timer never hides a newer one. seq_cst: the waker's write in the wake-up
    // protocol (process_control.hpp), before wake's read of the state.
    std::uint32_t seen = p->timer_fired.load(std::memory_order_relaxed);
    while (seen < t->generation &&
           !p->timer_fired.compare_exchange_weak(seen, t->generation, std::memory_order_seq_cst)) {
    }
    wake(*p);
    detail::release(*p);
  }
  static void on_free(timer_entry* self) { delete static_cast<receive_timer*>(self); }
  runtime_state& rt;
  pid target;
  std::uint32_t generation;
  std::uint32_t worker;  // whose wheel holds it
};

std::uint32_t validate_limit(std::uint32_t limit) {
  if (limit < min_process_limit || limit > max_process_limit) {
    throw std::invalid_argument(fmt::format("process_limit {} is outside the accepted range {} ... {}", limit,
                                            min_process_limit, max_process_limit));
  }
  // As OTP's +P: the table holds a power of two, so the limit rounds up to one (2000 -> 2048), but never
  // past the largest accepted limit (134,217,727 stays as it is).
  return std::min(std::bit_ceil(limit), max_process_limit);
}

std::uint32_t scheduler_count(const runtime_options& options) {
  const std::uint32_t n = options.schedulers == 0 ? default_schedulers() : options.schedulers;
  if (n > 1024)
    throw std::invalid_argument(fmt::format("schedulers {} is outside the accepted range 0 ... 1024", n));
  return n;
}

std::uint32_t spare_count(const runtime_options& options) {
  if (options.max_spare_schedulers > max_spare_schedulers) {
    throw std::invalid_argument(fmt::format("max_spare_schedulers {} is outside the accepted range 0 ... {}",
                                            options.max_spare_schedulers, max_spare_schedulers));
  }
  return options.max_spare_schedulers;
}

std::size_t validate_stack_size(std::size_t size) {
  if (size < min_scheduler_stack_size || size > max_scheduler_stack_size) {
    throw std::invalid_argument(fmt::format("scheduler_stack_size {} is outside the accepted range {} ... {}",
                                            size, min_scheduler_stack_size, max_scheduler_stack_size));
  }
  return size;
}

std::uint32_t dirty_thread_count(const runtime_options& options) {
  if (options.dirty_io_threads < 1 || options.dirty_io_threads > max_dirty_io_threads) {
    throw std::invalid_argument(fmt::format("dirty_io_threads {} is outside the accepted range 1 ... {}",
                                            options.dirty_io_threads, max_dirty_io_threads));
  }
  return options.dirty_io_threads;
}

void validate_shutdown(const runtime_options& options) {
  if (options.shutdown_timeout.count() < 0) {
    throw std::invalid_argument(
        fmt::format("shutdown_timeout {} ms is negative", options.shutdown_timeout.count()));
  }
  if (options.on_stuck_shutdown != stuck_shutdown::abandon &&
      options.on_stuck_shutdown != stuck_shutdown::abort)
    throw std::invalid_argument(
        "on_stuck_shutdown is neither stuck_shutdown::abandon nor stuck_shutdown::abort");
}

// "#PID<0.N.S>" of a task's tag, as the process layer makes tags (number | serial << 32).
pid pid_of_tag(std::uint64_t tag) noexcept {
  return pid(static_cast<std::uint32_t>(tag), static_cast<std::uint32_t>(tag >> 32));
}

// The stack_overflow hook: in a signal handler, so written piece by piece with write(2).
void report_stack_overflow(const sched::worker& w, bool in_task, std::uint64_t tag) {
  sched::write_to_stderr("beampp: fatal: ");
  if (in_task) {
    const pid who = pid_of_tag(tag);
    sched::write_to_stderr("process #PID<0.");
    sched::write_number_to_stderr(who.number());
    sched::write_to_stderr(".");
    sched::write_number_to_stderr(who.serial());
    sched::write_to_stderr("> overflowed");
  } else {
    sched::write_to_stderr("the runtime overflowed");
  }
  sched::write_to_stderr(" the stack of scheduler ");
  sched::write_number_to_stderr(w.index() + 1);
  sched::write_to_stderr(
      " (runtime_options::scheduler_stack_size bytes): code a process calls without co_await, plain "
      "recursion "
      "included, runs on its scheduler's stack; recurse through beam::task coroutines or raise the stack "
      "size. The program ends.\n");
}

}  // namespace

runtime_state::runtime_state(const runtime_options& opts)
    : options(opts),
      schedulers(scheduler_count(opts)),
      spares(spare_count(opts)),
      table(validate_limit(opts.process_limit), schedulers + spares),  // a slot cache per worker and spare
      shared_pool_(chunks),
      shared_pcb_pool_(chunks) {
  const std::uint32_t n = schedulers;
  const std::size_t stack_size = validate_stack_size(opts.scheduler_stack_size);
  validate_shutdown(opts);
  const std::uint32_t dirty_threads = dirty_thread_count(opts);
  for (std::uint32_t i = 0; i < n + spares; ++i) locals.push_back(std::make_unique<worker_local>(chunks, 0));
  sched::worker_hooks hooks{
      .poll =
          [this](sched::worker& w) {
            worker_local& l = local(w);
            std::uint64_t next = l.next_due_ms.load(std::memory_order_relaxed);
            if (next != timer::timer_wheel::no_deadline && next <= now_ms()) {
              std::lock_guard lock(l.timers_mutex);
              next = l.timers.poll(now_ms());
              l.next_due_ms.store(next, std::memory_order_relaxed);
            }
            return next == timer::timer_wheel::no_deadline ? std::chrono::steady_clock::time_point::max()
                                                           : started + std::chrono::milliseconds(next);
          },
      .long_slice =
          [](sched::worker& w, std::uint64_t tag, std::chrono::steady_clock::duration ran) {
            const pid who = pid_of_tag(tag);
            beam::log(log_level::warning,
                      fmt::format(
                          "long_schedule: process #PID<0.{}.{}> has run {} ms on scheduler {} without "
                          "yielding; its run queue goes to a spare scheduler",
                          who.number(), who.serial(),
                          std::chrono::duration_cast<std::chrono::milliseconds>(ran).count(), w.index() + 1));
          },
      .no_spare_left =
          [](std::uint32_t cap) {
            beam::log(log_level::warning,
                      fmt::format(
                          "long_schedule: every spare scheduler ({}, runtime_options::max_spare_schedulers) "
                          "is taken by a process that does not yield; the processes queued behind the "
                          "newest ones wait until one yields",
                          cap));
          },
      .stack_overflow = &report_stack_overflow,
  };
  runtime_state* expected = nullptr;
  if (!the_runtime.compare_exchange_strong(expected, this, std::memory_order_acq_rel)) {
    throw std::logic_error("a beam::runtime is already running in this program: one runtime at a time");
  }
  output = std::make_unique<io_impl::writer>();
  dirty = std::make_unique<io_impl::dirty_pool>(dirty_threads);
  sched = std::make_unique<sched::scheduler>(
      sched::scheduler_options{.workers = n, .spares = spares, .stack_size = stack_size}, std::move(hooks));
}

runtime_state::~runtime_state() {
  dirty.reset();   // waits for the running blocking calls, whose ends still send to (dead) processes
  sched.reset();   // joins the workers (shut_down stopped them)
  output.reset();  // writes what is queued
  locals.clear();
  the_runtime.store(nullptr, std::memory_order_release);
}

void* runtime_state::allocate(std::size_t size, bool pcb) {
  if (sched::worker* w = sched::worker::current(); w != nullptr && &w->owner() == sched.get()) {
    return (pcb ? local(*w).pcb_pool : local(*w).pool).allocate(size);
  }
  std::lock_guard lock(shared_mutex_);
  return (pcb ? shared_pcb_pool_ : shared_pool_).allocate(size);
}

void runtime_state::free(void* block, std::size_t size, bool pcb) noexcept {
  if (sched::worker* w = sched::worker::current(); w != nullptr && &w->owner() == sched.get()) {
    (pcb ? local(*w).pcb_pool : local(*w).pool).free(block, size);
    return;
  }
  std::lock_guard lock(shared_mutex_);
  (pcb ? shared_pcb_pool_ : shared_pool_).free(block, size);
}

proc::slot_cache* runtime_state::slot_cache_here() noexcept {
  sched::worker* w = sched::worker::current();
  return w != nullptr && &w->owner() == sched.get() ? &local(*w).slots : nullptr;
}

proc::message_node* runtime_state::new_message(term message) {
  return new (allocate(sizeof(proc::message_node))) proc::message_node{nullptr, std::move(message)};
}

void runtime_state::free_message(proc::message_node* n) noexcept {
  n->~message_node();
  free(n, sizeof(proc::message_node));
}

std::uint64_t runtime_state::now_ms() const noexcept {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
          .count());
}

std::uint64_t runtime_state::to_ms(std::chrono::steady_clock::time_point t) const noexcept {
  if (t <= started) return 0;
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(t - started).count();
  return static_cast<std::uint64_t>((us + 999) / 1000);  // round up: a timer never fires early
}

void runtime_state::start_receive_timer(process_control& p, std::chrono::steady_clock::time_point deadline) {
  sched::worker* w = sched::worker::current();
  auto* t = new receive_timer(*this, p.self(), p.wait_generation, w->index());
  t->deadline_ms = to_ms(deadline);
  p.receive_timer = t;
  local(*w).insert_timer(t);
}

void runtime_state::end_receive_timer(process_control& p, sched::worker* on) noexcept {
  timer::timer_entry* t = std::exchange(p.receive_timer, nullptr);
  if (t == nullptr) return;
  if (t->cancel() && on != nullptr && on->index() == static_cast<receive_timer*>(t)->worker) {
    worker_local& l = local(*on);  // on the wheel's own thread: unlink now rather than at the deadline
    std::lock_guard lock(l.timers_mutex);
    l.timers.remove(t);
  }
  t->release();
}

void runtime_state::on_initial_exit(const term& reason) {
  {
    std::lock_guard lock(initial_mutex_);
    initial_reason_ = reason;
  }
  initial_done_.notify_all();
}

exit_reason runtime_state::wait_for_initial() {
  std::unique_lock lock(initial_mutex_);
  initial_done_.wait(lock, [this] { return initial_reason_.has_value(); });
  return exit_reason(*initial_reason_);
}

void runtime_state::report_stuck(const std::vector<sched::scheduler::stuck_task>& stuck) {
  for (const auto& task : stuck) {
    const pid who = pid_of_tag(task.tag);
    const auto info = process_info(who);
    beam::log(
        log_level::error,
        fmt::format("shutdown: process #PID<0.{}.{}> (initial call {}) still runs on scheduler {} {} ms "
                    "after the initial process ended: it does not suspend (a loop without co_await "
                    "cannot be preempted); {}",
                    who.number(), who.serial(), info ? format_erlang(info->initial_call) : "unknown",
                    task.worker + 1, options.shutdown_timeout.count(),
                    options.on_stuck_shutdown == stuck_shutdown::abort
                        ? "aborting"
                        : "run() returns and leaves it running on its thread"));
  }
}

void runtime_state::write_queued_output() {
  if (!io_server) return;
  if (process_control* server = table.find(*io_server)) {
    io_impl::drain_mailbox(*server, *output);
    release(*server);
  }
}

bool runtime_state::shut_down() {
  sched->stop();
  const auto stuck = sched->join_for(options.shutdown_timeout);  // no process runs from here on, but these
  write_queued_output();
  if (!stuck.empty()) {
    report_stuck(stuck);
    if (options.on_stuck_shutdown == stuck_shutdown::abort) std::abort();
    output->flush();
    return false;
  }
  stopping.store(true, std::memory_order_relaxed);
  for (const pid& id : table.pids()) {
    if (process_control* p = table.find(id)) {
      release(*p);  // find's reference; the table's keeps it alive until shut_down_process drops it
      shut_down_process(*p);
    }
  }
  return true;
}

void runtime_state::start_io_server() {
  io_server = spawn([this]() { return io_impl::serve(*output); });
  register_name(atom("user"), *io_server);
}

runtime_state* current_runtime() noexcept {
  return the_runtime.load(std::memory_order_acquire);
}

runtime_state& runtime_for(const char* what) {
  runtime_state* rt = current_runtime();
  if (rt == nullptr) throw std::logic_error(fmt::format("{} called with no beam::runtime running", what));
  return *rt;
}

}  // namespace detail

bool exit_reason::is_normal() const noexcept {
  return reason_ == term(detail::atoms::normal);
}

std::uint32_t default_schedulers() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::uint32_t cpus = sched_getaffinity(0, sizeof set, &set) == 0
                           ? static_cast<std::uint32_t>(CPU_COUNT(&set))
                           : std::thread::hardware_concurrency();
  std::ifstream quota_file("/sys/fs/cgroup/cpu.max");  // cgroup v2: "<quota> <period>" or "max <period>"
  std::string quota;
  double period = 0;
  if (quota_file >> quota >> period && quota != "max" && period > 0) {
    const auto allowed = static_cast<std::uint32_t>(std::max(1.0, std::ceil(std::stod(quota) / period)));
    cpus = std::min(cpus, allowed);
  }
  return std::max<std::uint32_t>(1, cpus);
}

runtime::runtime(runtime_options options) : state_(std::make_unique<detail::runtime_state>(options)) {}
runtime::~runtime() = default;

std::uint32_t runtime::schedulers() const noexcept {
  return state_->schedulers;
}

void runtime::begin() {
  if (detail::current_process_or_null() != nullptr)
    throw std::logic_error("runtime::run called inside a process");
  if (!state_ || state_->initial || state_->io_server)
    throw std::logic_error("runtime::run (or start) may be called once per runtime");
  state_->start_io_server();
  state_->capture_initial.store(true);
}

void runtime::check_call_from_outside() {
  if (detail::current_process_or_null() != nullptr) {
    throw std::logic_error(
        "runtime::call called inside a process: waiting on its future would block a scheduler (spawn the "
        "work "
        "and receive its answer instead)");
  }
}

exit_reason runtime::wait() {
  if (!state_ || !state_->io_server) throw std::logic_error("runtime::wait called without a runtime::start");
  if (state_->stopping.load(std::memory_order_relaxed))
    throw std::logic_error("runtime::wait called twice: the runtime has already shut down");
  if (detail::current_process_or_null() != nullptr)
    throw std::logic_error("runtime::wait called inside a process");
  exit_reason reason = state_->wait_for_initial();
  if (!state_->shut_down()) {
    (void)state_.release();  // the processes left running use it: kept on purpose (see runtime.hpp)
  }
  return reason;
}

}  // namespace beam
