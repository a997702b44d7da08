// sched/scheduler.hpp: N worker threads, a local run queue each, a global queue, work stealing and parking.
// The design note is at the top of scheduler.cpp.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "sched/parker.hpp"
#include "sched/run_queue.hpp"
#include "sched/task.hpp"

namespace beam::sched {

class scheduler;

// What a layer above the scheduler (timers, I/O) does on each worker: `poll` runs due work and returns the next
// deadline (time_point::max() when none), called before each search for work and when a parked worker wakes.
struct worker_hooks {
  std::function<std::chrono::steady_clock::time_point(worker&)> poll;
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

  // Per-worker state that upper layers attach (the timer wheel, pools). Owner only after start-up.
  void* extension = nullptr;

 private:
  friend class scheduler;
  void run_loop();
  task* find_work();
  task* steal();
  bool park_until_work();

  scheduler& owner_;
  const std::uint32_t index_;
  run_queue queue_;  // owner pushes and pops; others steal
  parker parker_;
  std::uint64_t rng_;
  std::uint32_t ticks_ = 0;
  bool spinning_ = false;
  std::thread thread_;
};

class scheduler {
 public:
  // Starts `workers` threads (>= 1).
  scheduler(std::uint32_t workers, worker_hooks hooks);
  ~scheduler();  // stop() then join()
  scheduler(const scheduler&) = delete;
  scheduler& operator=(const scheduler&) = delete;

  // Any thread: makes `t` runnable. On a worker thread it goes to that worker's queue, elsewhere to the global one.
  void submit(task* t);
  // Any thread: the workers finish the task they run and exit their loops; queued tasks are left where they are.
  void stop();
  // Any thread but a worker: waits for the workers to exit their loops (after stop()).
  void join();

  [[nodiscard]] std::uint32_t size() const noexcept { return static_cast<std::uint32_t>(workers_.size()); }
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

  worker_hooks hooks_;
  std::vector<std::unique_ptr<worker>> workers_;
  std::atomic<bool> stopping_{false};

  // The global queue: tasks submitted from outside and local overflow. `global_size_` mirrors its length for
  // lock-free emptiness checks (written under the lock, read by anyone: seq_cst, part of the parking protocol).
  std::mutex global_mutex_;
  task* global_head_ = nullptr;  // global_mutex_
  task* global_tail_ = nullptr;  // global_mutex_
  std::atomic<std::uint32_t> global_size_{0};

  // Parking protocol (see scheduler.cpp): `idle_` lists the parked workers; `idle_count_` and `spinning_` are
  // seq_cst so that "push work, then look for sleepers" and "announce sleep, then look for work" cannot both miss.
  std::mutex idle_mutex_;
  std::vector<worker*> idle_;  // idle_mutex_
  std::atomic<std::uint32_t> idle_count_{0};
  std::atomic<std::uint32_t> spinning_{0};
};

template <class F>
void scheduler::drain(F&& each) {
  for (auto& w : workers_) {
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
