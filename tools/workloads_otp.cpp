// tools/workloads_otp.cpp: W8, gen_server calls (its Erlang twin: bench/erlang/workloads.erl and
// w8_server.erl).
#include <chrono>

#include <fmt/format.h>

#include <beam/beam.hpp>
#include <beam/gen_server.hpp>

#include "workloads.hpp"

namespace beampp {
namespace {

using namespace beam::literals;
namespace gs = beam::gen_server;

// Answers every call with a small term: {:ok, request}.
struct echo_server {
  gs::call_result handle_call(const beam::term& request, const beam::term&) {
    return gs::reply(beam::tuple("ok"_a, request));
  }
};

}  // namespace

// W8: one client calling one gen_server `calls` times in a loop (beam::call: monitor, alias, send, reply,
// demonitor).
results w8_gen_server_call(const parameters& p, std::uint32_t schedulers) {
  const std::int64_t calls = p.at("calls");
  double ns = 0;
  beam::runtime rt(options_for(schedulers, 2));
  rt.run([&]() -> beam::process {
    const beam::pid server = co_await gs::start_link<echo_server>();
    const auto start = std::chrono::steady_clock::now();
    for (std::int64_t i = 0; i < calls; ++i) (void)co_await beam::call(server, i);
    ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
    co_await beam::stop(server);
  });
  return {{"ns_per_call", fmt::format("{:.1f}", ns / static_cast<double>(calls))}};
}

}  // namespace beampp
