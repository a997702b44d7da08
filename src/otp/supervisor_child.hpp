// otp/supervisor_child.hpp: what the static and the dynamic supervisor share: checking specs and flags,
// starting and stopping children, restart intensity, reports, the start_link handshake and the client side of
// requests.
//
// Concurrency: a supervisor's state lives in its own process and is touched by that process only; the one
// shared structure is the table of parked child specs (parked_spec), behind a mutex.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string_view>
#include <vector>

#include <beam/error.hpp>
#include <beam/logger.hpp>
#include <beam/reference.hpp>
#include <beam/supervisor.hpp>
#include <beam/term.hpp>
#include <beam/via.hpp>

namespace beam::otp {

using supervisor::child_spec;
using supervisor::child_type;
using supervisor::restart_type;
using supervisor::shutdown_spec;

// Who reports: the supervisor's pid and name.
struct supervisor_identity {
  pid self;
  std::optional<process_name> name;
};

// --- checks (caller side; each throws beam::error with OTP's reason) ---

// {invalid_intensity, N}, {invalid_period, Ms}: without the {supervisor_data, _} wrapper.
void check_intensity(std::int64_t intensity, std::chrono::milliseconds period);
// A spec's own fields, in OTP's order (id, start, restart, type, shutdown). Throws its reason without the
// {start_spec, _} wrapper.
void check_spec(const child_spec& spec);
// Fills in what a checked spec may leave out: the shutdown (5000 ms for a worker, infinity for a supervisor).
void fill_defaults(child_spec& spec);
// Throws beam::error(wrapper, Reason) for the reason of `e` (a check's beam::error).
[[noreturn]] void rethrow_wrapped(atom wrapper, const error& e);

// --- exit reasons ---

// normal, shutdown or {shutdown, _}: an exit that is no error for a transient or temporary child.
[[nodiscard]] bool is_clean_exit(const term& reason);
// Whether a child of this restart type that ended with `reason` is restarted.
[[nodiscard]] bool should_restart(restart_type restart, const term& reason);

// --- starting and stopping (supervisor process only) ---

// Runs the spec's start function. Returns the child or nullopt (ignore); throws beam::error(Reason) for a
// failed start (another exception becomes the reason {'EXIT', What}).
task<supervisor::start_result> start_child_process(const child_spec& spec);

// A child being stopped.
struct stopping {
  pid child;
  term id;
  shutdown_spec how;
  restart_type restart;
};
// Stops the children all at once (each: monitor, unlink, exit signal; kill when its shutdown time passes) and
// waits for each to end; a child that ends with another reason than expected gets a shutdown_error report.
task<> stop_children(std::vector<stopping> children, const supervisor_identity& who);

// --- restart intensity ---

// The restarts within the last `period`; more than `intensity` of them: give up. Supervisor process only.
class restart_intensity {
 public:
  restart_intensity(std::int64_t intensity, std::chrono::milliseconds period)
      : intensity_(intensity), period_(period) {}
  // Counts a restart now; false when that is one too many.
  [[nodiscard]] bool add();
  [[nodiscard]] std::int64_t count() const noexcept { return static_cast<std::int64_t>(times_.size()); }

 private:
  std::int64_t intensity_;
  std::chrono::milliseconds period_;
  std::deque<std::chrono::steady_clock::time_point> times_;  // oldest first
};

// --- reports ---

struct child_report {
  std::string_view context;  // child_terminated, start_error, child_restarted, shutdown, shutdown_error
  term child_id;
  term child_pid;  // a pid or `undefined`
  term reason;
  restart_type restart;
  std::int64_t restarts;
};
void report(log_level level, const supervisor_identity& who, const child_report& what);

// --- the start_link handshake ---

// Spawned supervisor side: tells the starter how the start went ({ok, self} or {error, Reason}).
void ack_start(const pid& starter, const reference& tag, term result);
// Starter side: waits for the ack of `sup` (monitored under `monitor_ref`); returns its pid or throws the
// reason.
task<pid> await_start(pid sup, reference tag, reference monitor_ref);
// Spawned side (a supervisor, a key registry), before anything else: takes `name` or acks {already_started,
// Pid} and exits normally.
void register_or_exit(const std::optional<process_name>& name, const pid& starter, const reference& tag);

// --- requests (the client side of beam::call with {ok, V} / {error, R} replies) ---

using supervisor::supervisor_ref;
// Calls `sup` with `message` (no timeout, as OTP's supervisor calls) and returns V of {ok, V}; throws
// beam::error(R) for {error, R}, naming `operation`.
task<term> request(supervisor_ref sup, term message, std::string_view operation);
[[nodiscard]] term ok(term value);
[[nodiscard]] term error_reply(term reason);

// Parks a child spec for a start_child request (a spec holds a C++ function, so it cannot travel in a term):
// the request carries the key, the supervisor takes the spec out. The destructor forgets a spec nobody took.
class parked_spec {
 public:
  explicit parked_spec(child_spec spec);
  ~parked_spec();
  parked_spec(const parked_spec&) = delete;
  parked_spec& operator=(const parked_spec&) = delete;
  [[nodiscard]] const reference& key() const noexcept { return key_; }
  // Supervisor side: the spec parked under `key`, if still there.
  [[nodiscard]] static std::optional<child_spec> take(const term& key);
  // Supervisor side: replaces the spec parked under `key` with `spec` (a reply too large for a term: the
  // caller parks an empty spec and takes it back after the reply); nothing when the caller is gone.
  static void put(const term& key, child_spec spec);

 private:
  reference key_;
};

// The rows of a which_children reply name the type with this atom.
[[nodiscard]] term type_atom(child_type type);

// The client side of the requests both kinds of supervisor answer alike.
task<supervisor::start_result> request_start_child(supervisor_ref sup, child_spec spec);
task<std::vector<supervisor::child_info>> request_which_children(supervisor_ref sup);
task<supervisor::child_counts> request_count_children(supervisor_ref sup);

}  // namespace beam::otp
