// process_info/2 (issue 10, point 12): the items of another process and of the caller, as OTP 25 answers
// them (checked with erl), and their consistency while the process runs on another scheduler.
#include <algorithm>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <beam/beam.hpp>

#include "support/runtime_fixture.hpp"
#include "support/subprocess.hpp"
#include "support/waits.hpp"

using namespace beam::literals;
using beam::term;

namespace {

class ProcessInfoTest : public beam::testing::RuntimeTest {};

using beam::testing::expect;

// `t` with each pid written as its name in `names` (`other` if absent) and every list sorted, as the erl side
// of the oracle test does: links and monitors come in no particular order.
term normalized(const term& t, const std::map<beam::pid, term>& names) {
  if (t.is_pid()) {
    const auto it = names.find(t.as_pid());
    return it != names.end() ? it->second : term("other"_a);
  }
  if (!t.is_tuple() && !t.is_list()) return t;
  std::vector<term> elements;
  for (const term& e : t.is_tuple() ? t.as_tuple() : t.as_list()) elements.push_back(normalized(e, names));
  if (t.is_tuple()) return beam::make_tuple(std::move(elements));
  std::ranges::sort(elements, [](const term& a, const term& b) { return a < b; });
  return beam::make_list(std::move(elements));
}

beam::process idle_until_stop() {
  co_await expect("stop"_a);
}

// Queues two messages for itself that it never takes, then waits for `stop`.
beam::process with_two_messages() {
  beam::send(beam::self(), "hello"_a);
  beam::send(beam::self(), beam::tuple("more"_a, 1));
  co_await expect("stop"_a);
}

// Waits until `p` waits in a receive (polling its status, as erl's side does).
beam::task<> until_waiting(beam::pid p) {
  while (beam::process_info(p)->status != beam::process_status::waiting) co_await beam::yield();
}

// erl runs the scenario in a process of its own: the shell's evaluating process is linked to init.
TEST_P(ProcessInfoTest, TheItemsOfAnotherProcessAndOfItselfAreErlangs) {
  const auto erl = beam::testing::run_process({"erl", "-noshell", "-eval", R"(
Main = fun() ->
  Self = self(),
  Idle = fun() -> receive stop -> ok end end,
  Q = spawn(fun() -> self() ! hello, self() ! {more, 1}, receive stop -> ok end end),
  W = spawn(Idle), register(watched, W),
  link(Q), monitor(process, Q), monitor(process, watched),
  Watcher = spawn(fun() -> monitor(process, Self), Self ! watching, receive stop -> ok end end),
  receive watching -> ok end,
  process_flag(trap_exit, true),
  Wait = fun Wait() -> case process_info(Q, status) of {status, waiting} -> ok; _ -> erlang:yield(), Wait() end end,
  Wait(),
  self() ! m1, self() ! {m2, x},
  Items = [links, monitors, monitored_by, messages, message_queue_len, trap_exit, status, registered_name],
  Mine = process_info(self(), Items),
  Theirs = process_info(Q, Items ++ [initial_call]),
  One = [process_info(W, registered_name), process_info(Q, registered_name), process_info(Q, trap_exit)],
  Q ! stop, receive {'EXIT', Q, normal} -> ok end,
  Dead = [process_info(Q, links), process_info(Q, [links])],
  Names = [{Self, me}, {Q, q}, {W, w}, {Watcher, watcher}],
  N = fun N(T) when is_pid(T) -> proplists:get_value(T, Names, other);
          N(L) when is_list(L) -> lists:sort([N(X) || X <- L]);
          N(T) when is_tuple(T) -> list_to_tuple([N(X) || X <- tuple_to_list(T)]);
          N(T) -> T end,
  io:format("~w", [N([Mine, Theirs, One, Dead])]),
  [P ! stop || P <- [W, Watcher]]
end,
Top = self(), spawn(fun() -> Main(), Top ! done end), receive done -> halt() end.)"});
  ASSERT_EQ(erl.exit_code, 0) << "erl is needed (scripts/setup.sh installs it): " << erl.err;
  beam::runtime rt(options());
  std::string ours;
  rt.run([&]() -> beam::process {
    const beam::pid self = beam::self();
    const beam::pid q = beam::spawn(with_two_messages);
    const beam::pid w = beam::spawn(idle_until_stop);
    beam::register_name("watched"_a, w);
    beam::link(q);
    (void)beam::monitor(q);
    (void)beam::monitor("watched"_a);
    const beam::pid watcher = beam::spawn([self]() -> beam::process {
      (void)beam::monitor(self);
      beam::send(self, "watching"_a);
      co_await expect("stop"_a);
    });
    co_await expect("watching"_a);
    beam::trap_exit(true);
    co_await until_waiting(q);
    beam::send(self, "m1"_a);
    beam::send(self, beam::tuple("m2"_a, "x"_a));
    const std::vector<beam::atom> items{"links"_a,    "monitors"_a,          "monitored_by"_a,
                                        "messages"_a, "message_queue_len"_a, "trap_exit"_a,
                                        "status"_a,   "registered_name"_a};
    const term mine = co_await beam::process_info(self, items);
    std::vector<beam::atom> more = items;
    more.push_back("initial_call"_a);
    const term theirs = co_await beam::process_info(q, more);
    const term one = beam::list(co_await beam::process_info(w, "registered_name"_a),
                                co_await beam::process_info(q, "registered_name"_a),
                                co_await beam::process_info(q, "trap_exit"_a));
    beam::send(q, "stop"_a);
    co_await beam::receive(beam::on(beam::tuple("EXIT"_a, q, "normal"_a), [] {}));
    const std::vector<beam::atom> links{"links"_a};
    const term dead =
        beam::list(co_await beam::process_info(q, "links"_a), co_await beam::process_info(q, links));
    const std::map<beam::pid, term> names{{self, "me"_a}, {q, "q"_a}, {w, "w"_a}, {watcher, "watcher"_a}};
    ours = beam::format_erlang(normalized(beam::list(mine, theirs, one, dead), names));
    beam::send(w, "stop"_a);
    beam::send(watcher, "stop"_a);
  });
  EXPECT_EQ(ours, erl.out);
}

// The messages and their count always agree, whichever moment of the receiver's work the question finds.
TEST_P(ProcessInfoTest, MessagesAndTheirCountAgreeWhileTheProcessReceivesOnAnotherScheduler) {
  beam::runtime rt(options());
  int disagreements = 0, answered = 0;
  rt.run([&]() -> beam::process {
    const beam::pid consumer = beam::spawn([]() -> beam::process {
      for (;;) {
        const term m = co_await beam::receive();
        if (m == term("stop"_a)) co_return;
      }
    });
    const beam::pid producer = beam::spawn([consumer]() -> beam::process {
      for (int i = 0; i < 20'000; ++i) {
        beam::send(consumer, i);
        if (i % 64 == 0) co_await beam::yield();
      }
    });
    const std::vector<beam::atom> items{"messages"_a, "message_queue_len"_a};
    for (int i = 0; i < 200; ++i) {
      const term answer = co_await beam::process_info(consumer, items);
      ++answered;
      const auto fields = answer.as_list();
      const auto messages = fields[0].as_tuple()[1];
      const std::int64_t count = messages.is_nil() ? 0 : static_cast<std::int64_t>(messages.as_list().size());
      if (count != fields[1].as_tuple()[1].as_int()) ++disagreements;
    }
    (void)co_await beam::testing::wait_for_exit(producer);
    beam::send(consumer, "stop"_a);
    (void)co_await beam::testing::wait_for_exit(consumer);
  });
  EXPECT_EQ(answered, 200);
  EXPECT_EQ(disagreements, 0);
}

TEST_P(ProcessInfoTest, AProcessKilledBeforeItAnswersIsUndefined) {
  beam::runtime rt(options());
  term answer;
  rt.run([&]() -> beam::process {
    const beam::pid target = beam::spawn(idle_until_stop);
    beam::exit(target, "kill"_a);
    const std::vector<beam::atom> items{"links"_a, "messages"_a};
    answer = co_await beam::process_info(target, items);
  });
  EXPECT_EQ(answer, term("undefined"_a));
}

TEST_P(ProcessInfoTest, AnItemItDoesNotKnowIsBadarg) {
  beam::runtime rt(options());
  term reason;
  rt.run([&]() -> beam::process {
    reason = co_await beam::testing::error_of(beam::process_info(beam::self(), "no_such_item"_a));
  });
  EXPECT_EQ(reason, term("badarg"_a));
}

BEAM_SCHEDULER_COUNTS(ProcessInfoTest);

}  // namespace
