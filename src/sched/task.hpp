// sched/task.hpp: what a scheduler runs. The scheduler knows nothing of processes: a task is an intrusive
// node with a function to run it, so run queues and stealing can be built and tested alone.
#pragma once

#include <cstdint>

namespace beam::sched {

class worker;

// A runnable unit. `next` links it in the global (injection) queue; it sits in at most one queue at a time,
// and the owner of that queue is the only one who touches `next` while it is there.
struct task {
  using run_fn = void (*)(task* self, worker& on);
  explicit task(run_fn fn) noexcept : run(fn) {}
  run_fn run;
  task* next = nullptr;
  std::uint64_t tag = 0;  // what the upper layer names the task by in reports (a pid); immutable while queued
};

}  // namespace beam::sched
