// services/services.hpp: the services of one runtime as the calls of src/services find them.
//
// What they are. The I/O server's writer thread and the I/O server's pid, the dirty pool of blocking calls,
// and the open sockets. The runtime (src/runtime, the composition root) builds them after the node and the
// poller, publishes them here (publish_services) before the first process is spawned, and withdraws them
// (publish_services(nullptr)) before it frees them, one member at a time in the order its destructor states.
//
// Why here. The calls of this layer (beam::blocking_call, gen_tcp, io::write) are free functions: they need
// the running runtime's services but must not reach the runtime itself, which sits above them and includes
// them (that cycle kept src/services and src/runtime in one library). So the layer owns the one pointer it
// needs, and the runtime, above it, fills it in.
//
// Who may touch what. The pointer: published with release by the runtime's constructing thread, read with
// acquire by any thread (current_services). The members are set before publication and read-only after,
// except `io_server`, set once by runtime::run before the initial process is spawned (so ordered before every
// process's reads by the spawn), and the unique_ptrs, reset by the runtime's destructor after the schedulers
// have stopped, when no process runs.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include <beam/pid.hpp>

#include "io/dirty_pool.hpp"
#include "io/poller.hpp"
#include "proc/node.hpp"
#include "services/io_server.hpp"
#include "services/tcp_service.hpp"

namespace beam::detail {

struct runtime_services {
  runtime_services(proc::node& n, io_impl::poller& poller, std::uint32_t dirty_threads);

  proc::node& node;
  std::unique_ptr<io_impl::writer> output;            // the I/O server's writer thread
  std::unique_ptr<io_impl::dirty_pool> dirty;         // blocking calls (beam/blocking.hpp)
  std::unique_ptr<gen_tcp::detail::tcp_service> tcp;  // the open sockets (beam/gen_tcp.hpp)
  std::optional<pid> io_server;                       // set by runtime::run, before the initial process
};

// The runtime at start-up (its services) and at its end (nullptr, before it frees them).
void publish_services(runtime_services* services) noexcept;
// The running runtime's services, or nullptr.
[[nodiscard]] runtime_services* current_services() noexcept;
// The same, or std::logic_error naming `what` when no runtime runs.
[[nodiscard]] runtime_services& services_for(const char* what);

}  // namespace beam::detail
