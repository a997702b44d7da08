// sched/scheduler.cpp: the multi-core scheduler.
//
// Design
// ------
// N worker threads (one per core by default) each own a bounded local run queue (run_queue.hpp). A task made
// runnable on a worker goes to that worker's queue (or its runnext slot, below), near the task that made it
// runnable and the data they share. A full local queue moves half of itself to the global queue, which also
// takes the tasks submitted from outside the workers. A worker looks for work in this order: every 61st tick
// the global queue (so it is never starved by busy local queues), its local queue, the global queue, then the
// other workers' queues, stealing half of the first non-empty one (random start, so thieves spread out). Only
// then does it park.
//
// Parking protocol (Go's, simplified). `spinning_` counts workers that are looking for work without having
// found any; `idle_count_` counts parked workers. A producer pushes its task and then, if no worker is
// spinning and one is parked, wakes exactly one (it becomes a spinner). A spinner that finds work stops
// spinning and, if it was the last spinner, wakes another one, so a burst of work fans out one worker at a
// time without a thundering herd. A worker about to park first registers in `idle_` and bumps `idle_count_`,
// then looks at every queue once more; the producer pushed before reading `idle_count_`, the parker
// registered before reading the queues, and all four operations are sequentially consistent, so at least one
// of the two sees the other: no wake-up is lost. A parked worker sleeps until unparked or until the deadline
// its hooks return (the next timer).
//
// The park driver (Go's netpoller). With an I/O poller (worker_hooks::driver), a worker about to park sleeps
// in the poller's epoll_wait instead of its condition variable, if no other worker does (the driver's poll
// role is try-acquired; the others sleep on their condition variables as before). Readiness then wakes it
// directly: the poller's handlers send messages, which push the woken processes onto this worker's queue.
// Those pushes wake nobody (begin_dispatch): the worker runs the first as soon as its look ends, and wakes
// one worker only when the look made more than one task runnable (Go's findrunnable runs the netpoll's
// first goroutine itself). Waking a worker for each push, as before, woke the other core for every frame of
// a remote call, which then stole the process from the poller's worker: W15 (a gen_server call between two
// nodes on this machine) went from 8,412 and 7,817 calls/s (p50 111 and 118 us) to 10,888 and 10,898 (p50
// 78 and 76 us). The lost-wake-up argument above is unchanged, because what
// changes is only how the sleep ends: the parker still announces itself in `idle_` before its re-check, a
// producer still pushes before reading `idle_count_`, and unpark still sets the token first; for a worker in
// the driver, unpark interrupts it through the poller's eventfd, which stays readable if the interrupt comes
// before the epoll_wait starts, so that wait returns at once (parker.hpp). Readiness is never left unseen
// while every worker is busy: a worker that finds its queues empty looks into the poller without waiting
// before it steals, every 61st tick does so as well, and the monitor looks at each of its rounds (1 ms under
// load). Rejected: a poller thread of its own (a thread hand-off for every readiness, and an extra thread
// awake); every parked worker in epoll (a thundering herd on each event).
//
// runnext (Go's). A task woken by the running task (a process receiving a message from the running one) goes
// to the worker's `runnext_` slot, not to the queue: it runs as soon as the current task suspends, on the
// core that holds the message in cache, and no parked worker is woken for it (a futex wake-up costs more than
// a message, and the woken worker would find nothing to steal). A task it displaces from the slot goes to the
// queue, and that push wakes a worker as any push does. Fairness: a chain of hand-offs shares one turn (Go
// lets the runnext task inherit the time slice): after `max_runnext_streak` tasks in a row from runnext, the
// worker runs its queue's head before the next hand-off, so two processes ping-ponging cannot starve the
// queue. Thieves leave a worker's runnext alone unless the monitor has found that worker's slice stuck; then
// a thief (the spare) takes it, the monitor wakes a worker for it at each look, and a parker's re-check
// counts it as visible work (stuck_seq_ is stored seq_cst before the monitor reads idle_count_, and the
// parker reads it after its seq_cst increment).
//
// Hogs. A task that never suspends cannot be preempted. The monitor thread finds a slice that has lasted
// `hand_off_after` (4 ms, wall clock) stuck: its runnext becomes stealable and a spare worker starts and
// steals its queue. A slice that has used `long_slice` (10 ms) of CPU is reported once. On a shared core the
// spare takes turns with the hog under CFS. Every stuck worker gets a spare, spares included, up to
// `options.spares` (the runtime's max_spare_schedulers): with k hogs, k spares run beside them and the rest
// of the program goes on. Past the cap the queues behind the newest hogs wait for a hog to yield (reported
// once through no_spare_left); the monitor still polls every stuck worker's timers. Spare threads start
// lazily in index order and stay (parked) once started, so `started_` only grows and thieves and parkers
// look only at workers that ever had a thread. Stopping: join_for waits a bounded time; a worker still in a
// slice then holds a task that never suspends, and its thread is detached (the runtime reports the process).
//
// Rejected: one shared queue for all workers (a contended lock on every spawn and send); waking a worker on
// every push (futex storms that cost more than the work on message-heavy loads); stealing one task at a time
// (thieves come back at once and contend on the victim's head); runnext stealable at any time (a thief
// spinning beside a ping-pong pair snatches each hand-off and bounces the pair between cores; Go sleeps 3 us
// before stealing it, which we avoid by letting only the stuck case through); waking a worker for every
// hand-off (Go's wakep: on 2 cores the woken worker mostly finds nothing and parks again); handing off only
// at the report threshold (the processes behind the hog wait 10 ms of its CPU time, more on a loaded
// machine); demoting a hog's thread (SCHED_IDLE while its slice lasts, restored after; tried: an unprivileged
// thread cannot leave SCHED_IDLE or lower its nice value again, and a demoted thread yields to every thread
// of the machine, so a long legitimate slice, such as a receiver draining a flood or a spawn loop, crawled on
// a loaded machine: W5 fell from 5.3M to 0.3-1.6M messages/s).
#include "sched/scheduler.hpp"

#include <pthread.h>

#include <algorithm>
#include <utility>

#include "base/assert.hpp"

namespace beam::sched {
namespace {
thread_local worker* current_worker = nullptr;
constexpr std::uint32_t global_check_interval = 61;
constexpr int steal_rounds = 2;
// A chain of runnext hand-offs shares one turn: after this many tasks taken from runnext in a row, the worker
// takes the head of its queue before the next hand-off (Go's inherited time slice, counted in tasks).
constexpr std::uint32_t max_runnext_streak = 64;

std::chrono::nanoseconds thread_cpu_time(clockid_t clock) noexcept {
  timespec ts{};
  clock_gettime(clock, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

std::uint64_t next_random(std::uint64_t& state) noexcept {  // xorshift64
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}
}  // namespace

worker::worker(scheduler& owner, std::uint32_t index)
    : owner_(owner), index_(index), rng_(0x9E3779B97F4A7C15ULL * (index + 1)) {}

worker* worker::current() noexcept {
  return current_worker;
}

void worker::push(task* t) {
  BEAM_ASSERT(current_worker == this, "worker::push is for the owner thread");
  if (queue_.push(t)) return;
  task* first = nullptr;
  task* last = nullptr;
  const std::uint32_t n = queue_.take_half(first, last);
  if (n > 0) owner_.push_global(first, last, n);
  if (!queue_.push(
          t)) {  // thieves emptied nothing and take_half found nothing: cannot happen, but stay correct
    t->next = nullptr;
    owner_.push_global(t, t, 1);
  }
}

task* worker::find_work() {
  if (++ticks_ % global_check_interval == 0) {
    if (owner_.poll_driver()) {  // readiness made tasks runnable: they are in our queue now
      if (task* t = queue_.pop()) return t;
    }
    if (task* t = owner_.pop_global(*this)) return t;
  }
  if (runnext_streak_ < max_runnext_streak) {
    if (task* t = take_runnext()) {
      ++runnext_streak_;
      return t;
    }
  }
  runnext_streak_ = 0;
  if (task* t = queue_.pop()) return t;
  if (task* t = take_runnext()) return t;  // the streak is spent but nothing else is queued here
  if (task* t = owner_.pop_global(*this)) return t;
  if (owner_.poll_driver()) {
    if (task* t = queue_.pop()) return t;
  }
  return steal();
}

bool worker::push_next(task* t) {
  BEAM_ASSERT(current_worker == this, "worker::push_next is for the owner thread");
  if (task* displaced = runnext_.exchange(t)) {  // seq_cst: the parking protocol
    push(displaced);
    return true;
  }
  return stuck();  // a stuck slice will not reach find_work soon: a thief must take it
}

task* worker::take_runnext() noexcept {
  if (runnext_.load(std::memory_order_relaxed) == nullptr) return nullptr;  // only we fill it
  return runnext_.exchange(nullptr);                                        // vs a thief's CAS
}

bool worker::stuck() const noexcept {
  return slice_seq_.load() == stuck_seq_.load();
}

task* worker::steal_runnext_of(worker& victim) noexcept {
  if (!victim.stuck()) return nullptr;  // its owner runs it as soon as the current task suspends
  task* t = victim.runnext_.load();
  while (t != nullptr && !victim.runnext_.compare_exchange_weak(t, nullptr)) {
  }
  return t;
}

task* worker::steal() {
  const std::uint32_t n = owner_.started();
  if (n == 1) return nullptr;
  for (int round = 0; round < steal_rounds; ++round) {
    const auto start = static_cast<std::uint32_t>(next_random(rng_) % n);
    for (std::uint32_t i = 0; i < n; ++i) {
      worker& victim = *owner_.workers_[(start + i) % n];
      if (&victim == this) continue;
      if (task* t = victim.queue_.steal_into(queue_)) return t;
      if (task* t = steal_runnext_of(victim)) return t;
    }
  }
  return nullptr;
}

// Owner only. Parks until there may be work; false when the scheduler is stopping.
bool worker::park_until_work() {
  {
    std::lock_guard lock(owner_.idle_mutex_);
    owner_.idle_.push_back(this);
    owner_.idle_count_.fetch_add(1);  // seq_cst: before the re-check below (see the parking protocol)
  }
  const bool work_visible = owner_.any_work_visible();
  const auto deadline = owner_.hooks_.poll ? owner_.hooks_.poll(*this) : parker::clock::time_point::max();
  std::uint32_t readied = 0;
  if (!work_visible && !owner_.stopping_.load()) {
    begin_dispatch();
    go_idle();
    parker_.park(deadline, owner_.hooks_.driver);
    readied = end_dispatch();
  }
  {
    std::lock_guard lock(owner_.idle_mutex_);
    auto it = std::find(owner_.idle_.begin(), owner_.idle_.end(), this);
    if (it != owner_.idle_.end()) {  // not woken by wake_one_if_needed (which removes and counts us spinning)
      owner_.idle_.erase(it);
      owner_.idle_count_.fetch_sub(1);
      spinning_ = false;
    } else {
      spinning_ = true;
    }
  }
  // Readiness made more than the one task we run next: another worker may take the rest. Only now, once we
  // left idle_, so that the wake-up cannot pick us.
  if (readied > 1) owner_.wake_one_if_needed();
  return !owner_.stopping_.load();
}

void worker::go_idle() {
  if (owner_.hooks_.going_idle) owner_.hooks_.going_idle(*this);
}

void worker::begin_dispatch() noexcept {
  BEAM_ASSERT(current_worker == this, "worker::begin_dispatch is for the owner thread");
  dispatching_ = true;
  dispatch_pushes_ = 0;
}

std::uint32_t worker::end_dispatch() noexcept {
  dispatching_ = false;
  return dispatch_pushes_;
}

void worker::start_thread() {
  thread_ =
      start_thread_with_stack(owner_.options_.stack_size, owner_.options_.guard_size, &thread_main, this);
  thread_started_ = true;
  pthread_getcpuclockid(thread_, &cpu_clock_);
}

void* worker::thread_main(void* self) {
  auto* w = static_cast<worker*>(self);
  {
    const stack_overflow_watch watch(&report_stack_overflow, w);
    w->run_loop();
  }
  {
    std::lock_guard lock(w->owner_.exit_mutex_);
    w->exited_.store(true, std::memory_order_release);  // pairs with join_for's acquire
  }
  w->owner_.exited_.notify_all();
  return nullptr;
}

// In the SIGSEGV handler, on this worker's thread (async-signal-safe only).
void worker::report_stack_overflow(void* self) {
  const auto* w = static_cast<const worker*>(self);
  const std::uint64_t seq = w->slice_seq_.load(std::memory_order_relaxed);  // our own thread's writes
  if (w->owner_.hooks_.stack_overflow != nullptr) {
    w->owner_.hooks_.stack_overflow(*w, seq % 2 == 1, w->slice_tag_.load(std::memory_order_relaxed));
  }
}

bool worker::is_spare() const noexcept {
  return index_ >= owner_.options_.workers;
}

void worker::run_task(task* t) {
  const std::uint64_t seq = slice_seq_.load(std::memory_order_relaxed);  // only we write it
  slice_tag_.store(t->tag, std::memory_order_relaxed);
  slice_seq_.store(seq + 1, std::memory_order_release);  // odd: in a slice (the monitor reads tag after seq)
  t->run(t, *this);
  slice_seq_.store(seq + 2, std::memory_order_relaxed);
}

// A spare with nothing to do stops when no worker is stuck any more; false: it stays active. Not while its
// hooks have a deadline (timers in its wheel, which only its own thread polls once it is idle): it parks
// until then.
bool worker::retire_if_unneeded() {
  if (!is_spare() || owner_.stuck_.load(std::memory_order_relaxed) != 0 || !queue_.empty() ||
      runnext_.load(std::memory_order_relaxed) != nullptr) {
    return false;
  }
  if (owner_.hooks_.poll && owner_.hooks_.poll(*this) != parker::clock::time_point::max()) return false;
  active_.store(false, std::memory_order_relaxed);
  return true;
}

void worker::run_loop() {
  current_worker = this;
  while (!owner_.stopping_.load(std::memory_order_acquire)) {  // pairs with stop()'s release
    if (!active_.load(std::memory_order_acquire)) {  // an idle spare: pairs with start_spare's release
      go_idle();
      parker_.park();
      continue;
    }
    if (owner_.hooks_.poll) owner_.hooks_.poll(*this);
    task* t = find_work();
    if (t == nullptr) {
      if (spinning_) {
        spinning_ = false;
        owner_.spinning_.fetch_sub(1);
      }
      if (retire_if_unneeded()) continue;
      if (!park_until_work()) break;
      continue;
    }
    if (spinning_) {
      spinning_ = false;
      if (owner_.spinning_.fetch_sub(1) == 1) owner_.wake_one_if_needed();  // the last spinner found work
    }
    run_task(t);
  }
  if (spinning_) owner_.spinning_.fetch_sub(1);
  go_idle();
  current_worker = nullptr;
}

scheduler::scheduler(scheduler_options options, worker_hooks hooks)
    : options_(options), hooks_(std::move(hooks)) {
  BEAM_ASSERT(options_.workers >= 1, "a scheduler needs a worker");
  const std::uint32_t total = options_.workers + options_.spares;
  workers_.reserve(total);
  for (std::uint32_t i = 0; i < total; ++i) {
    workers_.push_back(std::make_unique<worker>(*this, i));
    if (workers_.back()->is_spare()) workers_.back()->active_.store(false, std::memory_order_relaxed);
  }
  started_.store(options_.workers, std::memory_order_release);  // before any worker steals
  for (auto& w : workers_) {
    if (!w->is_spare()) w->start_thread();  // spares get a thread the first time the monitor needs them
  }
  monitor_ = std::thread([this] { monitor_loop(); });
}

scheduler::~scheduler() {
  stop();
  join();
}

void scheduler::join() {
  if (monitor_.joinable()) monitor_.join();  // first: only the monitor starts spare threads
  for (auto& w : workers_) {
    if (w->thread_started_) pthread_join(std::exchange(w->thread_, {}), nullptr);
    w->thread_started_ = false;
  }
}

std::vector<scheduler::stuck_task> scheduler::join_for(std::chrono::steady_clock::duration timeout) {
  if (monitor_.joinable()) monitor_.join();  // it starts no spare from here on
  const auto all_exited = [this] {
    return std::all_of(workers_.begin(), workers_.end(), [](const auto& w) {
      return !w->thread_started_ || w->exited_.load(std::memory_order_acquire);  // pairs with thread_main
    });
  };
  {
    std::unique_lock lock(exit_mutex_);
    exited_.wait_for(lock, timeout, all_exited);
  }
  std::vector<stuck_task> stuck;
  for (auto& w : workers_) {
    if (!w->thread_started_) continue;
    w->thread_started_ = false;
    if (w->exited_.load(std::memory_order_acquire)) {
      pthread_join(w->thread_, nullptr);
      continue;
    }
    stuck.push_back({w->index_, w->slice_tag_.load(std::memory_order_relaxed)});
    pthread_detach(w->thread_);
  }
  return stuck;
}

void scheduler::stop() {
  {
    std::lock_guard lock(monitor_mutex_);
    stopping_.store(true, std::memory_order_release);
  }
  monitor_wake_.notify_all();
  for (auto& w : workers_) w->parker_.unpark();
}

// The monitor thread: `w` has been in the slice `seq` too long. Its runnext becomes stealable, and a spare
// starts to run its queue.
void scheduler::hand_off(worker& w, std::uint64_t seq) {
  w.stuck_seq_.store(seq);  // seq_cst: thieves may take its runnext from now on
  start_spare();
}

// The monitor thread only (monitor_mutex_ held, so stop() cannot run in between).
void scheduler::start_spare() {
  for (auto& w : workers_) {
    bool idle = false;
    if (w->is_spare() && w->active_.compare_exchange_strong(idle, true, std::memory_order_acq_rel)) {
      spares_exhausted_ = false;
      if (!w->thread_started_) {
        started_.fetch_add(1, std::memory_order_release);  // first: its own steals must see the stuck worker
        w->start_thread();
      }
      w->parker_.unpark();
      return;
    }
  }
  if (!std::exchange(spares_exhausted_, true) && hooks_.no_spare_left) hooks_.no_spare_left(options_.spares);
}

// The monitor thread. Looks at every worker each millisecond while any is busy (every 5 ms when all idle): a
// slice seen for longer than hand_off_after is stuck: a spare is started to run the stuck worker's queue and
// runnext (it steals from it, as any worker may) and the monitor polls its timers; a slice that has used more
// than long_slice of CPU is reported once.
void scheduler::monitor_loop() {
  std::unique_lock lock(monitor_mutex_);
  auto interval = std::chrono::milliseconds(5);
  while (!monitor_wake_.wait_for(lock, interval, [this] { return stopping_.load(); })) {
    std::uint32_t stuck = 0;
    bool busy = false;  // a worker is in a slice or ran one since the last look
    for (auto& w : workers_) {
      const std::uint64_t seq =
          w->slice_seq_.load(std::memory_order_acquire);  // pairs with run_task's release
      busy = busy || seq != std::exchange(w->looked_seq_, seq);
      if (seq % 2 == 0) continue;
      busy = true;
      const std::chrono::nanoseconds cpu = thread_cpu_time(w->cpu_clock_);
      const auto now = std::chrono::steady_clock::now();
      if (seq != w->seen_seq_) {
        w->seen_seq_ = seq;
        w->seen_cpu_ = cpu;
        w->seen_at_ = now;
        w->reported_ = false;
        w->handed_off_ = false;
        continue;
      }
      if (now - w->seen_at_ < options_.hand_off_after) continue;
      ++stuck;
      if (!w->handed_off_) {
        w->handed_off_ = true;
        // Before the spare starts: a spare that finds nothing to steal retires unless a worker is stuck, and
        // the monitor hands off each slice once, so a spare that retired now would never come back.
        stuck_.store(std::max(stuck, stuck_.load(std::memory_order_relaxed)), std::memory_order_relaxed);
        hand_off(*w, seq);
      }
      if (!w->reported_ && cpu - w->seen_cpu_ >= options_.long_slice) {
        w->reported_ = true;
        if (hooks_.long_slice)
          hooks_.long_slice(*w, w->slice_tag_.load(std::memory_order_relaxed), cpu - w->seen_cpu_);
      }
      if (w->runnext_.load() != nullptr) wake_one_if_needed();  // a hand-off made to the stuck slice
      if (hooks_.poll) hooks_.poll(*w);  // its timers, which its own thread cannot run now
    }
    // Readiness and the poller's deadlines are seen within a look even while no worker is free to poll (or
    // none sleeps in it): a look costs nothing when a worker does (worth_polling).
    poll_driver();
    stuck_.store(stuck, std::memory_order_relaxed);
    interval = std::chrono::milliseconds(busy ? 1 : 5);
  }
}

void scheduler::submit(task* t) {
  worker* w = worker::current();
  if (w != nullptr && &w->owner_ == this) {
    w->push(t);
    if (w->dispatching_) {  // a readiness handler on a worker that runs it next: see begin_dispatch
      ++w->dispatch_pushes_;
      return;
    }
  } else {
    t->next = nullptr;
    push_global(t, t, 1);
  }
  wake_one_if_needed();
}

void scheduler::submit_next(task* t) {
  worker* w = worker::current();
  if (w == nullptr || &w->owner_ != this) {
    submit(t);
    return;
  }
  if (w->push_next(t)) wake_one_if_needed();
}

void scheduler::push_global(task* first, task* last, std::uint32_t n) {
  std::lock_guard lock(global_mutex_);
  if (global_tail_ != nullptr) {
    global_tail_->next = first;
  } else {
    global_head_ = first;
  }
  global_tail_ = last;
  global_size_.fetch_add(n);  // seq_cst: read by parkers' re-check
}

task* scheduler::pop_global(worker& w) {
  if (global_size_.load(std::memory_order_relaxed) == 0) return nullptr;  // a hint; rechecked under the lock
  std::lock_guard lock(global_mutex_);
  task* t = global_head_;
  if (t == nullptr) return nullptr;
  // Take a batch: one to run now, a few more into the local queue (a fair share of the global queue).
  const std::uint32_t share =
      std::min<std::uint32_t>(global_size_.load() / size() + 1, run_queue::capacity / 2);
  global_head_ = t->next;
  std::uint32_t taken = 1;
  while (taken < share && global_head_ != nullptr) {
    task* extra = global_head_;
    global_head_ = extra->next;
    if (!w.queue_.push(extra)) {
      global_head_ = extra;
      break;
    }
    ++taken;
  }
  if (global_head_ == nullptr) global_tail_ = nullptr;
  global_size_.fetch_sub(taken);
  return t;
}

bool scheduler::poll_driver() {
  if (hooks_.driver == nullptr || !hooks_.driver->worth_polling()) return false;
  std::uint32_t dispatched = 0;
  worker* w = worker::current();  // null on the monitor's thread
  if (w != nullptr && &w->owner_ != this) w = nullptr;
  if (w != nullptr) w->begin_dispatch();
  const bool looked = hooks_.driver->try_poll(park_driver::clock::time_point::min(), &dispatched);
  if (w != nullptr && w->end_dispatch() > 1) wake_one_if_needed();  // the caller runs the first
  return looked && dispatched != 0;
}

bool scheduler::any_work_visible() const noexcept {
  if (global_size_.load() != 0) return true;  // seq_cst: the parking protocol
  for (std::uint32_t i = 0; i < started(); ++i) {
    const worker* w = workers_[i].get();
    if (!w->queue_.empty()) return true;
    if (w->runnext_.load() != nullptr && w->stuck())
      return true;  // seq_cst: see the monitor's store of stuck_seq_
  }
  return false;
}

void scheduler::wake_one_if_needed() {
  // seq_cst loads after the producer's seq_cst push (a local queue's tail, or the global queue's size): with
  // the parker's seq_cst increment and queue loads, the store-buffer pattern cannot lose both (see the design
  // note).
  if (spinning_.load() != 0 || idle_count_.load() == 0) return;  // seq_cst: the parking protocol
  worker* w = nullptr;
  {
    std::lock_guard lock(idle_mutex_);
    if (idle_.empty()) return;
    w = idle_.back();
    idle_.pop_back();
    idle_count_.fetch_sub(1);
    spinning_.fetch_add(1);  // the woken worker starts as a spinner
  }
  w->parker_.unpark();
}

}  // namespace beam::sched
