// otp/dynamic_supervisor.cpp: the dynamic supervisor (beam/dynamic_supervisor.hpp), a process loop on the
// public API like the static one (otp/supervisor.cpp), with its children in hash maps since it may hold many.
//
// State, owned by the supervisor process alone: `children_` by a key that never changes (a child keeps its
// key across restarts; a restart whose start failed leaves it without a pid, `restarting`, and queues
// {'$dynamic_supervisor_try_again', Key}), and `by_pid_` from each running child's pid to its key.
#include <beam/dynamic_supervisor.hpp>

#include <unordered_map>
#include <utility>

#include <fmt/format.h>

#include <beam/error.hpp>
#include <beam/inspect.hpp>
#include <beam/logger.hpp>
#include <beam/monitor.hpp>
#include <beam/receive.hpp>

#include "otp/supervisor_child.hpp"

namespace beam::dynamic_supervisor {
namespace {

using namespace beam::literals;
using otp::report;

struct child {
  child_spec spec;
  std::optional<pid> running;  // nullopt: restarting
  term last_error{};           // why its last start failed, while it is restarting
};

class dynamic_sup {
 public:
  dynamic_sup(const options& opts, otp::supervisor_identity who, pid parent)
      : opts_(opts), who_(who), parent_(parent), restarts_(opts.max_restarts, opts.period) {}

  task<> loop() {
    for (;;) {
      term message = co_await receive();
      const auto f = message.is_tuple() ? message.as_tuple() : std::span<const term>();
      if (f.size() == 3 && f[0] == term("EXIT"_a) && f[1].is_pid()) {
        co_await exit_arrived(f[1].as_pid(), f[2]);
      } else if (f.size() == 3 && f[0] == term("$gen_call"_a)) {
        co_await handle_call(f[1], f[2]);
      } else if (f.size() == 2 && f[0] == term(try_again()) && f[1].is_small_integer()) {
        co_await retry(static_cast<std::uint64_t>(f[1].as_int()));
      } else {
        beam::log(log_level::error, fmt::format("DynamicSupervisor {} received unexpected message: {}",
                                                inspect(term(who_.self)), inspect(message)));
      }
    }
  }

 private:
  static atom try_again() { return "$dynamic_supervisor_try_again"_a; }

  // Stops every child at once and ends with `reason`.
  task<> stop(term reason) {
    std::vector<otp::stopping> running;
    for (const auto& [key, c] : children_) {
      if (c.running) running.push_back({*c.running, "undefined"_a, *c.spec.shutdown, c.spec.restart});
    }
    children_.clear();
    by_pid_.clear();
    co_await otp::stop_children(std::move(running), who_);
    beam::exit(std::move(reason));
  }

  task<> exit_arrived(pid from, term reason) {
    if (from == parent_) co_await stop(std::move(reason));
    auto found = by_pid_.find(from);
    if (found == by_pid_.end()) co_return;
    const std::uint64_t key = found->second;
    by_pid_.erase(found);
    child& c = children_.at(key);
    c.running.reset();
    if (!(otp::is_clean_exit(reason) && c.spec.restart != supervisor::restart_type::permanent)) {
      report(log_level::error, who_,
             {"child_terminated", "undefined"_a, from, reason, c.spec.restart, restarts_.count()});
    }
    if (!otp::should_restart(c.spec.restart, reason)) {
      children_.erase(key);
      co_return;
    }
    co_await restart(key, c, reason);
  }

  task<> retry(std::uint64_t key) {
    auto it = children_.find(key);
    if (it == children_.end() || it->second.running) co_return;  // terminated meanwhile
    co_await restart(key, it->second, it->second.last_error);
  }

  // Restarts the child `key` (counted against the intensity); a failed start is tried again later. `cause`:
  // why (its exit, or the error of its last start), for the reports.
  task<> restart(std::uint64_t key, child& c, term cause) {
    if (!restarts_.add()) {
      report(log_level::error, who_,
             {"shutdown", "undefined"_a, "restarting"_a, "reached_max_restart_intensity"_a, c.spec.restart,
              restarts_.count()});
      co_await stop("shutdown"_a);
    }
    try {
      c.running = co_await otp::start_child_process(c.spec);
    } catch (const beam::error& e) {
      c.last_error = e.reason();
      report(log_level::error, who_,
             {"start_error", "undefined"_a, "undefined"_a, e.reason(), c.spec.restart, restarts_.count()});
      send(who_.self, tuple(try_again(), static_cast<std::int64_t>(key)));
      co_return;
    }
    if (!c.running) {  // ignore: forgotten, as Elixir's
      children_.erase(key);
      co_return;
    }
    by_pid_.emplace(*c.running, key);
    report(log_level::info, who_,
           {"child_restarted", "undefined"_a, *c.running, cause, c.spec.restart, restarts_.count()});
  }

  task<> handle_call(const term& from, const term& request) {
    const auto f = request.is_tuple() ? request.as_tuple() : std::span<const term>();
    if (request == term("which_children"_a)) {
      reply(from, otp::ok(which_children()));
    } else if (request == term("count_children"_a)) {
      reply(from, otp::ok(count_children()));
    } else if (f.size() == 2 && f[0] == term("start_child"_a)) {
      reply(from, co_await start_child(f[1]));
    } else if (f.size() == 2 && f[0] == term("terminate_child"_a) && f[1].is_pid()) {
      reply(from, co_await terminate_child(f[1].as_pid()));
    } else {
      reply(from, otp::error_reply(tuple("unknown_request"_a, request)));
    }
  }

  [[nodiscard]] term which_children() const {
    std::vector<term> rows;
    for (const auto& [key, c] : children_) {
      rows.push_back(tuple("undefined"_a, c.running ? term(*c.running) : term("restarting"_a),
                           otp::type_atom(c.spec.type)));
    }
    return make_list(std::move(rows));
  }

  [[nodiscard]] term count_children() const {
    std::int64_t supervisors = 0;
    for (const auto& [key, c] : children_)
      supervisors += c.spec.type == supervisor::child_type::supervisor ? 1 : 0;
    const auto specs = static_cast<std::int64_t>(children_.size());
    return tuple(specs, static_cast<std::int64_t>(by_pid_.size()), supervisors, specs - supervisors);
  }

  task<term> start_child(const term& parked) {
    std::optional<child_spec> spec = otp::parked_spec::take(parked);
    if (!spec) co_return otp::error_reply("badarg"_a);  // the caller gave up before we got here
    if (opts_.max_children && static_cast<std::int64_t>(children_.size()) >= *opts_.max_children) {
      co_return otp::error_reply("max_children"_a);
    }
    std::optional<pid> started;
    try {
      started = co_await otp::start_child_process(*spec);
    } catch (const beam::error& e) {
      co_return otp::error_reply(e.reason());
    }
    if (!started) co_return otp::ok("undefined"_a);
    const std::uint64_t key = next_key_++;
    children_.emplace(key, child{std::move(*spec), started});
    by_pid_.emplace(*started, key);
    co_return otp::ok(*started);
  }

  task<term> terminate_child(pid target) {
    auto found = by_pid_.find(target);
    if (found == by_pid_.end()) co_return otp::error_reply("not_found"_a);
    const std::uint64_t key = found->second;
    by_pid_.erase(found);
    const child c = std::move(children_.at(key));
    children_.erase(key);
    std::vector<otp::stopping> one;  // (a braced list here trips GCC 12's coroutine lowering)
    one.push_back({target, "undefined"_a, *c.spec.shutdown, c.spec.restart});
    co_await otp::stop_children(std::move(one), who_);
    co_return otp::ok("ok"_a);
  }

  options opts_;
  otp::supervisor_identity who_;
  pid parent_;
  otp::restart_intensity restarts_;
  std::unordered_map<std::uint64_t, child> children_;
  std::unordered_map<pid, std::uint64_t> by_pid_;  // running children only
  std::uint64_t next_key_ = 0;
};

process dynamic_body(options opts, std::optional<process_name> name, pid starter, reference tag) {
  trap_exit(true);
  otp::register_or_exit(name, starter, tag);
  dynamic_sup sup(opts, {self(), name}, starter);
  otp::ack_start(starter, tag, otp::ok(self()));
  co_await sup.loop();
}

// Lazy: the checks throw when the start is awaited, as every other outcome of start_link.
task<pid> start(pid parent, std::optional<process_name> name, options opts) {
  try {
    otp::check_intensity(opts.max_restarts, opts.period);
    if (opts.max_children && *opts.max_children < 0) {
      throw beam::error(tuple("invalid_max_children"_a, *opts.max_children),
                        "dynamic_supervisor: max_children must be >= 0");
    }
  } catch (const beam::error& e) {
    otp::rethrow_wrapped("supervisor_data"_a, e);
  }
  const reference tag = reference::make();
  const pid sup = spawn_link(dynamic_body, opts, name, parent, tag);
  co_return co_await otp::await_start(sup, tag, monitor(sup));
}

}  // namespace

task<pid> start_link(options opts) {
  return start(self(), std::nullopt, opts);
}  // self(): throws outside a process
task<pid> start_link(process_name name, options opts) {
  return start(self(), std::move(name), opts);
}

task<start_result> start_child(supervisor_ref sup, child_spec spec) {
  return otp::request_start_child(sup, std::move(spec));
}

task<> terminate_child(supervisor_ref sup, pid child) {
  co_await otp::request(sup, tuple("terminate_child"_a, child), "terminate_child");
}

task<std::vector<child_info>> which_children(supervisor_ref sup) {
  return otp::request_which_children(sup);
}

task<child_counts> count_children(supervisor_ref sup) {
  return otp::request_count_children(sup);
}

}  // namespace beam::dynamic_supervisor
