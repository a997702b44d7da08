// beam/process_info.hpp: introspection of processes and of the runtime (Erlang's process_info/1,2,
// processes/0, system_info/1). All but process_info/2 are safe from any thread while a runtime runs; figures
// read from other processes are a snapshot.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include <beam/atom.hpp>
#include <beam/pid.hpp>
#include <beam/process.hpp>
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
// Empty for a dead or unknown pid. Any thread: it reads only what any thread may read of another process.
[[nodiscard]] std::optional<process_info_t> process_info(const pid& process);

// process_info/2, as OTP 25's: for one item, {Item, Value}; for a list of items, the list of {Item, Value}
// in that order (repeats kept); `undefined` when the process is not alive. The items:
//   links            [Pid]                   monitors          [{process, Pid} | {process, {Name, Node}}]
//   monitored_by     [Pid]                   messages          the queued messages, oldest first
//   message_queue_len                        trap_exit         true | false
//   status           running | runnable | waiting
//   initial_call     {Module, Function, Arity}
//   registered_name  Name, or [] (process_info(P, registered_name) alone is [] for a process without one)
//   reductions, memory
// Any other atom: beam::error(badarg) when awaited. Lists are in no particular order (OTP's are not either).
// Another process answers for itself, between its slices or in a receive (it may be busy: the caller waits
// until it answers, as in Erlang), with the messages that had reached it before the question. Process-only:
//   beam::term links = co_await beam::process_info(worker, "links"_a);
[[nodiscard]] task<term> process_info(const pid& process, atom item);
// The list form. Name the vector before the co_await: GCC 12 rejects a braced list inside a co_await's
// expression ("array used as initializer").
[[nodiscard]] task<term> process_info(const pid& process, std::vector<atom> items);
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
