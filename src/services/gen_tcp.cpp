// services/gen_tcp.cpp: beam::gen_tcp's calls, and the runtime's table of sockets (tcp_service.hpp). A call
// that must wait leaves a waiter on the socket and waits for its reference in a selective receive
// (tcp_socket.hpp's design note); everything else happens on the caller's thread, without blocking.
#include <beam/gen_tcp.hpp>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>

#include <beam/blocking.hpp>
#include <beam/error.hpp>
#include <beam/inspect.hpp>
#include <beam/receive.hpp>

#include "io/posix_error.hpp"
#include "proc/process_control.hpp"
#include "proc/signals.hpp"
#include "services/services.hpp"
#include "services/tcp_service.hpp"

namespace beam::gen_tcp {

// --- the table ---

namespace detail {

tcp_service::~tcp_service() {
  std::unordered_map<std::uint64_t, std::shared_ptr<tcp_socket>> left;
  {
    std::lock_guard lock(mutex_);
    left.swap(sockets_);
    by_owner_.clear();
  }
  for (auto& [number, s] : left) s->close();
}

socket tcp_service::open(int fd, const pid& owner, const settings& s, tcp_socket::role r) {
  const beam::port id(next_number_.fetch_add(1, std::memory_order_relaxed));
  std::shared_ptr<tcp_socket> state;
  try {
    state = std::make_shared<tcp_socket>(*this, fd, id, owner, s, r);
  } catch (...) {
    ::close(fd);
    throw;
  }
  state->start(poller_);  // on failure the state's destructor closes fd
  {
    std::lock_guard lock(mutex_);
    sockets_.emplace(id.number(), state);
    by_owner_.emplace(owner, id.number());
  }
  if (s.idle_timeout.count() != 0) watch_idle(state, std::chrono::steady_clock::now() + s.idle_timeout);
  beam::detail::note_port_owner(beam::detail::current_process("beam::gen_tcp"));
  return socket(id, std::move(state));
}

std::shared_ptr<tcp_socket> tcp_service::find(std::uint64_t number) {
  std::lock_guard lock(mutex_);
  const auto it = sockets_.find(number);
  return it == sockets_.end() ? nullptr : it->second;
}

namespace {
void erase_owned(std::unordered_multimap<pid, std::uint64_t>& index, const pid& owner, std::uint64_t number) {
  auto [first, last] = index.equal_range(owner);
  for (auto it = first; it != last; ++it) {
    if (it->second == number) {
      index.erase(it);
      return;
    }
  }
}
}  // namespace

void tcp_service::forget(const tcp_socket& s, const pid& owner) noexcept {
  std::lock_guard lock(mutex_);
  sockets_.erase(s.id().number());
  erase_owned(by_owner_, owner, s.id().number());
}

void tcp_service::moved(const tcp_socket& s, const pid& from, const pid& to) {
  std::lock_guard lock(mutex_);
  erase_owned(by_owner_, from, s.id().number());
  by_owner_.emplace(to, s.id().number());
}

void tcp_service::owner_ended(const pid& owner) noexcept {
  std::vector<std::shared_ptr<tcp_socket>> owned;
  {
    std::lock_guard lock(mutex_);
    auto [first, last] = by_owner_.equal_range(owner);
    for (auto it = first; it != last; ++it) {
      const auto found = sockets_.find(it->second);
      if (found != sockets_.end()) owned.push_back(found->second);
    }
  }
  for (const auto& s : owned) {
    if (s->owner() == owner) s->close();  // not given away meanwhile
  }
}

void tcp_service::watch_idle(std::shared_ptr<tcp_socket> s, std::chrono::steady_clock::time_point when) {
  {
    std::lock_guard lock(mutex_);
    idle_checks_.emplace(when, std::move(s));
  }
  poller_.expire_by(when);
}

std::chrono::steady_clock::time_point tcp_service::expire(
    std::chrono::steady_clock::time_point now) noexcept {
  std::vector<std::shared_ptr<tcp_socket>> due;
  {
    std::lock_guard lock(mutex_);
    const auto end = idle_checks_.upper_bound(now);
    for (auto it = idle_checks_.begin(); it != end; ++it) {
      if (auto s = it->second.lock()) due.push_back(std::move(s));
    }
    idle_checks_.erase(idle_checks_.begin(), end);
  }
  for (const auto& s : due) {
    const auto next = s->check_idle(now);
    if (next != std::chrono::steady_clock::time_point::max()) {
      std::lock_guard lock(mutex_);
      idle_checks_.emplace(next, s);
    }
  }
  std::lock_guard lock(mutex_);
  return idle_checks_.empty() ? std::chrono::steady_clock::time_point::max() : idle_checks_.begin()->first;
}

std::size_t tcp_service::open_count() noexcept {
  std::lock_guard lock(mutex_);
  return sockets_.size();
}

}  // namespace detail

// --- the calls ---

namespace {

using clock = std::chrono::steady_clock;
using detail::fail;

detail::tcp_service& service(const char* what) {
  return *beam::detail::services_for(what).tcp;
}

clock::time_point deadline_after(std::chrono::milliseconds timeout) {
  return timeout == infinity ? clock::time_point::max() : clock::now() + timeout;
}

std::chrono::milliseconds left_until(clock::time_point deadline) {
  if (deadline == clock::time_point::max()) return infinity;
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now());
  return std::max(left, std::chrono::milliseconds(0));
}

// Waits for the wake-up `ref` until `deadline`: true when woken, false at the deadline (the waiter is then
// off the socket's list, and no stray reference is left behind).
task<bool> wait_for(detail::tcp_socket& s, reference ref, clock::time_point deadline) {
  const term wake(ref);
  const bool woken =
      co_await receive(on(wake, [] { return true; }), after(left_until(deadline), [] { return false; }));
  if (woken) co_return true;
  if (s.forget_waiter(ref)) co_return false;
  co_await receive(
      on(wake, [] {}));  // taken by the poller or a close just before the timeout: it is on its way
  co_return true;
}

in_addr parse_ipv4(const std::string& text, std::string_view what) {
  in_addr address{};
  if (::inet_pton(AF_INET, text.c_str(), &address) != 1) {
    fail(atom("einval"), fmt::format("{}: not an IPv4 address: \"{}\"", what, text));
  }
  return address;
}

// A new non-blocking TCP socket, bound to `ip` if given.
int new_socket(std::string_view what) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw io_impl::posix_error(errno, what, "socket");
  return fd;
}

void set_flag(int fd, int level, int name, bool on, std::string_view what) {
  const int value = on ? 1 : 0;
  if (::setsockopt(fd, level, name, &value, sizeof value) != 0) {
    const int saved = errno;
    ::close(fd);
    throw io_impl::posix_error(saved, what, "setsockopt");
  }
}

void bind_to(int fd, const in_addr& address, std::uint16_t port, std::string_view what) {
  sockaddr_in where{};
  where.sin_family = AF_INET;
  where.sin_addr = address;
  where.sin_port = htons(port);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&where), sizeof where) != 0) {
    const int saved = errno;
    ::close(fd);
    throw io_impl::posix_error(saved, what, fmt::format("port {}", port));
  }
}

detail::settings settings_of(const options& opts) {
  detail::settings s;
  detail::apply_options(s, opts);
  return s;
}

// The IPv4 address of `host`: parsed, or resolved on a dirty thread.
task<in_addr> resolve(std::string host) {
  in_addr address{};
  if (::inet_pton(AF_INET, host.c_str(), &address) == 1) co_return address;
  auto lookup = [host] {
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (::getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0 || found == nullptr) {
      fail(atom("nxdomain"), fmt::format("connect: cannot resolve \"{}\"", host));
    }
    const in_addr result = reinterpret_cast<const sockaddr_in*>(found->ai_addr)->sin_addr;
    ::freeaddrinfo(found);
    return result;
  };
  co_return co_await blocking_call(std::move(lookup));
}

void append_iodata(std::string& out, const term& data, int depth) {
  if (depth > 100'000) fail(atom("badarg"), "send: iodata nested too deeply");
  if (data.is_binary()) {
    const auto bytes = data.as_binary();
    out.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  } else if (data.is_list()) {
    for (const term& element : data.as_list()) {
      if (element.is_integer()) {
        const std::int64_t byte = element.as_int();
        if (byte < 0 || byte > 255) fail(atom("badarg"), "send: a list element is not a byte");
        out.push_back(static_cast<char>(byte));
      } else {
        append_iodata(out, element, depth + 1);
      }
    }
    const term tail = data.list_tail();
    if (!tail.is_nil()) append_iodata(out, tail, depth + 1);
  } else if (!data.is_nil()) {
    fail(atom("badarg"), "send: not iodata (a binary, or a list of bytes, binaries and such lists)");
  }
}

// A send or recv that reached the socket costs its process reductions, as BEAM charges a port command: a
// system call takes microseconds where a receive takes tens of nanoseconds. Without the charge a
// distribution connection writing queued frames spent 2 reductions per frame, so a 4,000-reduction slice held
// 2,000 writes and its scheduler for 10 ms (dist_bench: long_schedule warnings); with 100 a slice holds
// about 40 writes.
constexpr std::uint32_t socket_call_reductions = 100;

void charge_socket_call() noexcept {
  if (beam::detail::process_control* p = beam::detail::current_process_or_null())
    (void)beam::detail::bump_reductions(*p, socket_call_reductions);
}

// controlling_process's step 2 (tcp_socket.hpp's hand-over): forwards to `to`, oldest first, every message
// the socket `id` sent the calling process, and leaves the others in place. The socket is paused, so it
// sends the caller nothing more: when the zero timeout fires, none is left. As OTP's tcp_sync_input, plus
// {tcp_error, S, _} (which keeps its place before {tcp_closed, S}) and {tcp_passive, S}.
task<> forward_socket_messages(term id, pid to) {
  const auto forward = [&to](const term& message) {
    beam::send(to, message);
    return true;
  };
  for (bool more = true; more;) {
    more = co_await receive(
        on(tuple(atom("tcp"), id, _), forward), on(tuple(atom("tcp_closed"), id), forward),
        on(tuple(atom("tcp_error"), id, _), forward), on(tuple(atom("tcp_passive"), id), forward),
        after(std::chrono::milliseconds(0), [] { return false; }));
  }
}

// send's body: `data` behind its packet header when `framed`, as it is otherwise.
task<> send_bytes(socket s, std::string_view data, bool framed) {
  const pid caller = self();
  for (bool first = true;; first = false) {
    std::optional<reference> ref;
    if (s.state().try_send(data, first, framed, caller, ref)) {
      charge_socket_call();
      co_return;
    }
    co_await wait_for(s.state(), *ref, clock::time_point::max());
  }
}

}  // namespace

task<> detail::send_unframed(socket s, std::string_view bytes) {
  co_await send_bytes(std::move(s), bytes, false);
}

active active::times(std::int32_t n) {
  if (n < -32768 || n > 32767) fail(atom("einval"), fmt::format("active: {} is out of -32768..32767", n));
  return active(mode::count, n);
}

socket socket::from(const term& port_term) {
  if (!port_term.is_port()) fail(atom("badarg"), fmt::format("not a port: {}", inspect(port_term)));
  const beam::port id = port_term.as_port();
  auto state = id.is_local() ? service("beam::gen_tcp::socket::from").find(id.number()) : nullptr;
  if (state == nullptr) fail(atom("badarg"), fmt::format("not an open socket: {}", inspect(port_term)));
  return socket(id, std::move(state));
}

socket listen(std::uint16_t port, const options& opts) {
  detail::tcp_service& tcp = service("beam::gen_tcp::listen");
  const pid owner = self();
  const detail::settings s = settings_of(opts);
  const in_addr address = opts.ip ? parse_ipv4(*opts.ip, "listen") : in_addr{htonl(INADDR_ANY)};
  const int backlog = opts.backlog.value_or(1024);
  if (backlog < 0) fail(atom("einval"), "listen: the backlog is negative");
  const int fd = new_socket("listen");
  set_flag(fd, SOL_SOCKET, SO_REUSEADDR, opts.reuseaddr.value_or(false), "listen");
  bind_to(fd, address, port, "listen");
  if (::listen(fd, backlog) != 0) {
    const int saved = errno;
    ::close(fd);
    throw io_impl::posix_error(saved, "listen", fmt::format("port {}", port));
  }
  return tcp.open(fd, owner, s, detail::tcp_socket::role::listener);
}

task<socket> accept(socket listener, std::chrono::milliseconds timeout) {
  detail::tcp_service& tcp = service("beam::gen_tcp::accept");
  const pid caller = self();
  const auto deadline = deadline_after(timeout);
  detail::tcp_socket& state = listener.state();
  for (;;) {
    std::optional<reference> ref;
    const int fd = state.try_accept(caller, ref);
    if (fd >= 0) {
      const detail::settings inherited = state.current_settings();
      if (inherited.nodelay) set_flag(fd, IPPROTO_TCP, TCP_NODELAY, true, "accept");
      co_return tcp.open(fd, caller, inherited, detail::tcp_socket::role::connected);
    }
    if (fd == detail::tcp_socket::accept_starved) {  // out of descriptors: look again in a while
      const auto pause = std::min(left_until(deadline), std::chrono::milliseconds(50));
      if (pause.count() == 0) fail(atom("timeout"), "accept");
      co_await receive(after(pause, [] {}));
      continue;
    }
    if (!co_await wait_for(state, *ref, deadline)) fail(atom("timeout"), "accept");
  }
}

task<socket> connect(std::string host, std::uint16_t port, options opts, std::chrono::milliseconds timeout) {
  detail::tcp_service& tcp = service("beam::gen_tcp::connect");
  const pid caller = self();
  const auto deadline = deadline_after(timeout);
  const detail::settings s = settings_of(opts);
  const in_addr address = co_await resolve(std::move(host));
  const int fd = new_socket("connect");
  if (opts.ip) bind_to(fd, parse_ipv4(*opts.ip, "connect"), 0, "connect");
  if (s.nodelay) set_flag(fd, IPPROTO_TCP, TCP_NODELAY, true, "connect");
  sockaddr_in where{};
  where.sin_family = AF_INET;
  where.sin_addr = address;
  where.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&where), sizeof where) != 0 && errno != EINPROGRESS) {
    const int saved = errno;
    ::close(fd);
    throw io_impl::posix_error(saved, "connect", fmt::format("port {}", port));
  }
  socket result = tcp.open(fd, caller, s, detail::tcp_socket::role::connecting);
  for (;;) {
    std::optional<reference> ref;
    if (result.state().try_finish_connect(caller, ref)) co_return result;
    if (!co_await wait_for(result.state(), *ref, deadline)) {
      result.state().close();
      fail(atom("timeout"), "connect");
    }
  }
}

task<> send(socket s, std::string_view data) {
  co_await send_bytes(std::move(s), data, true);
}

task<> send(socket s, std::string data) {
  co_await send(std::move(s), std::string_view(data));
}

task<> send(socket s, term data) {
  if (data.is_binary()) {  // its bytes, without a copy: `data` lives in this frame
    const auto bytes = data.as_binary();
    co_await send(std::move(s), std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    co_return;
  }
  std::string bytes;
  append_iodata(bytes, data, 0);
  co_await send(std::move(s), std::string_view(bytes));
}

task<term> recv(socket s, std::size_t length, std::chrono::milliseconds timeout) {
  const pid caller = self();
  const auto deadline = deadline_after(timeout);
  for (;;) {
    std::optional<reference> ref;
    if (auto data = s.state().try_recv(caller, length, ref)) {
      charge_socket_call();
      co_return std::move(*data);
    }
    if (!co_await wait_for(s.state(), *ref, deadline)) fail(atom("timeout"), "recv");
  }
}

void close(const socket& s) noexcept {
  s.state().close();
}

void shutdown_write(const socket& s) {
  s.state().shutdown_write();
}

task<> controlling_process(socket s, pid new_owner) {
  const pid caller = self();
  const std::optional<detail::paused_active> paused = s.state().pause_for_hand_over(caller, new_owner);
  if (!paused) co_return;  // new_owner owns it already
  try {
    co_await forward_socket_messages(s.id(), new_owner);
  } catch (...) {  // out of memory for a copy: the caller keeps the socket, active again
    s.state().cancel_hand_over(caller, *paused);
    throw;
  }
  s.state().finish_hand_over(caller, new_owner, *paused);
}

void setopts(const socket& s, const options& opts) {
  s.state().apply(opts);
}

std::pair<std::string, std::uint16_t> peername(const socket& s) {
  return s.state().address(true);
}

std::pair<std::string, std::uint16_t> sockname(const socket& s) {
  return s.state().address(false);
}

std::size_t open_sockets() noexcept {
  beam::detail::runtime_services* services = beam::detail::current_services();
  return services == nullptr ? 0 : services->tcp->open_count();
}

}  // namespace beam::gen_tcp
