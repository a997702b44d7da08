// proc/introspection.cpp: process_info, processes, system_info. Reads other processes' fields that are
// atomics (relaxed): a snapshot, as Erlang's process_info is.
#include <beam/process_info.hpp>

#include "base/small_pool.hpp"
#include "runtime/runtime_state.hpp"
#include "term/atom_table.hpp"

namespace beam {
namespace {

process_status status_of(detail::process_state s) {
  switch (s) {
    case detail::process_state::queued:
      return process_status::runnable;
    case detail::process_state::running:
      return process_status::running;
    case detail::process_state::waiting:
      return process_status::waiting;
    case detail::process_state::exited:
      return process_status::exiting;
  }
  return process_status::exiting;
}

term initial_call_of(const detail::process_control& p) {
  if (p.rare != nullptr && p.rare->initial_mfa) {
    const export_fun& mfa = *p.rare->initial_mfa;
    return tuple(mfa.module, mfa.function, mfa.arity);
  }
  return tuple(atom("erlang"), atom("apply"), 2);  // what Erlang reports for spawn/1 of a fun
}

}  // namespace

bool alive(const pid& process) {
  detail::runtime_state& rt = detail::runtime_for("beam::alive");
  detail::process_control* p = rt.table.find(process);
  if (p != nullptr) detail::release(*p);
  return p != nullptr;
}

std::optional<process_info_t> process_info(const pid& process) {
  detail::runtime_state& rt = detail::runtime_for("beam::process_info");
  detail::process_control* p = rt.table.find(process);
  if (p == nullptr) return std::nullopt;
  const std::size_t queued = p->mailbox.size();
  const std::uint32_t name = p->name.load(std::memory_order_relaxed);
  process_info_t info{
      .status = status_of(p->state.load(std::memory_order_relaxed)),
      .message_queue_len = queued,
      .memory = detail::pcb_memory(*p) + p->frame_bytes.load(std::memory_order_relaxed) +
                queued * sizeof(proc::message_node),
      .reductions = p->reductions.load(std::memory_order_relaxed),
      .registered_name = name == detail::process_control::no_name
                             ? std::nullopt
                             : std::optional<atom>(atom::from_index(name)),
      .initial_call = initial_call_of(*p),
      .scheduler = std::uint32_t{p->last_worker.load(std::memory_order_relaxed)} + 1,
  };
  detail::release(*p);
  return info;
}

std::vector<pid> processes() {
  return detail::runtime_for("beam::processes").table.pids();
}

std::size_t process_count() {
  return detail::runtime_for("beam::process_count").table.count();
}

system_info_t system_info() {
  detail::runtime_state& rt = detail::runtime_for("beam::system_info");
  const atom_table_info atoms = atom_table_stats();
  return {.process_limit = rt.table.limit(),
          .process_count = rt.table.count(),
          .schedulers = rt.schedulers,
          .atom_count = atoms.count,
          .atom_limit = atoms.limit,
          .pool_bytes = rt.chunks.chunk_bytes() + base::small_pool_bytes(),
          .pool_used_bytes = rt.chunks.used_bytes() + base::small_pool_used_bytes()};
}

}  // namespace beam
