// runtime::start / call / wait: main and plain threads calling into a running runtime.
#include <atomic>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <beam/beam.hpp>

#include "support/runtime_fixture.hpp"

using namespace beam::literals;
using beam::term;

namespace {

class RuntimeCallTest : public beam::testing::RuntimeTest {};

// The initial process: a server that answers {get, From} with 42 until `stop`.
beam::process main_server() {
  for (bool running = true; running;) {
    co_await beam::receive(beam::on(beam::tuple("get"_a, beam::_pid),
                                    [](beam::pid from) { beam::send(from, beam::tuple("got"_a, 42)); }),
                           beam::on("stop"_a, [&] { running = false; }));
  }
}

beam::task<std::int64_t> ask(beam::pid server) {
  beam::send(server, beam::tuple("get"_a, beam::self()));
  co_return co_await beam::receive(
      beam::on(beam::tuple("got"_a, beam::_int), [](std::int64_t n) { return n; }));
}

TEST_P(RuntimeCallTest, MainCallsIntoTheRuntimeBetweenStartAndWait) {
  beam::runtime rt(options());
  const beam::pid server = rt.start(main_server);
  EXPECT_EQ(rt.call([server] { return ask(server); }).get(), 42);
  EXPECT_EQ(rt.call([] { return std::string("plain"); }).get(),
            "plain");            // a plain function runs in a process
  beam::send(server, "stop"_a);  // send works from any thread
  EXPECT_TRUE(rt.wait().is_normal());
}

TEST_P(RuntimeCallTest, ManyPlainThreadsCallAtOnceAndEachGetsItsOwnAnswer) {
  beam::runtime rt(options());
  const beam::pid server = rt.start(main_server);
  std::atomic<int> right{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&rt, &right, server, t] {
      for (int i = 0; i < 100; ++i) {
        const int asked = t * 1000 + i;
        auto answer = rt.call([asked, server]() -> beam::task<int> {
          const std::int64_t base = co_await ask(server);  // a real exchange with another process
          co_return static_cast<int>(base) + asked;
        });
        if (answer.get() == 42 + asked) ++right;
      }
    });
  }
  for (auto& t : threads) t.join();
  beam::send(server, "stop"_a);  // send works from any thread
  rt.wait();
  EXPECT_EQ(right.load(), 400);
}

TEST_P(RuntimeCallTest, WhatTheBodyThrowsOrExitsWithReachesTheFuture) {
  beam::runtime rt(options());
  const beam::pid server = rt.start(main_server);
  EXPECT_THROW(rt.call([]() -> int { throw std::out_of_range("nope"); }).get(), std::out_of_range);
  // The future outlives the handler that reads the exception (not a temporary destroyed while the exception
  // unwinds): the exception's own reference count lives in the uninstrumented libstdc++, so ThreadSanitizer
  // sees the order of the read and the worker's free only through the future's shared state.
  std::future<void> exited = rt.call([]() -> beam::task<> {
    beam::exit("went_away"_a);
    co_return;
  });
  try {
    exited.get();
    ADD_FAILURE() << "the exit must reach the future";
  } catch (const beam::error& e) {
    EXPECT_EQ(e.reason(), term("went_away"_a));
  }
  beam::send(server, "stop"_a);  // send works from any thread
  rt.wait();
}

TEST(RuntimeCall, MisuseIsALogicError) {
  beam::runtime rt({.schedulers = 2});
  EXPECT_THROW(rt.wait(), std::logic_error);  // no start
  std::string inside;
  rt.run([&]() -> beam::process {
    try {
      (void)rt.call([] { return 1; });
    } catch (const std::logic_error& e) {
      inside = e.what();
    }
    co_return;
  });
  EXPECT_NE(inside.find("would block a scheduler"), std::string::npos) << inside;
  EXPECT_THROW(rt.wait(), std::logic_error);                        // twice
  EXPECT_THROW((void)rt.call([] { return 1; }), std::logic_error);  // after the end: spawn refuses
}

BEAM_SCHEDULER_COUNTS(RuntimeCallTest);

}  // namespace
