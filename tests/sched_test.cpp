// The scheduler alone: every submitted task runs exactly once, from inside and outside the workers, with
// stealing, over 1, 2 and 4 workers.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
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
  tree_task(shared& s, int levels, bool wait_for_thief = false)
      : task(&tree_task::run_it), state(s), depth(levels), hold_worker(wait_for_thief) {}
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
    if (t->hold_worker) wait_for_another_worker(t->state, on.index());
    shared& s = t->state;
    delete t;
    if (s.pending.fetch_sub(1) == 1) {
      std::lock_guard lock(s.mutex);
      s.done.notify_all();
    }
  }
  // Keeps this worker busy until another worker has run a task: its children are in this worker's queue, so
  // that one must have stolen them. A bounded wait on the workers' own progress (a loaded machine may take a
  // while to run the other threads), not a sleep that guesses.
  static void wait_for_another_worker(shared& s, std::uint32_t self) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < give_up) {
      {
        std::lock_guard lock(s.ran_on_mutex);
        for (std::uint32_t i = 0; i < s.ran_on.size(); ++i) {
          if (i != self && s.ran_on[i] > 0) return;
        }
      }
      std::this_thread::yield();
    }
  }
  shared& state;
  int depth;
  bool hold_worker;
};

class SchedulerTest : public ::testing::TestWithParam<std::uint32_t> {};

TEST_P(SchedulerTest, EveryTaskOfATreeRunsExactlyOnce) {
  tree_task::shared s;
  {
    scheduler sched({.workers = GetParam()}, {});
    s.pending.store(1);
    sched.submit(new tree_task(s, 5, GetParam() > 1));  // 1 + 10 + ... + 10^5 = 111111 tasks
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

// A task that runs a function; the test owns it (it may be submitted again after it ran).
struct fn_task : task {
  explicit fn_task(std::function<void(worker&)> f) : task(&fn_task::run_it), body(std::move(f)) {}
  static void run_it(task* self, worker& on) { static_cast<fn_task*>(self)->body(on); }
  std::function<void(worker&)> body;
};

// Set once by any thread; waited for with a bound.
class done_flag {
 public:
  void set() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    cv_.notify_all();
  }
  bool wait_for(std::chrono::seconds limit) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, limit, [&] { return done_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
};

TEST_P(SchedulerTest, AHandOffRunsNextOnTheWorkerThatMadeIt) {
  std::mutex mutex;
  std::vector<std::vector<std::string>> ran(8);  // per worker, in order
  auto note = [&](worker& on, const char* name) {
    std::lock_guard lock(mutex);
    ran[on.index()].push_back(name);
  };
  done_flag b_ran;
  std::uint32_t a_worker = 0;
  std::vector<fn_task> queued(3, fn_task([&](worker& on) { note(on, "queued"); }));
  fn_task b([&](worker& on) {
    note(on, "b");
    b_ran.set();
  });
  fn_task a([&](worker& on) {
    note(on, "a");
    a_worker = on.index();
    for (fn_task& q : queued) on.owner().submit(&q);  // older than the hand-off
    on.owner().submit_next(&b);
  });
  {
    scheduler sched({.workers = GetParam()}, {});
    sched.submit(&a);
    ASSERT_TRUE(b_ran.wait_for(std::chrono::seconds(10)));
  }
  std::lock_guard lock(mutex);
  const auto& mine = ran[a_worker];
  auto at = std::find(mine.begin(), mine.end(), "a");
  ASSERT_NE(at, mine.end());
  ASSERT_NE(at + 1, mine.end());
  EXPECT_EQ(*(at + 1), "b") << "the worker ran a queued task before the hand-off";
}

TEST_P(SchedulerTest, AChainOfHandOffsDoesNotStarveAQueuedTask) {
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> hand_offs{0};
  std::uint64_t hand_offs_before_queued = 0;
  done_flag queued_ran;
  fn_task queued([&](worker&) {
    hand_offs_before_queued = hand_offs.load();
    stop = true;
    queued_ran.set();
  });
  fn_task ping([](worker&) {});
  fn_task pong([&](worker& on) {
    hand_offs.fetch_add(1);
    if (!stop) on.owner().submit_next(&ping);
  });
  bool first = true;
  ping.body = [&](worker& on) {
    if (std::exchange(first, false)) on.owner().submit(&queued);
    hand_offs.fetch_add(1);
    if (!stop) on.owner().submit_next(&pong);
  };
  {
    scheduler sched({.workers = GetParam()}, {});
    sched.submit(&ping);
    ASSERT_TRUE(queued_ran.wait_for(std::chrono::seconds(10)))
        << "two tasks handing off to each other starved it";
  }
  // One worker: the queued task gets its turn after a bounded streak of hand-offs.
  if (GetParam() == 1) {
    EXPECT_LT(hand_offs_before_queued, 1000u);
  }
}

TEST_P(SchedulerTest, AHandOffLeftBehindAStuckTaskIsRunByAnotherWorker) {
  done_flag b_ran;
  std::atomic<bool> b_done{false};
  fn_task b([&](worker&) {
    b_done = true;
    b_ran.set();
  });
  std::atomic<bool> ran_while_stuck{false};
  fn_task a([&](worker& on) {
    on.owner().submit_next(&b);
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!b_done && std::chrono::steady_clock::now() < give_up) {  // a hog: never returns to the worker
    }
    ran_while_stuck = b_done.load();
  });
  {
    scheduler sched({.workers = GetParam(), .spares = GetParam()}, {});  // as a runtime has
    sched.submit(&a);
    ASSERT_TRUE(b_ran.wait_for(std::chrono::seconds(20)));
  }
  EXPECT_TRUE(ran_while_stuck) << "the hand-off waited for the stuck task to end";
}

INSTANTIATE_TEST_SUITE_P(Workers, SchedulerTest, ::testing::Values(1u, 2u, 4u));

}  // namespace
