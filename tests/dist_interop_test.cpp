// Distribution against a real Erlang node (OTP 25's erl) on loopback, and against hostile raw peers.
//
// Each test binary runs its own EPMD on a free port (ERL_EPMD_PORT, exported to every erl it starts), with a
// random cookie; erl nodes run under `timeout` and are driven by tests/dist/interop_peer.erl, which prints
// one `ok <case>` / `fail <case> ...` line per assertion. The suite FAILS (never skips) when erl, erlc or
// epmd is missing: run scripts/setup.sh test. Every wait is bounded; the C++ side synchronises on
// messages and on the lines erl prints, never on sleeps. The raw peers are blocking sockets driven from the
// test's own thread (not a scheduler), each read bounded by SO_RCVTIMEO.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <csignal>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <beam/beam.hpp>
#include <beam/dist.hpp>
#include <beam/etf.hpp>
#include <beam/export_call.hpp>

#include "dist/epmd.hpp"
#include "dist/frames.hpp"
#include "dist/handshake.hpp"
#include "support/runtime_fixture.hpp"
#include "support/subprocess.hpp"

using namespace beam::literals;
using namespace std::chrono_literals;
using beam::term;
namespace bt = beam::testing;
namespace di = beam::dist_impl;

namespace beam {
// GoogleTest prints a node as name/creation.
void PrintTo(const node_id& node, std::ostream* os) {
  *os << node.name.text() << "/" << node.creation;
}
}  // namespace beam

namespace {

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in where{};
  where.sin_family = AF_INET;
  where.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&where), sizeof where);
  socklen_t size = sizeof where;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&where), &size);
  ::close(fd);
  return ntohs(where.sin_port);
}

std::string short_host() {
  char buffer[256] = {};
  ::gethostname(buffer, sizeof buffer - 1);
  std::string host(buffer);
  return host.substr(0, host.find('.'));
}

// The suite's EPMD, cookie and compiled driver.
struct cluster {
  std::uint16_t epmd_port = 0;
  std::string cookie;
  std::string ebin;   // where interop_peer.beam is
  std::string error;  // why the suite cannot run
};

cluster& the_cluster() {
  static cluster c;
  return c;
}

class DistInterop : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cluster& c = the_cluster();
    for (const char* tool : {"erl", "erlc", "epmd", "timeout"}) {
      if (!bt::find_on_path(tool)) {
        c.error = std::string(tool) + " is not on PATH: install erlang-base (scripts/setup.sh test)";
        return;
      }
    }
    c.epmd_port = free_port();
    ::setenv("ERL_EPMD_PORT", std::to_string(c.epmd_port).c_str(), 1);
    std::random_device random;
    c.cookie = "cookie" + std::to_string(random()) + std::to_string(random());
    const auto epmd = bt::run_process({"epmd", "-address", "127.0.0.1", "-port", std::to_string(c.epmd_port),
                                       "-daemon", "-relaxed_command_check"},
                                      {}, 10s);
    if (epmd.exit_code != 0) {
      c.error = "epmd -daemon failed: " + epmd.err;
      return;
    }
    // Its own directory: ctest runs each test in a process of its own, two at a time, and an erlc rewriting a
    // shared interop_peer.beam while another test's erl loads it failed that test (undef, or a failed
    // rename).
    c.ebin = std::string(BEAM_BINARY_DIR) + "/tests/dist_ebin/" + std::to_string(::getpid());
    const auto made = bt::run_process({"mkdir", "-p", c.ebin}, {}, 10s);
    const auto compiled = bt::run_process(
        {"erlc", "-o", c.ebin, std::string(BEAM_SOURCE_DIR) + "/tests/dist/interop_peer.erl"}, {}, 60s);
    if (made.exit_code != 0 || compiled.exit_code != 0)
      c.error = "erlc failed: " + compiled.out + compiled.err;
  }
  static void TearDownTestSuite() {
    cluster& c = the_cluster();
    if (c.epmd_port != 0) {
      (void)bt::run_process({"epmd", "-port", std::to_string(c.epmd_port), "-kill"}, {}, 10s);
    }
    if (!c.ebin.empty()) (void)bt::run_process({"rm", "-rf", c.ebin}, {}, 10s);
  }
  void SetUp() override { ASSERT_TRUE(the_cluster().error.empty()) << the_cluster().error; }

  static beam::dist::options node_options(const std::string& alive) {
    return {.name = alive + "_" + std::to_string(::getpid()),
            .cookie = the_cluster().cookie,
            .epmd_port = the_cluster().epmd_port,
            .listen_ip = "127.0.0.1",
            .setup_time = 2000ms,
            .max_frame = std::size_t{1} << 20};
  }
};

// erl -sname <name> ... with the suite's EPMD; `extra` appended.
std::vector<std::string> erl_command(const std::string& name, const std::string& cookie,
                                     std::vector<std::string> extra) {
  std::vector<std::string> argv = {"timeout",    "60",   "erl",      "-sname",  name,
                                   "-setcookie", cookie, "-noshell", "-kernel", "inet_dist_use_interface",
                                   "{127,0,0,1}"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

// A raw peer's frame, as read with get_u4.
di::frame frame_of(const std::string& body) {
  return di::decode_frame(std::span(reinterpret_cast<const std::uint8_t*>(body.data()), body.size()));
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// erl_command(...) as one line for popen, with the suite's EPMD in its environment.
std::string erl_shell_line(const std::string& name, const std::string& cookie,
                           std::vector<std::string> extra) {
  std::string line = fmt::format("ERL_EPMD_PORT={}", the_cluster().epmd_port);
  for (const auto& a : erl_command(name, cookie, std::move(extra)))
    line += fmt::format(" {}", shell_quote(a));
  return line;
}

// The initial process: waits for `stop`.
beam::process idle_main() {
  co_await beam::receive(beam::on("stop"_a, [] {}));
}

// Runs a runtime whose initial process idles until the test ends.
struct running_runtime {
  beam::runtime rt;
  beam::pid main;
  explicit running_runtime(std::uint32_t schedulers)
      : rt({.schedulers = schedulers}), main(rt.start(idle_main)) {}
  ~running_runtime() {
    beam::dist::stop();
    beam::send(main, "stop"_a);
    (void)rt.wait();
  }
};

// cpp_echo: {From, Msg} -> From ! {echoed, Msg, self()}.
beam::process echo() {
  for (;;) {
    co_await beam::receive(beam::on(beam::tuple(beam::_pid, beam::_term), [](beam::pid from, const term& m) {
      beam::send(from, beam::tuple("echoed"_a, m, beam::self()));
    }));
  }
}

// The log while alive, with a bounded wait for a line: a connection's socket may close (gen_tcp closes it on
// emsgsize) a moment before its process logs why.
class log_watch {
 public:
  log_watch() {
    previous_ = beam::set_logger([this](beam::log_level level, std::string_view text) {
      std::lock_guard lock(mutex_);
      lines_.emplace_back(text);
      if (level != beam::log_level::info) not_info_.emplace_back(text);
      changed_.notify_all();
    });
  }
  log_watch(const log_watch&) = delete;
  ~log_watch() { beam::set_logger(previous_); }
  // Whether `count` lines containing `text` are logged within `limit`.
  bool wait_for(std::string_view text, std::chrono::milliseconds limit = 5s, std::size_t count = 1) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, limit, [&] {
      return std::ranges::count_if(lines_, [&](const std::string& l) {
               return l.find(text) != std::string::npos;
             }) >= static_cast<std::ptrdiff_t>(count);
    });
  }
  // The lines logged as warnings or errors so far that contain `text`.
  std::vector<std::string> warnings_with(std::string_view text) {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& l : not_info_) {
      if (l.find(text) != std::string::npos) out.push_back(l);
    }
    return out;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> lines_;
  std::vector<std::string> not_info_;  // the lines above a level of info
  beam::log_sink previous_;
};

// cpp_factory: processes for the link and monitor cases, each answering {spawned, Pid} (or the kind's own
// first report) to the asker.
//   waiter: ends with R on {exit_with, R};  trapper: the same, trapping exits ({trapped, R} to the asker);
//   named: a waiter registered as cpp_named;  spawn_linker E: links to E, reports {got_exit, R};
//   spawn_monitor E: monitors E, reports {got_down, R};  spawn_linker_monitor E: both.
beam::process waiter(bool trap, bool named, beam::pid asker) {
  // Set up before the asker hears of it: an exit signal sent at once must find exits trapped.
  if (trap) beam::trap_exit(true);
  if (named) beam::register_name("cpp_named"_a, beam::self());
  beam::send(asker, beam::tuple("spawned"_a, beam::self()));
  for (;;) {
    std::optional<term> reason;
    co_await beam::receive(
        beam::on(beam::tuple("exit_with"_a, beam::_term), [&](const term& r) { reason = r; }),
        beam::on(beam::tuple("EXIT"_a, beam::_pid, beam::_term),
                 [&](beam::pid, const term& r) { beam::send(asker, beam::tuple("trapped"_a, r)); }));
    if (reason) beam::exit(*reason);
  }
}

beam::process watcher(beam::pid target, beam::pid asker, bool link, bool monitor) {
  beam::trap_exit(true);
  if (link) beam::link(target);
  std::optional<beam::reference> ref;
  if (monitor) ref = beam::monitor(target);
  beam::send(asker, beam::tuple(link ? "linked"_a : "monitoring"_a, beam::self()));
  if (link) {
    const term r = co_await beam::receive(
        beam::on(beam::tuple("EXIT"_a, target, beam::_term), [](const term& why) { return why; }));
    beam::send(asker, beam::tuple("got_exit"_a, r));
  }
  if (monitor) {
    const term r = co_await beam::receive(beam::on(
        beam::tuple("DOWN"_a, *ref, "process"_a, target, beam::_term), [](const term& why) { return why; }));
    beam::send(asker, beam::tuple("got_down"_a, r));
  }
}

// Calls {name, the asker's node} and reports {call_result, Reply}, or {call_result, {Reason, Server}} when
// the call fails.
beam::process name_caller(beam::atom name, beam::pid asker) {
  const std::pair<beam::atom, beam::atom> server{name, asker.node().name};
  const term request = "ping"_a;
  term result;
  try {
    result = co_await beam::call(server, request, 3000ms);
  } catch (const beam::error& e) {
    const term& reason = e.reason();  // {Reason, {gen_server, call, [Server, Request, Timeout]}}
    result = beam::tuple(reason.as_tuple()[0], beam::tuple(name, server.second));
  }
  beam::send(asker, beam::tuple("call_result"_a, result));
}

// Monitors {name, the asker's node} and reports {got_down, Reason, Who}.
beam::process name_watcher(beam::atom name, beam::pid asker) {
  const std::pair<beam::atom, beam::atom> target{name, asker.node().name};
  const beam::reference ref = beam::monitor(target);
  beam::send(asker, beam::tuple("monitoring"_a, beam::self()));
  const term down = co_await beam::receive(
      beam::on(beam::tuple("DOWN"_a, ref, "process"_a, beam::_term, beam::_term),
               [](const term& who, const term& why) { return beam::tuple(why, who); }));
  beam::send(asker, beam::tuple("got_down"_a, down.as_tuple()[0], down.as_tuple()[1]));
}

// Calls `server` (an erl process answering gen_server calls) and reports {call_result, Reply}.
beam::process caller(beam::pid server, beam::pid asker) {
  const term request = "ping"_a;
  const term reply = co_await beam::call(server, request);
  beam::send(asker, beam::tuple("call_result"_a, reply));
}

// cpp_server: a call server answering {pong, Request}.
beam::process server() {
  for (;;) {
    co_await beam::receive(beam::on(
        beam::tuple("$gen_call"_a, beam::_term, beam::_term),
        [](const term& from, const term& request) { beam::reply(from, beam::tuple("pong"_a, request)); }));
  }
}

beam::process factory() {
  for (;;) {
    co_await beam::receive(
        beam::on(beam::tuple(beam::_pid, "spawn"_a, beam::_atom),
                 [](beam::pid asker, beam::atom kind) {
                   beam::spawn(waiter, kind == "trapper"_a, kind == "named"_a, asker);
                 }),
        beam::on(beam::tuple(beam::_pid, "call_name"_a, beam::_atom),
                 [](beam::pid asker, beam::atom name) { beam::spawn(name_caller, name, asker); }),
        beam::on(beam::tuple(beam::_pid, "monitor_name"_a, beam::_atom),
                 [](beam::pid asker, beam::atom name) { beam::spawn(name_watcher, name, asker); }),
        beam::on(beam::tuple(beam::_pid, "call_me"_a, beam::_pid),
                 [](beam::pid asker, beam::pid server) { beam::spawn(caller, server, asker); }),
        beam::on(beam::tuple(beam::_pid, beam::_atom, beam::_pid),
                 [](beam::pid asker, beam::atom kind, beam::pid target) {
                   const bool link = kind != "spawn_monitor"_a, monitor = kind != "spawn_linker"_a;
                   beam::spawn(watcher, target, asker, link, monitor);
                 }));
  }
}

// --- remote spawn and rpc ---

// The functions other nodes spawn and call (the export registry is the program's, so once per binary):
//   cpp_spawn:reporter(Pid, Msg): Pid ! {reported, Msg, self()}, then ends normal;
//   cpp_spawn:quitter(Reason): exits with Reason at once;
//   cpp_calc:add(A, B) -> A + B;  cpp_calc:twice(X) -> {X, X}, a task that yields first;
//   cpp_calc:fail() raises beam::error(my_reason);  cpp_calc:quit() exits with bye;
//   cpp_calc:tell(Name, Node, Msg): {Name, Node} ! {told, Msg}.
void export_spawn_targets() {
  static const bool done = [] {
    beam::export_function("cpp_spawn"_a, "reporter"_a, [](std::span<const term> args) -> beam::process {
      beam::send(args[0].as_pid(), beam::tuple("reported"_a, args[1], beam::self()));
      co_return;
    });
    beam::export_function("cpp_spawn"_a, "quitter"_a, [](std::span<const term> args) -> beam::process {
      beam::exit(args[0]);
      co_return;
    });
    beam::export_call("cpp_calc"_a, "add"_a,
                      [](std::span<const term> args) { return args[0].as_int() + args[1].as_int(); });
    beam::export_call("cpp_calc"_a, "twice"_a, [](std::span<const term> args) -> beam::task<term> {
      const term x = args[0];
      co_await beam::yield();
      co_return beam::tuple(x, x);
    });
    beam::export_call("cpp_calc"_a, "fail"_a, [](std::span<const term>) -> term {
      throw beam::error(term("my_reason"_a), "cpp_calc:fail was asked to fail");
    });
    beam::export_call("cpp_calc"_a, "quit"_a, [](std::span<const term>) { beam::exit("bye"_a); });
    beam::export_call("cpp_calc"_a, "tell"_a, [](std::span<const term> args) {
      beam::send(std::pair{args[0].as_atom(), args[1].as_atom()}, beam::tuple("told"_a, args[2]));
    });
    return true;
  }();
  (void)done;
}

// The reply to spawn request `ref`: the child's pid, or the error reason.
beam::task<term> spawn_reply_of(const beam::reference& ref) {
  co_return co_await beam::receive(
      beam::on(beam::tuple("spawn_reply"_a, ref, "ok"_a, beam::_pid), [](beam::pid p) { return term(p); }),
      beam::on(beam::tuple("spawn_reply"_a, ref, "error"_a, beam::_term), [](const term& r) { return r; }),
      beam::after(8s, [] { return term("no_reply"_a); }));
}

beam::task<term> down_of(const beam::reference& ref) {
  co_return co_await beam::receive(beam::on(beam::tuple("DOWN"_a, ref, "process"_a, beam::_pid, beam::_term),
                                            [](beam::pid, const term& why) { return why; }),
                                   beam::after(8s, [] { return term("no_down"_a); }));
}

// cpp_spawner: C++'s spawn_request on the asker's node, reported to the asker:
//   {Asker, exit_on_erl, R}: erlang:exit(R) with monitor -> {exit_on_erl, Pid, DownReason};
//   {Asker, sleep_on_erl}: timer:sleep(10) with link and monitor -> {sleep_on_erl, Pid, Down, Exit};
//   {Asker, spawn_on_nowhere}: to a node nobody registered -> {spawn_on_nowhere, Reason}.
beam::task<> spawn_on(beam::pid asker, term what) {
  const beam::atom node = asker.node().name;
  const beam::atom kind = what.is_tuple() ? what.as_tuple()[0].as_atom() : what.as_atom();
  if (kind == "exit_on_erl"_a) {
    const beam::dist::spawn_request_options o{.monitor = true};
    const beam::reference ref =
        beam::dist::spawn_request(node, "erlang"_a, "exit"_a, {what.as_tuple()[1]}, o);
    const term child = co_await spawn_reply_of(ref);
    const term down = co_await down_of(ref);
    beam::send(asker, beam::tuple(kind, child, down));
  } else if (kind == "sleep_on_erl"_a) {
    const beam::dist::spawn_request_options o{.link = true, .monitor = true};
    const beam::reference ref = beam::dist::spawn_request(node, "timer"_a, "sleep"_a, {term(10)}, o);
    const term child = co_await spawn_reply_of(ref);
    const term down = co_await down_of(ref);
    const term exit_reason = co_await beam::receive(
        beam::on(beam::tuple("EXIT"_a, child, beam::_term), [](const term& why) { return why; }),
        beam::after(8s, [] { return term("no_exit"_a); }));
    beam::send(asker, beam::tuple(kind, child, down, exit_reason));
  } else {
    const beam::atom nowhere("nobody_here@" + short_host());
    const beam::reference ref = beam::dist::spawn_request(nowhere, "erlang"_a, "exit"_a, {term(1)});
    beam::send(asker, beam::tuple(kind, co_await spawn_reply_of(ref)));
  }
}

beam::process spawner() {
  beam::trap_exit(true);
  for (;;) {
    std::optional<std::pair<beam::pid, term>> asked;
    co_await beam::receive(
        beam::on(beam::tuple(beam::_pid, beam::_atom),
                 [&](beam::pid asker, beam::atom kind) { asked.emplace(asker, term(kind)); }),
        beam::on(beam::tuple(beam::_pid, "exit_on_erl"_a, beam::_term), [&](beam::pid asker, const term& r) {
          asked.emplace(asker, beam::tuple("exit_on_erl"_a, r));
        }));
    if (asked) co_await spawn_on(asked->first, asked->second);
  }
}

// --- a raw peer: blocking socket, handshake by hand ---

class raw_peer {
 public:
  // A connection accepted by a raw listener.
  static raw_peer adopt(int fd) { return raw_peer(fd, 0); }
  raw_peer(raw_peer&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  explicit raw_peer(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in where{};
    where.sin_family = AF_INET;
    where.sin_port = htons(port);
    where.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&where), sizeof where) != 0)
      throw std::runtime_error("connect");
  }
  raw_peer(const raw_peer&) = delete;
  ~raw_peer() {
    if (fd_ >= 0) ::close(fd_);
  }
  void put(std::string_view bytes) const { (void)::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL); }
  void put_u2(std::string_view body) const {
    std::string out{static_cast<char>(body.size() >> 8), static_cast<char>(body.size())};
    put(out + std::string(body));
  }
  void put_u4(std::string_view body) const {
    std::string out;
    bt::append_packet4(out, body);
    put(out);
  }
  // Exactly n bytes, or what came before the peer closed or 5 s passed.
  std::string get(std::size_t n) const {
    std::string out;
    char buffer[4096];
    while (out.size() < n) {
      const ssize_t got = ::recv(fd_, buffer, std::min(sizeof buffer, n - out.size()), 0);
      if (got <= 0) break;
      out.append(buffer, static_cast<std::size_t>(got));
    }
    return out;
  }
  std::string get_u2() const {
    const std::string head = get(2);
    if (head.size() < 2) return {};
    return get(static_cast<std::uint8_t>(head[0]) << 8 | static_cast<std::uint8_t>(head[1]));
  }
  // The next non-tick u4 frame, or empty when the connection closed.
  std::string get_u4() const {
    for (;;) {
      const std::string head = get(4);
      if (head.size() < 4) return {};
      std::uint32_t n = 0;
      for (char c : head) n = n << 8 | static_cast<std::uint8_t>(c);
      if (n != 0) return get(n);
    }
  }
  // Whether the node closed the connection (recv gives 0) within 5 s (reading and dropping what comes).
  bool closed_by_node() const {
    char buffer[4096];
    for (;;) {
      const ssize_t got = ::recv(fd_, buffer, sizeof buffer, 0);
      if (got == 0) return true;
      if (got < 0) return errno == ECONNRESET;
    }
  }
  // The dialler's half of a handshake as node `name`; true when it completed.
  bool handshake(const std::string& name, const std::string& cookie, std::string node_name,
                 std::uint32_t creation = 77) const {
    put_u2(di::encode_send_name({di::flag::ours, creation, name}));
    const std::string status = get_u2();
    if (status == "salive") {
      put_u2("strue");  // our earlier connection is gone, as the node will see
    } else if (status != "sok") {
      return false;
    }
    const di::challenge c = di::parse_challenge(get_u2());
    if (c.name != node_name) return false;
    put_u2(di::encode_challenge_reply({12345, di::digest(cookie, c.challenge)}));
    const std::string ack = get_u2();
    return !ack.empty() && di::digests_equal(di::parse_challenge_ack(ack), di::digest(cookie, 12345));
  }

 private:
  raw_peer(int fd, int) : fd_(fd) {
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  int fd_ = -1;
};

// A blocking listener on 127.0.0.1 whose accept gives up after 5 s.
class raw_listener {
 public:
  raw_listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in where{};
    where.sin_family = AF_INET;
    where.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&where), sizeof where);
    ::listen(fd_, 4);
    socklen_t size = sizeof where;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&where), &size);
    port_ = ntohs(where.sin_port);
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  raw_listener(const raw_listener&) = delete;
  ~raw_listener() { ::close(fd_); }
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  [[nodiscard]] raw_peer accept() const {
    const int fd = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) throw std::runtime_error("accept timed out");
    return raw_peer::adopt(fd);
  }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

TEST_F(DistInterop, ErlAndBeamppExchangeMessagesBothWaysByPidAndByName) {
  const cluster& c = the_cluster();
  const std::string erl_name = "erl_" + std::to_string(::getpid());
  const beam::atom erl_node(erl_name + "@" + short_host());
  running_runtime running(2);
  beam::runtime& rt = running.rt;
  const beam::node_id me = rt.call([]() -> beam::task<beam::node_id> {
                               const beam::dist::options o =
                                   node_options("cpp");  // named: GCC 12 and temporaries in co_await
                               co_return co_await beam::dist::start(o);
                             }).get();
  EXPECT_NE(me.creation, 0u);
  EXPECT_EQ(beam::this_node(), me);
  rt.call([] {
      beam::register_name("cpp_echo"_a, beam::spawn(echo));
      beam::register_name("cpp_factory"_a, beam::spawn(factory));
      beam::register_name("cpp_server"_a, beam::spawn(server));
    }).get();

  // The tester: on {go}, dials erl by name, then answers the driver's pings.
  auto verdicts = std::make_shared<std::promise<std::vector<std::string>>>();
  auto verdict_future = verdicts->get_future();
  const beam::pid tester =
      rt.call([erl_node, verdicts] {
          return beam::spawn(
              [](beam::atom erl,
                 std::shared_ptr<std::promise<std::vector<std::string>>> out) -> beam::process {
                std::vector<std::string> got;
                co_await beam::receive(beam::on("go"_a, [] {}));
                beam::send(std::pair{"erl_echo"_a, erl}, beam::tuple(beam::self(), "from_cpp"_a));
                beam::send(std::pair{"erl_driver"_a, erl}, beam::tuple("dialled"_a, beam::self()));
                const std::pair<term, const char*> awaited[] = {{"hi"_a, "erl_says_hi"},
                                                                {"from_cpp"_a, "erl_echoed_from_cpp"},
                                                                {"bye"_a, "erl_says_bye"}};
                for (const auto& wanted : awaited) {
                  const term what = wanted.first;
                  const bool seen = co_await beam::receive(
                      beam::on(beam::tuple(beam::_atom, what), [](beam::atom) { return true; }),
                      beam::after(20s, [] { return false; }));
                  got.push_back(std::string(seen ? "ok " : "fail ") + wanted.second);
                }
                beam::send(std::pair{"erl_driver"_a, erl}, beam::tuple("cpp_ack"_a, "bye"_a));
                out->set_value(got);
              },
              erl_node, verdicts);
        }).get();

  // erl, its lines read on this thread.
  const std::string command = erl_shell_line(
      erl_name, c.cookie, {"-pa", c.ebin, "-run", "interop_peer", "main", std::string(me.name.text())});
  FILE* out = ::popen(command.c_str(), "r");
  ASSERT_NE(out, nullptr);
  std::vector<std::string> lines;
  char line[4096];
  while (std::fgets(line, sizeof line, out) != nullptr) {
    std::string text(line);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    std::printf("erl: %s\n", text.c_str());
    lines.push_back(text);
    if (text == "ready") beam::send(tester, "go"_a);  // erl's driver is registered: dial it now
  }
  const int status = ::pclose(out);
  EXPECT_EQ(status, 0) << "erl exited with status " << status;
  int oks = 0;
  for (const auto& l : lines) {
    EXPECT_EQ(l.rfind("fail", 0), std::string::npos) << l;
    oks += l.rfind("ok ", 0) == 0 ? 1 : 0;
  }
  EXPECT_EQ(oks, 26);
  EXPECT_FALSE(lines.empty() || lines.back() != "done");
  ASSERT_EQ(verdict_future.wait_for(10s), std::future_status::ready);
  for (const auto& v : verdict_future.get()) {
    std::printf("cpp: %s\n", v.c_str());
    EXPECT_EQ(v.rfind("ok ", 0), 0u) << v;
  }
}

TEST_F(DistInterop, HostilePeersCloseOnlyTheirConnectionAndTheNodeKeepsServing) {
  const cluster& c = the_cluster();
  log_watch log;  // before the runtime: it outlives every process that logs
  running_runtime running(2);
  beam::runtime& rt = running.rt;
  const beam::node_id me = rt.call([]() -> beam::task<beam::node_id> {
                               const beam::dist::options o =
                                   node_options("hostile");  // named: GCC 12 and temporaries in co_await
                               co_return co_await beam::dist::start(o);
                             }).get();
  rt.call([] { beam::register_name("cpp_echo"_a, beam::spawn(echo)); }).get();
  const std::uint16_t port = beam::dist::listen_port();
  ASSERT_NE(port, 0);
  const std::string node_name(me.name.text());
  auto logged = [&](std::string_view text) { return log.wait_for(text); };

  // An erl node with the wrong cookie: pang, and the reason in our log.
  const auto bad = bt::run_process(
      erl_command("bad_" + std::to_string(::getpid()), "wrong" + c.cookie,
                  {"-eval", "io:format(\"~p~n\", [net_adm:ping('" + node_name + "')]), halt()."}),
      {}, 60s);
  EXPECT_NE(bad.out.find("pang"), std::string::npos) << bad.out << bad.err;
  EXPECT_TRUE(logged("invalid challenge reply")) << "wrong cookie: no log line";
  std::printf("verdict wrong_cookie_refused_and_logged: %s\n",
              logged("invalid challenge reply") ? "ok" : "fail");

  struct hostile_case {
    const char* name;
    std::function<void(const raw_peer&)> act;
    const char* logged;
  };
  const std::string raw_name = "raw_" + std::to_string(::getpid()) + "@" + short_host();
  const std::vector<hostile_case> cases = {
      {"garbage_handshake_packet", [](const raw_peer& p) { p.put_u2("Xjunk"); }, "tag 88"},
      {"stalled_handshake", [](const raw_peer&) {}, "handshake timeout"},
      {"name_without_at",
       [](const raw_peer& p) {
         p.put_u2(di::encode_send_name({di::flag::ours, 1, "noat"}));
       },
       "not of the form alive@host"},
      {"name_length_past_packet",
       [](const raw_peer& p) {
         std::string m = di::encode_send_name({di::flag::ours, 1, "a@b"});
         m[14] = 100;  // Nlen 100, 3 bytes follow
         p.put_u2(m);
       },
       "truncated"},
      {"missing_mandatory_flags",
       [](const raw_peer& p) {
         p.put_u2(di::encode_send_name(
             {di::flag::ours & ~di::flag::big_creation & ~di::flag::mandatory_25_digest, 1, "x@y"}));
         EXPECT_EQ(p.get_u2(), "snot_allowed");
       },
       "cannot handle BIG_CREATION"},
      {"oversized_frame",
       [&](const raw_peer& p) {
         ASSERT_TRUE(p.handshake("o" + raw_name, c.cookie, node_name));
         p.put("\xff\xff\xff\xf0");
       },
       "larger than max_frame"},
      {"garbage_frame",
       [&](const raw_peer& p) {
         ASSERT_TRUE(p.handshake("g" + raw_name, c.cookie, node_name));
         p.put_u4(std::string("\x70\x83\x01\x02\x03", 5));
       },
       "bad control term"},
      {"unknown_operation",
       [&](const raw_peer& p) {
         ASSERT_TRUE(p.handshake("u" + raw_name, c.cookie, node_name));
         p.put_u4(di::encode_frame(beam::tuple(99)));
       },
       "unknown control operation 99"},
      {"deep_nesting",
       [&](const raw_peer& p) {
         ASSERT_TRUE(p.handshake("d" + raw_name, c.cookie, node_name));
         std::string frame = "\x70\x83";
         for (int i = 0; i < 100000; ++i) frame += std::string("\x6c\x00\x00\x00\x01", 5);  // [[[...
         p.put_u4(frame);
       },
       "bad control term"},
  };
  for (const auto& hc : cases) {
    raw_peer p(port);
    hc.act(p);
    const bool closed = p.closed_by_node();
    const bool reason = logged(hc.logged);
    EXPECT_TRUE(closed) << hc.name << ": still open";
    EXPECT_TRUE(reason) << hc.name << ": no log line with '" << hc.logged << "'";
    std::printf("verdict %s: %s\n", hc.name, closed && reason ? "ok" : "fail");
  }

  // Still serving: a well-behaved raw node sends to cpp_echo by name and gets the echo back at its pid.
  raw_peer good(port);
  const std::string good_name = "good_" + raw_name;
  ASSERT_TRUE(good.handshake(good_name, c.cookie, node_name));
  const beam::pid raw_pid(beam::node_id{beam::atom(good_name), 77}, 1, 0);
  const term message = beam::tuple(raw_pid, "still_serving"_a);
  good.put_u4(di::encode_frame(beam::tuple(6, raw_pid, beam::atom(""), "cpp_echo"_a), &message));
  const std::string reply = good.get_u4();
  ASSERT_FALSE(reply.empty()) << "no echo after the hostile peers";
  const di::frame f = frame_of(reply);
  EXPECT_EQ(f.control.as_tuple()[0], term(2));
  EXPECT_EQ(f.control.as_tuple()[2], term(raw_pid));
  ASSERT_TRUE(f.message.has_value());
  EXPECT_EQ(f.message->as_tuple()[1], term("still_serving"_a));
  std::printf("verdict still_serving: ok\n");
}

// A peer that closes its connection normally (a raw peer closing its socket, erl's net_kernel:disconnect/1,
// an erl node that halts) ends it without a warning, as Erlang logs nothing for it: the end is logged as
// info.
TEST_F(DistInterop, APeerClosingItsConnectionNormallyLogsNoWarning) {
  const cluster& c = the_cluster();
  log_watch log;  // before the runtime: it outlives every process that logs
  running_runtime running(2);
  beam::runtime& rt = running.rt;
  const beam::node_id me = rt.call([]() -> beam::task<beam::node_id> {
                               const beam::dist::options o = node_options("closes");
                               co_return co_await beam::dist::start(o);
                             }).get();
  const std::string node_name(me.name.text());
  const std::string raw_name = "leaver_" + std::to_string(::getpid()) + "@" + short_host();
  {
    raw_peer p(beam::dist::listen_port());
    ASSERT_TRUE(p.handshake(raw_name, c.cookie, node_name));
  }  // closed
  EXPECT_TRUE(log.wait_for("connection to node " + raw_name + " down: the peer closed the connection"));
  EXPECT_EQ(log.warnings_with(raw_name), std::vector<std::string>{});

  // erl pings, disconnects, pings again, then halts: two connections, each closed by erl.
  const std::string erl_name = "leaver_erl_" + std::to_string(::getpid());
  const std::string erl_node = erl_name + "@" + short_host();
  const auto run =
      bt::run_process(erl_command(erl_name, c.cookie,
                                  {"-hidden", "-eval",
                                   "C = '" + node_name +
                                       "', pong = net_adm:ping(C), true = net_kernel:disconnect(C), "
                                       "pong = net_adm:ping(C), io:format(\"pinged~n\"), halt()."}),
                      {}, 60s);
  EXPECT_NE(run.out.find("pinged"), std::string::npos) << run.out << run.err;
  EXPECT_TRUE(log.wait_for("connection to node " + erl_node + " down", 5s, 2)) << "not both ends logged";
  EXPECT_EQ(log.warnings_with(erl_node), std::vector<std::string>{});
}

// Ticks: with net_ticktime 2 s on both sides an idle connection stays up (both send ticks after 0.5 s of
// silence), and a peer that stops (SIGSTOP) is dropped with net_tick_timeout after about 2 s.
TEST_F(DistInterop, TicksKeepAnIdleConnectionAndAStalledPeerTimesOut) {
  const cluster& c = the_cluster();
  log_watch log;
  running_runtime running(2);
  beam::runtime& rt = running.rt;
  rt.call([]() -> beam::task<beam::node_id> {
      beam::dist::options o = node_options("ticking");
      o.net_ticktime = 2s;
      co_return co_await beam::dist::start(o);
    }).get();
  const std::string erl_name = "tick_" + std::to_string(::getpid());
  const beam::atom erl_node(erl_name + "@" + short_host());
  const std::string command =
      erl_shell_line(erl_name, c.cookie,
                     {"-kernel", "net_ticktime", "2", "-eval",
                      "register(sink, self()), io:format(\"ready ~s~n\", [os:getpid()]), "
                      "receive {From, hi} -> From ! hello end, receive stop -> ok after 30000 -> ok "
                      "end, halt()."}) +
      " 2>/dev/null";  // the SIGKILL below is expected
  FILE* out = ::popen(command.c_str(), "r");
  ASSERT_NE(out, nullptr);
  char line[256] = {};
  ASSERT_NE(std::fgets(line, sizeof line, out), nullptr);
  const std::string ready(line);
  ASSERT_EQ(ready.rfind("ready ", 0), 0u) << ready;
  const int erl_pid = std::atoi(ready.c_str() + 6);
  ASSERT_GT(erl_pid, 0);
  // Connect, then stay idle for 3 tick times: still connected.
  const term idle = rt.call([erl_node]() -> beam::task<term> {
                        beam::send(std::pair{"sink"_a, erl_node}, beam::tuple(beam::self(), "hi"_a));
                        const bool answered = co_await beam::receive(beam::on("hello"_a, [] { return true; }),
                                                                     beam::after(10s, [] { return false; }));
                        if (!answered) co_return term("no_answer"_a);
                        co_await beam::sleep(6s);  // the idle time under test
                        const auto up = beam::dist::nodes();
                        co_return term(std::find(up.begin(), up.end(), erl_node) != up.end());
                      }).get();
  EXPECT_EQ(idle, term(true)) << "the idle connection went down";
  // A monitor_node subscriber, to hear of the timeout.
  auto nodedown = std::make_shared<std::promise<bool>>();
  auto nodedown_seen = nodedown->get_future();
  rt.call([erl_node, nodedown] {
      beam::spawn(
          [](beam::atom node, std::shared_ptr<std::promise<bool>> seen) -> beam::process {
            beam::dist::monitor_node(node);
            const bool got =
                co_await beam::receive(beam::on(beam::tuple("nodedown"_a, node), [] { return true; }),
                                       beam::after(15s, [] { return false; }));
            seen->set_value(got);
          },
          erl_node, nodedown);
    }).get();
  ::kill(erl_pid, SIGSTOP);
  const bool timed_out = log.wait_for("net_tick_timeout", 8s);
  ::kill(erl_pid, SIGCONT);
  ::kill(erl_pid, SIGKILL);
  ::pclose(out);
  EXPECT_TRUE(timed_out) << "no net_tick_timeout after the peer stopped";
  ASSERT_EQ(nodedown_seen.wait_for(15s), std::future_status::ready);
  EXPECT_TRUE(nodedown_seen.get()) << "no nodedown for the monitor_node subscriber";
  const auto up = beam::dist::nodes();
  EXPECT_EQ(std::find(up.begin(), up.end(), erl_node), up.end());
  std::printf("verdict idle_connection_kept_by_ticks: %s\nverdict stalled_peer_net_tick_timeout: %s\n",
              idle == term(true) ? "ok" : "fail", timed_out ? "ok" : "fail");
}

// Both nodes dial each other at once. A raw peer registered with the suite's EPMD receives our dial, then
// dials us before answering. With the greater name it gets ok_simultaneous (our dialler takes the accepted
// socket over) and refuses our dial with nok; with the smaller name we answer its dial nok and it accepts
// ours. Either way the two messages queued before the handshake arrive, in order, on the one connection.
TEST_F(DistInterop, SimultaneousConnectsResolveByNameAndKeepQueuedMessages) {
  const cluster& c = the_cluster();
  running_runtime running(2);
  beam::runtime& rt = running.rt;
  const beam::node_id me = rt.call([]() -> beam::task<beam::node_id> {
                               const beam::dist::options o = node_options("simul");
                               co_return co_await beam::dist::start(o);
                             }).get();
  const std::string node_name(me.name.text());
  for (const bool peer_greater : {true, false}) {
    const std::string alive = (peer_greater ? "zz_" : "aa_") + std::to_string(::getpid());
    const std::string raw_name = alive + "@" + short_host();
    raw_listener listener;
    raw_peer registration(c.epmd_port);
    registration.put(di::encode_alive2_request(alive, listener.port()));
    const std::string registered = registration.get(6);
    ASSERT_TRUE(registered.size() == 6 && registered[0] == 118 && registered[1] == 0) << "EPMD refused";
    // Our node dials on the first send; both messages wait for the handshake.
    rt.call([raw = beam::atom(raw_name)] {
        beam::send(std::pair{"sink"_a, raw}, "first"_a);
        beam::send(std::pair{"sink"_a, raw}, "second"_a);
      }).get();
    raw_peer our_dial = listener.accept();
    ASSERT_EQ(di::parse_send_name(our_dial.get_u2()).name, node_name);
    raw_peer their_dial(beam::dist::listen_port());
    their_dial.put_u2(di::encode_send_name({di::flag::ours, 5, raw_name}));
    const std::string status = their_dial.get_u2();
    const raw_peer* carrier = nullptr;
    if (peer_greater) {
      ASSERT_EQ(status, "sok_simultaneous");
      our_dial.put_u2(di::encode_status("nok"));
      const di::challenge ch = di::parse_challenge(their_dial.get_u2());
      their_dial.put_u2(di::encode_challenge_reply({99, di::digest(c.cookie, ch.challenge)}));
      ASSERT_TRUE(di::digests_equal(di::parse_challenge_ack(their_dial.get_u2()), di::digest(c.cookie, 99)));
      carrier = &their_dial;
    } else {
      ASSERT_EQ(status, "snok");
      our_dial.put_u2(di::encode_status("ok"));
      our_dial.put_u2(di::encode_challenge({di::flag::ours, 4242, 5, raw_name}));
      const di::challenge_reply reply = di::parse_challenge_reply(our_dial.get_u2());
      ASSERT_TRUE(di::digests_equal(reply.digest, di::digest(c.cookie, 4242)));
      our_dial.put_u2(di::encode_challenge_ack(di::digest(c.cookie, reply.challenge)));
      carrier = &our_dial;
    }
    std::vector<term> got;
    for (int i = 0; i < 2; ++i) {
      const std::string body = carrier->get_u4();
      ASSERT_FALSE(body.empty()) << "frame " << i << " missing";
      const di::frame f = frame_of(body);
      ASSERT_TRUE(f.message.has_value());
      got.push_back(*f.message);
    }
    EXPECT_EQ(got, (std::vector<term>{"first"_a, "second"_a}));
    std::printf("verdict simultaneous_connect_%s: %s\n",
                peer_greater ? "peer_greater_takeover" : "peer_smaller_nok",
                got == std::vector<term>{"first"_a, "second"_a} ? "ok" : "fail");
  }
}

// A peer that comes back under the same name with another creation is another incarnation: messages to its
// old pids are dropped, to its new ones delivered.
TEST_F(DistInterop, APeerRestartedWithANewCreationMakesItsOldPidsDead) {
  const cluster& c = the_cluster();
  running_runtime running(2);
  beam::runtime& rt = running.rt;
  const beam::node_id me = rt.call([]() -> beam::task<beam::node_id> {
                               const beam::dist::options o = node_options("restarts");
                               co_return co_await beam::dist::start(o);
                             }).get();
  rt.call([] { beam::register_name("cpp_echo"_a, beam::spawn(echo)); }).get();
  const std::string node_name(me.name.text());
  const std::string peer = "phoenix_" + std::to_string(::getpid()) + "@" + short_host();
  const beam::pid old_pid(beam::node_id{beam::atom(peer), 5}, 1, 0);
  const beam::pid new_pid(beam::node_id{beam::atom(peer), 6}, 1, 0);
  // Printing: a pid of this node is <0.x.y> under its new name; another node's names the node, as iex does.
  EXPECT_EQ(beam::inspect(term(beam::pid(beam::node_id{me.name, me.creation}, 7, 0))), "#PID<0.7.0>");
  EXPECT_EQ(beam::inspect(term(old_pid)), fmt::format("#PID<{}.1.0>", beam::atom(peer).index()));
  auto ask_echo = [&](const raw_peer& p, const beam::pid& from, const beam::pid& reply_to, const term& m) {
    const term message = beam::tuple(reply_to, m);
    p.put_u4(di::encode_frame(beam::tuple(6, from, beam::atom(""), "cpp_echo"_a), &message));
  };
  auto next_echo = [](const raw_peer& p) {
    const std::string body = p.get_u4();
    if (body.empty()) return term("closed"_a);
    const di::frame f = frame_of(body);
    return f.message ? f.message->as_tuple()[1] : term("no_message"_a);
  };
  {
    raw_peer first(beam::dist::listen_port());
    ASSERT_TRUE(first.handshake(peer, c.cookie, node_name, 5));
    ask_echo(first, old_pid, old_pid, "before"_a);
    EXPECT_EQ(next_echo(first), term("before"_a));
  }  // the first incarnation goes away
  raw_peer second(beam::dist::listen_port());
  ASSERT_TRUE(second.handshake(peer, c.cookie, node_name, 6));
  ask_echo(second, new_pid, old_pid, "to_the_dead"_a);
  ask_echo(second, new_pid, new_pid, "to_the_living"_a);
  const term got = next_echo(second);
  EXPECT_EQ(got, term("to_the_living"_a)) << "a message to the old incarnation's pid was delivered";
  std::printf("verdict old_incarnation_pids_dead: %s\n", got == term("to_the_living"_a) ? "ok" : "fail");
}

// Remote spawn both ways and rpc into C++ (tests/dist/interop_peer.erl's spawn_main): erl spawns C++
// functions with spawn_request/spawn/4, calls them with rpc:call and erpc:call (values, errors, exits,
// unknown functions, a process body), casts them with erpc:cast and rpc:cast, and C++ spawns on erl with
// beam::dist::spawn_request.
TEST_F(DistInterop, RemoteSpawnAndRpcWorkBothWays) {
  const cluster& c = the_cluster();
  export_spawn_targets();
  const std::string erl_name = "erlspawn_" + std::to_string(::getpid());
  running_runtime running(2);
  beam::runtime& rt = running.rt;
  const beam::node_id me = rt.call([]() -> beam::task<beam::node_id> {
                               const beam::dist::options o = node_options("spawns");
                               co_return co_await beam::dist::start(o);
                             }).get();
  rt.call([] { beam::register_name("cpp_spawner"_a, beam::spawn(spawner)); }).get();
  const std::string command = erl_shell_line(
      erl_name, c.cookie, {"-pa", c.ebin, "-run", "interop_peer", "spawn_main", std::string(me.name.text())});
  const auto run = bt::run_process({"sh", "-c", command}, {}, 90s);
  std::printf("%s", run.out.c_str());
  EXPECT_EQ(run.exit_code, 0) << run.err;
  int oks = 0;
  for (std::size_t at = 0; (at = run.out.find("ok ", at)) != std::string::npos; at += 3) ++oks;
  EXPECT_EQ(run.out.find("fail"), std::string::npos) << run.out;
  EXPECT_EQ(oks, 19) << run.out;
  EXPECT_NE(run.out.find("done"), std::string::npos) << run.out;
}

// Hostile SPAWN_REQUESTs from a raw peer: an unknown option is refused with badopt and an argument list
// that is not a list spawns a process that exits badarg (as OTP's apply), both on a connection that stays
// up; a malformed control tuple closes that connection only, and the node keeps serving.
TEST_F(DistInterop, HostileSpawnRequestsAreAnsweredOrCloseOnlyTheirConnection) {
  const cluster& c = the_cluster();
  export_spawn_targets();
  log_watch log;
  running_runtime running(2);
  beam::runtime& rt = running.rt;
  const beam::node_id me = rt.call([]() -> beam::task<beam::node_id> {
                               const beam::dist::options o = node_options("spawn_hostile");
                               co_return co_await beam::dist::start(o);
                             }).get();
  rt.call([] { beam::register_name("cpp_echo"_a, beam::spawn(echo)); }).get();
  const std::string node_name(me.name.text());
  const std::string raw_name = "rawspawn_" + std::to_string(::getpid()) + "@" + short_host();
  const beam::pid from(beam::node_id{beam::atom(raw_name), 77}, 1, 0);
  const std::uint32_t words1[] = {1, 2, 3}, words2[] = {4, 5, 6};
  const term req1(beam::reference(beam::node_id{beam::atom(raw_name), 77}, words1));
  const term req2(beam::reference(beam::node_id{beam::atom(raw_name), 77}, words2));
  auto next_control = [](const raw_peer& p) {
    const std::string body = p.get_u4();
    if (body.empty()) return term("closed"_a);
    return frame_of(body).control;
  };
  auto request = [&](const term& req, const term& mfa, const term& options, const term& args) {
    return di::encode_frame(beam::tuple(di::op::spawn_request, req, from, from, mfa, options), &args);
  };
  const term reporter = beam::tuple("cpp_spawn"_a, "reporter"_a, 2);
  {
    raw_peer p(beam::dist::listen_port());
    ASSERT_TRUE(p.handshake(raw_name, c.cookie, node_name));
    p.put_u4(request(req1, reporter, beam::list("monitor"_a, "bogus"_a), beam::list(from, "x"_a)));
    EXPECT_EQ(next_control(p), beam::tuple(di::op::spawn_reply, req1, from, 0, "badopt"_a));
    p.put_u4(request(req2, reporter, beam::list("monitor"_a), "not_a_list"_a));
    const term reply = next_control(p);
    ASSERT_TRUE(reply.is_tuple() && reply.as_tuple().size() == 5) << beam::inspect(reply);
    EXPECT_EQ(reply.as_tuple()[3], term(2));
    ASSERT_TRUE(reply.as_tuple()[4].is_pid()) << beam::inspect(reply);
    const term child = reply.as_tuple()[4];
    const term badarg = beam::tuple(
        "badarg"_a, beam::list(beam::tuple("erlang"_a, "apply"_a,
                                           beam::list("cpp_spawn"_a, "reporter"_a, "not_a_list"_a), term())));
    EXPECT_EQ(next_control(p), beam::tuple(di::op::monitor_p_exit, child, from, req2, badarg));
    // SPAWN_REQUEST_TT (a trace token last): spawned as the plain one; the child's message, then its DOWN.
    const term traced =
        beam::tuple(di::op::spawn_request_tt, req1, from, from, reporter, beam::list("monitor"_a), "token"_a);
    const term traced_args = beam::list(from, "traced"_a);
    p.put_u4(di::encode_frame(traced, &traced_args));
    const term ok = next_control(p);
    ASSERT_TRUE(ok.is_tuple() && ok.as_tuple().size() == 5 && ok.as_tuple()[4].is_pid()) << beam::inspect(ok);
    const term reporter_pid = ok.as_tuple()[4];
    const std::string sent = p.get_u4();
    const di::frame m = frame_of(sent);
    EXPECT_EQ(m.message, std::optional<term>(beam::tuple("reported"_a, "traced"_a, reporter_pid)));
    EXPECT_EQ(next_control(p), beam::tuple(di::op::monitor_p_exit, reporter_pid, from, req1, "normal"_a));
    // A request id that is not a reference: OTP's "invalid distribution message", the connection closes.
    p.put_u4(request("not_a_ref"_a, reporter, term(), beam::list(from, "x"_a)));
    EXPECT_TRUE(p.closed_by_node());
  }
  EXPECT_TRUE(log.wait_for("the request id is not a reference"));
  for (const term& bad : {beam::tuple(di::op::spawn_request, req1, from, from, "not_mfa"_a, term()),
                          beam::tuple(di::op::spawn_request, req1, from, from, reporter, "not_a_list"_a),
                          beam::tuple(di::op::spawn_request, req1, from)}) {
    raw_peer p(beam::dist::listen_port());
    ASSERT_TRUE(p.handshake(raw_name, c.cookie, node_name));
    const term args = beam::list(from, "x"_a);
    p.put_u4(di::encode_frame(bad, &args));
    EXPECT_TRUE(p.closed_by_node()) << beam::inspect(bad);
  }
  // The node still serves: a fresh connection's echo comes back.
  raw_peer p(beam::dist::listen_port());
  ASSERT_TRUE(p.handshake(raw_name, c.cookie, node_name));
  const term message = beam::tuple(from, "still_here"_a);
  p.put_u4(di::encode_frame(beam::tuple(6, from, beam::atom(""), "cpp_echo"_a), &message));
  const std::string body = p.get_u4();
  ASSERT_FALSE(body.empty());
  const di::frame f = frame_of(body);
  ASSERT_TRUE(f.message.has_value());
  EXPECT_EQ(f.message->as_tuple()[1], term("still_here"_a));
}

// C++'s spawn_request against a raw peer that plays the other node: the SPAWN_REQUEST it sends, the link and
// monitor that hold once the reply arrives (the peer's DOWN and EXIT reach the caller after the reply), the
// undoing of both when the caller is gone before the reply, and noconnection when the connection drops
// before a reply.
TEST_F(DistInterop, CppSpawnRequestTakesLinkAndMonitorWithTheReplyAndNoconnectionOnLoss) {
  const cluster& c = the_cluster();
  running_runtime running(2);
  beam::runtime& rt = running.rt;
  const beam::node_id me = rt.call([]() -> beam::task<beam::node_id> {
                               const beam::dist::options o = node_options("spawn_out");
                               co_return co_await beam::dist::start(o);
                             }).get();
  const std::string raw_name = "rawpeer_" + std::to_string(::getpid()) + "@" + short_host();
  const beam::atom raw(raw_name);
  const beam::pid child(beam::node_id{raw, 77}, 9, 0);
  auto next_frame = [](const raw_peer& p) {
    const std::string body = p.get_u4();
    if (body.empty()) return di::frame{"closed"_a, std::nullopt};
    return frame_of(body);
  };
  std::optional<raw_peer> p;
  p.emplace(beam::dist::listen_port());
  ASSERT_TRUE(p->handshake(raw_name, c.cookie, std::string(me.name.text())));

  // A caller that is gone when the reply comes: its link gets exit noproc, its monitor a demonitor.
  const term gone = rt.call([raw]() -> term {
                        const beam::dist::spawn_request_options both{.link = true, .monitor = true};
                        return term(beam::dist::spawn_request(raw, "m"_a, "f"_a, {}, both));
                      }).get();
  di::frame f = next_frame(*p);
  ASSERT_TRUE(f.control.is_tuple() && f.control.as_tuple().size() == 6) << beam::inspect(f.control);
  const term gone_caller = f.control.as_tuple()[2];
  EXPECT_EQ(f.control.as_tuple()[1], gone);
  p->put_u4(di::encode_frame(beam::tuple(di::op::spawn_reply, gone, gone_caller, 3, child)));
  EXPECT_EQ(next_frame(*p).control, beam::tuple(di::op::exit, gone_caller, child, "noproc"_a));
  EXPECT_EQ(next_frame(*p).control, beam::tuple(di::op::demonitor_p, gone_caller, child, gone));

  // A caller that waits: the request's shape, then the reply, the DOWN and the EXIT in that order; a second
  // request that the dropped connection answers noconnection.
  auto outcome = rt.call([raw]() -> beam::task<term> {
    beam::trap_exit(true);
    const beam::dist::spawn_request_options both{.link = true, .monitor = true};
    const beam::reference ref = beam::dist::spawn_request(raw, "m"_a, "f"_a, {term(1)}, both);
    const term pid = co_await spawn_reply_of(ref);
    const term down = co_await down_of(ref);
    const term exit_reason = co_await beam::receive(
        beam::on(beam::tuple("EXIT"_a, pid, beam::_term), [](const term& why) { return why; }),
        beam::after(8s, [] { return term("no_exit"_a); }));
    const beam::reference lost = beam::dist::spawn_request(raw, "m"_a, "f"_a, {});
    const term lost_reply = co_await spawn_reply_of(lost);
    co_return beam::tuple(pid, down, exit_reason, lost_reply);
  });
  f = next_frame(*p);
  ASSERT_TRUE(f.control.is_tuple() && f.control.as_tuple().size() == 6) << beam::inspect(f.control);
  const auto ctl = f.control.as_tuple();
  const term ref = ctl[1], caller = ctl[2];
  EXPECT_EQ(ctl[0], term(di::op::spawn_request));
  EXPECT_EQ(ctl[3], caller);  // the caller is the group leader
  EXPECT_EQ(ctl[4], beam::tuple("m"_a, "f"_a, 1));
  EXPECT_EQ(ctl[5], beam::list("link"_a, "monitor"_a));
  EXPECT_EQ(f.message, std::optional<term>(beam::list(1)));
  p->put_u4(di::encode_frame(beam::tuple(di::op::spawn_reply, ref, caller, 3, child)));
  p->put_u4(di::encode_frame(beam::tuple(di::op::monitor_p_exit, child, caller, ref, "bye"_a)));
  p->put_u4(di::encode_frame(beam::tuple(di::op::exit, child, caller, "bye"_a)));
  f = next_frame(*p);
  EXPECT_EQ(f.control.is_tuple() ? f.control.as_tuple()[0] : f.control, term(di::op::spawn_request));
  p.reset();  // the connection drops before the reply
  ASSERT_EQ(outcome.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(outcome.get(), beam::tuple(child, "bye"_a, "bye"_a, "noconnection"_a));
}

// Elixir's view (one run, ~1-2 s of CPU): Node.ping, send to {name, node}, the reply's pid printed as
// #PID<N.x.y> by iex's inspect.
TEST_F(DistInterop, ElixirPingsAndExchangesMessages) {
  const cluster& c = the_cluster();
  ASSERT_TRUE(bt::find_on_path("elixir")) << "elixir is not on PATH: install elixir (scripts/setup.sh test)";
  running_runtime running(2);
  beam::runtime& rt = running.rt;
  const beam::node_id me = rt.call([]() -> beam::task<beam::node_id> {
                               const beam::dist::options o = node_options("for_elixir");
                               co_return co_await beam::dist::start(o);
                             }).get();
  rt.call([] { beam::register_name("cpp_echo"_a, beam::spawn(echo)); }).get();
  const std::string cpp(me.name.text());
  const std::string script = "cpp = :\"" + cpp +
                             "\"\n"
                             "IO.puts(if Node.ping(cpp) == :pong, do: \"ok ping\", else: \"fail ping\")\n"
                             "send({:cpp_echo, cpp}, {self(), %{from: :elixir, list: [1, 2.5, \"bin\"]}})\n"
                             "receive do\n"
                             "  {:echoed, %{from: :elixir, list: [1, 2.5, \"bin\"]}, pid} ->\n"
                             "    IO.puts(\"ok send \" <> inspect(pid))\n"
                             "after 5000 -> IO.puts(\"fail send\")\n"
                             "end\n";
  const auto run =
      bt::run_process({"timeout", "60", "elixir", "--sname", "ex_" + std::to_string(::getpid()), "--cookie",
                       c.cookie, "--erl", "-kernel inet_dist_use_interface {127,0,0,1}", "-e", script},
                      {}, 90s);
  std::printf("%s", run.out.c_str());
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("ok ping"), std::string::npos) << run.out << run.err;
  EXPECT_NE(run.out.find("ok send #PID<"), std::string::npos) << run.out << run.err;
  EXPECT_EQ(run.out.find("fail"), std::string::npos) << run.out;
}

TEST_F(DistInterop, LinksAndMonitorsToAnUnreachableNodeGetNoconnection) {
  running_runtime running(2);
  beam::runtime& rt = running.rt;
  rt.call([]() -> beam::task<beam::node_id> {
      const beam::dist::options o = node_options("lonely");  // named: GCC 12 and temporaries in co_await
      co_return co_await beam::dist::start(o);
    }).get();
  const term got =
      rt.call([]() -> beam::task<term> {
          // No node of this name is registered with the suite's EPMD: the dial fails, and what
          // was queued for it is answered.
          const beam::pid ghost(beam::node_id{beam::atom("nobody_here@" + short_host()), 1}, 1, 0);
          beam::trap_exit(true);
          beam::dist::monitor_node(ghost.node().name);
          beam::link(ghost);
          const beam::reference ref = beam::monitor(ghost);
          const term exit_reason = co_await beam::receive(
              beam::on(beam::tuple("EXIT"_a, ghost, beam::_term), [](const term& r) { return r; }),
              beam::after(10s, [] { return term("none"_a); }));
          const term down_reason =
              co_await beam::receive(beam::on(beam::tuple("DOWN"_a, ref, "process"_a, ghost, beam::_term),
                                              [](const term& r) { return r; }),
                                     beam::after(10s, [] { return term("none"_a); }));
          const term nodedown = co_await beam::receive(
              beam::on(beam::tuple("nodedown"_a, ghost.node().name), [] { return term("nodedown"_a); }),
              beam::after(10s, [] { return term("none"_a); }));
          co_return beam::tuple(exit_reason, down_reason, nodedown);
        }).get();
  EXPECT_EQ(got, beam::tuple("noconnection"_a, "noconnection"_a, "nodedown"_a));
  EXPECT_TRUE(beam::dist::nodes().empty());
}

// Each start registers again, and EPMD gives each registration a creation of its own: pids of the earlier
// incarnation stay another node's.
TEST_F(DistInterop, StopThenStartAgainRegistersAgain) {
  running_runtime running(1);
  beam::runtime& rt = running.rt;
  std::vector<std::uint32_t> creations;
  for (int round = 0; round < 3; ++round) {
    const beam::node_id me = rt.call([]() -> beam::task<beam::node_id> {
                                 const beam::dist::options o = node_options("again");
                                 co_return co_await beam::dist::start(o);
                               }).get();
    EXPECT_TRUE(beam::dist::alive());
    EXPECT_NE(beam::dist::listen_port(), 0);
    EXPECT_EQ(beam::this_node(), me);
    EXPECT_EQ(std::ranges::count(creations, me.creation), 0) << "creation " << me.creation << " again";
    creations.push_back(me.creation);
    beam::dist::stop();
    EXPECT_FALSE(beam::dist::alive());
    EXPECT_EQ(beam::this_node(), (beam::node_id{beam::atom("nonode@nohost"), 0}));
  }
}

// After stop this node is nonode@nohost, creation 0, as after net_kernel:stop/0. Its pids and references,
// aliases included, stay its own across the stop and a restart under another name, and print and encode under
// the name of the moment; a pid encoded under the first name is another incarnation's from then on. After the
// restart a raw peer gets an echo whose pid carries the new name and creation.
TEST_F(DistInterop, StopMakesThisNodeNonodeAndARestartUnderAnotherNameRenamesItsPids) {
  const cluster& c = the_cluster();
  running_runtime running(2);
  beam::runtime& rt = running.rt;
  const beam::node_id nonode{beam::atom("nonode@nohost"), 0};
  const beam::node_id second =
      rt.call([nonode]() -> beam::task<beam::node_id> {
          const beam::dist::options o1 = node_options("first");
          const beam::node_id first = co_await beam::dist::start(o1);
          const beam::pid me = beam::self();
          const beam::reference ref = beam::reference::make();
          const beam::reference alias = beam::alias();
          const std::vector<std::uint8_t> as_first = beam::term_to_binary(term(me));
          // Through its alias, a process gets `m` back (false when it does not).
          auto echoed = [alias](const term& m) -> beam::task<bool> {
            beam::send(alias, m);
            co_return co_await beam::receive(beam::on(m, [] { return true; }),
                                             beam::after(2s, [] { return false; }));
          };
          auto has_local_forms = [&](const beam::node_id& now) {
            EXPECT_EQ(beam::this_node(), now);
            EXPECT_TRUE(me.is_local() && ref.is_local() && alias.is_local());
            EXPECT_EQ(me.node(), now);
            EXPECT_EQ(ref.node(), now);
            EXPECT_EQ(beam::inspect(term(me)), fmt::format("#PID<0.{}.{}>", me.number(), me.serial()));
            EXPECT_EQ(beam::inspect(term(ref)).rfind("#Reference<0.", 0), 0u);
            const term back = beam::binary_to_term(beam::term_to_binary(term(me)));
            EXPECT_EQ(back, term(me));
            const auto old = beam::binary_to_term(as_first).as_pid();
            EXPECT_FALSE(old.is_local()) << "a pid encoded as " << first.name.text();
            EXPECT_EQ(old.node(), first);
          };
          beam::dist::stop();
          has_local_forms(nonode);
          EXPECT_FALSE(beam::dist::alive());
          EXPECT_TRUE(co_await echoed("after_stop"_a));
          const beam::dist::options o2 = node_options("second");
          const beam::node_id now = co_await beam::dist::start(o2);
          EXPECT_NE(now.name, first.name);
          EXPECT_NE(now.creation, 0u);
          has_local_forms(now);
          EXPECT_TRUE(co_await echoed("after_restart"_a));
          beam::register_name("cpp_echo"_a, beam::spawn(echo));
          co_return now;
        }).get();
  EXPECT_EQ(beam::this_node(), second);
  const std::string raw_name = "renamed_" + std::to_string(::getpid()) + "@" + short_host();
  raw_peer p(beam::dist::listen_port());
  ASSERT_TRUE(p.handshake(raw_name, c.cookie, std::string(second.name.text())));
  const beam::pid raw_pid(beam::node_id{beam::atom(raw_name), 77}, 1, 0);
  const term message = beam::tuple(raw_pid, "hi"_a);
  p.put_u4(di::encode_frame(beam::tuple(6, raw_pid, beam::atom(""), "cpp_echo"_a), &message));
  const std::string body = p.get_u4();
  ASSERT_FALSE(body.empty()) << "no echo";
  const di::frame f = frame_of(body);
  ASSERT_TRUE(f.message.has_value() && f.message->as_tuple().size() == 3) << beam::inspect(f.control);
  const beam::pid echo_pid = f.message->as_tuple()[2].as_pid();
  EXPECT_TRUE(echo_pid.is_local()) << "the echo's pid came under another name or creation";
  beam::dist::stop();
  EXPECT_EQ(beam::this_node(), nonode);
  EXPECT_EQ(beam::inspect(term(echo_pid)),
            fmt::format("#PID<0.{}.{}>", echo_pid.number(), echo_pid.serial()));
}

TEST(DistOptions, BadOptionsAreClearErrors) {
  running_runtime running(1);
  beam::runtime& rt = running.rt;
  // The error is read inside the runtime and comes back as text: reading an exception that a worker's
  // future state may free races, as ThreadSanitizer sees it (runtime_call_test explains why).
  auto start_with = [&](beam::dist::options o) {
    return rt
        .call([o]() -> beam::task<std::string> {
          std::string what = "started";
          try {
            (void)co_await beam::dist::start(o);
          } catch (const std::invalid_argument& e) {
            what = e.what();
          } catch (const std::exception& e) {
            what = std::string("other: ") + e.what();
          }
          co_return what;
        })
        .get();
  };
  EXPECT_NE(start_with({.name = ""}).find("name is empty"), std::string::npos);
  EXPECT_NE(start_with({.name = "x@", .cookie = "c"}).find("no host part"), std::string::npos);
  EXPECT_NE(start_with({.name = "@h", .cookie = "c"}).find("no alive part"), std::string::npos);
  EXPECT_NE(start_with({.name = "x", .cookie = ""}).find("cookie is empty"), std::string::npos);
  EXPECT_NE(start_with({.name = "x", .cookie = "c", .net_ticktime = 0s}).find("net_ticktime"),
            std::string::npos);
  // No EPMD on this port: a beam::error, not a hang.
  const std::string no_epmd = start_with({.name = "x", .cookie = "c", .epmd_port = free_port()});
  EXPECT_NE(no_epmd.find("other: dist::start: cannot register"), std::string::npos) << no_epmd;
  EXPECT_FALSE(beam::dist::alive());
}

TEST(DistHandshake, Md5AndDigestsMatchKnownValues) {
  auto hex = [](const di::md5_digest& d) {
    std::string out;
    for (auto b : d) out += fmt::format("{:02x}", b);
    return out;
  };
  EXPECT_EQ(hex(di::md5_of("")), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(hex(di::md5_of("abc")), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(
      hex(di::md5_of("12345678901234567890123456789012345678901234567890123456789012345678901234567890")),
      "57edf4a22be3c955ac49da2e2107b67a");
  // Observed against OTP 25 (the design note, section 3): cookie testcookie, challenge 1208315761.
  EXPECT_EQ(hex(di::digest("testcookie", 1208315761)), "8adf549adcc3c291bc5c477e1142547f");
  // Our send_name as the design note gives it for cpp@vm, creation 0xabcd: flags 0xD07070FBC.
  EXPECT_EQ(di::flag::ours, 0xD07070FBCull);
  const std::string sn = di::encode_send_name({di::flag::ours, 0xabcd, "cpp@vm"});
  EXPECT_EQ(sn, std::string("\x4e\x00\x00\x00\x0d\x07\x07\x0f\xbc\x00\x00\xab\xcd\x00\x06"
                            "cpp@vm",
                            21));
  EXPECT_EQ(di::parse_send_name(sn).name, "cpp@vm");
}

}  // namespace
