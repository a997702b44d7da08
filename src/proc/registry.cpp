// proc/registry.cpp: registered names. One map under one lock (proc::node::names_mutex): registering is
// rare, and sends to names are far rarer than sends to pids, which never look here.
#include <fmt/format.h>

#include <beam/error.hpp>
#include <beam/process.hpp>
#include <beam/registry.hpp>

#include "proc/node.hpp"
#include "term/atom_table.hpp"

namespace beam {
namespace proc {

void node::release_name(detail::process_control& p) noexcept {
  using detail::process_control;
  if (p.name.load(std::memory_order_relaxed) == process_control::no_name) return;
  std::lock_guard lock(names_mutex);
  const std::uint32_t name = p.name.exchange(process_control::no_name, std::memory_order_relaxed);
  if (name != process_control::no_name) names.erase(name);
}

}  // namespace proc

namespace detail {
namespace {
[[noreturn]] void badarg(const std::string& why) {
  throw beam::error(term(atoms::badarg), why);
}
}  // namespace

// Any thread: the live process registered as `name`, retained, or nullptr.
process_control* find_named(proc::node& node, atom name) {
  std::optional<pid> id;
  {
    std::lock_guard lock(node.names_mutex);
    auto it = node.names.find(name.index());
    if (it != node.names.end()) id = it->second;
  }
  return id ? node.table.find(*id) : nullptr;
}

}  // namespace detail

void register_name(atom name, const pid& process) {
  proc::node& node = detail::node_for("beam::register_name");
  if (name == detail::atoms::undefined) detail::badarg("register: the name 'undefined' is reserved");
  detail::process_control* p = node.table.find(process);
  if (p == nullptr) detail::badarg(fmt::format("register: the process is not alive"));
  std::unique_lock lock(node.names_mutex);
  const bool exited =
      p->state.load() == detail::process_state::exited;  // the exit path names under this lock
  const bool taken = node.names.contains(name.index());
  const bool named = p->name.load(std::memory_order_relaxed) != detail::process_control::no_name;
  if (!exited && !taken && !named) {
    node.names.emplace(name.index(), process);
    p->name.store(name.index(), std::memory_order_relaxed);
  }
  lock.unlock();
  detail::release(*p);
  if (exited) detail::badarg("register: the process is not alive");
  if (taken) detail::badarg(fmt::format("register: the name {} is already registered", name.text()));
  if (named) detail::badarg("register: the process already has a registered name");
}

void unregister_name(atom name) {
  proc::node& node = detail::node_for("beam::unregister_name");
  detail::process_control* p = nullptr;
  {
    std::lock_guard lock(node.names_mutex);
    auto it = node.names.find(name.index());
    if (it == node.names.end())
      detail::badarg(fmt::format("unregister: {} is not a registered name", name.text()));
    p = node.table.find(it->second);
    if (p != nullptr) p->name.store(detail::process_control::no_name, std::memory_order_relaxed);
    node.names.erase(it);
  }
  if (p != nullptr) detail::release(*p);
}

// A process that has ended but not yet dropped its name is not found: whereis never returns a dead pid.
std::optional<pid> whereis(atom name) {
  proc::node& node = detail::node_for("beam::whereis");
  detail::process_control* p = detail::find_named(node, name);
  if (p == nullptr) return std::nullopt;
  const pid id = p->self();
  detail::release(*p);
  return id;
}

term send(const std::pair<atom, atom>& name_at_node, term message) {
  proc::node& node = detail::node_for("beam::send");
  if (name_at_node.second != this_node().name) {
    node.router.load(std::memory_order_acquire)->route(name_at_node.first, name_at_node.second, message);
  } else if (detail::process_control* p = detail::find_named(node, name_at_node.first)) {
    detail::deliver(*p, message);
  }
  return message;
}

std::vector<atom> registered() {
  proc::node& node = detail::node_for("beam::registered");
  std::lock_guard lock(node.names_mutex);
  std::vector<atom> out;
  out.reserve(node.names.size());
  for (const auto& [index, id] : node.names) out.push_back(atom::from_index(index));
  return out;
}

}  // namespace beam
