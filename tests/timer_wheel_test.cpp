// The timer wheel alone (src/timer/timer_wheel.hpp), on a clock the test moves: timers never fire early, and
// those due fire in deadline order (ties: the order they were made), also when the wheel is polled late.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "timer/timer_wheel.hpp"

namespace {

using beam::timer::timer_entry;
using beam::timer::timer_wheel;

// An entry that records its id in `fired` when it fires; the test keeps the creator's reference.
struct recording_entry : timer_entry {
  recording_entry(std::vector<int>& log, int id_)
      : timer_entry(
            [](timer_entry* self) {
              auto* r = static_cast<recording_entry*>(self);
              r->fired->push_back(r->id);
            },
            [](timer_entry*) {}),
        fired(&log),
        id(id_) {}
  std::vector<int>* fired;
  int id;
};

// Inserts one entry per deadline (ids in insertion order) at time 0.
std::vector<std::unique_ptr<recording_entry>> insert_all(timer_wheel& wheel, std::vector<int>& log,
                                                         const std::vector<std::uint64_t>& deadlines) {
  std::vector<std::unique_ptr<recording_entry>> entries;
  for (std::uint64_t d : deadlines) {
    entries.push_back(std::make_unique<recording_entry>(log, static_cast<int>(entries.size())));
    entries.back()->deadline_ms = d;
    wheel.insert(entries.back().get());
  }
  return entries;
}

TEST(TimerWheel, TimersDueInOneLatePollFireInDeadlineOrderTiesInCreationOrder) {
  for (std::uint64_t late : {5u, 70u, 300u, 5000u, 100000u}) {
    timer_wheel wheel(0);
    std::vector<int> log;
    // ids 0..7; deadlines spread over level-0 and higher-level slots, with ties (ids 1 and 4, 5 and 6).
    auto entries = insert_all(wheel, log, {3, 2, 80, 65, 2, 100, 100, 4500});
    wheel.poll(late);
    std::vector<int> expected;
    const std::vector<std::pair<std::uint64_t, int>> by_deadline{{2, 1},  {2, 4},   {3, 0},   {65, 3},
                                                                 {80, 2}, {100, 5}, {100, 6}, {4500, 7}};
    for (auto [deadline, id] : by_deadline) {
      if (deadline <= late) expected.push_back(id);
    }
    EXPECT_EQ(log, expected) << "polled first at " << late << " ms";
    wheel.poll(200000);  // the rest, in order, none early
    for (auto [deadline, id] : by_deadline) {
      if (deadline > late) expected.push_back(id);
    }
    EXPECT_EQ(log, expected) << "polled first at " << late << " ms";
    EXPECT_EQ(wheel.size(), 0u);
  }
}

TEST(TimerWheel, ATimerNeverFiresBeforeItsDeadline) {
  timer_wheel wheel(0);
  std::vector<int> log;
  auto entries = insert_all(wheel, log, {10, 64, 65, 4096});
  for (std::uint64_t now = 0; now <= 5000; ++now) {
    wheel.poll(now);
    for (int id : log) EXPECT_LE(entries[static_cast<std::size_t>(id)]->deadline_ms, now);
  }
  EXPECT_EQ(log, (std::vector<int>{0, 1, 2, 3}));
}

}  // namespace
