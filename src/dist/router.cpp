// dist/router.cpp: starting and stopping distribution, the node's remote_router, the connection table, the
// keeper (listener and EPMD registration) and the net_kernel stub. The design is at the top of
// dist/node_table.hpp.
//
// Start-up order (dist::start, in the calling process): check the options; spawn the keeper, which listens,
// registers with EPMD and reports the creation; take the name and creation (this_node), mark the state
// running, plug the router into the node, register net_kernel, and only then spawn the first acceptor, so
// no frame is decoded before pids of this node are recognised as local. The end of distribution (stop, or
// its keeper's end) gives the node back its name of before, nonode@nohost and creation 0, as
// net_kernel:stop/0 does.
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

#include <beam/dist.hpp>
#include <beam/error.hpp>
#include <beam/gen_tcp.hpp>
#include <beam/logger.hpp>
#include <beam/receive.hpp>
#include <beam/reference.hpp>
#include <beam/registry.hpp>
#include <beam/timer.hpp>

#include "dist/epmd.hpp"
#include "dist/frames.hpp"
#include "dist/node_table.hpp"
#include "proc/node.hpp"
#include "term/atom_table.hpp"
#include "term/this_node.hpp"

namespace beam::dist_impl {
namespace {

using namespace beam::literals;

// Where the node sends what is addressed to other nodes while distribution runs: each message becomes a
// frame, encoded here on the sender's thread, and goes to the connection's process.
class dist_router final : public proc::remote_router {
 public:
  void route(const pid& to, term message) override {
    dist_state& st = state();
    if (!st.running.load(std::memory_order_acquire)) return;  // pairs with start's release
    const node_id node = to.node();
    if (node.name == st.config.name) return;  // another incarnation of this node: a dead pid
    const std::string frame = encode_frame(tuple(op::send, atom(""), term(to)), &message);
    if (auto conn = connection_for(node.name)) {
      send(*conn, tuple("$dist_out"_a, static_cast<std::int64_t>(node.creation), binary(frame)));
    }
  }
  void route(atom name, atom node, term message) override {
    dist_state& st = state();
    if (!st.running.load(std::memory_order_acquire)) return;
    const std::string frame = encode_frame(tuple(op::reg_send, term(sender()), atom(""), name), &message);
    if (auto conn = connection_for(node)) send(*conn, tuple("$dist_out"_a, 0, binary(frame)));
  }
  // Links, unlinks, exit signals, monitors, demonitors and DOWNs for a remote pid: handed to the connection's
  // process as they are, which encodes them and keeps what crossed (for noconnection when it goes down).
  bool route_signal(const pid& to, proc::signal_kind kind, const term& payload) override {
    switch (kind) {
      case proc::signal_kind::link:
      case proc::signal_kind::unlink:
      case proc::signal_kind::exit_linked:
      case proc::signal_kind::exit:
      case proc::signal_kind::monitor:
      case proc::signal_kind::demonitor:
      case proc::signal_kind::down:
        break;
      default:
        return false;
    }
    dist_state& st = state();
    if (!st.running.load(std::memory_order_acquire)) return false;
    const node_id node = to.node();
    if (node.name == st.config.name) return false;  // another incarnation of this node: noproc
    auto conn = connection_for(node.name);
    if (!conn) return false;
    send(*conn, tuple("$dist_signal"_a, static_cast<std::int64_t>(kind), term(to), payload,
                      static_cast<std::int64_t>(node.creation)));
    return true;
  }
  // A reply to a caller on another node, through its alias: ALIAS_SEND {33, From, Alias}.
  void route_alias(const reference& alias, term message) override {
    dist_state& st = state();
    if (!st.running.load(std::memory_order_acquire)) return;
    const node_id node = alias.node();
    if (node.name == st.config.name) return;
    const std::string frame = encode_frame(tuple(op::alias_send, term(sender()), term(alias)), &message);
    if (auto conn = connection_for(node.name)) {
      send(*conn, tuple("$dist_out"_a, static_cast<std::int64_t>(node.creation), binary(frame)));
    }
  }

 private:
  // REG_SEND names a sender: the calling process, or net_kernel's stub for a thread outside processes.
  static pid sender() {
    try {
      return self();
    } catch (const std::logic_error&) {
      auto stub = whereis("net_kernel"_a);
      return stub ? *stub : pid(0, 0);
    }
  }
};

dist_router the_router;

// This node's name while distribution is not running.
constexpr node_id not_alive{detail::atoms::nonode_at_nohost, 0};

// net_kernel as other nodes see it: net_adm:ping's {is_auth, Node} call answered `yes`; everything else
// dropped.
process net_kernel_stub() {
  for (bool running = true; running;) {
    co_await receive(on(tuple("$gen_call"_a, tuple(_pid, _term), tuple("is_auth"_a, _term)),
                        [](pid from, const term& tag, const term&) { send(from, tuple(tag, "yes"_a)); }),
                     on("$dist_stop"_a, [&] { running = false; }), on(_, [] {}));
  }
}

// Owns the listener and the EPMD registration for the node's life. Reports {Tag, ok, Listener, Port,
// Creation} or {Tag, error, Reason, Text} to `starter`, then waits for stop or EPMD's close.
// When the keeper ends, however it ends (stop, a failed start, or its runtime's shutdown destroying its
// frame), distribution of its generation is over: the state is cleared for the next start, and this node is
// nonode@nohost again.
struct keeper_end {
  explicit keeper_end(std::uint64_t g) noexcept : generation(g) {}
  std::uint64_t generation;
  keeper_end(const keeper_end&) = delete;
  keeper_end& operator=(const keeper_end&) = delete;
  ~keeper_end() {
    dist_state& st = state();
    std::lock_guard lock(st.mutex);
    if (st.generation != generation) return;
    st.running.store(false, std::memory_order_release);
    st.connections.clear();
    st.keeper.reset();
    st.port = 0;
    detail::set_this_node(not_alive);
  }
};

process keeper(pid starter, reference tag, std::string listen_ip, std::uint16_t listen_port,
               std::uint16_t epmd_port, std::string alive, std::chrono::milliseconds timeout,
               std::uint64_t generation) {
  const keeper_end end{generation};
  std::optional<gen_tcp::socket> listener;
  std::optional<gen_tcp::socket> registration;
  std::uint32_t creation = 0;
  std::uint16_t port = 0;
  term failure;
  std::string failure_text;
  // EPMD keeps a name until it sees the registering socket close: right after stop(), the previous
  // keeper's registration may still hold it for a moment, so a refusal is retried for up to a second.
  const auto retry_until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  for (bool retry = true; retry;) {
    retry = false;
    try {
      if (!listener) {
        listener = gen_tcp::listen(listen_port, {.ip = listen_ip,
                                                 .reuseaddr = true,
                                                 .active = gen_tcp::active::off(),
                                                 .packet = gen_tcp::packet::u2,
                                                 .packet_size = 65535,
                                                 .nodelay = true});
        port = gen_tcp::sockname(*listener).second;
      }
      const dist_impl::registration r = co_await epmd_register(epmd_port, alive, port, timeout);
      registration = r.socket;
      creation = r.creation;
    } catch (const error& e) {
      failure = e.reason();
      failure_text = e.what();
      retry = e.reason() == term("epmd_refused"_a) && std::chrono::steady_clock::now() < retry_until;
    } catch (const std::exception& e) {
      failure = "error"_a;
      failure_text = e.what();
    }
    if (retry) co_await sleep(std::chrono::milliseconds(20));
  }
  if (!registration) {
    send(starter, tuple(term(tag), "error"_a, failure, binary(failure_text)));
    co_return;
  }
  send(starter, tuple(term(tag), "ok"_a, listener->id(), static_cast<std::int64_t>(port),
                      static_cast<std::int64_t>(creation)));
  gen_tcp::setopts(*registration, {.active = gen_tcp::active::once()});
  const term reg_id = registration->id();
  co_await receive(
      on("$dist_stop"_a, [] {}),
      on(tuple("tcp_closed"_a, reg_id),
         [] { log_warning("EPMD closed our registration; other nodes cannot find this node now"); }),
      on(tuple("tcp"_a, reg_id, _term), [](const term&) {}));
  gen_tcp::close(*registration);
  gen_tcp::close(*listener);
}

// --- options ---

std::string host_name(bool long_names) {
  char buffer[256] = {};
  if (::gethostname(buffer, sizeof buffer - 1) != 0) throw std::invalid_argument("gethostname failed");
  std::string host(buffer);
  if (!long_names) host = host.substr(0, host.find('.'));
  return host;
}

std::string full_name(const dist::options& o) {
  if (o.name.empty()) throw std::invalid_argument("dist::start: the node name is empty");
  const auto at = o.name.find('@');
  if (at == 0)
    throw std::invalid_argument(fmt::format("dist::start: node name '{}' has no alive part", o.name));
  if (at != std::string::npos && at + 1 == o.name.size()) {
    throw std::invalid_argument(fmt::format("dist::start: node name '{}' has no host part", o.name));
  }
  if (at != std::string::npos && o.name.find('@', at + 1) != std::string::npos) {
    throw std::invalid_argument(fmt::format("dist::start: node name '{}' has two '@'", o.name));
  }
  std::string name = at == std::string::npos ? o.name + "@" + host_name(o.long_names) : o.name;
  if (name.size() > 255) throw std::invalid_argument("dist::start: the node name is longer than 255 bytes");
  return name;
}

std::string cookie_of(const dist::options& o) {
  std::string cookie;
  if (o.cookie) {
    cookie = *o.cookie;
    if (cookie.empty()) throw std::invalid_argument("dist::start: the cookie is empty");
  } else if (const char* env = std::getenv("ERLANG_COOKIE"); env != nullptr && *env != '\0') {
    cookie = env;
  } else {
    const char* home = std::getenv("HOME");
    const std::string path = std::string(home ? home : "") + "/.erlang.cookie";
    std::ifstream in(path);
    if (!in || !std::getline(in, cookie) || cookie.empty()) {
      throw std::invalid_argument(fmt::format(
          "dist::start: no cookie: none given, ERLANG_COOKIE unset and {} missing or empty", path));
    }
  }
  return cookie;
}

std::uint16_t epmd_port_of(const dist::options& o) {
  if (o.epmd_port) return *o.epmd_port;
  if (const char* env = std::getenv("ERL_EPMD_PORT"); env != nullptr && *env != '\0') {
    char* end = nullptr;
    const long port = std::strtol(env, &end, 10);
    if (*end != '\0' || port <= 0 || port > 65535) {
      throw std::invalid_argument(fmt::format("dist::start: ERL_EPMD_PORT={} is not a port number", env));
    }
    return static_cast<std::uint16_t>(port);
  }
  return 4369;
}

}  // namespace

dist_state& state() noexcept {
  static dist_state s;
  return s;
}

std::optional<pid> connection_for(atom peer) {
  dist_state& st = state();
  std::lock_guard lock(st.mutex);
  if (!st.running.load(std::memory_order_relaxed)) return std::nullopt;
  // A pid or alias made before distribution started names nonode@nohost: no node to dial.
  if (peer == detail::atoms::nonode_at_nohost) return std::nullopt;
  auto it = st.connections.find(peer.index());
  if (it != st.connections.end()) return it->second.process;
  const pid p = spawn(dial, peer);  // frames wait in its mailbox until it is up
  st.connections.emplace(peer.index(), connection_entry{p, false, true, false, 0});
  return p;
}

void forget_connection(atom peer, const pid& self) noexcept {
  dist_state& st = state();
  std::vector<pid> subscribers;
  {
    std::lock_guard lock(st.mutex);
    auto it = st.connections.find(peer.index());
    if (it == st.connections.end() || it->second.process != self) return;
    st.connections.erase(it);
    if (auto m = st.node_monitors.find(peer.index()); m != st.node_monitors.end()) {
      subscribers = std::move(m->second);
      st.node_monitors.erase(m);
    }
  }
  try {
    for (const pid& p : subscribers) send(p, tuple("nodedown"_a, peer));
  } catch (...) {  // out of memory for a message: that subscriber misses it
  }
}

void log_warning(const std::string& text) {
  log(log_level::warning, "dist: " + text);
}

void log_info(const std::string& text) {
  log(log_level::info, "dist: " + text);
}

}  // namespace beam::dist_impl

namespace beam::dist {

using namespace beam::literals;
using dist_impl::state;

task<node_id> start(options opts) {
  const std::string name = dist_impl::full_name(opts);
  const std::string cookie = dist_impl::cookie_of(opts);
  const std::uint16_t epmd_port = dist_impl::epmd_port_of(opts);
  if (opts.net_ticktime < std::chrono::seconds(1)) {
    throw std::invalid_argument("dist::start: net_ticktime must be at least 1 s");
  }
  if (opts.setup_time <= std::chrono::milliseconds(0))
    throw std::invalid_argument("dist::start: setup_time must be positive");
  if (opts.max_frame < 1024)
    throw std::invalid_argument("dist::start: max_frame must be at least 1024 bytes");
  proc::node& node = detail::node_for("beam::dist::start");
  dist_impl::dist_state& st = state();
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(st.mutex);
    if (st.keeper && st.owner == &node)
      throw std::logic_error("dist::start: distribution is already started");
    st.keeper.reset();  // a keeper of a runtime that has ended
    st.connections.clear();
    st.config = dist_impl::settings{atom(name),
                                    0,
                                    cookie,
                                    epmd_port,
                                    std::chrono::duration_cast<std::chrono::milliseconds>(opts.net_ticktime),
                                    opts.setup_time,
                                    opts.max_frame,
                                    opts.long_names};
    st.owner = &node;
    generation = ++st.generation;
  }
  const reference tag = reference::make();
  const pid k = spawn(dist_impl::keeper, self(), tag, opts.listen_ip, opts.listen_port, epmd_port,
                      name.substr(0, name.find('@')), opts.setup_time, generation);
  {
    std::lock_guard lock(st.mutex);
    st.keeper = k;
  }
  struct outcome {
    bool ok = false;
    term listener, detail;
    std::int64_t port = 0, creation = 0;
  };
  const outcome got =
      co_await receive(on(tuple(tag, "ok"_a, _term, _int, _int),
                          [](const term& l, std::int64_t port, std::int64_t creation) {
                            return outcome{true, l, term(), port, creation};
                          }),
                       on(tuple(tag, "error"_a, _term, _term),
                          [](const term& reason, const term& text) {
                            return outcome{false, reason, text, 0, 0};
                          }),
                       after(opts.setup_time * 2, [] {
                         return outcome{false, "timeout"_a, binary("no answer from the keeper"), 0, 0};
                       }));
  if (!got.ok) {
    {
      std::lock_guard lock(st.mutex);
      st.keeper.reset();
    }
    send(k, "$dist_stop"_a);
    const auto text = got.detail.is_binary() ? got.detail.as_binary() : std::span<const std::uint8_t>();
    throw error(got.listener, fmt::format("dist::start: cannot register {} with EPMD on port {}: {}", name,
                                          epmd_port, std::string(text.begin(), text.end())));
  }
  const node_id me{atom(name), static_cast<std::uint32_t>(got.creation)};
  detail::set_this_node(me);
  {
    std::lock_guard lock(st.mutex);
    st.config.creation = me.creation;
    st.port = static_cast<std::uint16_t>(got.port);
    st.running.store(true, std::memory_order_release);  // pairs with the router's acquire
  }
  node.set_router(dist_impl::the_router);
  if (!whereis("net_kernel"_a)) register_name("net_kernel"_a, spawn(dist_impl::net_kernel_stub));
  spawn(dist_impl::accept_one, got.listener);
  co_return me;
}

void stop() noexcept {
  dist_impl::dist_state& st = state();
  std::vector<pid> ends;
  std::vector<std::pair<pid, atom>> nodedowns;
  {
    std::lock_guard lock(st.mutex);
    if (!st.running.load(std::memory_order_relaxed)) return;
    st.running.store(false, std::memory_order_release);
    for (const auto& [node, subscribers] : st.node_monitors) {
      for (const pid& p : subscribers) nodedowns.emplace_back(p, atom::from_index(node));
    }
    st.node_monitors.clear();
    for (const auto& [node, entry] : st.connections) ends.push_back(entry.process);
    st.connections.clear();
    if (st.keeper) ends.push_back(*st.keeper);
    st.keeper.reset();
    st.port = 0;
    detail::set_this_node(dist_impl::not_alive);
  }
  try {
    if (auto stub = whereis("net_kernel"_a)) ends.push_back(*stub);
    for (const pid& p : ends) send(p, "$dist_stop"_a);
    for (const auto& [p, node] : nodedowns) send(p, tuple("nodedown"_a, node));
  } catch (...) {  // no runtime: its processes are gone already
  }
}

void monitor_node(atom node, bool on) {
  const pid me = self();
  dist_impl::dist_state& st = state();
  bool down_now = false;
  {
    std::lock_guard lock(st.mutex);
    auto& subscribers = st.node_monitors[node.index()];
    if (!on) {
      std::erase(subscribers, me);
      if (subscribers.empty()) st.node_monitors.erase(node.index());
      return;
    }
    down_now = !st.running.load(std::memory_order_relaxed) || node == st.config.name ||
               node == detail::atoms::nonode_at_nohost;
    if (!down_now) subscribers.push_back(me);
  }
  if (down_now) {  // no distribution (or this node itself): at once, as Erlang answers an unreachable node
    send(me, tuple("nodedown"_a, node));
    return;
  }
  (void)dist_impl::connection_for(node);  // as OTP: monitoring a node connects to it
}

std::vector<atom> nodes() {
  dist_impl::dist_state& st = state();
  std::lock_guard lock(st.mutex);
  std::vector<atom> out;
  for (const auto& [node, entry] : st.connections) {
    if (entry.up) out.push_back(atom::from_index(node));
  }
  return out;
}

bool alive() noexcept {
  return state().running.load(std::memory_order_acquire);
}

std::uint16_t listen_port() noexcept {
  dist_impl::dist_state& st = state();
  std::lock_guard lock(st.mutex);
  return st.port;
}

}  // namespace beam::dist
