// otp/supervisor.cpp: the static supervisor (beam/supervisor.hpp), a process loop on the public API.
//
// The supervisor is one process that traps exits; its state (the children in start order, the restart times)
// is a local of its body, so nothing here is shared between threads. It answers API requests as a gen_server
// does (beam::call's {:"$gen_call", From, Request}, answered {ok, V} or {error, R}), and handles {'EXIT',
// Pid, R} from its children and from its parent. A restart whose start fails leaves the child `restarting`
// and queues {'$supervisor_try_again', Id} to itself, so requests and exits are served between tries (OTP's
// try_again_restart). Rejected: one process per child watching it (a watcher could miss the order of exits,
// and OTP has none), and a std::map of ids (static supervisors have few children; the vector keeps the start
// order that every strategy and the shutdown need).
#include <beam/supervisor.hpp>

#include <algorithm>
#include <span>
#include <utility>

#include <fmt/format.h>

#include <beam/error.hpp>
#include <beam/inspect.hpp>
#include <beam/logger.hpp>
#include <beam/monitor.hpp>
#include <beam/process_info.hpp>
#include <beam/receive.hpp>

#include "otp/supervisor_child.hpp"

namespace beam::supervisor {
namespace {

using namespace beam::literals;
using otp::report;

struct child {
  child_spec spec;
  std::optional<pid> running;
  bool restarting = false;
  term last_error{};  // why its last start failed, while it is restarting

  [[nodiscard]] const term& id() const { return *spec.id; }  // checked: every spec has one
  [[nodiscard]] term state() const {
    if (running) return *running;
    return restarting ? term("restarting"_a) : term("undefined"_a);
  }
};

class static_supervisor {
 public:
  static_supervisor(const flags& options, otp::supervisor_identity who, pid parent)
      : options_(options), who_(who), parent_(parent), restarts_(options.intensity, options.period) {}

  // Starts `specs` in order. On a failure: stops those started and returns {failed_to_start_child, Id,
  // Reason}.
  task<std::optional<term>> start_all(std::vector<child_spec> specs) {
    for (child_spec& spec : specs) children_.push_back({std::move(spec), std::nullopt});
    co_return co_await start_from(0);
  }

  // Serves requests and exits until the supervisor ends.
  task<> loop() {
    for (;;) {
      term message = co_await receive();
      if (is_exit(message)) {
        co_await exit_arrived(message.as_tuple()[1].as_pid(), message.as_tuple()[2]);
      } else if (is_call(message)) {
        co_await handle_call(message.as_tuple()[1], message.as_tuple()[2]);
      } else if (message.is_tuple() && message.as_tuple().size() == 2 &&
                 message.as_tuple()[0] == term(try_again())) {
        co_await try_again_arrived(message.as_tuple()[1]);
      } else {
        beam::log(log_level::error, fmt::format("Supervisor {} received unexpected message: {}",
                                                inspect(term(who_.self)), inspect(message)));
      }
    }
  }

  // Stops every child (reverse start order) and ends the supervisor with `reason`.
  task<> stop(term reason) {
    co_await stop_all();
    beam::exit(std::move(reason));
  }
  task<> stop_all() { co_await stop_range(0); }

 private:
  static atom try_again() { return "$supervisor_try_again"_a; }

  static bool is_exit(const term& m) {
    return m.is_tuple() && m.as_tuple().size() == 3 && m.as_tuple()[0] == term("EXIT"_a) &&
           m.as_tuple()[1].is_pid();
  }
  static bool is_call(const term& m) {
    return m.is_tuple() && m.as_tuple().size() == 3 && m.as_tuple()[0] == term("$gen_call"_a);
  }

  auto find_id(const term& id) {
    return std::find_if(children_.begin(), children_.end(), [&](const child& c) { return c.id() == id; });
  }

  // Starts the children from `first` on, in order; the first failure stops the children started and gives
  // {failed_to_start_child, Id, Reason} (with a start_error report).
  task<std::optional<term>> start_from(std::size_t first) {
    for (std::size_t i = first; i < children_.size(); ++i) {
      child& c = children_[i];
      try {
        c.running = co_await otp::start_child_process(c.spec);
        c.restarting = false;
      } catch (const beam::error& e) {
        c.running.reset();
        report(log_level::error, who_, {"start_error", c.id(), "undefined"_a, e.reason(), c.spec.restart, 0});
        co_return tuple("failed_to_start_child"_a, c.id(), e.reason());
      }
    }
    co_return std::nullopt;
  }

  // Stops the running children from `first` on, last started first; temporary ones are forgotten.
  task<> stop_range(std::size_t first) {
    for (std::size_t i = children_.size(); i-- > first;) co_await stop_child(children_[i]);
    const auto temporary = [](const child& c) { return c.spec.restart == restart_type::temporary; };
    children_.erase(
        std::remove_if(children_.begin() + static_cast<std::ptrdiff_t>(first), children_.end(), temporary),
        children_.end());
  }

  task<> stop_child(child& c) {
    c.restarting = false;
    if (!c.running) co_return;
    const pid running = *std::exchange(c.running, std::nullopt);
    std::vector<otp::stopping> one;  // (a braced list here trips GCC 12's coroutine lowering)
    one.push_back({running, c.id(), *c.spec.shutdown, c.spec.restart});
    co_await otp::stop_children(std::move(one), who_);
  }

  task<> exit_arrived(pid from, term reason) {
    if (from == parent_) co_await stop(std::move(reason));
    auto it =
        std::find_if(children_.begin(), children_.end(), [&](const child& c) { return c.running == from; });
    if (it == children_.end()) co_return;  // a process that is no longer a child
    it->running.reset();
    const restart_type restart = it->spec.restart;
    const bool clean = otp::is_clean_exit(reason);
    if (!(clean && restart != restart_type::permanent)) {
      report(log_level::error, who_,
             {"child_terminated", it->id(), from, reason, restart, restarts_.count()});
    }
    if (!otp::should_restart(restart, reason)) {
      if (restart == restart_type::temporary) children_.erase(it);
      co_return;
    }
    co_await restart_by_strategy(static_cast<std::size_t>(it - children_.begin()), reason);
  }

  // Restarts children_[index] after the strategy, counting the restart against the intensity. `cause`: why
  // (the exit of the child, or the error of its last start), for the reports.
  task<> restart_by_strategy(std::size_t index, term cause) {
    if (!restarts_.add()) {
      const child& c = children_[index];
      report(log_level::error, who_,
             {"shutdown", c.id(), c.state(), "reached_max_restart_intensity"_a, c.spec.restart,
              restarts_.count()});
      co_await stop("shutdown"_a);
    }
    std::size_t first = index;
    if (options_.strategy == restart_strategy::one_for_all) first = 0;
    if (options_.strategy != restart_strategy::one_for_one) co_await stop_range(first);
    const std::size_t last =
        options_.strategy == restart_strategy::one_for_one ? index + 1 : children_.size();
    for (std::size_t i = first; i < last; ++i) {
      if (!co_await restart_one(children_[i], cause)) {
        children_[i].restarting = true;
        send(who_.self, tuple(try_again(), children_[i].id()));
        co_return;
      }
    }
  }

  // One start of a restart, with its report; false when it failed.
  task<bool> restart_one(child& c, const term& cause) {
    try {
      c.running = co_await otp::start_child_process(c.spec);
      c.restarting = false;
      report(log_level::info, who_,
             {"child_restarted", c.id(), c.running ? term(*c.running) : term("undefined"_a), cause,
              c.spec.restart, restarts_.count()});
      co_return true;
    } catch (const beam::error& e) {
      c.last_error = e.reason();
      report(log_level::error, who_,
             {"start_error", c.id(), "undefined"_a, e.reason(), c.spec.restart, restarts_.count()});
    }
    co_return false;
  }

  task<> try_again_arrived(const term& id) {
    auto it = find_id(id);
    if (it == children_.end() || !it->restarting) co_return;  // terminated or deleted meanwhile
    co_await restart_by_strategy(static_cast<std::size_t>(it - children_.begin()), it->last_error);
  }

  task<> handle_call(const term& from, const term& request) {
    const auto fields = request.is_tuple() ? request.as_tuple() : std::span<const term>();
    if (request == term("which_children"_a)) {
      reply(from, otp::ok(which_children()));
    } else if (request == term("count_children"_a)) {
      reply(from, otp::ok(count_children()));
    } else if (fields.size() == 2 && fields[0] == term("start_child"_a)) {
      reply(from, co_await start_child(fields[1]));
    } else if (fields.size() == 2 && fields[0] == term("terminate_child"_a)) {
      reply(from, co_await terminate_child(fields[1]));
    } else if (fields.size() == 2 && fields[0] == term("restart_child"_a)) {
      reply(from, co_await restart_child(fields[1]));
    } else if (fields.size() == 2 && fields[0] == term("delete_child"_a)) {
      reply(from, delete_child(fields[1]));
    } else if (fields.size() == 3 && fields[0] == term("get_childspec"_a)) {
      reply(from, get_childspec(fields[1], fields[2]));
    } else {
      reply(from, otp::error_reply(tuple("unknown_request"_a, request)));
    }
  }

  [[nodiscard]] term which_children() const {
    std::vector<term> rows;
    for (auto it = children_.rbegin(); it != children_.rend(); ++it) {
      rows.push_back(tuple(it->id(), it->state(), otp::type_atom(it->spec.type)));
    }
    return make_list(std::move(rows));
  }

  // As OTP's: `active` counts the children alive now, so a child that has ended before its exit was handled
  // is not active; `supervisors` and `workers` count the specs, running or not.
  [[nodiscard]] term count_children() const {
    std::int64_t active = 0, supervisors = 0;
    for (const child& c : children_) {
      active += c.running && alive(*c.running) ? 1 : 0;
      supervisors += c.spec.type == child_type::supervisor ? 1 : 0;
    }
    const auto specs = static_cast<std::int64_t>(children_.size());
    return tuple(specs, active, supervisors, specs - supervisors);
  }

  task<term> start_child(const term& key) {
    std::optional<child_spec> spec = otp::parked_spec::take(key);
    if (!spec) co_return otp::error_reply("badarg"_a);  // the caller gave up before we got here
    if (auto it = find_id(*spec->id); it != children_.end()) {
      co_return otp::error_reply(it->running ? tuple("already_started"_a, *it->running)
                                             : term("already_present"_a));
    }
    try {
      std::optional<pid> started = co_await otp::start_child_process(*spec);
      if (started || spec->restart != restart_type::temporary)
        children_.push_back({std::move(*spec), started});
      co_return otp::ok(started ? term(*started) : term("undefined"_a));
    } catch (const beam::error& e) {
      co_return otp::error_reply(tuple(e.reason(), *spec->id));
    }
  }

  task<term> terminate_child(const term& id) {
    auto it = find_id(id);
    if (it == children_.end()) co_return otp::error_reply("not_found"_a);
    co_await stop_child(*it);
    it = find_id(id);  // stopping received messages, but nothing else changed the children
    if (it->spec.restart == restart_type::temporary) children_.erase(it);
    co_return otp::ok("ok"_a);
  }

  task<term> restart_child(const term& id) {
    auto it = find_id(id);
    if (it == children_.end()) co_return otp::error_reply("not_found"_a);
    if (it->running) co_return otp::error_reply("running"_a);
    if (it->restarting) co_return otp::error_reply("restarting"_a);
    try {
      std::optional<pid> started = co_await otp::start_child_process(it->spec);
      find_id(id)->running = started;
      co_return otp::ok(started ? term(*started) : term("undefined"_a));
    } catch (const beam::error& e) {
      co_return otp::error_reply(e.reason());
    }
  }

  // Puts a copy of the spec of `id` in the caller's slot.
  term get_childspec(const term& id, const term& slot) {
    auto it = find_id(id);
    if (it == children_.end()) return otp::error_reply("not_found"_a);
    otp::parked_spec::put(slot, it->spec);
    return otp::ok("ok"_a);
  }

  term delete_child(const term& id) {
    auto it = find_id(id);
    if (it == children_.end()) return otp::error_reply("not_found"_a);
    if (it->running) return otp::error_reply("running"_a);
    if (it->restarting) return otp::error_reply("restarting"_a);
    children_.erase(it);
    return otp::ok("ok"_a);
  }

  flags options_;
  otp::supervisor_identity who_;
  pid parent_;
  otp::restart_intensity restarts_;
  std::vector<child> children_;  // in start order
};

// The supervisor once its flags and specs are checked: starts the children, acks the start, serves.
task<> serve(const detail::start_context& ctx, const flags& options, std::vector<child_spec> specs) {
  static_supervisor sup(options, {self(), ctx.name}, ctx.starter);
  if (std::optional<term> failure = co_await sup.start_all(std::move(specs))) {
    const term reason = tuple("shutdown"_a, *failure);
    co_await sup.stop_all();
    detail::init_failed(ctx, reason);
  }
  otp::ack_start(ctx.starter, ctx.tag, otp::ok(self()));
  co_await sup.loop();
}

process supervisor_body(detail::start_context ctx, flags options, std::vector<child_spec> specs) {
  detail::begin(ctx);
  co_await serve(ctx, options, std::move(specs));
}

// Each spec's fields, then its id against those before it, as OTP's check_startspec. Throws the first
// reason found, without the {start_spec, _} wrapper.
void check_specs(std::span<const child_spec> specs) {
  for (std::size_t i = 0; i < specs.size(); ++i) {
    otp::check_spec(specs[i]);
    for (std::size_t j = 0; j < i; ++j) {
      if (specs[j].id == specs[i].id) {
        throw beam::error(tuple("duplicate_child_name"_a, *specs[i].id),
                          fmt::format("supervisor: two children have the id {}", inspect(*specs[i].id)));
      }
    }
  }
}

// Checks the flags and specs in the caller, so a misuse is thrown before any process exists; fills in the
// specs' defaults.
void check_start(const flags& options, std::vector<child_spec>& specs) {
  try {
    const auto strategy = static_cast<int>(options.strategy);
    if (strategy < 0 || strategy > static_cast<int>(restart_strategy::rest_for_one)) {
      throw beam::error(tuple("invalid_strategy"_a, strategy), "supervisor: unknown restart strategy");
    }
    otp::check_intensity(options.intensity, options.period);
  } catch (const beam::error& e) {
    otp::rethrow_wrapped("supervisor_data"_a, e);
  }
  try {
    check_specs(specs);
  } catch (const beam::error& e) {
    otp::rethrow_wrapped("start_spec"_a, e);
  }
  for (child_spec& spec : specs) otp::fill_defaults(spec);
}

// Lazy: the checks throw when the start is awaited, as every other outcome of start_link.
task<pid> start(detail::start_context ctx, flags options, std::vector<child_spec> children) {
  check_start(options, children);
  const pid sup = spawn_link(supervisor_body, ctx, options, std::move(children));
  co_return co_await detail::await_start(sup, ctx);
}

}  // namespace

namespace detail {

start_context make_start_context(const start_options& options) {
  return {self(), reference::make(), options.name};  // self(): throws outside a process
}

task<pid> await_start(pid sup, const start_context& ctx) {
  return otp::await_start(sup, ctx.tag, monitor(sup));
}

void begin(const start_context& ctx) {
  trap_exit(true);
  otp::register_or_exit(ctx.name, ctx.starter, ctx.tag);
}

void init_failed(const start_context& ctx, term reason) {
  otp::ack_start(ctx.starter, ctx.tag, otp::error_reply(reason));
  beam::exit(std::move(reason));
}

task<> run(const start_context& ctx, init_result result) {
  if (!result) {  // OTP's ignore: start_link throws `ignore`, the supervisor ends quietly
    otp::ack_start(ctx.starter, ctx.tag, otp::error_reply("ignore"_a));
    beam::exit("normal"_a);
  }
  try {
    check_start(result->options, result->children);
  } catch (const beam::error& e) {
    init_failed(ctx, e.reason());
  }
  co_await serve(ctx, result->options, std::move(result->children));
}

}  // namespace detail

task<pid> start_link(flags options, std::vector<child_spec> children) {
  return start(detail::make_start_context({}), options, std::move(children));
}

task<pid> start_link(process_name name, flags options, std::vector<child_spec> children) {
  return start(detail::make_start_context({.name = std::move(name)}), options, std::move(children));
}

task<std::vector<child_info>> which_children(supervisor_ref sup) {
  return otp::request_which_children(sup);
}

task<child_counts> count_children(supervisor_ref sup) {
  return otp::request_count_children(sup);
}

std::optional<term> check_childspecs(std::span<const child_spec> specs) {
  try {
    check_specs(specs);
  } catch (const beam::error& e) {
    return e.reason();
  }
  return std::nullopt;
}

task<child_spec> get_childspec(supervisor_ref sup, term id) {
  const otp::parked_spec slot(child_spec{});  // the supervisor puts a copy of the spec here
  co_await otp::request(sup, tuple("get_childspec"_a, std::move(id), slot.key()), "get_childspec");
  co_return std::move(*otp::parked_spec::take(slot.key()));
}

task<start_result> start_child(supervisor_ref sup, child_spec spec) {
  return otp::request_start_child(sup, std::move(spec));
}

task<> terminate_child(supervisor_ref sup, term id) {
  co_await otp::request(sup, tuple("terminate_child"_a, std::move(id)), "terminate_child");
}

task<start_result> restart_child(supervisor_ref sup, term id) {
  const term started = co_await otp::request(sup, tuple("restart_child"_a, std::move(id)), "restart_child");
  co_return started.is_pid() ? start_result(started.as_pid()) : ignore;
}

task<> delete_child(supervisor_ref sup, term id) {
  co_await otp::request(sup, tuple("delete_child"_a, std::move(id)), "delete_child");
}

}  // namespace beam::supervisor
