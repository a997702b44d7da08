// bench/tcp_load.cpp: the load generator of the TCP benchmarks of issue 11, one program for both servers
// (beampp's examples/echo_server.cpp and its Erlang twin bench/erlang/tcp_echo.erl). scripts/bench_tcp.sh
// runs it.
//
//   tcp_load echo --port P [--conns 1000] [--msgs 1000] [--bytes 64] [--server-pid PID]   (W11, w11_tcp_echo)
//   tcp_load idle --port P --server-pid PID [--conns 19000] [--settle-ms 2000]            (W12,
//   w12_idle_conns) common: [--host 127.0.0.1] [--system NAME] [--sources 64] [--window 256] [--timeout 120]
//
// echo: opens --conns connections, then each sends a --bytes message, waits for the whole echo (checked byte
// for byte), records the round trip's latency and sends the next, --msgs times. Prints
//   RESULT system=NAME workload=w11_tcp_echo conns= msgs_per_conn= msg_bytes= round_trips_per_sec= p50_us=
//   p99_us=
//          max_us= client_cpu_us_per_rt= [server_cpu_us_per_rt=]
// server_cpu_us_per_rt is the server's utime+stime (/proc/PID/stat, all its threads) over the timed phase,
// per round trip; client_cpu_us_per_rt the same for this program (both share the machine's cores). idle:
// reads the server's VmRSS (/proc/PID/status) and the kernel's TCP buffer memory (/proc/net/sockstat, "mem"
// in pages), opens --conns connections that each send one byte and read its echo, then holds them idle for
// --settle-ms (any byte or close seen meanwhile is an error) and reads both again. Prints
//   RESULT system=NAME workload=w12_idle_conns conns= rss_bytes_per_conn= sock_mem_bytes_per_conn= ...
// sockstat's figure is the whole machine's (both ends of each connection, and whatever else runs there), and
// Linux >= 6.0 batches it per CPU (up to 1 MiB each), so it means something only over thousands of
// connections. Idle connections hold no buffers (ss -tm shows f0 for each), so it should be near 0 for any
// server.
//
// Exit status: 0 measured, 1 an error (stated on stderr: which connection, which call, errno's name), 2 the
// run exceeded --timeout seconds. Plain Linux and C++20; no beampp dependency.
//
// Design: one thread, one level-triggered epoll set. A connection is always in one state (see conn::phase);
// connecting and greeting ones count against --window, so at most that many handshakes wait in the server's
// accept queue at once (a full queue drops SYNs and costs seconds of retransmission). A connection is
// established once the server has echoed its greeting: that proves it was accepted and is served, so the
// timed phase measures echoing only, not accepting. W11's greeting is one untimed round trip of the same
// message. Source addresses rotate over 127.0.0.2..127.0.0.(1+sources) with IP_BIND_ADDRESS_NO_PORT, so the
// kernel picks ports per 4-tuple and neither ephemeral ports nor TIME_WAIT from earlier runs run out.
// Latencies go to a log-linear histogram (0.2% relative error, fixed 260 KiB) rather than a vector, so the
// memory does not grow with conns x msgs. Rejected: one thread per connection (19,000 threads measure the
// client); a second client thread (these machines have 2 cores, shared with the server under test; one client
// thread leaves the server the most).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

namespace {

[[noreturn]] void fail(int status, const std::string& message) {
  std::fprintf(stderr, "tcp_load: %s\n", message.c_str());
  std::exit(status);
}

// "ECONNREFUSED (Connection refused)".
std::string errno_text(int err) {
  const char* name = strerrorname_np(err);
  return std::string(name != nullptr ? name : "errno " + std::to_string(err)) + " (" + std::strerror(err) +
         ")";
}

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Latencies in nanoseconds. Values below 2^sub_bits are exact; above, each power of two has half_ buckets, so
// a bucket's width is at most 1/half_ (0.2%) of its values. Buckets are reported by their midpoint.
class histogram {
 public:
  void record(uint64_t v) {
    ++counts_[index(v)];
    ++total_;
    max_ = std::max(max_, v);
  }
  [[nodiscard]] uint64_t total() const { return total_; }
  [[nodiscard]] uint64_t max() const { return max_; }
  // The smallest recorded value v with at least q (0 < q <= 1) of the values <= v, within the bucket's width.
  [[nodiscard]] double quantile(double q) const {
    const auto rank = static_cast<uint64_t>(std::max(1.0, std::ceil(q * static_cast<double>(total_))));
    uint64_t seen = 0;
    for (size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) return midpoint(i);
    }
    return static_cast<double>(max_);
  }

 private:
  static constexpr int sub_bits = 10;
  static constexpr uint64_t half_ = uint64_t{1} << (sub_bits - 1);
  static size_t index(uint64_t v) {
    if (v < 2 * half_) return v;
    const int shift = std::bit_width(v) - sub_bits;  // v >> shift lies in [half_, 2 * half_)
    return static_cast<size_t>(shift) * half_ + (v >> shift);
  }
  static double midpoint(size_t i) {
    if (i < 2 * half_) return static_cast<double>(i);
    const uint64_t shift = i / half_ - 1;
    const uint64_t low = (i - shift * half_) << shift;
    return static_cast<double>(low) + static_cast<double>((uint64_t{1} << shift) - 1) / 2;
  }
  std::vector<uint64_t> counts_ = std::vector<uint64_t>((64 - sub_bits + 2) * half_);
  uint64_t total_ = 0;
  uint64_t max_ = 0;
};

struct options {
  std::string mode;
  std::string host = "127.0.0.1";
  std::string system = "unknown";
  int port = -1;
  long conns = -1;  // default by mode
  long msgs = 1000;
  long bytes = 64;
  long server_pid = 0;
  long sources = 64;
  long window = 256;
  long settle_ms = 2000;
  long timeout_s = 120;
};

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "tcp_load: %s\n"
               "usage: tcp_load echo --port P [--conns 1000] [--msgs 1000] [--bytes 64] [--server-pid PID]\n"
               "       tcp_load idle --port P --server-pid PID [--conns 19000] [--settle-ms 2000]\n"
               "  common: [--host 127.0.0.1] [--system NAME] [--sources 64] [--window 256] [--timeout 120]\n",
               why.c_str());
  std::exit(1);
}

long parse_number(std::string_view flag, std::string_view text, long min, long max) {
  long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < min || value > max) {
    usage(std::string(flag) + " wants a number from " + std::to_string(min) + " to " + std::to_string(max) +
          ", not '" + std::string(text) + "'");
  }
  return value;
}

options parse(int argc, char** argv) {
  if (argc < 2) usage("no mode given");
  options o;
  o.mode = argv[1];
  if (o.mode != "echo" && o.mode != "idle") usage("unknown mode '" + o.mode + "'");
  for (int i = 2; i < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) usage(std::string(flag) + " needs a value");
    const std::string_view value = argv[i + 1];
    if (flag == "--host")
      o.host = value;
    else if (flag == "--system")
      o.system = value;
    else if (flag == "--port")
      o.port = static_cast<int>(parse_number(flag, value, 1, 65535));
    else if (flag == "--conns")
      o.conns = parse_number(flag, value, 1, 10'000'000);
    else if (flag == "--msgs")
      o.msgs = parse_number(flag, value, 1, 1'000'000'000);
    else if (flag == "--bytes")
      o.bytes = parse_number(flag, value, 1, 64 << 20);
    else if (flag == "--server-pid")
      o.server_pid = parse_number(flag, value, 1, 1 << 30);
    else if (flag == "--sources")
      o.sources = parse_number(flag, value, 0, 254);
    else if (flag == "--window")
      o.window = parse_number(flag, value, 1, 1'000'000);
    else if (flag == "--settle-ms")
      o.settle_ms = parse_number(flag, value, 0, 3'600'000);
    else if (flag == "--timeout")
      o.timeout_s = parse_number(flag, value, 1, 86'400);
    else
      usage("unknown option '" + std::string(flag) + "'");
  }
  if (o.port < 0) usage("--port is required");
  if (o.conns < 0) o.conns = o.mode == "echo" ? 1000 : 19000;
  if (o.mode == "idle" && o.server_pid == 0) usage("idle needs --server-pid (whose RSS it measures)");
  return o;
}

// /proc readers. Each fails the run clearly when the file or field is missing.
std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail(1, "cannot read " + path + ": " + errno_text(errno));
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

long long rss_bytes(long pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/status";
  std::istringstream in(read_file(path));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6)) * 1024;  // "VmRSS:   1234 kB"
  }
  fail(1, "no VmRSS in " + path);
}

// utime + stime of every thread of pid, in seconds.
double cpu_seconds(long pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/stat";
  const std::string stat = read_file(path);
  std::istringstream in(stat.substr(stat.rfind(')') + 2));  // after "pid (comm) ": field 3, the state
  std::vector<std::string> fields;
  for (std::string f; in >> f;) fields.push_back(f);
  if (fields.size() < 13) fail(1, "short " + path);
  return static_cast<double>(std::stoll(fields[11]) + std::stoll(fields[12])) /
         static_cast<double>(sysconf(_SC_CLK_TCK));
}

double self_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// The TCP line of /proc/net/sockstat: "TCP: inuse 5 orphan 0 tw 0 alloc 7 mem 3" (mem in pages).
std::map<std::string, long long> tcp_sockstat() {
  std::istringstream in(read_file("/proc/net/sockstat"));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("TCP:", 0) != 0) continue;
    std::istringstream words(line.substr(4));
    std::map<std::string, long long> kv;
    for (std::string key, value; words >> key >> value;) kv[key] = std::stoll(value);
    if (kv.count("mem") && kv.count("inuse")) return kv;
  }
  fail(1, "no TCP line with inuse and mem in /proc/net/sockstat");
}

// Raises the soft open-files limit to the hard one; fails when it cannot hold `needed` descriptors.
void raise_fd_limit(long needed) {
  rlimit r{};
  getrlimit(RLIMIT_NOFILE, &r);
  if (r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &r) != 0) fail(1, "setrlimit(RLIMIT_NOFILE): " + errno_text(errno));
  }
  if (r.rlim_cur != RLIM_INFINITY && static_cast<long>(r.rlim_cur) < needed) {
    fail(1, "needs " + std::to_string(needed) + " descriptors but the open-files limit is " +
                std::to_string(r.rlim_cur) + " (hard limit " + std::to_string(r.rlim_max) + ")");
  }
}

struct conn {
  // connecting: connect() in flight. greeting: greeting sent, its echo not all back. idle: established,
  // nothing outstanding. waiting: a timed message sent (maybe partly: `sent`), its echo not all back (`got`).
  enum class phase : uint8_t { connecting, greeting, idle, waiting };
  int fd = -1;
  phase at = phase::connecting;
  bool want_out = false;  // EPOLLOUT registered: connecting, or a message not all written
  uint32_t sent = 0;
  uint32_t got = 0;
  long done = 0;  // timed round trips completed
  int64_t start_ns = 0;
  uint32_t source = 0;  // source address (host order), for error messages
};

std::string ip_text(uint32_t host_order) {
  in_addr a{htonl(host_order)};
  char text[INET_ADDRSTRLEN];
  return inet_ntop(AF_INET, &a, text, sizeof text);
}

class load {
 public:
  explicit load(const options& o) : o_(o), conns_(static_cast<size_t>(o.conns)) {
    if (inet_pton(AF_INET, o.host.c_str(), &server_.sin_addr) != 1) usage("--host wants an IPv4 address");
    server_.sin_family = AF_INET;
    server_.sin_port = htons(static_cast<uint16_t>(o.port));
    spread_ = o.sources > 0 && (ntohl(server_.sin_addr.s_addr) >> 24) == 127;
    msg_bytes_ = o.mode == "echo" ? static_cast<uint32_t>(o.bytes) : 1;
    payload_.resize(msg_bytes_);
    for (size_t i = 0; i < payload_.size(); ++i) payload_[i] = static_cast<char>('a' + i % 26);
    echo_.resize(msg_bytes_);
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) fail(1, "epoll_create1: " + errno_text(errno));
    deadline_ns_ = now_ns() + o.timeout_s * 1'000'000'000LL;
  }

  // Opens every connection, at most --window handshaking at once; returns when all have had their greeting
  // echoed.
  void establish() {
    const int64_t t0 = now_ns();
    size_t next = 0;
    while (established_ < conns_.size()) {
      while (next < conns_.size() && next - established_ < static_cast<size_t>(o_.window)) open(next++);
      poll_once("establishing connections");
    }
    std::fprintf(stderr, "tcp_load: %zu connections established in %.2f s\n", conns_.size(),
                 static_cast<double>(now_ns() - t0) / 1e9);
  }

  // W11's timed phase: every connection does --msgs round trips. Returns its length in seconds.
  double echo_all() {
    const int64_t t0 = now_ns();
    for (size_t i = 0; i < conns_.size(); ++i) start_message(i);
    while (finished_ < conns_.size()) poll_once("echoing");
    return static_cast<double>(now_ns() - t0) / 1e9;
  }

  // W12's hold: runs the loop for ms milliseconds; an idle connection that sees data or a close fails the
  // run.
  void hold(long ms) {
    const int64_t until = now_ns() + ms * 1'000'000LL;
    while (now_ns() < until)
      poll_once("holding idle connections", static_cast<int>((until - now_ns()) / 1'000'000));
  }

  [[nodiscard]] const histogram& latencies() const { return latencies_; }

 private:
  void open(size_t i) {
    conn& c = conns_[i];
    c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) fail(1, "socket() for connection " + std::to_string(i) + ": " + errno_text(errno));
    const int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (spread_) {
      c.source = (127U << 24) | static_cast<uint32_t>(2 + i % static_cast<size_t>(o_.sources));
      setsockopt(c.fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
      sockaddr_in local{};
      local.sin_family = AF_INET;
      local.sin_addr.s_addr = htonl(c.source);
      if (bind(c.fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
        fail(1, "bind to " + ip_text(c.source) + " for connection " + std::to_string(i) + ": " +
                    errno_text(errno));
      }
    }
    c.at = conn::phase::connecting;
    if (connect(c.fd, reinterpret_cast<sockaddr*>(&server_), sizeof server_) != 0 && errno != EINPROGRESS) {
      connect_failed(i, errno);
    }
    c.want_out = true;
    epoll_event ev{uint32_t{EPOLLIN | EPOLLOUT}, {.u64 = i}};
    if (epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &ev) != 0) fail(1, "epoll_ctl(ADD): " + errno_text(errno));
  }

  [[noreturn]] void connect_failed(size_t i, int err) {
    fail(1, "connect to " + o_.host + ":" + std::to_string(o_.port) +
                (spread_ ? " from " + ip_text(conns_[i].source) : std::string()) +
                " failed: " + errno_text(err) + " (connection " + std::to_string(i + 1) + " of " +
                std::to_string(conns_.size()) + ", " + std::to_string(established_) + " established)");
  }

  void poll_once(const char* doing, int max_wait_ms = 100) {
    if (now_ns() > deadline_ns_) {
      fail(2, "timeout: still " + std::string(doing) + " after " + std::to_string(o_.timeout_s) + " s (" +
                  std::to_string(established_) + " of " + std::to_string(conns_.size()) +
                  " connections established, " + std::to_string(finished_) + " finished, " +
                  std::to_string(latencies_.total()) +
                  " timed round trips done); raise --timeout or lower --conns/--msgs");
    }
    epoll_event events[512];
    const int n = epoll_wait(epoll_, events, 512, std::max(0, std::min(max_wait_ms, 100)));
    if (n < 0) {
      if (errno == EINTR) return;
      fail(1, "epoll_wait: " + errno_text(errno));
    }
    for (int k = 0; k < n; ++k) on_event(static_cast<size_t>(events[k].data.u64), events[k].events);
  }

  void on_event(size_t i, uint32_t events) {
    conn& c = conns_[i];
    if (c.at == conn::phase::connecting) {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) connect_failed(i, err);
      if ((events & EPOLLOUT) == 0) return;
      c.at = conn::phase::greeting;
      c.sent = c.got = 0;
      write_some(i);
      return;
    }
    if (c.at == conn::phase::idle) {
      char byte = 0;
      const ssize_t n = read(c.fd, &byte, 1);
      if (n > 0)
        fail(1, "connection " + std::to_string(i + 1) + " received a byte it did not send (from the server)");
      if (n == 0) fail(1, "connection " + std::to_string(i + 1) + " closed by the server while idle");
      if (errno == EAGAIN) return;
      fail(1, "read on idle connection " + std::to_string(i + 1) + ": " + errno_text(errno));
    }
    if ((events & EPOLLOUT) != 0 && c.sent < msg_bytes_) write_some(i);
    if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0) read_some(i);
  }

  void start_message(size_t i) {
    conn& c = conns_[i];
    c.at = conn::phase::waiting;
    c.sent = c.got = 0;
    c.start_ns = now_ns();
    write_some(i);
  }

  void write_some(size_t i) {
    conn& c = conns_[i];
    while (c.sent < msg_bytes_) {
      const ssize_t n = write(c.fd, payload_.data() + c.sent, msg_bytes_ - c.sent);
      if (n > 0) {
        c.sent += static_cast<uint32_t>(n);
      } else if (errno == EAGAIN) {
        break;
      } else if (errno != EINTR) {
        fail(1, "write on connection " + std::to_string(i + 1) + ": " + errno_text(errno));
      }
    }
    const bool want_out = c.sent < msg_bytes_;
    if (want_out != c.want_out) {
      c.want_out = want_out;
      epoll_event ev{want_out ? uint32_t{EPOLLIN | EPOLLOUT} : uint32_t{EPOLLIN}, {.u64 = i}};
      if (epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev) != 0) fail(1, "epoll_ctl(MOD): " + errno_text(errno));
    }
  }

  void read_some(size_t i) {
    conn& c = conns_[i];
    // Never more than the echo still owed: a server that sends extra bytes is caught when the connection is
    // idle.
    const ssize_t n = read(c.fd, echo_.data() + c.got, msg_bytes_ - c.got);
    if (n == 0) {
      fail(1, "connection " + std::to_string(i + 1) + " closed by the server after " +
                  std::to_string(c.done) + " round trips (" + std::to_string(c.got) + " of " +
                  std::to_string(msg_bytes_) + " bytes of an echo received)");
    }
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      fail(1, "read on connection " + std::to_string(i + 1) + ": " + errno_text(errno));
    }
    if (c.got + static_cast<uint32_t>(n) > c.sent) {
      fail(1, "connection " + std::to_string(i + 1) + " received more bytes than it has sent");
    }
    c.got += static_cast<uint32_t>(n);
    if (c.got < msg_bytes_) return;
    if (std::memcmp(echo_.data(), payload_.data(), msg_bytes_) != 0) {
      fail(1, "connection " + std::to_string(i + 1) + " got an echo that differs from what it sent");
    }
    if (c.at == conn::phase::greeting) {
      c.at = conn::phase::idle;
      ++established_;
      return;
    }
    latencies_.record(static_cast<uint64_t>(now_ns() - c.start_ns));
    if (++c.done < o_.msgs) {
      start_message(i);
    } else {
      c.at = conn::phase::idle;
      ++finished_;
    }
  }

  const options& o_;
  std::vector<conn> conns_;
  sockaddr_in server_{};
  bool spread_ = false;
  uint32_t msg_bytes_ = 0;
  std::vector<char> payload_;
  std::vector<char> echo_;  // one connection's echo at a time: a connection reads only what it is owed
  int epoll_ = -1;
  int64_t deadline_ns_ = 0;
  size_t established_ = 0;
  size_t finished_ = 0;
  histogram latencies_;
};

int run_echo(const options& o) {
  load l(o);
  l.establish();
  const double server_cpu0 = o.server_pid != 0 ? cpu_seconds(o.server_pid) : 0;
  const double client_cpu0 = self_cpu_seconds();
  const double secs = l.echo_all();
  const double client_cpu = self_cpu_seconds() - client_cpu0;
  const double round_trips = static_cast<double>(o.conns) * static_cast<double>(o.msgs);
  std::string server_cpu;
  if (o.server_pid != 0) {
    char text[64];
    std::snprintf(text, sizeof text, " server_cpu_us_per_rt=%.2f",
                  (cpu_seconds(o.server_pid) - server_cpu0) / round_trips * 1e6);
    server_cpu = text;
  }
  const histogram& h = l.latencies();
  std::printf(
      "RESULT system=%s workload=w11_tcp_echo conns=%ld msgs_per_conn=%ld msg_bytes=%ld "
      "round_trips_per_sec=%.0f "
      "p50_us=%.1f p99_us=%.1f max_us=%.1f client_cpu_us_per_rt=%.2f%s\n",
      o.system.c_str(), o.conns, o.msgs, o.bytes, round_trips / secs, h.quantile(0.50) / 1e3,
      h.quantile(0.99) / 1e3, static_cast<double>(h.max()) / 1e3, client_cpu / round_trips * 1e6,
      server_cpu.c_str());
  return 0;
}

int run_idle(const options& o) {
  const long long page = sysconf(_SC_PAGESIZE);
  const long long rss0 = rss_bytes(o.server_pid);
  const auto sock0 = tcp_sockstat();
  load l(o);
  l.establish();
  l.hold(o.settle_ms);
  const long long rss1 = rss_bytes(o.server_pid);
  const auto sock1 = tcp_sockstat();
  const double n = static_cast<double>(o.conns);
  std::printf(
      "RESULT system=%s workload=w12_idle_conns conns=%ld rss_bytes_per_conn=%.0f "
      "sock_mem_bytes_per_conn=%.0f "
      "server_rss_before_kb=%lld server_rss_after_kb=%lld tcp_sockets_added=%lld\n",
      o.system.c_str(), o.conns, static_cast<double>(rss1 - rss0) / n,
      static_cast<double>((sock1.at("mem") - sock0.at("mem")) * page) / n, rss0 / 1024, rss1 / 1024,
      sock1.at("inuse") - sock0.at("inuse"));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const options o = parse(argc, argv);
  raise_fd_limit(o.conns + 16);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  return o.mode == "echo" ? run_echo(o) : run_idle(o);
}
