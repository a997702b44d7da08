// beam/process_info.hpp: introspection of processes and of the runtime (Erlang's process_info/1, processes/0,
// system_info/1). Safe from any thread while a runtime runs; figures read from other processes are a
// snapshot.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include <beam/atom.hpp>
#include <beam/pid.hpp>
#include <beam/term.hpp>

namespace beam {

enum class process_status { running, runnable, waiting, exiting };

struct process_info_t {
  process_status status;
  std::size_t message_queue_len;
  std::size_t memory;  // bytes: control block, coroutine frames, queued message nodes
  std::uint64_t reductions;
  std::optional<atom> registered_name;
  term initial_call;  // {Module, Function, Arity} for spawn/3; {:erlang, :apply, 2}-like {:"c++", Body, 0}
  std::uint32_t scheduler;  // the scheduler that ran it last (1-based, as Erlang numbers them)
};

// Whether `process` is alive (Erlang's is_process_alive/1).
[[nodiscard]] bool alive(const pid& process);
// Empty for a dead or unknown pid.
[[nodiscard]] std::optional<process_info_t> process_info(const pid& process);
// The pids alive now.
[[nodiscard]] std::vector<pid> processes();
[[nodiscard]] std::size_t process_count();

struct system_info_t {
  std::size_t process_limit;
  std::size_t process_count;
  std::uint32_t schedulers;
  std::size_t atom_count;
  std::size_t atom_limit;
  // Bytes the block pools (control blocks, messages, coroutine frames, term nodes) have taken from the
  // system: they keep what they take and reuse it, so this grows to the high-water mark of live processes and
  // stays there.
  std::size_t pool_bytes;
  std::size_t pool_used_bytes;  // of those, in blocks in use now (a snapshot)
};
[[nodiscard]] system_info_t system_info();

}  // namespace beam
