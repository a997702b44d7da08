// The scheduler alone: every submitted task runs exactly once, from inside and outside the workers, with stealing,
// over 1, 2 and 4 workers.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <vector>

#include <gtest/gtest.h>

#include "sched/scheduler.hpp"

namespace {

using beam::sched::scheduler;
using beam::sched::task;
using beam::sched::worker;

// A task that, when run, submits `fanout` children until `depth` is reached, counting every run.
struct tree_task : task {
  struct shared {
    std::atomic<std::uint64_t> runs{0};
    std::atomic<std::uint64_t> pending{0};
    std::mutex mutex;
    std::condition_variable done;
    std::vector<std::uint32_t> ran_on = std::vector<std::uint32_t>(8);
    std::mutex ran_on_mutex;
  };
  tree_task(shared& s, int levels) : task(&tree_task::run_it), state(s), depth(levels) {}
  static void run_it(task* self, worker& on) {
    auto* t = static_cast<tree_task*>(self);
    t->state.runs.fetch_add(1);
    {
      std::lock_guard lock(t->state.ran_on_mutex);
      ++t->state.ran_on[on.index()];
    }
    if (t->depth > 0) {
      for (int i = 0; i < 10; ++i) {
        t->state.pending.fetch_add(1);
        on.owner().submit(new tree_task(t->state, t->depth - 1));
      }
    }
    shared& s = t->state;
    delete t;
    if (s.pending.fetch_sub(1) == 1) {
      std::lock_guard lock(s.mutex);
      s.done.notify_all();
    }
  }
  shared& state;
  int depth;
};

class SchedulerTest : public ::testing::TestWithParam<std::uint32_t> {};

TEST_P(SchedulerTest, EveryTaskOfATreeRunsExactlyOnce) {
  tree_task::shared s;
  {
    scheduler sched({.workers = GetParam()}, {});
    s.pending.store(1);
    sched.submit(new tree_task(s, 5));  // 1 + 10 + ... + 10^5 = 111111 tasks
    std::unique_lock lock(s.mutex);
    s.done.wait(lock, [&] { return s.pending.load() == 0; });
  }
  EXPECT_EQ(s.runs.load(), 111111u);
  if (GetParam() > 1) {
    std::uint32_t workers_used = 0;
    for (auto n : s.ran_on) workers_used += n > 0;
    EXPECT_GT(workers_used, 1u) << "work was never stolen";
  }
}

TEST_P(SchedulerTest, TasksSubmittedFromOutsideAllRun) {
  tree_task::shared s;
  {
    scheduler sched({.workers = GetParam()}, {});
    constexpr int n = 20000;
    s.pending.store(n);
    for (int i = 0; i < n; ++i) sched.submit(new tree_task(s, 0));
    std::unique_lock lock(s.mutex);
    s.done.wait(lock, [&] { return s.pending.load() == 0; });
  }
  EXPECT_EQ(s.runs.load(), 20000u);
}

INSTANTIATE_TEST_SUITE_P(Workers, SchedulerTest, ::testing::Values(1u, 2u, 4u));

}  // namespace
