// beam/supervisor.hpp: supervisors (OTP 25's supervisor module): a process that starts children, watches them
// and restarts them after a strategy, so a crash is repaired without the rest of the program knowing.
//
//   namespace sup = beam::supervisor;
//   beam::pid tree = co_await sup::start_link(
//       {.strategy = sup::restart_strategy::one_for_one, .intensity = 3, .period = std::chrono::seconds(5)},
//       sup::child_specs(
//           sup::worker("cache"_a, cache_loop),                        // start: spawn_link(cache_loop)
//           sup::worker("db"_a, db_loop, "localhost").with_restart(sup::restart_type::transient),
//           sup::child_spec{.id = "jobs"_a,
//                           .start = sup::from_start_link([] { return sup::start_link({}, {}); }),
//                           .type = sup::child_type::supervisor}));
//   std::vector<sup::child_info> children = co_await sup::which_children(tree);
//
// A supervisor may also be a type whose init() returns its flags and children, as an OTP callback module with
// -behaviour(supervisor): sup::start_link<M>(args...), see "a supervisor defined by a type" below.
//
// A child spec names the child (`id`, any term, unique in its supervisor) and how to start it: `start` is a
// coroutine run inside the supervisor process that returns the pid of a new child *linked to the supervisor*
// (spawn_link, or a behaviour's start_link), or sup::ignore; it throws beam::error(R) for OTP's {error, R}.
// It is called in place, so it may keep state between starts (a counter, a seed). `restart`: permanent
// (always restarted), transient (restarted only after an abnormal exit: not `normal`, `shutdown` nor
// {shutdown, _}), temporary (never restarted, and forgotten when it ends). `shutdown`: how the child is
// stopped: sup::brutal_kill (exit(child, kill)), a timeout (exit(child, shutdown), then kill if it has not
// ended in time) or beam::infinity; by default 5000 ms for a worker and infinity for a supervisor, as in OTP.
//
// The supervisor traps exits. It starts the children in order, each start waiting for the previous one, and
// stops them in reverse order (each: monitor, unlink, exit signal, wait for the DOWN). When a child ends, the
// strategy decides: one_for_one restarts that child; one_for_all stops all the others (last started first)
// and restarts them all in order; rest_for_one does so with the children started after it. More than
// `intensity` restarts within `period` make the supervisor stop every child and exit with reason `shutdown`
// (after a reached_max_restart_intensity report), so that its own supervisor decides. An exit signal from the
// process that started it (its parent) makes it stop its children and exit with that reason. A restart whose
// start fails is tried again (the child reads `restarting` meanwhile), each try counting as a restart.
//
// Reports: one line each through beam::log (see <beam/logger.hpp>), after OTP's SASL supervisor reports, e.g.
//   SUPERVISOR REPORT context=child_terminated supervisor=#PID<0.80.0> name=:kv_sup child=:worker
//   pid=#PID<0.85.0> reason=:boom restart=permanent restarts=1              (one line, wrapped here)
// `context`: child_terminated (a child ended and its restart type makes that an error), start_error (a start
// failed), child_restarted (info level; `pid` is the new child, `reason` why it was restarted), shutdown
// (reason reached_max_restart_intensity: the supervisor gives up) or shutdown_error (a child that was stopped
// ended with another reason than the one it was sent). `restarts`: the restarts within the current period,
// the figure that is compared with `intensity`.
//
// Errors, with OTP's reasons (beam::error carries the reason term; what() says it in words):
// - start_link: a bad flag gives {supervisor_data, {invalid_intensity | invalid_period | invalid_strategy,
//   V}}; a bad child spec {start_spec, R}, R being (checked in OTP's order, see check_childspecs) missing_id
//   (no id), missing_start (no start function), {invalid_restart_type, N}, {invalid_child_type, N},
//   {invalid_shutdown, Ms} or {duplicate_child_name, Id}. A child that fails to start makes the supervisor
//   stop the children already started and exit with {shutdown, {failed_to_start_child, Id, Reason}}, which
//   start_link throws; as in OTP 25 that exit also reaches the caller through the link (a caller that does
//   not trap exits dies with it). A name already taken: {already_started, Pid}.
// - start_child: already_present (a stopped child has that id), {already_started, Pid}, a bad spec's reason
//   (without the start_spec wrapper), or {Reason, Id} when the start fails.
// - terminate_child, restart_child, delete_child, get_childspec: not_found; restart_child and delete_child:
//   running, restarting. terminate_child of a child already stopped is ok, as OTP's.
// - every call: as beam::call, {noproc, {gen_server, call, [Sup, Request, infinity]}} when the supervisor
//   does not exist, {Reason, {gen_server, call, ...}} with its exit reason if it ends first.
//
// Where C++ differs from OTP: `period` is any positive duration (OTP: whole seconds); start_link(flags,
// children) checks the flags and specs in the caller, before the supervisor is spawned (the error still comes
// from the co_await; a supervisor type's init is checked in the supervisor, as OTP's); a failed
// start_child gives {Reason, Id} where OTP gives {Reason, ChildSpec} (a C++ spec is not a term); there are no
// `modules` nor `significant` fields and no auto_shutdown; the dynamic supervisor (simple_one_for_one's
// successor, Elixir's DynamicSupervisor) is a separate type, beam::dynamic_supervisor. With GCC 12, pass the
// specs through sup::child_specs(...): a braced list inside a co_await expression trips a GCC 12 bug.
//
// All calls but check_childspecs are process-only: outside a process they throw std::logic_error.
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <beam/atom.hpp>
#include <beam/call.hpp>
#include <beam/detail/task_traits.hpp>
#include <beam/error.hpp>
#include <beam/link.hpp>
#include <beam/pid.hpp>
#include <beam/process.hpp>
#include <beam/reference.hpp>
#include <beam/term.hpp>
#include <beam/via.hpp>

namespace beam::supervisor {

enum class restart_strategy { one_for_one, one_for_all, rest_for_one };
enum class restart_type { permanent, transient, temporary };
enum class child_type { worker, supervisor };

// How a child is stopped: brutal_kill, or exit(child, shutdown) and a kill after `timeout` (beam::infinity:
// never).
class shutdown_spec {
 public:
  template <class Rep, class Period>
  constexpr shutdown_spec(std::chrono::duration<Rep, Period> timeout) noexcept  // NOLINT: implicit, `= 500ms`
      : timeout_(std::chrono::duration_cast<std::chrono::milliseconds>(timeout)) {}
  [[nodiscard]] static constexpr shutdown_spec brutal_kill() noexcept { return shutdown_spec(); }

  [[nodiscard]] constexpr bool is_brutal_kill() const noexcept { return brutal_kill_; }
  [[nodiscard]] constexpr bool is_infinity() const noexcept {
    return !brutal_kill_ && timeout_ == beam::infinity;
  }
  [[nodiscard]] constexpr std::chrono::milliseconds timeout() const noexcept { return timeout_; }

 private:
  constexpr shutdown_spec() noexcept : timeout_(0), brutal_kill_(true) {}
  std::chrono::milliseconds timeout_;
  bool brutal_kill_ = false;
};
inline constexpr shutdown_spec brutal_kill = shutdown_spec::brutal_kill();

// What a start function gives: the new child, or nullopt for OTP's `ignore` (nothing started; a non-temporary
// spec is kept, as a stopped child).
using start_result = std::optional<pid>;
inline constexpr std::nullopt_t ignore = std::nullopt;
using start_function = std::function<task<start_result>()>;

struct child_spec {
  std::optional<term> id{};  // required (OTP's missing_id without it); any term, unique in its supervisor
  start_function start{};
  restart_type restart = restart_type::permanent;
  std::optional<shutdown_spec> shutdown{};  // nullopt: 5000 ms for a worker, infinity for a supervisor
  child_type type = child_type::worker;

  [[nodiscard]] child_spec with_restart(restart_type r) && {
    restart = r;
    return std::move(*this);
  }
  [[nodiscard]] child_spec with_shutdown(shutdown_spec s) && {
    shutdown = s;
    return std::move(*this);
  }
};

// The common case: a child that is a plain process body, started with spawn_link(body, args...).
template <class F, class... Args>
requires std::is_invocable_r_v < process, std::decay_t<F>
&, std::decay_t<Args>&... > [[nodiscard]] child_spec worker(term id, F body, Args... args) {
  return {.id = std::move(id),
          .start = [body = std::move(body), ... args = std::move(args)]() -> task<start_result> {
            co_return spawn_link(body, args...);
          }};
}

// A start function that returns task<pid> (a behaviour's start_link, e.g. gen_server::start_link), as a
// start_function. Its beam::error(ignore) (a gen_server whose init returned ignore()) is OTP's `ignore`.
template <class F>
requires std::is_invocable_r_v<task<pid>, F&> [[nodiscard]] start_function from_start_link(F start) {
  return [start = std::move(start)]() mutable -> task<start_result> {
    try {
      co_return co_await start();
    } catch (const beam::error& e) {
      if (!e.reason().is_atom(atom("ignore"))) throw;
    }
    co_return ignore;
  };
}

struct flags {
  restart_strategy strategy = restart_strategy::one_for_one;
  std::int64_t intensity = 1;                                  // restarts allowed within `period` (>= 0)
  std::chrono::milliseconds period = std::chrono::seconds(5);  // > 0
};

// The vector of specs, from specs: `sup::child_specs(a, b)`. Within a co_await expression, GCC 12 miscompiles
// a braced list of specs (`co_await start_link({}, {a, b})` fails with "array used as initializer"); this
// does not.
template <class... Specs>
requires(std::is_convertible_v<Specs, child_spec>&&...)
    [[nodiscard]] std::vector<child_spec> child_specs(Specs&&... specs) {
  std::vector<child_spec> all;
  all.reserve(sizeof...(Specs));
  (all.push_back(std::forward<Specs>(specs)), ...);
  return all;
}

// A supervisor, by pid, by registered name or by via name (looked up at each call; nobody under it: noproc).
using supervisor_ref = std::variant<pid, atom, via>;

// Spawns a linked supervisor, starts `children` in order and returns its pid once they all started. With
// `name` (an atom or a via name), the supervisor registers itself under it first. Errors: see the top of this
// header.
[[nodiscard]] task<pid> start_link(flags options, std::vector<child_spec> children);
[[nodiscard]] task<pid> start_link(process_name name, flags options, std::vector<child_spec> children);

struct child_info {
  term id{};
  term child;  // the pid, or the atom `undefined` (stopped) or `restarting` (a restart failed; retried), as
               // OTP
  child_type type;
};
// The children, newest first (as OTP lists them).
[[nodiscard]] task<std::vector<child_info>> which_children(supervisor_ref sup);

// OTP's count_children. A static supervisor counts as OTP's supervisor; a dynamic one as Elixir's
// DynamicSupervisor (specs: its children; OTP's simple_one_for_one says 1).
struct child_counts {
  std::int64_t specs;        // every child spec, running or not
  std::int64_t active;       // children alive now (one that ended before its exit was handled is not)
  std::int64_t supervisors;  // specs of type supervisor
  std::int64_t workers;      // specs of type worker
  friend bool operator==(const child_counts&, const child_counts&) = default;
};
[[nodiscard]] task<child_counts> count_children(supervisor_ref sup);

// Adds and starts a child (last in the start order). Returns its pid, or nullopt when its start said ignore.
[[nodiscard]] task<start_result> start_child(supervisor_ref sup, child_spec spec);
// Stops the child `id` (its spec stays, but a temporary child's is forgotten); a child already stopped (still
// listed, `undefined`) is no error, as in OTP. Throws not_found.
[[nodiscard]] task<> terminate_child(supervisor_ref sup, term id);
// Starts a stopped child again. Returns its pid or nullopt (ignore). Throws running, restarting, not_found.
[[nodiscard]] task<start_result> restart_child(supervisor_ref sup, term id);
// Forgets a stopped child's spec. Throws running, restarting, not_found.
[[nodiscard]] task<> delete_child(supervisor_ref sup, term id);
// A copy of the spec of the child `id`, its defaults filled in (the shutdown), as OTP's get_childspec. Throws
// not_found.
[[nodiscard]] task<child_spec> get_childspec(supervisor_ref sup, term id);

// --- a supervisor defined by a type (OTP's -behaviour(supervisor) with init/1) ---
//
//   struct kv_sup {
//     beam::pid cache_owner;
//     explicit kv_sup(beam::pid owner) : cache_owner(owner) {}   // start_link's arguments: the constructor's
//     sup::init_result init() {                                   // or beam::task<sup::init_result> init()
//       return sup::init_spec{.options = {.strategy = sup::restart_strategy::one_for_all},
//                             .children = sup::child_specs(sup::worker("cache"_a, cache_loop, cache_owner))};
//     }
//   };
//   beam::pid tree = co_await sup::start_link<kv_sup>({.name = "kv_sup"_a}, owner);   // the options may go
//
// start_link<M>(options, args...) spawns the supervisor, which traps exits, registers options.name, builds
// M(args...) and runs its init() in the new process (so init may call, receive, ...), then checks and starts
// what init returned exactly as start_link(flags, children) does; co_await gives its pid once the children
// have started. The M object lives as long as the supervisor (a start function may refer to it). Outcomes,
// as OTP 25's: init returns sup::ignore: the supervisor exits with `normal` and start_link throws
// beam::error(ignore) (OTP returns the atom; from_start_link turns it back into a child's ignore); bad flags
// or specs ({supervisor_data, _}, {start_spec, _}), a child that fails to start or init throwing (its exit
// reason, as a process body's): the supervisor exits with that reason, which start_link throws (a linked
// caller that does not trap exits dies with it, as in OTP). Here, unlike start_link(flags, children), the
// checks run in the supervisor, as OTP's.

// What a supervisor type's init returns: OTP's {ok, {SupFlags, ChildSpecs}}, or sup::ignore (nullopt).
struct init_spec {
  flags options{};
  std::vector<child_spec> children{};
};
using init_result = std::optional<init_spec>;

struct start_options {
  std::optional<process_name> name = std::nullopt;  // registers the supervisor under this name (atom or via)
};

namespace detail {

// What the supervisor process knows of its start.
struct start_context {
  pid starter;  // its parent
  reference tag;
  std::optional<process_name> name;
};
// Starter side: a context for a start by the calling process (std::logic_error outside a process).
[[nodiscard]] start_context make_start_context(const start_options& options);
// Starter side: monitors `sup` now and waits for its ack; throws the reason of a failed start.
[[nodiscard]] task<pid> await_start(pid sup, const start_context& ctx);
// Supervisor side, first: traps exits and registers the name (taken: acks {already_started, Pid}, exits).
void begin(const start_context& ctx);
// Supervisor side, when its start fails (init threw, bad flags or specs, a child's start failed): acks
// {error, reason} and exits with `reason`.
[[noreturn]] void init_failed(const start_context& ctx, term reason);
// Supervisor side, after init: ignore, or checks the flags and specs, starts the children, acks and serves
// until the supervisor ends. Never returns.
task<> run(const start_context& ctx, init_result result);

template <class M, class... Args>
process module_body(const start_context& ctx, Args&... args) {
  begin(ctx);
  std::optional<M> instance;  // lives as long as the supervisor
  init_result result;
  std::exception_ptr crash;
  try {
    instance.emplace(std::move(args)...);
    if constexpr (beam::detail::is_task_v<decltype(instance->init())>) {
      result = co_await instance->init();
    } else {
      result = instance->init();
    }
  } catch (...) {
    crash = std::current_exception();
  }
  if (crash) init_failed(ctx, exit_reason_of(crash));
  co_await run(ctx, std::move(result));
}

template <class M, class... Args>
task<pid> start_module(const start_options& options, Args&&... args) {
  static_assert(std::is_constructible_v<M, std::decay_t<Args>&&...>,
                "supervisor::start_link<M>(args...): M must be constructible from the arguments");
  static_assert(
      requires(M & m) { m.init(); }, "supervisor::start_link<M>: M needs an init()");
  const start_context ctx = make_start_context(options);
  const pid sup = spawn_link(&module_body<M, std::decay_t<Args>...>, ctx, std::forward<Args>(args)...);
  return await_start(sup, ctx);
}

template <class T>
concept not_options = !std::same_as<std::remove_cvref_t<T>, start_options>;

}  // namespace detail

// Spawns a linked supervisor defined by the type M (see above) and waits until its children have started.
template <class M, class... Args>
[[nodiscard]] task<pid> start_link(const start_options& options, Args&&... args) {
  return detail::start_module<M>(options, std::forward<Args>(args)...);
}
template <class M, class First, class... Args>
requires detail::not_options<First>
[[nodiscard]] task<pid> start_link(First&& first, Args&&... args) {
  return detail::start_module<M>({}, std::forward<First>(first), std::forward<Args>(args)...);
}
template <class M>
[[nodiscard]] task<pid> start_link() {
  return detail::start_module<M>({});
}

// OTP's check_childspecs: nullopt when `specs` would start a supervisor (OTP's ok), else the Error of OTP's
// {error, Error}: the first spec's reason (missing_id, missing_start, ...) or {duplicate_child_name, Id}.
// Any thread; starts nothing.
[[nodiscard]] std::optional<term> check_childspecs(std::span<const child_spec> specs);

}  // namespace beam::supervisor
