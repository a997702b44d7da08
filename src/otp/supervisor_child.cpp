// otp/supervisor_child.cpp: the parts of a supervisor that the static and the dynamic one share (see the
// header).
//
// Stopping a child follows OTP's shutdown protocol: monitor it, unlink it (so its end reaches the supervisor
// as the DOWN only), and if an {'EXIT', Child, R} is already queued the child has ended by itself with R;
// otherwise send it `shutdown` (or `kill` for brutal_kill) and wait for the DOWN, killing it when its
// shutdown time passes. Children are stopped together and waited for in any order: the static supervisor
// passes one at a time (reverse start order), the dynamic supervisor all of them at once, as Elixir's
// DynamicSupervisor does.
#include "otp/supervisor_child.hpp"

#include <algorithm>
#include <exception>
#include <map>
#include <mutex>
#include <utility>
#include <variant>

#include <fmt/format.h>

#include <beam/error.hpp>
#include <beam/inspect.hpp>
#include <beam/link.hpp>
#include <beam/monitor.hpp>
#include <beam/receive.hpp>
#include <beam/registry.hpp>

#include "otp/process_name.hpp"

namespace beam::otp {

using namespace beam::literals;
using clock = std::chrono::steady_clock;

namespace {

constexpr std::chrono::milliseconds default_worker_shutdown{5000};

[[noreturn]] void fail(term reason, std::string_view why) {
  throw beam::error(reason, fmt::format("supervisor: {} ({})", why, inspect(reason)));
}

std::string_view restart_name(restart_type r) {
  switch (r) {
    case restart_type::permanent:
      return "permanent";
    case restart_type::transient:
      return "transient";
    case restart_type::temporary:
      return "temporary";
  }
  return "?";
}

}  // namespace

void check_intensity(std::int64_t intensity, std::chrono::milliseconds period) {
  if (intensity < 0) fail(tuple("invalid_intensity"_a, intensity), "intensity must be >= 0");
  if (period.count() <= 0) fail(tuple("invalid_period"_a, period.count()), "period must be positive");
}

void check_spec(const child_spec& spec) {
  if (!spec.id) fail(term("missing_id"_a), "the child spec has no id");  // OTP's reasons, in OTP's order
  if (!spec.start) fail(term("missing_start"_a), "the child spec has no start function");
  const auto restart = static_cast<int>(spec.restart);
  if (restart < 0 || restart > static_cast<int>(restart_type::temporary)) {
    fail(tuple("invalid_restart_type"_a, restart), "unknown restart type");
  }
  const auto type = static_cast<int>(spec.type);
  if (type < 0 || type > static_cast<int>(child_type::supervisor)) {
    fail(tuple("invalid_child_type"_a, type), "unknown child type");
  }
  if (spec.shutdown && !spec.shutdown->is_brutal_kill() && spec.shutdown->timeout().count() < 0) {
    fail(tuple("invalid_shutdown"_a, spec.shutdown->timeout().count()), "a shutdown timeout must be >= 0");
  }
}

void fill_defaults(child_spec& spec) {
  if (spec.shutdown) return;
  spec.shutdown =
      spec.type == child_type::worker ? shutdown_spec(default_worker_shutdown) : shutdown_spec(infinity);
}

void rethrow_wrapped(atom wrapper, const error& e) {
  throw beam::error(tuple(wrapper, e.reason()), e.what());
}

bool is_clean_exit(const term& reason) {
  if (reason == term("normal"_a) || reason == term("shutdown"_a)) return true;
  return reason.is_tuple() && reason.as_tuple().size() == 2 && reason.as_tuple()[0] == term("shutdown"_a);
}

bool should_restart(restart_type restart, const term& reason) {
  switch (restart) {
    case restart_type::permanent:
      return true;
    case restart_type::transient:
      return !is_clean_exit(reason);
    case restart_type::temporary:
      return false;
  }
  return false;
}

task<supervisor::start_result> start_child_process(const child_spec& spec) {
  std::optional<term> failure;
  try {
    co_return co_await spec
        .start();  // in place: a start function may keep state (the spec outlives the start)
  } catch (const beam::error&) {
    throw;
  } catch (const std::exception& e) {
    failure = tuple("EXIT"_a, term(std::string_view(e.what())));
  }
  throw beam::error(*failure, fmt::format("supervisor: the start of child {} threw: {}", inspect(*spec.id),
                                          inspect(*failure)));
}

namespace {

// One child on its way down.
struct pending_stop {
  stopping who;
  reference monitor_ref;
  std::optional<term> early_exit;  // it had ended by itself before it was asked to
  clock::time_point deadline;      // when it gets killed (time_point::max(): never)
  bool killed = false;
  std::optional<term> down;  // its DOWN reason, once here
};

// The reason in a queued {'EXIT', child, R}, taken from the mailbox; nullopt when none is there.
task<std::optional<term>> take_exit(pid child) {
  co_return co_await receive(
      on(tuple("EXIT"_a, child, _term), [](term reason) { return std::optional<term>(std::move(reason)); }),
      after(std::chrono::milliseconds(0), [] { return std::optional<term>(); }));
}

// Whether a child that was stopped ended as it should: with the reason it was sent (killed after a kill), or
// with a clean exit for a child that is not permanent.
bool stopped_as_expected(const pending_stop& s, const term& reason) {
  if (!s.early_exit) {
    if (s.killed && reason == term("killed"_a)) return true;
    if (!s.killed && reason == term("shutdown"_a)) return true;
  }
  return s.who.restart != restart_type::permanent && is_clean_exit(reason);
}

clock::time_point deadline_of(const shutdown_spec& how) {
  if (how.is_brutal_kill() || how.is_infinity()) return clock::time_point::max();
  return clock::now() + how.timeout();
}

}  // namespace

task<> stop_children(std::vector<stopping> children, const supervisor_identity& who) {
  std::vector<pending_stop> pending;
  pending.reserve(children.size());
  for (stopping& c : children) {
    const reference monitor_ref = monitor(c.child);
    pending_stop s{.who = std::move(c),
                   .monitor_ref = monitor_ref,
                   .early_exit = std::nullopt,
                   .deadline = clock::time_point::max(),
                   .killed = false,
                   .down = std::nullopt};
    unlink(s.who.child);
    s.early_exit = co_await take_exit(s.who.child);
    if (!s.early_exit) {
      s.killed = s.who.how.is_brutal_kill();
      exit(s.who.child, s.killed ? term("kill"_a) : term("shutdown"_a));
      s.deadline = deadline_of(s.who.how);
    }
    pending.push_back(std::move(s));
  }
  for (std::size_t left = pending.size(); left > 0;) {
    const auto next = std::min_element(pending.begin(), pending.end(), [](const auto& a, const auto& b) {
      return (a.down ? clock::time_point::max() : a.deadline) <
             (b.down ? clock::time_point::max() : b.deadline);
    });
    const auto wait =
        next->deadline == clock::time_point::max()
            ? infinity
            : std::max(std::chrono::milliseconds(0),
                       std::chrono::ceil<std::chrono::milliseconds>(next->deadline - clock::now()));
    std::optional<std::pair<reference, term>> down = co_await receive(
        on(tuple("DOWN"_a, _ref, "process"_a, _, _term), when([&](const reference& ref, const term&) {
             return std::any_of(pending.begin(), pending.end(),
                                [&](const auto& s) { return s.monitor_ref == ref; });
           }),
           [](reference ref, term reason) { return std::optional(std::pair(ref, std::move(reason))); }),
        after(wait, [] { return std::optional<std::pair<reference, term>>(); }));
    if (!down) {  // `next` overstayed its shutdown time
      exit(next->who.child, "kill"_a);
      next->killed = true;
      next->deadline = clock::time_point::max();
      continue;
    }
    auto s = std::find_if(pending.begin(), pending.end(),
                          [&](const auto& p) { return p.monitor_ref == down->first; });
    s->down = down->second == term("noproc"_a) && s->early_exit ? *s->early_exit : std::move(down->second);
    s->deadline = clock::time_point::max();
    (void)co_await take_exit(s->who.child);  // an EXIT sent before the unlink took effect
    if (!stopped_as_expected(*s, *s->down)) {
      report(log_level::error, who, {"shutdown_error", s->who.id, s->who.child, *s->down, s->who.restart, 0});
    }
    --left;
  }
}

bool restart_intensity::add() {
  const auto now = clock::now();
  while (!times_.empty() && now - times_.front() > period_) times_.pop_front();
  times_.push_back(now);
  return count() <= intensity_;
}

void report(log_level level, const supervisor_identity& who, const child_report& what) {
  beam::log(level, fmt::format("SUPERVISOR REPORT context={} supervisor={} name={} child={} pid={} reason={} "
                               "restart={} restarts={}",
                               what.context, inspect(term(who.self)),
                               who.name ? inspect(name_term(*who.name)) : std::string(":undefined"),
                               inspect(what.child_id), inspect(what.child_pid), inspect(what.reason),
                               restart_name(what.restart), what.restarts));
}

void ack_start(const pid& starter, const reference& tag, term result) {
  send(starter, tuple(tag, std::move(result)));
}

task<pid> await_start(pid sup, reference tag, reference monitor_ref) {
  std::optional<term> result, down;
  co_await receive(
      on(tuple(tag, _term), [&](term r) { result = std::move(r); }),
      on(tuple("DOWN"_a, monitor_ref, "process"_a, _, _term), [&](term r) { down = std::move(r); }));
  demonitor(monitor_ref, demonitor_option::flush);
  if (down) fail(*down, "the supervisor ended while starting");
  const auto fields = result->as_tuple();
  if (fields[0] == term("ok"_a)) co_return sup;
  fail(fields[1], "start_link failed");
}

void register_or_exit(const std::optional<process_name>& name, const pid& starter, const reference& tag) {
  if (!name) return;
  if (const std::optional<pid> holder = claim_name(*name)) {
    ack_start(starter, tag, error_reply(tuple("already_started"_a, *holder)));
    beam::exit("normal"_a);
  }
}

term ok(term value) {
  return tuple("ok"_a, std::move(value));
}
term error_reply(term reason) {
  return tuple("error"_a, std::move(reason));
}

task<term> request(supervisor_ref sup, term message, std::string_view operation) {
  // (the task first, then co_await: GCC 12 mishandles temporaries in a co_await expression)
  task<term> pending =
      std::visit([&](const auto& to) { return call(to, std::move(message), infinity); }, sup);
  const term reply = co_await pending;
  const auto fields = reply.as_tuple();
  if (fields[0] == term("ok"_a)) co_return fields[1];
  throw beam::error(fields[1], fmt::format("supervisor: {} failed: {}", operation, inspect(fields[1])));
}

namespace {
std::mutex parked_mutex;
std::map<reference, child_spec> parked;  // parked_mutex
}  // namespace

parked_spec::parked_spec(child_spec spec) : key_(reference::make()) {
  std::lock_guard lock(parked_mutex);
  parked.emplace(key_, std::move(spec));
}

parked_spec::~parked_spec() {
  std::lock_guard lock(parked_mutex);
  parked.erase(key_);
}

std::optional<child_spec> parked_spec::take(const term& key) {
  if (!key.is_reference()) return std::nullopt;
  std::lock_guard lock(parked_mutex);
  auto it = parked.find(key.as_reference());
  if (it == parked.end()) return std::nullopt;
  child_spec spec = std::move(it->second);
  parked.erase(it);
  return spec;
}

void parked_spec::put(const term& key, child_spec spec) {
  if (!key.is_reference()) return;
  std::lock_guard lock(parked_mutex);
  if (auto it = parked.find(key.as_reference()); it != parked.end()) it->second = std::move(spec);
}

term type_atom(child_type type) {
  return type == child_type::worker ? term("worker"_a) : term("supervisor"_a);
}

task<supervisor::start_result> request_start_child(supervisor_ref sup, child_spec spec) {
  check_spec(spec);  // its reason unwrapped, as OTP's start_child returns it
  fill_defaults(spec);
  const parked_spec parked(std::move(spec));
  const term started = co_await request(sup, tuple("start_child"_a, parked.key()), "start_child");
  co_return started.is_pid() ? supervisor::start_result(started.as_pid()) : supervisor::ignore;
}

task<std::vector<supervisor::child_info>> request_which_children(supervisor_ref sup) {
  const term reply = co_await request(sup, "which_children"_a, "which_children");
  std::vector<supervisor::child_info> rows;
  for (const term& row : reply.as_list()) {
    const auto f = row.as_tuple();
    rows.push_back({f[0], f[1], f[2] == term("worker"_a) ? child_type::worker : child_type::supervisor});
  }
  co_return rows;
}

task<supervisor::child_counts> request_count_children(supervisor_ref sup) {
  const term reply = co_await request(sup, "count_children"_a, "count_children");
  const auto f = reply.as_tuple();
  co_return supervisor::child_counts{f[0].as_int(), f[1].as_int(), f[2].as_int(), f[3].as_int()};
}

}  // namespace beam::otp
