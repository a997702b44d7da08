// services/services.cpp: where the calls of src/services find the running runtime's services (services.hpp).
#include "services/services.hpp"

#include <atomic>
#include <stdexcept>

#include <fmt/format.h>

#include <beam/error.hpp>
#include <beam/io.hpp>
#include <beam/process.hpp>

#include "term/atom_table.hpp"

namespace beam::detail {
namespace {

// Release when published, acquire when read (services.hpp).
std::atomic<runtime_services*> the_services{nullptr};

// IO.puts for spawn/3 and remote spawns, as Elixir's IO.puts/1 with a binary.
process io_puts(std::span<const term> args) {
  if (args.size() != 1 || !args[0].is_binary())
    throw beam::error(term(atoms::badarg), "IO.puts/1 takes one binary");
  io::puts(args[0].as_string_view());
  co_return;
}

// The functions the services export, once per program (a user's later export_function replaces them).
void export_functions() {
  static const bool exported = [] {
    export_function(atom("Elixir.IO"), atom("puts"), &io_puts);
    return true;
  }();
  (void)exported;
}

}  // namespace

runtime_services::runtime_services(proc::node& n, io_impl::poller& poller, std::uint32_t dirty_threads)
    : node(n),
      output(std::make_unique<io_impl::writer>()),
      dirty(std::make_unique<io_impl::dirty_pool>(dirty_threads)),
      tcp(std::make_unique<gen_tcp::detail::tcp_service>(poller)) {
  export_functions();
}

void publish_services(runtime_services* services) noexcept {
  the_services.store(services, std::memory_order_release);
}

runtime_services* current_services() noexcept {
  return the_services.load(std::memory_order_acquire);
}

runtime_services& services_for(const char* what) {
  runtime_services* services = current_services();
  if (services == nullptr)
    throw std::logic_error(fmt::format("{} called with no beam::runtime running", what));
  return *services;
}

}  // namespace beam::detail
