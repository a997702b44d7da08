// Process aliases (issue 10, point 12): alias/unalias, sends to an alias, monitors whose reference is an
// alias; OTP 24's semantics checked with erl.
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <beam/beam.hpp>

#include "support/runtime_fixture.hpp"
#include "support/subprocess.hpp"
#include "support/waits.hpp"

using namespace beam::literals;
using beam::term;

namespace {

class AliasTest : public beam::testing::RuntimeTest {};

using beam::testing::expect;
using beam::testing::poll;

// Every message in the mailbox now, oldest first.
beam::task<term> take_all() {
  std::vector<term> out;
  for (term m = co_await poll(); m != term("empty"_a); m = co_await poll()) out.push_back(m);
  co_return beam::make_list(std::move(out));
}

// Sends each {to, message} it gets to the alias `to`, then `sent` to `back` directly: `back` has had the
// alias's message (or lost it) by the time `sent` comes, as the two come from one sender.
beam::process relay(beam::pid back) {
  for (;;) {
    co_await beam::receive(beam::on(beam::tuple(beam::_term, beam::_term), [&](term to, term message) {
      beam::send(to.as_reference(), message);
      beam::send(back, "sent"_a);
    }));
  }
}

beam::process idle_forever() {
  co_await beam::testing::wait_forever();
}

// Has `relay` send `message` to `alias` and waits until it has.
beam::task<> via(const beam::pid& relay, const beam::reference& alias, term message) {
  beam::send(relay, beam::tuple(alias, std::move(message)));
  co_await expect("sent"_a);
}

TEST_P(AliasTest, AliasUnaliasAndReplyAliasesBehaveAsErlangs) {
  const auto erl = beam::testing::run_process({"erl", "-noshell", "-eval", R"(
Self = self(),
Take = fun T(Acc) -> receive M -> T([M | Acc]) after 0 -> lists:reverse(Acc) end end,
A = alias([reply]),
spawn(fun() -> A ! one, A ! two, Self ! done end), receive done -> ok end,
First = Take([]),
UsedReply = unalias(A),
B = alias(), Unaliased = [unalias(B), unalias(B)],
B ! after_unalias, C = alias([explicit_unalias]), C ! c1, C ! c2,
make_ref() ! to_a_plain_reference,
io:format("~w", [[First, UsedReply, Unaliased, Take([])]]), halt().)"});
  ASSERT_EQ(erl.exit_code, 0) << "erl is needed (scripts/setup.sh installs it): " << erl.err;
  beam::runtime rt(options());
  term ours;
  rt.run([&]() -> beam::process {
    const beam::pid self = beam::self();
    const beam::reference a = beam::alias(beam::alias_option::reply);
    beam::spawn([a, self]() -> beam::process {
      beam::send(a, "one"_a);
      beam::send(a, "two"_a);
      beam::send(self, "done"_a);
      co_return;
    });
    co_await expect("done"_a);
    const term first = co_await take_all();
    const bool used_reply = beam::unalias(a);
    const beam::reference b = beam::alias();
    const bool unaliased[] = {beam::unalias(b), beam::unalias(b)};
    beam::send(b, "after_unalias"_a);
    const beam::reference c = beam::alias(beam::alias_option::explicit_unalias);
    beam::send(c, "c1"_a);
    beam::send(c, "c2"_a);
    beam::send(beam::reference::make(), "to_a_plain_reference"_a);
    ours = beam::list(first, used_reply, beam::list(unaliased[0], unaliased[1]), co_await take_all());
  });
  EXPECT_EQ(beam::format_erlang(ours), erl.out);
}

TEST_P(AliasTest, AMonitorAliasEndsWithItsMonitorUnlessExplicit) {
  beam::runtime rt(options());
  term with_demonitor, explicit_alias;
  rt.run([&]() -> beam::process {
    const beam::pid r = beam::spawn(relay, beam::self());
    const beam::pid target = beam::spawn(idle_forever);
    const beam::reference ends = beam::monitor(target, beam::monitor_alias::demonitor);
    const beam::reference stays = beam::monitor(target, beam::monitor_alias::explicit_unalias);
    co_await via(r, ends, "before_down"_a);
    co_await via(r, stays, "before_down"_a);
    beam::exit(target, "kill"_a);
    (void)co_await beam::testing::down_reason(ends);
    (void)co_await beam::testing::down_reason(stays);
    co_await via(r, ends, "after_down"_a);
    co_await via(r, stays, "after_down"_a);
    with_demonitor = co_await take_all();
    explicit_alias = beam::list(beam::unalias(ends), beam::unalias(stays));
    beam::exit(r, "kill"_a);
  });
  EXPECT_EQ(with_demonitor, beam::list("before_down"_a, "before_down"_a, "after_down"_a));
  EXPECT_EQ(explicit_alias, beam::list(false, true));
}

TEST_P(AliasTest, AReplyDemonitorAliasTakesOneMessageAndRemovesItsMonitor) {
  beam::runtime rt(options());
  term got, removed;
  rt.run([&]() -> beam::process {
    const beam::pid r = beam::spawn(relay, beam::self());
    const beam::pid target = beam::spawn(idle_forever);
    const beam::reference ref = beam::monitor(target, beam::monitor_alias::reply_demonitor);
    co_await via(r, ref, "first"_a);
    co_await via(r, ref, "second"_a);
    removed = beam::list(beam::demonitor(ref, beam::demonitor_option::info), beam::unalias(ref));
    beam::exit(target, "kill"_a);
    (void)co_await beam::testing::wait_for_exit(target);
    got = co_await take_all();  // no DOWN for `ref`
    beam::exit(r, "kill"_a);
  });
  EXPECT_EQ(got, beam::list("first"_a));
  EXPECT_EQ(removed, beam::list(false, false));
}

TEST_P(AliasTest, AnAliasIsReachedFromAThreadOutsideTheRuntime) {
  beam::runtime rt(options());
  term got;
  rt.run([&]() -> beam::process {
    const beam::reference a = beam::alias();
    std::thread sender([a] { beam::send(a, "from_a_thread"_a); });
    got = co_await beam::receive();
    sender.join();
  });
  EXPECT_EQ(got, term("from_a_thread"_a));
}

TEST_P(AliasTest, TheAliasOfAnEndedProcessDropsWhatIsSentToIt) {
  beam::runtime rt(options());
  term sent;
  rt.run([&]() -> beam::process {
    const beam::pid self = beam::self();
    auto [child, ref] = beam::spawn_monitor([self]() -> beam::process {
      beam::send(self, beam::tuple("alias"_a, beam::alias()));
      co_return;
    });
    const term alias = co_await beam::testing::next("alias"_a);
    (void)co_await beam::testing::down_reason(ref);
    sent = beam::send(alias.as_reference(), "late"_a);
  });
  EXPECT_EQ(sent, term("late"_a));
}

TEST_P(AliasTest, AliasAndUnaliasOutsideAProcessAreLogicErrors) {
  beam::runtime rt(options());
  EXPECT_THROW((void)beam::alias(), std::logic_error);
  EXPECT_THROW(beam::unalias(beam::reference::make()), std::logic_error);
  rt.run([]() -> beam::process { co_return; });
}

BEAM_SCHEDULER_COUNTS(AliasTest);

}  // namespace
