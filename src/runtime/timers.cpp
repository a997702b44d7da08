// runtime/timers.cpp: send_after, cancel_timer, read_timer. A send_after timer is an entry in the calling
// worker's wheel, also listed by its reference in runtime_state::timers_by_ref (under timers_mutex) so that
// any process can cancel or read it: the list holds the entry's second reference, dropped when the timer
// fires or is cancelled.
#include <beam/error.hpp>
#include <beam/process.hpp>
#include <beam/timer.hpp>

#include "runtime/runtime_state.hpp"

namespace beam {
namespace detail {
namespace {

struct send_timer final : timer::timer_entry {
  send_timer(runtime_state& r, term d, term m, reference ref) noexcept
      : timer_entry(&send_timer::on_fire, &send_timer::on_free),
        rt(r),
        dest(std::move(d)),
        message(std::move(m)),
        id(ref) {}

  static void on_fire(timer_entry* self) {
    auto* t = static_cast<send_timer*>(self);
    t->rt.forget_timer(t->id);
    // A dead pid or a name no longer registered: the message is dropped, as Erlang drops it.
    process_control* p =
        t->dest.is_pid() ? t->rt.table.find(t->dest.as_pid()) : find_named(t->rt, t->dest.as_atom());
    if (p != nullptr) deliver(*p, t->message);
  }
  static void on_free(timer_entry* self) { delete static_cast<send_timer*>(self); }

  runtime_state& rt;
  term dest;  // a pid or a registered name
  term message;
  reference id;
};

reference start_send_timer(std::chrono::milliseconds delay, term dest, term message) {
  runtime_state& rt = runtime_for("beam::send_after");
  sched::worker* w = sched::worker::current();
  if (w == nullptr || current_process_or_null() == nullptr) {
    throw std::logic_error("beam::send_after called outside a process");
  }
  if (delay.count() < 0) throw beam::error(term(atom("badarg")), "send_after: the delay is negative");
  const reference id = reference::make();
  auto* t = new send_timer(rt, std::move(dest), std::move(message), id);
  t->deadline_ms = rt.to_ms(std::chrono::steady_clock::now() + delay);  // rounded up: never early
  {
    std::lock_guard lock(rt.timers_mutex);
    rt.timers_by_ref.emplace(term(id), t);
  }
  rt.local(*w).insert_timer(t);
  return id;
}

std::optional<std::chrono::milliseconds> time_left(runtime_state& rt, const timer::timer_entry& t) {
  const std::uint64_t now = rt.now_ms();
  return std::chrono::milliseconds(t.deadline_ms > now ? t.deadline_ms - now : 0);
}

}  // namespace

void runtime_state::forget_timer(const reference& id) noexcept {
  timer::timer_entry* t = nullptr;
  {
    std::lock_guard lock(timers_mutex);
    auto it = timers_by_ref.find(term(id));
    if (it == timers_by_ref.end()) return;
    t = it->second;
    timers_by_ref.erase(it);
  }
  t->release();
}

}  // namespace detail

reference send_after(std::chrono::milliseconds delay, const pid& dest, term message) {
  return detail::start_send_timer(delay, term(dest), std::move(message));
}

reference send_after(std::chrono::milliseconds delay, atom dest, term message) {
  return detail::start_send_timer(delay, term(dest), std::move(message));
}

std::optional<std::chrono::milliseconds> cancel_timer(const reference& timer) {
  detail::runtime_state& rt = detail::runtime_for("beam::cancel_timer");
  timer::timer_entry* t = nullptr;
  {
    std::lock_guard lock(rt.timers_mutex);
    auto it = rt.timers_by_ref.find(term(timer));
    if (it == rt.timers_by_ref.end()) return std::nullopt;
    t = it->second;
    rt.timers_by_ref.erase(it);
  }
  const bool cancelled = t->cancel();  // the wheel drops its reference lazily, at the deadline
  std::optional<std::chrono::milliseconds> left = cancelled ? detail::time_left(rt, *t) : std::nullopt;
  t->release();
  return left;
}

std::optional<std::chrono::milliseconds> read_timer(const reference& timer) {
  detail::runtime_state& rt = detail::runtime_for("beam::read_timer");
  std::lock_guard lock(rt.timers_mutex);
  auto it = rt.timers_by_ref.find(term(timer));
  if (it == rt.timers_by_ref.end() || it->second->state.load() != timer::timer_entry::pending)
    return std::nullopt;
  return detail::time_left(rt, *it->second);
}

}  // namespace beam
