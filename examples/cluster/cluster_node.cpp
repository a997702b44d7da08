// examples/cluster/cluster_node.cpp: a beampp node in an Elixir/Erlang cluster. It serves
//   - `kv`, a gen_server in C++: {:put, k, v} -> :ok, {:get, k} -> v or nil;
//   - `echo`, a process: {from, msg} -> {:echo, msg} back to from; {:link, from} -> links to from and answers
//     :linked; {:crash, reason} -> exits with reason (a linked process elsewhere gets the exit signal);
//   - `cluster`: :stop ends the node.
// `echo` also relays: {:relay, node, from, msg} -> {from, msg} to {:echo, node}, whose echo answers `from`. So a
// message can go erl -> this node -> another beampp node -> back to erl (examples/cluster/three_nodes.sh).
// Two terminals (README, "Distribution"):
//   build/release/examples/example_cluster_node cpp secret
//   elixir --sname ex --cookie secret examples/cluster/elixir_side.exs cpp@$(hostname -s)
// or one command: examples/cluster/run_demo.sh (a private EPMD, this node and the Elixir side; ctest runs
// it).
#include <cstdio>
#include <map>
#include <string>

#include <beam/beam.hpp>
#include <beam/dist.hpp>

using namespace beam::literals;
using beam::term;

namespace {

struct kv_server {
  std::map<term, term> store;

  beam::gen_server::call_result handle_call(const term& request, const term& /*from*/) {
    const auto f = request.is_tuple() ? request.as_tuple() : std::span<const term>();
    if (f.size() == 3 && f[0] == term("put"_a)) {
      store[f[1]] = f[2];
      return beam::gen_server::reply("ok"_a);
    }
    if (f.size() == 2 && f[0] == term("get"_a)) {
      const auto it = store.find(f[1]);
      return beam::gen_server::reply(it == store.end() ? term("nil"_a) : it->second);
    }
    return beam::gen_server::reply(beam::tuple("error"_a, "unknown_request"_a));
  }
};

beam::process echo() {
  for (;;) {
    co_await beam::receive(
        beam::on(beam::tuple("link"_a, beam::_pid),
                 [](beam::pid from) {
                   beam::link(from);
                   beam::send(from, "linked"_a);
                 }),
        beam::on(beam::tuple("crash"_a, beam::_term), [](term reason) { beam::exit(reason); }),
        beam::on(beam::tuple("relay"_a, beam::_atom, beam::_pid, beam::_term),
                 [](beam::atom node, beam::pid from, term message) {
                   beam::send(std::pair{"echo"_a, node}, beam::tuple(from, message));
                 }),
        beam::on(beam::tuple(beam::_pid, beam::_term),
                 [](beam::pid from, term message) { beam::send(from, beam::tuple("echo"_a, message)); }));
  }
}

beam::process node_main(std::string name, std::string cookie) {
  // Built in its own statement: GCC 12 miscompiles these options built inside the co_await (beam/dist.hpp).
  const beam::dist::options opts{.name = name, .cookie = cookie};
  const beam::node_id me = co_await beam::dist::start(opts);
  beam::register_name("cluster"_a, beam::self());
  (void)co_await beam::gen_server::start_link<kv_server>({.name = "kv"_a});
  beam::register_name("echo"_a, beam::spawn(echo));
  std::printf("node %s is up (kv, echo, cluster registered); send :stop to {:cluster, :\"%s\"} to end it\n",
              std::string(me.name.text()).c_str(), std::string(me.name.text()).c_str());
  std::fflush(stdout);
  co_await beam::receive(beam::on("stop"_a, [] {}));
  std::printf("stopped\n");
  beam::dist::stop();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr,
                 "usage: example_cluster_node NAME COOKIE   (e.g. example_cluster_node cpp secret)\n");
    return 2;
  }
  beam::runtime rt;
  const beam::exit_reason reason = rt.run(node_main, std::string(argv[1]), std::string(argv[2]));
  if (!reason.is_normal())
    std::fprintf(stderr, "example_cluster_node: %s\n", beam::inspect(reason.reason()).c_str());
  return reason.is_normal() ? 0 : 1;
}
