// Links, exit signals and trap_exit (issue 5, points 1-3 and 5).
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include <beam/beam.hpp>

#include "support/runtime_fixture.hpp"
#include "support/waits.hpp"

using namespace beam::literals;
using namespace std::chrono_literals;
using beam::term;

namespace {

template <class T>
concept trap_exit_takes = requires(T value) {
  beam::trap_exit(value);
};
static_assert(trap_exit_takes<bool>);
static_assert(!trap_exit_takes<const char*>, "trap_exit(\"true\") must not compile");
static_assert(!trap_exit_takes<int>);

class LinkTest : public beam::testing::RuntimeTest {};

using beam::testing::down_reason;
using beam::testing::expect;
using beam::testing::wait_forever;

// The next {:EXIT, from, reason} in the mailbox, as {from, reason}.
beam::task<term> next_exit() {
  co_return co_await beam::receive(
      beam::on(beam::tuple("EXIT"_a, beam::_pid, beam::_term),
               [](beam::pid from, term reason) { return beam::tuple(from, reason); }));
}

TEST_P(LinkTest, ACrashOfALinkedProcessEndsTheOtherWithTheSameReason) {
  beam::runtime rt(options());
  term middle_reason;
  rt.run([&]() -> beam::process {
    auto [middle, ref] = beam::spawn_monitor([]() -> beam::process {
      beam::spawn_link([]() -> beam::process {
        beam::exit("boom"_a);
        co_return;
      });
      co_await wait_forever();
    });
    middle_reason = co_await down_reason(ref);
  });
  EXPECT_EQ(middle_reason, term("boom"_a));
}

TEST_P(LinkTest, ATrappingProcessGetsTheExitAsAMessage) {
  beam::testing::captured_log log;
  beam::runtime rt(options());
  term got, expected;
  rt.run([&]() -> beam::process {
    EXPECT_FALSE(beam::trap_exit(true));
    EXPECT_TRUE(beam::traps_exits());
    beam::pid child = beam::spawn_link([]() -> beam::process {
      throw beam::error("crashed"_a);
      co_return;
    });
    expected = beam::tuple(child, "crashed"_a);
    got = co_await next_exit();
  });
  EXPECT_EQ(got, expected);
}

TEST_P(LinkTest, NormalExitIsIgnoredUnlessTrappedWhereItIsAMessage) {
  beam::runtime rt(options());
  term watcher_reason, trapped, expected;
  rt.run([&]() -> beam::process {
    const beam::pid self = beam::self();
    auto [watcher, ref] = beam::spawn_monitor([self]() -> beam::process {
      beam::pid child = beam::spawn_link([]() -> beam::process { co_await expect("go"_a); });
      beam::reference child_ref = beam::monitor(child);
      beam::send(child, "go"_a);
      co_await down_reason(child_ref);  // the child's exit signal came before its DOWN
      beam::send(self, "survived"_a);
      co_await expect("stop"_a);
      beam::exit("finished"_a);
    });
    co_await expect("survived"_a);
    beam::send(watcher, "stop"_a);
    watcher_reason = co_await down_reason(ref);
    beam::trap_exit(true);
    beam::pid child = beam::spawn_link([]() -> beam::process { co_return; });
    trapped = co_await next_exit();
    expected = beam::tuple(child, "normal"_a);
  });
  EXPECT_EQ(watcher_reason, term("finished"_a));
  EXPECT_EQ(trapped, expected);
}

TEST_P(LinkTest, LinkingToADeadProcessRaisesNoprocOrTrapsIt) {
  beam::runtime rt(options());
  term raised, trapped, expected;
  rt.run([&]() -> beam::process {
    auto [dead, ref] = beam::spawn_monitor([]() -> beam::process { co_return; });
    co_await down_reason(ref);
    try {
      beam::link(dead);
    } catch (const beam::error& e) {
      raised = e.reason();
    }
    beam::trap_exit(true);
    beam::link(dead);
    beam::link(beam::pid(200'000, 3));  // never existed
    trapped = beam::tuple(co_await next_exit(), co_await next_exit());
    expected = beam::tuple(beam::tuple(dead, "noproc"_a), beam::tuple(beam::pid(200'000, 3), "noproc"_a));
  });
  EXPECT_EQ(raised, term("noproc"_a));
  EXPECT_EQ(trapped, expected);
}

TEST_P(LinkTest, LinkingTwiceIsOneLinkAndLinkingToSelfDoesNothing) {
  beam::runtime rt(options());
  const auto reason = rt.run([&]() -> beam::process {
    beam::link(beam::self());
    auto [child, ref] = beam::spawn_monitor([]() -> beam::process {
      co_await expect("crash"_a);
      beam::exit("boom"_a);
    });
    beam::link(child);
    beam::link(child);
    beam::unlink(child);  // one unlink removes the one link
    beam::send(child, "crash"_a);
    EXPECT_EQ(co_await down_reason(ref), term("boom"_a));
  });
  EXPECT_TRUE(reason.is_normal());
}

TEST_P(LinkTest, AfterUnlinkNoExitSignalArrivesFromThatLink) {
  beam::runtime rt(options());
  bool extra = true;
  rt.run([&]() -> beam::process {
    beam::trap_exit(true);
    std::vector<std::pair<beam::pid, beam::reference>> children;
    for (int i = 0; i < 200; ++i) {  // each child crashes at once, racing the unlink
      beam::pid child = beam::spawn_link([]() -> beam::process {
        beam::exit("boom"_a);
        co_return;
      });
      beam::unlink(child);
      children.emplace_back(child, beam::monitor(child));
    }
    for (auto& [child, ref] : children) co_await down_reason(ref);
    extra = co_await beam::receive(beam::on(beam::tuple("EXIT"_a, beam::_, beam::_), [] { return true; }),
                                   beam::after(0ms, [] { return false; }));
  });
  EXPECT_FALSE(extra);
}

TEST_P(LinkTest, KillCannotBeTrappedAndTheVictimsLinksSeeKilled) {
  beam::runtime rt(options());
  term victim_reason, seen_by_link;
  rt.run([&]() -> beam::process {
    beam::trap_exit(true);
    beam::pid victim = beam::spawn_link([]() -> beam::process {
      beam::trap_exit(true);
      co_await wait_forever();
    });
    beam::reference ref = beam::monitor(victim);
    beam::exit(victim, "kill"_a);
    victim_reason = co_await down_reason(ref);
    seen_by_link = co_await next_exit();
    EXPECT_EQ(seen_by_link, beam::tuple(victim, "killed"_a));
  });
  EXPECT_EQ(victim_reason, term("killed"_a));
}

TEST_P(LinkTest, AProcessEndingWithKillSendsATrappablePlainKill) {
  beam::runtime rt(options());
  term trapped, expected, partner_reason;
  rt.run([&]() -> beam::process {
    beam::trap_exit(true);
    beam::pid self = beam::self();
    auto [partner, ref] = beam::spawn_monitor([self]() -> beam::process {
      beam::link(self);  // a non-trapping partner: it dies with reason `kill`
      beam::send(self, "linked"_a);
      co_await wait_forever();
    });
    co_await expect("linked"_a);
    beam::pid ender = beam::spawn([partner]() -> beam::process {
      beam::link(partner);
      co_await expect("go"_a);
      beam::exit("kill"_a);
    });
    beam::link(ender);
    beam::send(ender, "go"_a);
    partner_reason = co_await down_reason(ref);
    // Both linked processes end: the ender with `kill` (plain, trappable), the partner because of it.
    term first = co_await next_exit(), second = co_await next_exit();
    trapped = first.as_tuple()[0] == term(ender) ? beam::tuple(first, second) : beam::tuple(second, first);
    expected = beam::tuple(beam::tuple(ender, "kill"_a), beam::tuple(partner, "kill"_a));
  });
  EXPECT_EQ(partner_reason, term("kill"_a));
  EXPECT_EQ(trapped, expected);
}

TEST_P(LinkTest, ExitTwoSendsASignalWithoutALink) {
  beam::runtime rt(options());
  term trapped, expected;
  rt.run([&]() -> beam::process {
    beam::pid self = beam::self();
    // Not trapping: `normal` from another process is ignored, any other reason ends it.
    auto [plain, ref] = beam::spawn_monitor([]() -> beam::process { co_await wait_forever(); });
    beam::exit(plain, "normal"_a);
    beam::exit(plain, "shutdown"_a);
    EXPECT_EQ(co_await down_reason(ref), term("shutdown"_a));
    // Trapping: each becomes a message.
    beam::pid trapper = beam::spawn([self]() -> beam::process {
      beam::trap_exit(true);
      beam::send(self, "ready"_a);
      term a = co_await next_exit(), b = co_await next_exit();
      beam::send(self, beam::tuple(a, b));
    });
    co_await expect("ready"_a);
    beam::exit(trapper, "normal"_a);
    beam::exit(trapper, "why"_a);
    trapped = co_await beam::receive();
    expected = beam::tuple(beam::tuple(self, "normal"_a), beam::tuple(self, "why"_a));
  });
  EXPECT_EQ(trapped, expected);
}

TEST_P(LinkTest, ExitOfSelfWithNormalEndsTheCaller) {
  beam::runtime rt(options());
  term reason;
  bool ran_on = false;
  rt.run([&]() -> beam::process {
    auto [child, ref] = beam::spawn_monitor([&ran_on]() -> beam::process {
      beam::exit(beam::self(), "normal"_a);
      ran_on = true;
      co_return;
    });
    reason = co_await down_reason(ref);
  });
  EXPECT_EQ(reason, term("normal"_a));
  EXPECT_FALSE(ran_on);
}

// OTP: `catch exit(self(), die)` still kills. A catch (...) around beam::exit(self(), ...) must not save the
// process: it ends at its next suspension, or when its body returns, with the signal's reason.
TEST_P(LinkTest, ACaughtExitOfSelfStillEndsTheProcess) {
  beam::runtime rt(options());
  std::vector<term> reasons;
  bool survived = false;
  rt.run([&]() -> beam::process {
    for (const term& reason : {term("die"_a), term("kill"_a)}) {
      for (const bool suspends : {false, true}) {
        auto [child, ref] = beam::spawn_monitor([&survived, reason, suspends]() -> beam::process {
          try {
            beam::exit(beam::self(), reason);
          } catch (...) {
          }
          if (suspends) co_await beam::yield();
          if (suspends) survived = true;
        });
        reasons.push_back(co_await down_reason(ref));
      }
    }
  });
  EXPECT_FALSE(survived);
  EXPECT_EQ(reasons, (std::vector<term>{"die"_a, "die"_a, "killed"_a, "killed"_a}));
}

TEST_P(LinkTest, AnExitComesAfterEveryMessageItsProcessSentWithBothSchedulersBusy) {
  beam::runtime rt(options());
  constexpr int senders = 64;
  constexpr std::int64_t per_sender = 2'000;
  int late_exits = 0, exits = 0;
  rt.run([&]() -> beam::process {
    beam::trap_exit(true);
    const beam::pid sink = beam::self();
    std::vector<std::int64_t> count(senders, 0);
    std::vector<beam::pid> ids;
    for (int s = 0; s < senders; ++s) {
      ids.push_back(beam::spawn_link([sink, s]() -> beam::process {
        for (std::int64_t i = 0; i < per_sender; ++i) {
          beam::send(sink, beam::tuple(s, i));
          if (i % 100 == 0) co_await beam::yield();
        }
        beam::exit("done"_a);
      }));
    }
    while (exits < senders) {
      co_await beam::receive(
          beam::on(beam::tuple(beam::_int, beam::_int), [&](std::int64_t s, std::int64_t) { ++count[s]; }),
          beam::on(beam::tuple("EXIT"_a, beam::_pid, "done"_a), [&](beam::pid from) {
            ++exits;
            const auto s = static_cast<std::size_t>(std::find(ids.begin(), ids.end(), from) - ids.begin());
            if (count[s] != per_sender) ++late_exits;
          }));
    }
  });
  EXPECT_EQ(exits, senders);
  EXPECT_EQ(late_exits, 0);
}

TEST_P(LinkTest, AnExitTravelsDownAChainOfTenThousandLinkedProcesses) {
  beam::runtime rt(options());
  term got;
  rt.run([&]() -> beam::process {
    beam::trap_exit(true);
    // Each link in the chain spawns the next, linked; the last one tells the tail (us) it is ready.
    struct chain {
      static beam::process node(beam::pid tail, int left) {
        if (left == 0) {
          beam::link(tail);
          beam::send(tail, "ready"_a);
        } else {
          beam::spawn_link(&chain::node, tail, left - 1);
        }
        co_await wait_forever();
      }
    };
    beam::pid head = beam::spawn(&chain::node, beam::self(), 10'000);
    co_await expect("ready"_a);
    beam::exit(head, "boom"_a);
    got = co_await beam::receive(
        beam::on(beam::tuple("EXIT"_a, beam::_, beam::_term), [](term r) { return r; }));
  });
  EXPECT_EQ(got, term("boom"_a));
}

TEST_P(LinkTest, LinkCallsOutsideAProcessAreLogicErrors) {
  beam::runtime rt(options());
  EXPECT_THROW(beam::link(beam::pid(1, 0)), std::logic_error);
  EXPECT_THROW(beam::trap_exit(true), std::logic_error);
  EXPECT_THROW(beam::exit(beam::pid(1, 0), "kill"_a), std::logic_error);
  EXPECT_THROW(beam::spawn_link([]() -> beam::process { co_return; }), std::logic_error);
  rt.run([]() -> beam::process { co_return; });
}

BEAM_SCHEDULER_COUNTS(LinkTest);

}  // namespace
