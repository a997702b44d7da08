// tools/tour_command.cpp: `beampp tour [--processes N]`: each claim of the lesson ("working with processes at
// a low level"), checked on this machine, each step on a fresh runtime:
//   1. spawn time and memory per process for N processes (default 1,000,000), beside BEAM's 3-5 us and 2.5
//   KB;
//   2. the process limit: a clean system_limit error at a lowered limit, and recovery;
//   3. the send/flush transcript of the lesson;
//   4. a crash ends only its own process: a thousand neighbours keep answering;
//   5. let it crash: a crash spreads along links only, and a process that traps exits restarts its worker;
//   6. a supervisor restarts a crashing gen_server under its name, and gives up past its restart intensity;
//   7. a hog on every scheduler does not starve a ping-pong pair;
//   8. an echo server with 5,000 concurrent connections on loopback, one process per connection;
//   9. a real erl node and this runtime in one cluster (tour_cluster.cpp).
#include "tour_command.hpp"

#include "tour_cluster.hpp"
#include "tour_support.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <beam/beam.hpp>
#include <beam/gen_tcp.hpp>

namespace beampp {
namespace {

using namespace beam::literals;
using clock = std::chrono::steady_clock;

long resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

void step_spawn(std::ostream& out, long n) {
  out << fmt::format("1. Spawning {} processes that each wait for a message...\n", n) << std::flush;
  double us_per_spawn = 0, bytes_per_process = 0;
  on_fresh_runtime(
      {.process_limit = static_cast<std::uint32_t>(std::max(n + 1000, 262'144L))}, [&]() -> beam::process {
        const beam::pid parent = beam::self();
        const long before = resident_bytes();
        const auto start = clock::now();
        for (long i = 1; i <= n; ++i) {
          beam::spawn([parent]() -> beam::process {
            beam::send(parent, "ready"_a);
            co_await beam::receive(beam::on("stop"_a, [] {}));
          });
          if (i % (n / 10 > 0 ? n / 10 : 1) == 0) out << fmt::format("   {} spawned\r", i) << std::flush;
        }
        for (long i = 0; i < n; ++i) co_await beam::receive(beam::on("ready"_a, [] {}));
        us_per_spawn =
            std::chrono::duration<double, std::micro>(clock::now() - start).count() / static_cast<double>(n);
        bytes_per_process = static_cast<double>(resident_bytes() - before) / static_cast<double>(n);
        out << fmt::format("   {} processes alive at once (process_count() = {})\n", n,
                           beam::process_count());
      });
  out << fmt::format("   spawn: {:.3f} us each   (the lesson, for BEAM: 3-5 us)\n", us_per_spawn);
  out << fmt::format("   memory: {:.0f} bytes each (the lesson, for BEAM: about 2,500 bytes)\n\n",
                     bytes_per_process);
}

void step_limit(std::ostream& out) {
  out << "2. The process limit, lowered to 1,024 (default 262,144, at most 134,217,727):\n";
  on_fresh_runtime({.process_limit = 1024}, [&]() -> beam::process {
    std::vector<beam::pid> waiting;
    try {
      for (;;) waiting.push_back(beam::spawn([]() -> beam::process { co_await beam::receive(); }));
    } catch (const beam::error& e) {
      out << fmt::format("   spawn #{} raised {}: {}\n", waiting.size() + 1, beam::inspect(e.reason()),
                         e.what());
    }
    for (const beam::pid& p : waiting) beam::send(p, "stop"_a);
    while (beam::process_count() > 2) co_await beam::yield();
    const beam::pid again = beam::spawn([]() -> beam::process { co_return; });
    out << fmt::format("   after they ended, spawn works again: {}\n\n", again);
  });
}

void step_flush(std::ostream& out) {
  out << "3. send and flush, as in the lesson:\n";
  std::string printed;
  auto previous = beam::io::set_output([&printed](std::string_view text) { printed += text; });
  on_fresh_runtime({}, [&]() -> beam::process {
    for (beam::term m :
         {beam::term("hello1"_a), beam::term("hello2"_a), beam::tuple("hello3"_a, 42),
          beam::list("message", "can"_a, beam::tuple(beam::charlist("be"), "any"), "data"_a)}) {
      out << fmt::format("   iex> send(self(), {})\n", beam::inspect(m));
      beam::send(beam::self(), m);
    }
    out << "   iex> flush()\n";
    beam::io::puts(beam::inspect(beam::flush()));
    co_return;
  });
  beam::io::set_output(previous);
  for (std::size_t start = 0; start < printed.size();) {
    const std::size_t end = printed.find('\n', start);
    out << "   " << printed.substr(start, end - start + 1);
    start = end + 1;
  }
  out << '\n';
}

void step_crash(std::ostream& out) {
  out << "4. A crash ends only its own process: 1,000 neighbours, then one process throws...\n";
  int answered = 0;
  beam::term crash_reason;
  on_fresh_runtime({}, [&]() -> beam::process {
    std::vector<beam::pid> neighbours;
    for (int i = 0; i < 1000; ++i) {
      neighbours.push_back(beam::spawn([]() -> beam::process {
        co_await beam::receive(
            beam::on(beam::tuple("ping"_a, beam::_pid), [](beam::pid from) { beam::send(from, "pong"_a); }));
      }));
    }
    auto [crasher, ref] = beam::spawn_monitor([]() -> beam::process {
      throw std::runtime_error("let it crash");
      co_return;
    });
    crash_reason = co_await beam::receive(beam::on(
        beam::tuple("DOWN"_a, ref, "process"_a, beam::_, beam::_term), [](beam::term r) { return r; }));
    for (const beam::pid& n : neighbours) beam::send(n, beam::tuple("ping"_a, beam::self()));
    for (int i = 0; i < 1000; ++i) co_await beam::receive(beam::on("pong"_a, [&] { ++answered; }));
  });
  out << fmt::format("   its monitor got {{:DOWN, ..., {}}}; {} of 1,000 neighbours answered a ping\n\n",
                     beam::inspect(crash_reason), answered);
}

// A worker that crashes when told to.
beam::process crashing_worker() {
  co_await beam::receive(beam::on("crash"_a, [] {}));
  throw beam::error("boom"_a);
}

void step_links(std::ostream& out) {
  out << "5. Let it crash: a crash spreads only along links, and a process that traps exits restarts it...\n";
  beam::term partner_reason;
  int restarts = 0;
  on_fresh_runtime({}, [&]() -> beam::process {
    // An untrapped link: the partner goes down with the worker.
    auto [partner, ref] = beam::spawn_monitor([]() -> beam::process {
      beam::send(beam::spawn_link(crashing_worker), "crash"_a);
      co_await beam::receive(beam::on("never"_a, [] {}));
    });
    partner_reason = co_await beam::receive(beam::on(
        beam::tuple("DOWN"_a, ref, "process"_a, beam::_, beam::_term), [](beam::term r) { return r; }));
    // A trapping parent: each crash is a message, and the parent starts a fresh worker.
    beam::trap_exit(true);
    beam::pid worker = beam::spawn_link(crashing_worker);
    for (; restarts < 3; ++restarts) {
      beam::send(worker, "crash"_a);
      co_await beam::receive(beam::on(beam::tuple("EXIT"_a, worker, "boom"_a), [] {}));
      worker = beam::spawn_link(crashing_worker);
    }
  });
  out << fmt::format(
      "   a linked partner ended with the worker's reason {}; a trapping parent got {{:EXIT, pid, :boom}}\n"
      "   and restarted its worker {} times, staying up\n\n",
      beam::inspect(partner_reason), restarts);
}

// A gen_server that answers `ping` and crashes on `crash`.
struct fragile_server {
  beam::gen_server::call_result handle_call(const beam::term& request, const beam::term& /*from*/) {
    if (request == beam::term("crash"_a)) throw beam::error("boom"_a);
    return beam::gen_server::reply("pong"_a);
  }
};

// Calls the server registered as `fragile`: its reply, or the reason it crashed with.
beam::task<beam::term> call_fragile(beam::term request) {
  try {
    co_return co_await beam::call("fragile"_a, request);
  } catch (const beam::error& e) {
    co_return e.reason();
  }
}

void step_supervisor(std::ostream& out) {
  namespace sup = beam::supervisor;
  out << "6. A supervisor (one_for_one, at most 3 restarts in 5 s) keeps a registered gen_server up...\n";
  std::vector<std::string> pids;
  beam::term gave_up;
  on_fresh_runtime({}, [&]() -> beam::process {
    beam::trap_exit(true);
    const beam::pid tree = co_await sup::start_link(
        {.intensity = 3, .period = std::chrono::seconds(5)},
        sup::child_specs(sup::child_spec{
            .id = "fragile"_a, .start = sup::from_start_link([] {
                                 return beam::gen_server::start_link<fragile_server>({.name = "fragile"_a});
                               })}));
    const beam::reference ref = beam::monitor(tree);
    for (int crash = 0; crash < 4; ++crash) {
      while (!(co_await call_fragile("ping"_a)).is_atom("pong"_a)) co_await beam::yield();  // restarted yet?
      if (std::optional<beam::pid> server = beam::whereis("fragile"_a))
        pids.push_back(beam::format("{}", *server));
      (void)co_await call_fragile("crash"_a);
    }
    gave_up = co_await beam::receive(beam::on(beam::tuple("DOWN"_a, ref, "process"_a, beam::_, beam::_term),
                                              [](beam::term r) { return r; }));
  });
  out << fmt::format(
      "   `fragile` answered as {}:\n"
      "   after each crash the supervisor started a new one under the same name; the 4th crash\n"
      "   in 5 s was one too many: the supervisor stopped with {}, for its own supervisor to decide\n\n",
      fmt::join(pids, ", "), beam::inspect(gave_up));
}

void step_hog(std::ostream& out) {
  const std::uint32_t schedulers = beam::default_schedulers();
  out << fmt::format("7. {} hog(s), one per scheduler, spin without ever yielding, for one second...\n",
                     schedulers);
  std::size_t trips = 0;
  double max_ms = 0;
  on_fresh_runtime({}, [&]() -> beam::process {
    auto stop = std::make_shared<std::atomic<bool>>(false);
    for (std::uint32_t i = 0; i < schedulers; ++i) {
      beam::spawn([stop]() -> beam::process {
        while (!stop->load()) {
        }
        co_return;
      });
    }
    const beam::pid ponger = beam::spawn([]() -> beam::process {
      for (;;) {
        co_await beam::receive(
            beam::on(beam::tuple("ping"_a, beam::_pid), [](beam::pid from) { beam::send(from, "pong"_a); }));
      }
    });
    const auto end = clock::now() + std::chrono::seconds(1);
    for (auto t = clock::now(); t < end; ++trips) {
      beam::send(ponger, beam::tuple("ping"_a, beam::self()));
      co_await beam::receive(beam::on("pong"_a, [] {}));
      const auto now = clock::now();
      max_ms = std::max(max_ms, std::chrono::duration<double, std::milli>(now - t).count());
      t = now;
    }
    stop->store(true);
  });
  out << fmt::format(
      "   meanwhile a ping-pong pair made {} round trips (longest {:.1f} ms): the monitor handed the\n"
      "   stuck schedulers' queues to spare ones\n",
      trips, max_ms);
}

// One connection of step 8, one process: accepts it (so it owns the socket), starts the process waiting for
// the next one, then echoes (active once) until the peer closes.
beam::process echo_connection(beam::gen_tcp::socket listener) {
  namespace gen_tcp = beam::gen_tcp;
  gen_tcp::socket s = listener;
  try {
    s = co_await gen_tcp::accept(listener);
  } catch (const beam::error&) {
    co_return;  // the listener was closed
  }
  beam::spawn(echo_connection, listener);
  for (bool open = true; open;) {
    gen_tcp::setopts(s, {.active = gen_tcp::active::once()});
    beam::term data;
    co_await beam::receive(
        beam::on(beam::tuple("tcp"_a, s.id(), beam::_binary), [&](beam::term d) { data = d; }),
        beam::on(beam::tuple("tcp_closed"_a, s.id()), [&] { open = false; }),
        beam::on(beam::tuple("tcp_error"_a, s.id(), beam::_), [&] { open = false; }));
    if (open) co_await gen_tcp::send(s, data);
  }
}

void step_tcp(std::ostream& out, int connections) {
  namespace gen_tcp = beam::gen_tcp;
  constexpr int trips = 10;
  out << fmt::format("8. An echo server on loopback, one process per connection: {} clients connect...\n",
                     connections)
      << std::flush;
  std::size_t processes = 0;
  double bytes_per_connection = 0, trips_per_second = 0;
  std::int64_t echoed = 0;
  on_fresh_runtime({}, [&]() -> beam::process {
    const beam::pid me = beam::self();
    gen_tcp::socket listener =
        gen_tcp::listen(0, {.ip = "127.0.0.1", .backlog = 4096, .active = gen_tcp::active::off()});
    const std::uint16_t port = gen_tcp::sockname(listener).second;
    beam::spawn(echo_connection, listener);
    const long before = resident_bytes();
    const auto client = [me, port]() -> beam::process {
      gen_tcp::socket s = co_await gen_tcp::connect("127.0.0.1", port, {.active = gen_tcp::active::off()});
      co_await gen_tcp::send(s, std::string_view("hello, server"));  // answered once its process serves it
      (void)co_await gen_tcp::recv(s, 13, std::chrono::seconds(30));
      beam::send(me, "connected"_a);
      co_await beam::receive(beam::on("go"_a, [] {}));
      std::int64_t good = 0;
      for (int i = 0; i < trips; ++i) {
        co_await gen_tcp::send(s, std::string_view("hello, server"));
        good +=
            co_await gen_tcp::recv(s, 13, std::chrono::seconds(30)) == beam::binary("hello, server") ? 1 : 0;
      }
      beam::send(me, beam::tuple("echoed"_a, good));
    };
    std::vector<beam::pid> clients;
    for (int c = 1; c <= connections; ++c) {  // a thousand at a time, shown as they are served
      clients.push_back(beam::spawn(client));
      if (c % 1000 != 0 && c != connections) continue;
      for (int i = static_cast<int>(clients.size()) - (c % 1000 == 0 ? 1000 : c % 1000); i < c; ++i) {
        co_await beam::receive(beam::on("connected"_a, [] {}));
      }
      out << fmt::format("   {:>5} connected: {} processes alive, {:.0f} bytes of memory per connection\n", c,
                         beam::process_count(), static_cast<double>(resident_bytes() - before) / c)
          << std::flush;
    }
    processes = beam::process_count();
    bytes_per_connection = static_cast<double>(resident_bytes() - before) / connections;
    const auto start = clock::now();
    for (const beam::pid& c : clients) beam::send(c, "go"_a);
    for (int c = 0; c < connections; ++c) {
      echoed += co_await beam::receive(
          beam::on(beam::tuple("echoed"_a, beam::_int), [](std::int64_t n) { return n; }));
    }
    trips_per_second = connections * trips / std::chrono::duration<double>(clock::now() - start).count();
    gen_tcp::close(listener);
  });
  out << fmt::format(
      "   {} processes: a client and a server process per connection; {:.0f} bytes per connection\n"
      "   (both ends, sockets included); then {} of {} echoes came back, {:.0f} round trips/s\n\n",
      processes, bytes_per_connection, echoed, connections * trips, trips_per_second);
}

}  // namespace

void add_tour_command(CLI::App& app, command_action& action) {
  auto* tour = app.add_subcommand("tour", "Check the lesson's claims about processes on this machine");
  auto processes = std::make_shared<long>(1'000'000);
  tour->add_option("--processes", *processes, "How many processes step 1 spawns")
      ->check(CLI::Range(1L, 10'000'000L));
  tour->callback([&action, processes] {
    action = [processes](const stdio& io) {
      io.out << "beampp tour: the lesson's claims about BEAM processes, checked here\n\n";
      step_spawn(io.out, *processes);
      step_limit(io.out);
      step_flush(io.out);
      step_crash(io.out);
      step_links(io.out);
      step_supervisor(io.out);
      step_hog(io.out);
      step_tcp(io.out, 5'000);
      step_cluster(io.out);
    };
  });
}

}  // namespace beampp
