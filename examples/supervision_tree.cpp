// examples/supervision_tree.cpp: let it crash. A supervisor keeps a registered key-value server (a
// gen_server) and three workers alive; the workers count their work in the server and crash at random
// (seeded, so runs are alike); each crash is one report line, the supervisor restarts the worker, and the
// tree (with the server's state) stays up. The run ends when the workers have done 300 operations, or after 5
// s, and prints the reports and the final state.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <beam/beam.hpp>

using namespace beam::literals;
using namespace std::chrono_literals;
using beam::term;
namespace sup = beam::supervisor;

namespace {

constexpr std::int64_t target_ops = 300;

// The key-value server, a gen_server registered as `kv`; its map is the server object's member, private to
// the server process. Requests: {put, K, V} -> ok, {get, K} -> V or nil, {incr, K} -> the new count, dump ->
// map.
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
    if (f.size() == 2 && f[0] == term("incr"_a)) {
      term& count = store[f[1]];
      count = (count.is_small_integer() ? count.as_int() : 0) + 1;
      return beam::gen_server::reply(count);
    }
    if (request == term("dump"_a)) {
      return beam::gen_server::reply(
          beam::make_map(std::vector<beam::map_entry>(store.begin(), store.end())));
    }
    return beam::gen_server::reply(beam::tuple("error"_a, "unknown_request"_a));
  }
};

sup::child_spec kv_spec() {
  return {.id = "kv"_a, .start = sup::from_start_link([] {
                          return beam::gen_server::start_link<kv_server>({.name = "kv"_a});
                        })};
}

// A worker: counts each unit of work in the server; one unit in eight it crashes instead.
beam::process worker(beam::atom name, std::uint32_t seed) {
  std::mt19937 random(seed);
  for (;;) {
    co_await beam::sleep(std::chrono::milliseconds(1 + random() % 3));
    if (random() % 8 == 0) beam::exit(beam::tuple("random_crash"_a, name));
    (void)co_await beam::call("kv"_a, beam::tuple("incr"_a, name));
    (void)co_await beam::call("kv"_a, beam::tuple("incr"_a, "total_ops"_a));
  }
}

// The spec of worker `name`: each incarnation gets the next seed of its own sequence.
sup::child_spec worker_spec(beam::atom name, std::uint32_t base_seed) {
  return {.id = name, .start = [name, seed = base_seed]() mutable -> beam::task<sup::start_result> {
            co_return beam::spawn_link(worker, name, seed++);
          }};
}

beam::task<std::int64_t> total_ops() {
  const term total = co_await beam::call("kv"_a, beam::tuple("get"_a, "total_ops"_a));
  co_return total.is_small_integer() ? total.as_int() : 0;
}

}  // namespace

int main() {
  std::vector<std::string>
      reports;  // written by the logger sink (under the logger's lock), read after the run
  beam::set_logger([&reports](beam::log_level, std::string_view text) {
    std::fprintf(stdout, "report: %.*s\n", static_cast<int>(text.size()), text.data());
    reports.emplace_back(text);
  });
  beam::runtime rt({.schedulers = 2});
  std::string final_state, children;
  bool tree_up = false;
  std::int64_t ops = 0;
  const beam::exit_reason reason = rt.run([&]() -> beam::process {
    beam::trap_exit(true);
    const beam::pid tree = co_await sup::start_link(
        "tree_sup"_a, {.strategy = sup::restart_strategy::one_for_one, .intensity = 100, .period = 5s},
        sup::child_specs(kv_spec(), worker_spec("worker_1"_a, 1000), worker_spec("worker_2"_a, 2000),
                         worker_spec("worker_3"_a, 3000)));
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while ((ops = co_await total_ops()) < target_ops && std::chrono::steady_clock::now() < deadline) {
      co_await beam::sleep(10ms);
    }
    final_state = beam::inspect(co_await beam::call("kv"_a, "dump"_a));
    for (const sup::child_info& c : co_await sup::which_children(tree)) {
      children +=
          beam::format("{}={} ", beam::inspect(c.id), c.child.is_pid() ? "running" : beam::inspect(c.child));
    }
    tree_up = beam::alive(tree) && ops >= target_ops;
    const beam::reference down = beam::monitor(tree);
    beam::exit(tree, "shutdown"_a);  // from its parent: the tree stops, last child first
    co_await beam::receive(beam::on(beam::tuple("DOWN"_a, down, "process"_a, beam::_, beam::_), [] {}));
  });
  beam::set_logger({});
  std::size_t crashes = 0, restarts = 0;
  for (const std::string& r : reports) {
    crashes += r.find("context=child_terminated") != std::string::npos ? 1 : 0;
    restarts += r.find("context=child_restarted") != std::string::npos ? 1 : 0;
  }
  std::printf("final state of kv: %s\n", final_state.c_str());
  std::printf("children: %s\n", children.c_str());
  std::printf("%zu crashes, %zu restarts, %lld operations\n", crashes, restarts, static_cast<long long>(ops));
  const bool ok = reason.is_normal() && tree_up && crashes > 0 && crashes == restarts;
  std::printf("%s\n", ok ? "the tree stayed up while its children crashed and restarted" : "FAILED");
  return ok ? 0 : 1;
}
