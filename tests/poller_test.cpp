// The runtime's readiness poller (src/io/poller.hpp) on pipes: readiness reaches the target, a removed
// descriptor is never dispatched, interrupt ends a wait, and one thread polls at a time.
#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "io/poller.hpp"

namespace beam::io_impl {
namespace {

using namespace std::chrono_literals;

struct pipe_pair {
  int read_end = -1;
  int write_end = -1;
  pipe_pair() {
    int fds[2];
    EXPECT_EQ(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
    read_end = fds[0];
    write_end = fds[1];
  }
  ~pipe_pair() {
    close(read_end);
    close(write_end);
  }
  void put(char c) const { ASSERT_EQ(write(write_end, &c, 1), 1); }
};

class counting_target : public poll_target {
 public:
  explicit counting_target(int fd) : fd_(fd) {}
  void on_ready(std::uint32_t events) noexcept override {
    if ((events & EPOLLIN) == 0) return;
    char buf[64];
    while (read(fd_, buf, sizeof buf) > 0) {  // edge-triggered: drain
    }
    readable.fetch_add(1);
  }
  std::atomic<int> readable{0};

 private:
  int fd_;
};

auto soon() {
  return poller::clock::now() + 5s;
}

TEST(Poller, ReadinessReachesTheTarget) {
  poller p;
  pipe_pair pipe;
  auto target = std::make_shared<counting_target>(pipe.read_end);
  const auto reg = p.add(pipe.read_end, target);
  EXPECT_TRUE(p.has_registrations());
  pipe.put('x');
  std::uint32_t dispatched = 0;
  while (target->readable.load() == 0) ASSERT_TRUE(p.try_poll(soon(), &dispatched));
  EXPECT_GE(dispatched, 1u);
  p.remove(pipe.read_end, reg);
  EXPECT_FALSE(p.has_registrations());
}

TEST(Poller, EdgeTriggeredReadinessIsReportedOncePerEdge) {
  poller p;
  pipe_pair pipe;
  auto target = std::make_shared<counting_target>(pipe.read_end);
  const auto reg = p.add(pipe.read_end, target);
  pipe.put('a');
  while (target->readable.load() == 0) ASSERT_TRUE(p.try_poll(soon()));
  std::uint32_t dispatched = 1;
  ASSERT_TRUE(p.try_poll(poller::clock::time_point::min(), &dispatched));  // drained: no new edge
  EXPECT_EQ(dispatched, 0u);
  pipe.put('b');
  while (target->readable.load() == 1) ASSERT_TRUE(p.try_poll(soon()));
  EXPECT_EQ(target->readable.load(), 2);
  p.remove(pipe.read_end, reg);
}

TEST(Poller, ARemovedDescriptorIsNeverDispatched) {
  poller p;
  pipe_pair pipe;
  auto target = std::make_shared<counting_target>(pipe.read_end);
  const auto reg = p.add(pipe.read_end, target);
  p.remove(pipe.read_end, reg);
  pipe.put('x');
  std::uint32_t dispatched = 1;
  ASSERT_TRUE(p.try_poll(poller::clock::now() + 50ms, &dispatched));
  EXPECT_EQ(dispatched, 0u);
  EXPECT_EQ(target->readable.load(), 0);
  EXPECT_EQ(target.use_count(), 1);  // the poller let go of it
}

TEST(Poller, AReusedSlotServesOnlyItsNewTarget) {
  poller p;
  pipe_pair first;
  pipe_pair second;
  auto old_target = std::make_shared<counting_target>(first.read_end);
  p.remove(first.read_end, p.add(first.read_end, old_target));
  auto new_target = std::make_shared<counting_target>(second.read_end);
  const auto reg = p.add(second.read_end, new_target);
  first.put('x');
  second.put('y');
  while (new_target->readable.load() == 0) ASSERT_TRUE(p.try_poll(soon()));
  EXPECT_EQ(old_target->readable.load(), 0);
  p.remove(second.read_end, reg);
}

TEST(Poller, InterruptEndsAWaitWithoutADeadline) {
  poller p;
  std::atomic<bool> returned{false};
  std::thread waiter([&] {
    EXPECT_TRUE(p.try_poll(poller::clock::time_point::max()));
    returned.store(true);
  });
  p.interrupt();  // before or during the wait: either way it returns
  waiter.join();
  EXPECT_TRUE(returned.load());
}

TEST(Poller, AnInterruptBeforeTheWaitIsRemembered) {
  poller p;
  p.interrupt();
  const auto start = poller::clock::now();
  ASSERT_TRUE(p.try_poll(poller::clock::now() + 10s));
  EXPECT_LT(poller::clock::now() - start, 5s);
}

// A parker's token set before the poll role is taken (its interrupt read back by another thread's look):
// the poll must not wait.
TEST(Poller, ASetSkipFlagEndsThePollBeforeItWaits) {
  poller p;
  p.interrupt();
  ASSERT_TRUE(
      p.try_poll(poller::clock::time_point::min()));  // another thread's look reads the interrupt back
  const std::atomic<bool> token{true};
  std::uint32_t dispatched = 1;
  const auto start = poller::clock::now();
  ASSERT_TRUE(
      p.try_poll(poller::clock::time_point::max(), &dispatched, &token));  // would hang without the look
  EXPECT_EQ(dispatched, 0u);
  EXPECT_LT(poller::clock::now() - start, 5s);
}

// A target that tries to poll from its own on_ready: the role is held, so it must be refused.
class reentrant_target : public poll_target {
 public:
  reentrant_target(poller& p, int fd) : poller_(p), fd_(fd) {}
  void on_ready(std::uint32_t) noexcept override {
    char buf[8];
    while (read(fd_, buf, sizeof buf) > 0) {
    }
    refused.store(!poller_.try_poll(poller::clock::time_point::min()));
    ran.store(true);
  }
  std::atomic<bool> refused{false};
  std::atomic<bool> ran{false};

 private:
  poller& poller_;
  int fd_;
};

TEST(Poller, OneThreadPollsAtATime) {
  poller p;
  pipe_pair pipe;
  auto target = std::make_shared<reentrant_target>(p, pipe.read_end);
  const auto reg = p.add(pipe.read_end, target);
  pipe.put('x');
  while (!target->ran.load()) ASSERT_TRUE(p.try_poll(soon()));
  EXPECT_TRUE(target->refused.load());
  EXPECT_TRUE(p.worth_polling());  // registered, and nobody polls now
  p.remove(pipe.read_end, reg);
}

}  // namespace
}  // namespace beam::io_impl
