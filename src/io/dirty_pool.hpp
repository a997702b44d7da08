// io/dirty_pool.hpp: a bounded pool of dirty threads for calls that block (BEAM's dirty I/O schedulers).
//
// Design. Scheduler threads must never wait in a system call: a blocked scheduler stalls every process queued
// on it. Work that may block (a file read, a read of standard input, a user's blocking function) goes to this
// pool as a job; the process that asked waits in an ordinary receive (see <beam/blocking.hpp>), so it holds
// no thread while the job runs. The pool knows nothing of processes: a job is a C++ object with run().
//
// Threads start on demand: a submit that finds no idle thread starts one, up to `threads`; past that the job
// waits in a FIFO queue. Started threads stay until the pool is destroyed (they cost a stack each, and
// BEAM's dirty schedulers stay too). Rejected alternatives: a thread per call (unbounded threads under load,
// the failure the bound exists to prevent); starting every thread up front (ten threads for each runtime of
// a test suite that never blocks).
//
// Shut-down: the destructor drops the jobs still queued, raises stop_requested() for the jobs running, and
// joins the threads once those return. A job that never returns keeps the destructor waiting; jobs that wait
// on something outside the program (standard input) poll stop_requested() to end early.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace beam::io_impl {

class dirty_pool {
 public:
  // What runs on a dirty thread. run() must not throw (it is the job's business to keep what f throws).
  class job {
   public:
    virtual ~job() = default;
    virtual void run() noexcept = 0;
  };

  // Up to `threads` (at least 1) threads, started as jobs need them.
  explicit dirty_pool(std::uint32_t threads);
  dirty_pool(const dirty_pool&) = delete;
  dirty_pool& operator=(const dirty_pool&) = delete;
  ~dirty_pool();  // drops the queued jobs, waits for the running ones, joins

  // Any thread: queues `j`; it runs on an idle dirty thread, a new one while fewer than the bound run, or
  // once one frees up. The job is destroyed on the dirty thread after run(), or by the destructor if never
  // run.
  void submit(std::unique_ptr<job> j);

  // On a dirty thread: whether its pool is being destroyed (a running job should end soon). Elsewhere: false.
  [[nodiscard]] static bool stop_requested() noexcept;

 private:
  void work();
  // Takes the next job, waiting for one; nullptr once the pool stops. Dirty threads only.
  std::unique_ptr<job> next_job();

  const std::uint32_t bound_;
  std::mutex mutex_;
  std::condition_variable wake_;            // a job was queued, or the pool stops
  std::deque<std::unique_ptr<job>> queue_;  // mutex_
  std::uint32_t idle_ = 0;                  // mutex_: threads waiting in next_job
  bool stopping_ = false;                   // mutex_
  // stopping_ as running jobs read it without the lock: set once by the destructor, read by stop_requested()
  // (relaxed both: a hint a job polls; the join orders everything else).
  std::atomic<bool> stop_hint_{false};
  std::vector<std::thread> threads_;  // mutex_ (grows in submit); joined by the destructor
};

}  // namespace beam::io_impl
