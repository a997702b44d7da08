// runtime/runtime.cpp: start-up and shut-down of a runtime: the wiring of the node, the scheduler and the
// services (runtime_state.hpp), and the public runtime class.
#include <sched.h>
#include <sys/resource.h>

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

// The runtime running now, or nullptr: release when published, acquire when read (current_runtime).
std::atomic<runtime_state*> the_runtime{nullptr};

namespace {

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

std::uint32_t dirty_thread_count(const runtime_options& options) {
  if (options.dirty_io_threads < 1 || options.dirty_io_threads > max_dirty_io_threads) {
    throw std::invalid_argument(fmt::format("dirty_io_threads {} is outside the accepted range 1 ... {}",
                                            options.dirty_io_threads, max_dirty_io_threads));
  }
  return options.dirty_io_threads;
}

// Checks every option, in the order the runtime always has, before anything is built.
const runtime_options& validated(const runtime_options& options) {
  (void)scheduler_count(options);
  (void)spare_count(options);
  (void)validate_limit(options.process_limit);
  (void)validate_stack_size(options.scheduler_stack_size);
  validate_shutdown(options);
  (void)dirty_thread_count(options);
  return options;
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

// Raises the soft open-files limit to the hard one, once per program: a server holds a descriptor per
// connection, and the soft limit (often 1,024) is a default for programs that do not, not a policy.
void raise_open_files_limit() {
  static const bool raised = [] {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return false;
    limit.rlim_cur = limit.rlim_max;
    return setrlimit(RLIMIT_NOFILE, &limit) == 0;
  }();
  (void)raised;
}

// The poller, the open-files limit raised first (the poller is where descriptors start to count).
std::unique_ptr<io_impl::poller> make_poller() {
  raise_open_files_limit();
  return std::make_unique<io_impl::poller>();
}

}  // namespace

runtime_state::runtime_state(const runtime_options& opts)
    : options(validated(opts)),
      node(validate_limit(opts.process_limit), scheduler_count(opts), spare_count(opts)),  // refuses a second
      timers(node),
      poller(make_poller()),
      services(node, *poller, dirty_thread_count(opts)) {
  sched::worker_hooks hooks{
      .poll = [this](sched::worker& w) { return node.poll_timers(w); },
      .going_idle = [this](sched::worker& w) { node.hand_over_limbo(w); },
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
  node.set_ports(*services.tcp);
  hooks.driver = poller.get();
  sched = std::make_unique<sched::scheduler>(
      sched::scheduler_options{
          .workers = node.schedulers, .spares = node.spares, .stack_size = options.scheduler_stack_size},
      std::move(hooks));
  node.connect(*sched, timers);
  publish_services(&services);
  the_runtime.store(this, std::memory_order_release);
}

runtime_state::~runtime_state() {
  publish_services(nullptr);
  services.dirty.reset();   // waits for the running blocking calls, whose ends still send to (dead) processes
  sched.reset();            // joins the workers (shut_down stopped them): nobody polls from here on
  node.disconnect();        // frees the PCBs retired while the workers ran
  services.tcp.reset();     // closes the sockets left
  services.output.reset();  // writes what is queued
  the_runtime.store(nullptr, std::memory_order_release);
}  // then the timers, then the node (its wheels and pools last)

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
  if (!services.io_server) return;
  if (process_control* server = node.table.find(*services.io_server)) {
    io_impl::drain_mailbox(*server, *services.output);
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
    services.output->flush();
    return false;
  }
  node.shut_down_processes();
  return true;
}

void runtime_state::start_io_server() {
  services.io_server = spawn([this]() { return io_impl::serve(*services.output); });
  register_name(atom("user"), *services.io_server);
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
  return state_->node.schedulers;
}

void runtime::begin() {
  if (detail::current_process_or_null() != nullptr)
    throw std::logic_error("runtime::run called inside a process");
  if (!state_ || state_->node.initial || state_->services.io_server)
    throw std::logic_error("runtime::run (or start) may be called once per runtime");
  state_->start_io_server();
  state_->node.capture_initial.store(true);
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
  if (!state_ || !state_->services.io_server)
    throw std::logic_error("runtime::wait called without a runtime::start");
  if (state_->node.stopping.load(std::memory_order_relaxed))
    throw std::logic_error("runtime::wait called twice: the runtime has already shut down");
  if (detail::current_process_or_null() != nullptr)
    throw std::logic_error("runtime::wait called inside a process");
  exit_reason reason(state_->node.wait_for_initial());
  if (!state_->shut_down()) {
    (void)state_.release();  // the processes left running use it: kept on purpose (see runtime.hpp)
  }
  return reason;
}

}  // namespace beam
