// sched/scheduler.hpp: N worker threads, a local run queue each, a global queue, work stealing and parking.
// The design note is at the top of scheduler.cpp.
#pragma once

#include <time.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "sched/park_driver.hpp"
#include "sched/parker.hpp"
#include "sched/run_queue.hpp"
#include "sched/task.hpp"
#include "sched/worker_thread.hpp"

namespace beam::sched {

class scheduler;

// What a layer above the scheduler (timers, I/O) does for the workers.
struct worker_hooks {
  // Runs due work and returns the next deadline (time_point::max() when none). Called by a worker for itself
  // before each search for work and when it wakes; and by the monitor thread for a worker stuck in a long
  // slice (so the upper layer must make it safe from a second thread, e.g. a lock around the worker's
  // timers).
  std::function<std::chrono::steady_clock::time_point(worker&)> poll;
  // A worker, on its own thread, is about to sleep (park, or a spare stopping) or to leave its loop: it runs
  // no task until it wakes.
  std::function<void(worker&)> going_idle;
  // The monitor thread reports a slice that has run longer than the threshold, once per slice.
  std::function<void(worker&, std::uint64_t task_tag, std::chrono::steady_clock::duration ran)> long_slice;
  // The monitor found a stuck worker and every spare busy (once until a spare is free again).
  std::function<void(std::uint32_t spares)> no_spare_left;
  // A worker ran past the end of its stack while running the task tagged `task_tag` (`in_task`: false when
  // the overflow was in the worker's own code). Runs in a signal handler on the faulting thread: only
  // async-signal-safe calls (see worker_thread.hpp). The program ends after it.
  void (*stack_overflow)(const worker&, bool in_task, std::uint64_t task_tag) = nullptr;
  // The I/O poller: idle workers sleep in it (one at a time), workers out of local work look into it without
  // waiting, and the monitor looks while every worker is busy. Outlives the scheduler. Optional.
  park_driver* driver = nullptr;
};

struct scheduler_options {
  std::uint32_t workers = 1;
  // Spare workers the monitor may start while regular ones (or spares) are stuck in long slices (hogs), one
  // per stuck worker; 0: none.
  std::uint32_t spares = 0;
  // Each worker thread's stack (usable bytes) and the guard region below it.
  std::size_t stack_size = std::size_t{8} << 20;
  std::size_t guard_size = std::size_t{64} << 10;
  // A slice that has used this much CPU is reported (once).
  std::chrono::steady_clock::duration long_slice = std::chrono::milliseconds(10);
  // A slice seen for longer than this (wall-clock time: the processes behind it wait whether it runs or was
  // preempted) is stuck: its worker's queue and runnext go to a spare.
  std::chrono::steady_clock::duration hand_off_after = std::chrono::milliseconds(4);
};

// One scheduler thread with its run queue. Fields without a note are touched by the owner thread only.
class worker {
 public:
  worker(scheduler& owner, std::uint32_t index);
  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;

  // The worker running on this thread, or nullptr off the scheduler's threads.
  [[nodiscard]] static worker* current() noexcept;
  [[nodiscard]] std::uint32_t index() const noexcept { return index_; }
  [[nodiscard]] scheduler& owner() const noexcept { return owner_; }

  // Owner only: makes `t` runnable on this worker (overflowing half the local queue to the global queue).
  void push(task* t);
  // Owner only, from inside a running task: `t` runs next on this worker, after the current task (Go's
  // runnext). A task it displaces from the slot goes to the local queue. Returns whether a thief should be
  // woken.
  bool push_next(task* t);
  // A spare: a worker the monitor starts only while others are stuck in long slices.
  [[nodiscard]] bool is_spare() const noexcept;

  // Per-worker state that upper layers attach (the timer wheel, pools). Owner only after start-up.
  void* extension = nullptr;

 private:
  friend class scheduler;
  void run_loop();
  task* find_work();
  task* take_runnext() noexcept;
  task* steal();
  task* steal_runnext_of(worker& victim) noexcept;
  // Any thread: whether the monitor found the current slice stuck (a long slice).
  [[nodiscard]] bool stuck() const noexcept;
  bool park_until_work();
  // Owner only: it runs no task until it wakes (the hooks' going_idle).
  void go_idle();
  // Owner only: around a look into the park driver, whose handlers push the tasks they make runnable onto
  // this worker's queue (scheduler::submit). This worker runs the first itself as soon as the look ends, so
  // those pushes wake nobody; end_dispatch returns how many there were, and the caller wakes one worker when
  // there was more than one (Go's findrunnable: the netpoll's first goroutine runs on the polling M).
  void begin_dispatch() noexcept;
  std::uint32_t end_dispatch() noexcept;
  void run_task(task* t);
  // Starts the thread (constructor for regular workers, monitor for spares); sets cpu_clock_ before anyone
  // reads it.
  void start_thread();
  static void* thread_main(void* self);
  static void report_stack_overflow(void* self);
  bool retire_if_unneeded();

  scheduler& owner_;
  const std::uint32_t index_;
  run_queue queue_;  // owner pushes and pops; others steal
  // The task woken by the running task, to run next here (runnext). The owner exchanges it in (push_next) and
  // out (find_work); a thief takes it with a CAS, and only from a worker whose slice the monitor found stuck,
  // so it never snatches a hand-off the owner is about to run. All seq_cst: part of the parking protocol
  // (scheduler.cpp).
  std::atomic<task*> runnext_{nullptr};
  std::uint32_t runnext_streak_ = 0;  // tasks taken from runnext since the last one taken from a queue
  parker parker_;
  std::uint64_t rng_;
  std::uint32_t ticks_ = 0;
  bool spinning_ = false;
  bool dispatching_ = false;           // owner only: in a look into the park driver (begin_dispatch)
  std::uint32_t dispatch_pushes_ = 0;  // owner only: tasks pushed by that look
  pthread_t thread_{};
  bool thread_started_ = false;  // written by whoever starts it (constructor or monitor), read by join
  // Set by the thread as it leaves its loop (release; join_for's acquire): a worker still in a slice after
  // stop() has a task that never suspends.
  std::atomic<bool> exited_{false};
  // Slices, for the monitor. The owner bumps `slice_seq_` at the start (odd: in a slice) and end (even) of
  // each slice and stores the task's tag first (relaxed: a late view only delays a report by one look).
  // Reading no clock on the hot path, the monitor times a slice by the thread's CPU time since it first saw
  // that odd number: a thread the OS preempted is not stuck, and a spare would not help it.
  std::atomic<std::uint64_t> slice_seq_{0};
  std::atomic<std::uint64_t> slice_tag_{0};
  clockid_t cpu_clock_{};  // set when the thread starts, before the monitor reads it
  // The odd slice_seq_ value of the slice the monitor found stuck (written by the monitor, read by anyone;
  // seq_cst, see the parking protocol). Starts odd and unreachable, so no slice matches it before a report.
  std::atomic<std::uint64_t> stuck_seq_{~std::uint64_t{0}};
  std::uint64_t seen_seq_ = 0;                       // monitor thread only: the odd seq it times
  std::uint64_t looked_seq_ = 0;                     // monitor thread only: seq at its last look
  std::chrono::nanoseconds seen_cpu_{};              // monitor thread only
  std::chrono::steady_clock::time_point seen_at_{};  // monitor thread only
  bool reported_ = false;                            // monitor thread only: this slice was reported
  bool handed_off_ = false;                          // monitor thread only: this slice was found stuck
  std::atomic<bool> active_{true};  // spares: started by the monitor, stopped by themselves when not needed
};

class scheduler {
 public:
  // Starts the worker threads and the monitor thread.
  scheduler(scheduler_options options, worker_hooks hooks);
  ~scheduler();  // stop() then join()
  scheduler(const scheduler&) = delete;
  scheduler& operator=(const scheduler&) = delete;

  // Any thread: makes `t` runnable. On a worker thread it goes to that worker's queue, elsewhere to the
  // global one.
  void submit(task* t);
  // Any thread: makes `t` runnable, to run next after the calling task when called from a task this scheduler
  // runs (a process woken by a message from the running one); elsewhere as submit. Wakes no parked worker
  // unless the hand-off displaced another task into the queue or this worker's slice is stuck.
  void submit_next(task* t);
  // Any thread: the workers finish the task they run and exit their loops; queued tasks are left where they
  // are.
  void stop();
  // Any thread but a worker: waits for the workers to exit their loops (after stop()).
  void join();
  // A task still running when join_for gave up: the worker it holds and its tag.
  struct stuck_task {
    std::uint32_t worker;
    std::uint64_t tag;
  };
  // Any thread but a worker, after stop(): waits up to `timeout` for the workers to exit their loops, joins
  // those that did, and returns the tasks that kept the others (their threads are detached: they run on
  // until the task suspends or ends, and must find everything they use still there).
  std::vector<stuck_task> join_for(std::chrono::steady_clock::duration timeout);

  // All workers, spares included (spares have the highest indices).
  [[nodiscard]] std::uint32_t size() const noexcept { return static_cast<std::uint32_t>(workers_.size()); }
  // The workers that have had a thread: the regular ones and the spares started so far (spares start in index
  // order, so these are the first `started()` workers). Only they can hold tasks.
  [[nodiscard]] std::uint32_t started() const noexcept { return started_.load(std::memory_order_acquire); }
  [[nodiscard]] std::uint32_t regular_workers() const noexcept { return options_.workers; }
  [[nodiscard]] worker& at(std::uint32_t i) noexcept { return *workers_[i]; }
  // Tasks still queued anywhere (after stop(): what was never run). Only when the workers have stopped.
  template <class F>
  void drain(F&& each);

 private:
  friend class worker;
  void push_global(task* first, task* last, std::uint32_t n);
  task* pop_global(worker& w);
  void wake_one_if_needed();
  bool any_work_visible() const noexcept;
  // Looks into the park driver without waiting, if it is worth it; whether it ran events. Any thread.
  bool poll_driver();
  void monitor_loop();
  void start_spare();
  void hand_off(worker& w, std::uint64_t seq);

  scheduler_options options_;
  worker_hooks hooks_;
  std::vector<std::unique_ptr<worker>> workers_;
  // Workers with a thread so far (see started()): bumped by the monitor (release) after it starts a spare's
  // thread; an unstarted spare's queue is empty, so a reader with an old count misses nothing.
  std::atomic<std::uint32_t> started_{0};
  std::atomic<bool> stopping_{false};
  std::mutex exit_mutex_;
  std::condition_variable exited_;  // a worker left its loop (join_for waits on it)

  // The global queue: tasks submitted from outside and local overflow. `global_size_` mirrors its length for
  // lock-free emptiness checks (written under the lock, read by anyone: seq_cst, part of the parking
  // protocol).
  std::mutex global_mutex_;
  task* global_head_ = nullptr;  // global_mutex_
  task* global_tail_ = nullptr;  // global_mutex_
  std::atomic<std::uint32_t> global_size_{0};

  // Parking protocol (see scheduler.cpp): `idle_` lists the parked workers; `idle_count_` and `spinning_` are
  // seq_cst so that "push work, then look for sleepers" and "announce sleep, then look for work" cannot both
  // miss.
  std::mutex idle_mutex_;
  std::vector<worker*> idle_;  // idle_mutex_
  std::atomic<std::uint32_t> idle_count_{0};
  std::atomic<std::uint32_t> spinning_{0};

  // The monitor thread (Go's sysmon): watches slices, reports hogs, starts spares. `stuck_` counts the
  // workers in a long slice at its last look (spares read it to decide whether to stop).
  std::atomic<std::uint32_t> stuck_{0};
  bool spares_exhausted_ = false;  // monitor thread only: no_spare_left was reported
  std::mutex monitor_mutex_;
  std::condition_variable monitor_wake_;  // stop() wakes the monitor early
  std::thread monitor_;
};

template <class F>
void scheduler::drain(F&& each) {
  for (std::uint32_t i = 0; i < started(); ++i) {
    worker* w = workers_[i].get();
    if (task* t = w->runnext_.exchange(nullptr)) each(t);
    while (task* t = w->queue_.pop()) each(t);
  }
  std::lock_guard lock(global_mutex_);
  while (task* t = global_head_) {
    global_head_ = t->next;
    each(t);
  }
  global_tail_ = nullptr;
  global_size_.store(0);
}

}  // namespace beam::sched
