// beam/dynamic_supervisor.hpp: dynamic supervisors (Elixir 1.14's DynamicSupervisor, the successor of OTP's
// simple_one_for_one), for children started on demand, e.g. one per client. A separate type from
// beam::supervisor: it starts with no children, knows them by pid, and restarts each alone (one_for_one).
//
//   namespace dyn = beam::dynamic_supervisor;
//   beam::pid clients = co_await dyn::start_link({.max_children = 1000});
//   std::optional<beam::pid> c =
//       co_await dyn::start_child(clients, beam::supervisor::worker("client"_a, session, socket));
//   co_await dyn::terminate_child(clients, *c);
//
// The child specs are beam::supervisor::child_spec (see <beam/supervisor.hpp> for start, restart and
// shutdown); the id is required, as Elixir's, but not used (which_children lists `undefined`, as Elixir).
// Restarts, the intensity give-up (reason `shutdown`, after a reached_max_restart_intensity report), the
// parent's exit and the reports work as in beam::supervisor. When it ends, the dynamic supervisor stops all
// its children at once and waits for each (their order is not defined, as Elixir's).
//
// Errors (beam::error with Elixir's reasons): start_link: {supervisor_data, {invalid_intensity, N}},
// {supervisor_data, {invalid_period, Ms}}, {supervisor_data, {invalid_max_children, N}}, {already_started,
// Pid}; start_child: max_children (that many children already), a bad spec's reason ({invalid_shutdown, Ms},
// missing_id, ...: the static supervisor's, where Elixir gives {invalid_child_spec, Spec}), or the reason its
// start threw; terminate_child: not_found (not a child). A restart ignores
// max_children, as Elixir's. All calls are process-only: outside a process they throw std::logic_error.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include <beam/atom.hpp>
#include <beam/pid.hpp>
#include <beam/process.hpp>
#include <beam/supervisor.hpp>
#include <beam/via.hpp>

namespace beam::dynamic_supervisor {

using supervisor::child_counts;
using supervisor::child_info;
using supervisor::child_spec;
using supervisor::start_result;
using supervisor::supervisor_ref;

struct options {
  std::int64_t max_restarts = 3;  // Elixir's defaults: 3 restarts in 5 s
  std::chrono::milliseconds period = std::chrono::seconds(5);
  std::optional<std::int64_t> max_children{};  // nullopt: no limit (:infinity); else >= 0
};

// Spawns a linked dynamic supervisor (registered as `name`, an atom or a via name, when given) and returns
// its pid.
[[nodiscard]] task<pid> start_link(options opts = {});
[[nodiscard]] task<pid> start_link(process_name name, options opts = {});

// Starts a child. Returns its pid, or nullopt when its start said ignore (nothing is kept).
[[nodiscard]] task<start_result> start_child(supervisor_ref sup, child_spec spec);
// Stops the child `child` and forgets it. Throws not_found when it is not a child of `sup`.
[[nodiscard]] task<> terminate_child(supervisor_ref sup, pid child);
// The children ({undefined, pid | restarting, type}), in no defined order.
[[nodiscard]] task<std::vector<child_info>> which_children(supervisor_ref sup);
[[nodiscard]] task<child_counts> count_children(supervisor_ref sup);

}  // namespace beam::dynamic_supervisor
