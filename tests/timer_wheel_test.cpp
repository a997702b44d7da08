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

// OTP accepts timers of up to about 292 years; the wheel's six levels reach 64^6 ms (about 2.2 years). A
// deadline past that, whose top-level digit is the wheel's own (2^36 + 5 at time 0), must neither be found
// due at once over and over (a poll that never returns) nor fire early.
TEST(TimerWheel, ADeadlineBeyondTheWheelsReachWaitsAndFiresOnTime) {
  constexpr std::uint64_t far = (std::uint64_t{1} << 36) + 5;
  for (std::uint64_t deadline : {far, far << 8, std::uint64_t{9'223'372'036'854}}) {
    timer_wheel wheel(0);
    std::vector<int> log;
    auto entries = insert_all(wheel, log, {deadline});
    EXPECT_GT(wheel.poll(1), 1u);
    for (std::uint64_t now = 1; now < deadline; now = now * 3 + 7) wheel.poll(now);
    wheel.poll(deadline - 1);
    EXPECT_TRUE(log.empty()) << "deadline " << deadline;
    EXPECT_EQ(wheel.poll(deadline), timer_wheel::no_deadline);
    EXPECT_EQ(log, std::vector<int>{0}) << "deadline " << deadline;
  }
}

TEST(TimerWheel, HoldsSaysWhetherAnEntryIsLinkedUntilItFiresOrIsRemoved) {
  timer_wheel wheel(0);
  std::vector<int> log;
  recording_entry outside(log, 9);
  EXPECT_FALSE(wheel.holds(&outside));
  auto entries = insert_all(wheel, log, {5, 5, 200});
  for (const auto& e : entries) EXPECT_TRUE(wheel.holds(e.get()));
  wheel.remove(entries[1].get());
  EXPECT_FALSE(wheel.holds(entries[1].get()));
  EXPECT_TRUE(wheel.holds(entries[0].get()));
  wheel.poll(5);
  EXPECT_FALSE(wheel.holds(entries[0].get()));
  EXPECT_TRUE(wheel.holds(entries[2].get()));
  EXPECT_EQ(log, std::vector<int>{0});
  wheel.poll(200);  // empty before the entries go
  EXPECT_FALSE(wheel.holds(entries[2].get()));
  EXPECT_EQ(log, (std::vector<int>{0, 2}));
}

}  // namespace
