// Processes: spawn, self, send, receive, exit reasons; each test over 1, 2 and 4 schedulers.
#include <atomic>
#include <string>

#include <gtest/gtest.h>

#include <beam/beam.hpp>

using namespace beam::literals;
using beam::term;

namespace {

class ProcessTest : public ::testing::TestWithParam<std::uint32_t> {
 protected:
  beam::runtime_options options() const { return {.schedulers = GetParam(), .process_limit = 262'144}; }
};

TEST_P(ProcessTest, TheInitialProcessReturnsNormal) {
  beam::runtime rt(options());
  auto reason = rt.run([]() -> beam::process { co_return; });
  EXPECT_TRUE(reason.is_normal());
}

TEST_P(ProcessTest, AMessageSentToAProcessIsReceived) {
  beam::runtime rt(options());
  std::atomic<std::int64_t> got{0};
  auto reason = rt.run([&]() -> beam::process {
    beam::pid child = beam::spawn([]() -> beam::process {
      co_await beam::receive(beam::on(beam::tuple(beam::_pid, beam::_int),
                                      [](beam::pid from, std::int64_t n) { beam::send(from, n * 2); }));
    });
    beam::send(child, beam::tuple(beam::self(), 21));
    term answer = co_await beam::receive();
    got = answer.as_int();
  });
  EXPECT_TRUE(reason.is_normal());
  EXPECT_EQ(got.load(), 42);
}

TEST_P(ProcessTest, AHundredThousandSpawnedProcessesAllFinish) {
  beam::runtime rt(options());
  std::atomic<int> done{0};
  rt.run([&]() -> beam::process {
    const beam::pid parent = beam::self();
    constexpr int n = 100'000;
    for (int i = 0; i < n; ++i) {
      beam::spawn([parent]() -> beam::process {
        beam::send(parent, "done"_a);
        co_return;
      });
    }
    for (int i = 0; i < n; ++i) co_await beam::receive(beam::on("done"_a, [&] { ++done; }));
  });
  EXPECT_EQ(done.load(), 100'000);
}

TEST_P(ProcessTest, SelectiveReceiveLeavesOtherMessagesInOrder) {
  beam::runtime rt(options());
  std::string order;
  rt.run([&]() -> beam::process {
    beam::send(beam::self(), "a"_a);
    beam::send(beam::self(), beam::tuple("b"_a, 1));
    beam::send(beam::self(), "c"_a);
    co_await beam::receive(beam::on(beam::tuple("b"_a, beam::_int), [&](std::int64_t) { order += "b"; }));
    for (int i = 0; i < 2; ++i) {
      term m = co_await beam::receive();
      order += std::string(m.as_atom().text());
    }
  });
  EXPECT_EQ(order, "bac");
}

TEST_P(ProcessTest, AfterZeroPollsAndATimeoutFires) {
  beam::runtime rt(options());
  int timeouts = 0;
  rt.run([&]() -> beam::process {
    co_await beam::receive(beam::on(beam::_, [] {}), beam::after(std::chrono::milliseconds(0), [&] { ++timeouts; }));
    co_await beam::receive(beam::on(beam::_, [] {}), beam::after(std::chrono::milliseconds(20), [&] { ++timeouts; }));
  });
  EXPECT_EQ(timeouts, 2);
}

TEST_P(ProcessTest, AThrowingProcessEndsWithAReasonNamingTheException) {
  beam::runtime rt(options());
  auto previous = beam::set_logger([](beam::log_level, std::string_view) {});
  auto reason = rt.run([]() -> beam::process {
    throw std::runtime_error("boom");
    co_return;
  });
  beam::set_logger(previous);
  EXPECT_FALSE(reason.is_normal());
  EXPECT_EQ(reason.reason(), beam::tuple("exception"_a, "std::runtime_error", "boom"));
}

TEST_P(ProcessTest, ProcessesStillAliveAtTheEndAreShutDown) {
  beam::runtime rt(options());
  auto reason = rt.run([]() -> beam::process {
    for (int i = 0; i < 1000; ++i) beam::spawn([]() -> beam::process { co_await beam::receive(); });
    co_return;
  });
  EXPECT_TRUE(reason.is_normal());
}

INSTANTIATE_TEST_SUITE_P(Schedulers, ProcessTest, ::testing::Values(1u, 2u, 4u));

}  // namespace
