// runtime/timers.cpp: send_after, start_timer, cancel_timer, read_timer (OTP's BIF timers).
//
// A timer is an entry in the calling worker's wheel, also listed by its reference in the runtime's
// timer_table, so that any process can read or cancel it: the listing holds the entry's second reference,
// dropped when the timer fires or is cancelled. A cancel takes the entry out of its wheel at once (under that
// wheel's lock, from any thread) rather than leaving it to be found at its deadline: a cancelled one-hour
// timer must not hold its memory for an hour.
//
// Times, as OTP counts them (erl_hl_timer.c): the deadline of a relative timer is the current millisecond,
// rounded up, plus the delay; the time left is the deadline less the current millisecond, rounded up. So a
// timer never fires early, and read_timer and cancel_timer never give more than was asked for (just after
// send_after(1000 ms): 1000 ms). A deadline must lie between the runtime's start and the largest the 64-bit
// nanosecond steady clock holds (about 292 years on; OTP's bound is the same clock's); outside, badarg.
//
// A timer aimed at a pid is cancelled when that process ends (OTP: "the timer will be automatically canceled
// if the process referred to by the pid() is not alive"), so that its memory goes then, not at the deadline.
// The target keeps the references of the timers aimed at it in its links record (proc/signals.hpp), changed
// only by its owner: by the creator itself when it aims at itself, else by a `timer` signal from the creator;
// its exit cancels each. Creating a timer aimed at another process:
//   1. list it (not yet in a wheel, so it cannot fire before step 2);
//   2. send the target the `timer` signal; if the target is gone, unlist the timer: the reference names a
//      timer already cancelled, as in OTP;
//   3. link it in our wheel; if it was cancelled meanwhile (the target ended after step 2 and cancelled it
//      before the link), unlink it again;
//   4. if the target is no longer alive, cancel it: the target may have ended after step 2 but cleared its
//      mailbox before our signal landed there, and a signal that lands later is dropped unanswered.
// A `timer` signal still in the mailbox when the target ends cancels its timer (drop_for_dead); one that
// lands after that is step 4's. The target never misses a timer: it is listed before the signal is sent, and
// the signal is in the mailbox before the timer can fire. A reference whose timer fired or was cancelled
// stays in the target's set until the next sweep, which drops the references no longer listed whenever the
// set has doubled since the last one: amortised O(1), and the set stays under twice the live timers (plus a
// few). Timers to a registered name are not cancelled by anyone's exit (OTP: "timers are not automatically
// canceled when Dest is an atom()"). Rejected: an index of timers by target under one lock (every exit of
// every process would take it); a field in the PCB (a million idle processes would pay for it).
#include <memory>
#include <variant>

#include <beam/error.hpp>
#include <beam/process.hpp>
#include <beam/timer.hpp>

#include "proc/signals.hpp"
#include "runtime/runtime_state.hpp"
#include "term/atom_table.hpp"

namespace beam {
namespace detail {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

struct bif_timer final : timer::timer_entry {
  bif_timer(timer_table& table, term d, term m, term ref, std::uint64_t deadline, std::uint32_t w) noexcept
      : timer_entry(&bif_timer::on_fire, &bif_timer::on_free),
        timers(table),
        dest(std::move(d)),
        message(std::move(m)),
        id(std::move(ref)),
        worker(w) {
    deadline_ms = deadline;
  }

  // The wheel's owner, under its lock.
  static void on_fire(timer_entry* self) {
    auto* t = static_cast<bif_timer*>(self);
    if (timer_entry* listed = t->timers.take(t->id)) listed->release();
    // A dead pid or a name no longer registered: the message is dropped, as Erlang drops it.
    proc::node& node = t->timers.node();
    if (t->dest.is_pid()) {
      send_message(node, t->dest.as_pid(), t->message);
    } else if (process_control* p = find_named(node, t->dest.as_atom())) {
      deliver(*p, t->message);
    }
  }
  static void on_free(timer_entry* self) { delete static_cast<bif_timer*>(self); }

  timer_table& timers;
  term dest;             // a pid or a registered name
  term message;          // as delivered: start_timer's is {timeout, Ref, Msg}
  term id;               // the reference
  std::uint32_t worker;  // whose wheel holds it
};

// Any thread holding no wheel's lock: takes `t`, which its caller just cancelled, out of its wheel if it is
// there (the wheel drops its reference).
void unlink_cancelled(proc::node& node, bif_timer& t) noexcept {
  proc::worker_local& l = *node.locals[t.worker];
  std::lock_guard lock(l.timers_mutex);
  if (l.timers.holds(&t)) l.timers.remove(&t);
}

milliseconds time_left(const proc::node& node, std::uint64_t deadline_ms) {
  const std::uint64_t now = node.to_ms(steady_clock::now());  // rounded up, as OTP rounds it
  return milliseconds(deadline_ms > now ? deadline_ms - now : 0);
}

[[noreturn]] void badarg(const char* what, const char* why) {
  throw beam::error(term(atoms::badarg), std::string(what) + ": " + why);
}

// The largest deadline, in the runtime's milliseconds, whose steady_clock time point exists.
std::uint64_t latest_deadline(const proc::node& node) noexcept {
  return static_cast<std::uint64_t>(
      std::chrono::floor<milliseconds>(steady_clock::time_point::max() - node.started).count());
}

std::uint64_t deadline_after(const proc::node& node, milliseconds delay, const char* what) {
  if (delay.count() < 0) badarg(what, "the time is negative");
  const std::uint64_t now = node.to_ms(steady_clock::now());
  if (static_cast<std::uint64_t>(delay.count()) > latest_deadline(node) - now) {
    badarg(what, "the time is past the largest deadline the monotonic clock holds");
  }
  return now + static_cast<std::uint64_t>(delay.count());
}

std::uint64_t deadline_at(const proc::node& node, steady_clock::time_point at, const char* what) {
  if (at < node.started) badarg(what, "the absolute time is before the runtime's start");
  return std::min(node.to_ms(at), latest_deadline(node));
}

enum class timer_kind { send_after, start_timer };
using timer_time = std::variant<milliseconds, steady_clock::time_point>;  // relative, or {abs, true}

const char* api_name(timer_kind kind) noexcept {
  return kind == timer_kind::send_after ? "beam::send_after" : "beam::start_timer";
}

std::uint64_t deadline_of(const proc::node& node, const timer_time& when, const char* what) {
  if (const auto* delay = std::get_if<milliseconds>(&when)) return deadline_after(node, *delay, what);
  return deadline_at(node, std::get<steady_clock::time_point>(when), what);
}

// Step 2 of the design note: false when the target is gone.
bool announce(proc::node& node, const process_control& creator, const pid& target, const term& ref) {
  return target == creator.self() || send_signal(node, target, proc::signal_kind::timer, ref);
}

// Step 4 of the design note, or the creator's own note when it aims at itself.
void watch_target(timer_table& timers, process_control& creator, const pid& target, const term& ref) {
  if (target == creator.self()) {
    note_timer(creator, ref);
  } else if (process_control* p = timers.node().table.find(target)) {
    release(*p);
  } else {
    (void)timers.cancel(ref);
  }
}

reference start_bif_timer(timer_kind kind, const timer_time& when, term dest, term message) {
  const char* what = api_name(kind);
  process_control& creator = current_process(what);
  timer_table& timers = runtime_for(what).timers;
  proc::node& node = timers.node();
  sched::worker* w = sched::worker::current();
  const std::uint64_t due = deadline_of(node, when, what);
  const reference id = reference::make();
  const term ref(id);
  if (kind == timer_kind::start_timer) message = tuple(atom("timeout"), ref, std::move(message));
  auto* t = new bif_timer(timers, dest, std::move(message), ref, due, w->index());
  // A third reference, ours until we return: once the timer is listed, the target's exit may cancel it on
  // another thread (dropping the listing's reference and, once linked, the wheel's), and a monitor thread
  // polling our wheel may fire it; without ours, step 3's look at `state` could read freed memory.
  t->retain();
  const std::unique_ptr<timer::timer_entry, void (*)(timer::timer_entry*)> ours(
      t, [](timer::timer_entry* e) { e->release(); });
  timers.add(ref, t);  // step 1
  if (dest.is_pid() && !announce(node, creator, dest.as_pid(), ref)) {
    if (timer::timer_entry* listed = timers.take(ref)) listed->release();
    t->release();  // the wheel's reference: it never gets there
    return id;
  }
  node.local(*w).insert_timer(t);  // step 3
  if (t->state.load(std::memory_order_acquire) == timer::timer_entry::cancelled) unlink_cancelled(node, *t);
  if (dest.is_pid()) watch_target(timers, creator, dest.as_pid(), ref);
  return id;
}

}  // namespace

timer_table::~timer_table() {
  for (auto& [ref, t] : by_ref_) t->release();
}

void timer_table::add(const term& ref, timer::timer_entry* t) {
  std::lock_guard lock(mutex_);
  by_ref_.emplace(ref, t);
}

timer::timer_entry* timer_table::take(const term& ref) noexcept {
  std::lock_guard lock(mutex_);
  auto it = by_ref_.find(ref);
  if (it == by_ref_.end()) return nullptr;
  timer::timer_entry* t = it->second;
  by_ref_.erase(it);
  return t;
}

std::optional<std::uint64_t> timer_table::deadline(const term& ref) const {
  std::lock_guard lock(mutex_);
  auto it = by_ref_.find(ref);
  if (it == by_ref_.end() || it->second->state.load(std::memory_order_acquire) != timer::timer_entry::pending)
    return std::nullopt;
  return it->second->deadline_ms;
}

std::optional<milliseconds> timer_table::cancel(const term& ref) noexcept {
  timer::timer_entry* t = take(ref);
  if (t == nullptr) return std::nullopt;
  std::optional<milliseconds> left;
  if (t->cancel()) {  // it had not fired
    left = time_left(node_, t->deadline_ms);
    unlink_cancelled(node_, *static_cast<bif_timer*>(t));
  }
  t->release();
  return left;
}

}  // namespace detail

using std::chrono::milliseconds;
using std::chrono::steady_clock;

reference send_after(milliseconds delay, const pid& dest, term message) {
  return detail::start_bif_timer(detail::timer_kind::send_after, delay, term(dest), std::move(message));
}

reference send_after(milliseconds delay, atom dest, term message) {
  return detail::start_bif_timer(detail::timer_kind::send_after, delay, term(dest), std::move(message));
}

reference send_after(steady_clock::time_point deadline, const pid& dest, term message) {
  return detail::start_bif_timer(detail::timer_kind::send_after, deadline, term(dest), std::move(message));
}

reference send_after(steady_clock::time_point deadline, atom dest, term message) {
  return detail::start_bif_timer(detail::timer_kind::send_after, deadline, term(dest), std::move(message));
}

reference start_timer(milliseconds delay, const pid& dest, term message) {
  return detail::start_bif_timer(detail::timer_kind::start_timer, delay, term(dest), std::move(message));
}

reference start_timer(milliseconds delay, atom dest, term message) {
  return detail::start_bif_timer(detail::timer_kind::start_timer, delay, term(dest), std::move(message));
}

reference start_timer(steady_clock::time_point deadline, const pid& dest, term message) {
  return detail::start_bif_timer(detail::timer_kind::start_timer, deadline, term(dest), std::move(message));
}

reference start_timer(steady_clock::time_point deadline, atom dest, term message) {
  return detail::start_bif_timer(detail::timer_kind::start_timer, deadline, term(dest), std::move(message));
}

std::optional<milliseconds> cancel_timer(const reference& timer) {
  return detail::runtime_for("beam::cancel_timer").timers.cancel(term(timer));
}

std::optional<milliseconds> read_timer(const reference& timer) {
  const detail::timer_table& timers = detail::runtime_for("beam::read_timer").timers;
  const std::optional<std::uint64_t> deadline = timers.deadline(term(timer));
  if (!deadline) return std::nullopt;
  return detail::time_left(timers.node(), *deadline);
}

}  // namespace beam
