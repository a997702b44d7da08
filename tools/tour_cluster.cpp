// tools/tour_cluster.cpp: step 9 of `beampp tour`: this runtime and a real erl node in one cluster.
//
// A private EPMD (its own port: no other node on the machine is touched) and an erl node (-sname tour_erl)
// join this runtime, started as the node `tour`. erl says hello to our registered process {tour, Node}, we
// answer with our pid, erl links to it and we monitor erl's process; then erl's process exits, and the exit
// signal (we trap exits) and the DOWN both cross back. Without erl installed the step says so and is skipped
// (scripts/setup.sh tour installs it).
#include "tour_cluster.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <beam/beam.hpp>
#include <beam/dist.hpp>

#include "tour_support.hpp"

extern char** environ;

namespace beampp {
namespace {

using namespace beam::literals;
using namespace std::chrono_literals;

bool installed(const char* tool) {
  return std::system(fmt::format("command -v {} >/dev/null 2>&1", tool).c_str()) == 0;
}

// A port nobody listens on now, on loopback.
std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in where{};
  where.sin_family = AF_INET;
  where.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof where;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&where), sizeof where) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&where), &size) == 0;
  ::close(fd);
  return ok ? ntohs(where.sin_port) : 0;
}

std::string random_cookie() {
  std::random_device random;
  return fmt::format("tour{:08x}{:08x}", random(), random());
}

// Whether something accepts connections on 127.0.0.1:port, tried for up to 3 s (epmd -daemon returns before
// its daemon listens).
bool accepts_connections(std::uint16_t port) {
  for (int attempt = 0; attempt < 150; ++attempt) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in where{};
    where.sin_family = AF_INET;
    where.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    where.sin_port = htons(port);
    const bool up = ::connect(fd, reinterpret_cast<sockaddr*>(&where), sizeof where) == 0;
    ::close(fd);
    if (up) return true;
    ::usleep(20'000);
  }
  return false;
}

// An EPMD of our own on 127.0.0.1:port, killed at the end of the step.
class private_epmd {
 public:
  explicit private_epmd(std::uint16_t port) : port_(port) {
    started_ = std::system(fmt::format("epmd -address 127.0.0.1 -port {} -daemon -relaxed_command_check "
                                       ">/dev/null 2>&1",
                                       port)
                               .c_str()) == 0 &&
               accepts_connections(port);
  }
  ~private_epmd() {
    if (started_) (void)std::system(fmt::format("epmd -port {} -kill >/dev/null 2>&1", port_).c_str());
  }
  private_epmd(const private_epmd&) = delete;
  private_epmd& operator=(const private_epmd&) = delete;
  [[nodiscard]] bool started() const noexcept { return started_; }

 private:
  std::uint16_t port_;
  bool started_ = false;
};

// erl's side, as -eval text: hello to {tour, Node}; on {ping, From}, a link to From and {pong, Self}; on
// {stop, Reason}, an exit with Reason (and the node halts shortly after).
std::string erl_script(const std::string& our_node) {
  return fmt::format(
      "Cpp = {{tour, list_to_atom(\"{}\")}},"
      "Cpp ! {{hello, self(), list_to_binary(erlang:system_info(otp_release))}},"
      "receive {{ping, From}} -> link(From), From ! {{pong, self()}} after 20000 -> halt(1) end,"
      "receive {{stop, Reason}} -> spawn(fun() -> timer:sleep(300), halt(0) end), exit(Reason)"
      " after 20000 -> halt(1) end.",
      our_node);
}

// Starts erl (bounded by `timeout 30`), its output discarded; its pid, or -1.
pid_t start_erl(const std::string& cookie, const std::string& our_node) {
  const std::string script = erl_script(our_node);
  std::vector<std::string> args = {"timeout",     "30",    "erl",      "-sname",  "tour_erl",
                                   "-setcookie",  cookie,  "-noshell", "-kernel", "inet_dist_use_interface",
                                   "{127,0,0,1}", "-eval", script};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  posix_spawn_file_actions_addopen(&files, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&files, 2, "/dev/null", O_WRONLY, 0);
  pid_t child = -1;
  if (posix_spawnp(&child, "timeout", &files, nullptr, argv.data(), environ) != 0) child = -1;
  posix_spawn_file_actions_destroy(&files);
  return child;
}

// What the step saw, printed after its runtime ends.
struct cluster_report {
  std::string our_node, erl_node, erl_pid, release, exit_reason, down_reason, nodes;
  bool ponged = false;
  std::string failure;  // empty when every step came through
};

beam::task<void> talk_to_erl(std::uint16_t epmd_port, const std::string& cookie, pid_t& erl,
                             cluster_report& report) {
  beam::register_name("tour"_a, beam::self());
  beam::trap_exit(true);
  const beam::dist::options opts{.name = "tour", .cookie = cookie, .epmd_port = epmd_port};  // see dist.hpp
  const beam::node_id me = co_await beam::dist::start(opts);
  report.our_node = std::string(me.name.text());
  ::setenv("ERL_EPMD_PORT", std::to_string(epmd_port).c_str(), 1);  // erl finds our EPMD (and we, its node)
  erl = start_erl(cookie, report.our_node);
  if (erl < 0) {
    report.failure = "erl could not be started";
    co_return;
  }
  std::optional<beam::pid> peer;
  co_await beam::receive(beam::on(beam::tuple("hello"_a, beam::_pid, beam::_binary),
                                  [&](beam::pid p, beam::term release) {
                                    peer = p;
                                    report.release = std::string(release.as_string_view());
                                  }),
                         beam::after(20s, [] {}));
  if (!peer) {
    report.failure = "erl said nothing within 20 s";
    co_return;
  }
  report.erl_pid = beam::inspect(beam::term(*peer));
  report.erl_node = std::string(peer->node().name.text());
  beam::send(*peer, beam::tuple("ping"_a, beam::self()));
  co_await beam::receive(beam::on(beam::tuple("pong"_a, *peer), [&] { report.ponged = true; }),
                         beam::after(10s, [] {}));
  const beam::reference ref = beam::monitor(*peer);
  std::vector<beam::term> connected;
  for (const beam::atom n : beam::dist::nodes()) connected.emplace_back(n);
  report.nodes = beam::inspect(beam::make_list(std::move(connected)));
  beam::send(*peer, beam::tuple("stop"_a, "goodbye"_a));
  for (int signals = 0; signals < 2; ++signals) {
    bool heard = false;
    co_await beam::receive(
        beam::on(beam::tuple("EXIT"_a, *peer, beam::_term),
                 [&](beam::term r) { report.exit_reason = beam::inspect(r), heard = true; }),
        beam::on(beam::tuple("DOWN"_a, ref, "process"_a, *peer, beam::_term),
                 [&](beam::term r) { report.down_reason = beam::inspect(r), heard = true; }),
        beam::after(10s, [] {}));
    if (!heard) report.failure = "erl's exit did not come back within 10 s";
  }
  beam::dist::stop();
}

// Waits for erl (it halts by itself, or `timeout` ends it); kills it first when the step failed.
void reap(pid_t erl, bool failed) {
  if (erl < 0) return;
  if (failed) ::kill(erl, SIGKILL);
  int status = 0;
  (void)::waitpid(erl, &status, 0);
}

}  // namespace

void step_cluster(std::ostream& out) {
  out << "9. Distribution: this runtime joins a cluster with a real erl node...\n" << std::flush;
  if (!installed("erl") || !installed("epmd") || !installed("timeout")) {
    out << "   skipped: erl is not installed here (scripts/setup.sh tour installs erlang-base)\n\n";
    return;
  }
  const std::uint16_t port = free_port();
  private_epmd epmd(port);
  if (!epmd.started()) {
    out << fmt::format("   skipped: a private epmd could not start on port {}\n\n", port);
    return;
  }
  const std::string cookie = random_cookie();
  cluster_report report;
  pid_t erl = -1;
  try {
    on_fresh_runtime({}, [&]() -> beam::process {
      try {
        co_await talk_to_erl(port, cookie, erl, report);
      } catch (const std::exception& e) {
        report.failure = e.what();
      }
    });
  } catch (const std::exception& e) {
    report.failure = e.what();
  }
  reap(erl, !report.failure.empty());
  if (!report.failure.empty()) {
    out << fmt::format("   the cluster step failed: {}\n\n", report.failure);
    return;
  }
  out << fmt::format(
      "   beampp node {} and erl node {} (OTP {}), registered with a private EPMD on port {}\n"
      "   erl said hello to {{:tour, :\"{}\"}} from {}\n"
      "   we sent it {{:ping, self()}}: erl linked to us and answered {}; nodes() here: {}\n"
      "   erl's process exited with :goodbye: our link brought {{:EXIT, {}, {}}}, our monitor a DOWN with "
      "{}\n\n",
      report.our_node, report.erl_node, report.release, port, report.our_node, report.erl_pid,
      report.ponged ? ":pong" : "nothing", report.nodes, report.erl_pid, report.exit_reason,
      report.down_reason);
}

}  // namespace beampp
