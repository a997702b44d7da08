// services/tcp_socket.cpp: a socket's state machine. The design note is in tcp_socket.hpp.
#include "services/tcp_socket.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cerrno>

#include <beam/error.hpp>
#include <beam/inspect.hpp>
#include <beam/logger.hpp>
#include <beam/process.hpp>
#include <beam/process_info.hpp>

#include "base/assert.hpp"
#include "io/posix_error.hpp"
#include "proc/process_control.hpp"
#include "proc/signals.hpp"
#include "services/tcp_framing.hpp"
#include "services/tcp_service.hpp"

namespace beam::gen_tcp::detail {

void fail(atom reason, std::string_view what) {
  throw error(term(reason), fmt::format("gen_tcp: {}: {}", what, reason.text()));
}

namespace {

constexpr std::size_t read_chunk = 16 << 10;
// Active mode reads at most this much per readiness before it lets other sockets have the poller; the
// registration is re-armed so that the rest is reported again.
constexpr std::size_t active_read_budget = 1 << 20;
constexpr std::size_t keep_capacity = 4 << 10;  // buffers larger than this are released once empty

void wake(std::vector<waiter>& list) {
  for (const waiter& w : list) beam::send(w.who, term(w.ref));
  list.clear();
}

void release_if_large(std::string& buffer) {
  if (buffer.empty() && buffer.capacity() > keep_capacity) std::string().swap(buffer);
}

// The header of a packet of `size` bytes for framing `type` (empty for raw and line).
std::string_view packet_header(packet type, std::size_t size, char (&out)[4]) {
  const std::size_t header = type == packet::u1 ? 1 : type == packet::u2 ? 2 : type == packet::u4 ? 4 : 0;
  if (header == 0) return {};
  if (header < 4 && size >> (8 * header) != 0)
    fail(atom("emsgsize"), "send: the packet is too long for its header");
  if (size > 0xffffffffu) fail(atom("emsgsize"), "send: the packet is too long for its header");
  for (std::size_t i = 0; i < header; ++i) out[i] = static_cast<char>(size >> (8 * (header - 1 - i)));
  return {out, header};
}

}  // namespace

tcp_socket::tcp_socket(tcp_service& service, int fd, beam::port id, const pid& owner, const settings& s,
                       role r)
    : service_(service),
      id_(id),
      fd_(fd),
      role_(r),
      owner_(owner),
      settings_(s),
      writable_(r != role::connecting) {}

tcp_socket::~tcp_socket() {
  if (fd_ >= 0) ::close(fd_);  // never registered (start failed), or the runtime ends
}

void tcp_socket::start(io_impl::poller& p) {
  std::lock_guard guard(mutex_);
  poller_ = &p;
  registration_ = p.add(fd_, shared_from_this());
}

pid tcp_socket::owner() {
  std::lock_guard guard(mutex_);
  return owner_;
}

settings tcp_socket::current_settings() {
  std::lock_guard guard(mutex_);
  return settings_;
}

void tcp_socket::check_open() const {
  if (!open()) fail(atom("closed"), "the socket is closed");
}

void tcp_socket::check_owner_locked(const pid& caller) const {
  check_open();
  if (caller != owner_) fail(atom("not_owner"), "the calling process does not own the socket");
}

void tcp_socket::check_owner(const pid& caller) {
  std::lock_guard guard(mutex_);
  check_owner_locked(caller);
}

void tcp_socket::add_waiter(std::vector<waiter>& list, const pid& caller, std::optional<reference>& ref) {
  ref.emplace(reference::make());
  list.push_back({caller, *ref});
}

bool tcp_socket::forget_waiter(const reference& ref) {
  std::lock_guard guard(mutex_);
  for (auto* list : {&readers_, &writers_}) {
    const auto it = std::find_if(list->begin(), list->end(), [&](const waiter& w) { return w.ref == ref; });
    if (it != list->end()) {
      list->erase(it);
      return true;
    }
  }
  return false;
}

// --- reading ---

bool tcp_socket::read_more() {
  char buffer[read_chunk];
  for (;;) {
    const ssize_t n = ::read(fd_, buffer, sizeof buffer);
    if (n > 0) {
      in_.append(buffer, static_cast<std::size_t>(n));
      if (settings_.idle_timeout.count() != 0) last_arrival_ = std::chrono::steady_clock::now();
      return true;
    }
    if (n < 0 && errno == EINTR) continue;
    readable_ = false;
    if (n == 0) {
      eof_ = true;
    } else if (errno != EAGAIN) {
      read_error_ = io_impl::posix_reason(errno);
    }
    return false;
  }
}

std::optional<term> tcp_socket::try_recv(const pid& caller, std::size_t length,
                                         std::optional<reference>& ref) {
  std::lock_guard guard(mutex_);
  check_owner_locked(caller);
  if (settings_.active.kind() != active::mode::off)
    fail(atom("einval"), "recv: the socket is in active mode");
  for (;;) {
    const tcp_impl::frame f = tcp_impl::next_frame(settings_.packet, in_, settings_.packet_size, length);
    if (f.state == tcp_impl::frame::status::ready) {
      term data = binary(std::string_view(in_).substr(f.header, f.body));
      in_.erase(0, f.header + f.body);
      release_if_large(in_);
      return data;
    }
    if (f.state == tcp_impl::frame::status::too_large) {
      close_locked();
      fail(atom("emsgsize"), "recv: a packet is longer than packet_size");
    }
    if (readable_ && !eof_ && !read_error_ && read_more()) continue;
    if (read_error_ || eof_) {  // (or an idle timeout)
      const atom reason = read_error_.value_or(atom("closed"));
      close_locked();  // exit_on_close, Erlang's default: the socket ends with the connection
      fail(reason, "recv");
    }
    add_waiter(readers_, caller, ref);
    return std::nullopt;
  }
}

void tcp_socket::send_to_owner(term message) {
  beam::send(owner_, std::move(message));
}

void tcp_socket::spend_active() {
  active& a = settings_.active;
  if (a.kind() == active::mode::once) {
    a = active::off();
  } else if (a.kind() == active::mode::count && --settings_.active_left <= 0) {
    a = active::off();
    send_to_owner(tuple(atom("tcp_passive"), term(id_)));
  }
}

void tcp_socket::deliver_active() {
  std::size_t budget = active_read_budget;
  while (open() && settings_.active.kind() != active::mode::off) {
    const tcp_impl::frame f = tcp_impl::next_frame(settings_.packet, in_, settings_.packet_size, 0);
    if (f.state == tcp_impl::frame::status::ready) {
      send_to_owner(tuple(atom("tcp"), term(id_), binary(std::string_view(in_).substr(f.header, f.body))));
      in_.erase(0, f.header + f.body);
      spend_active();
      continue;
    }
    if (f.state == tcp_impl::frame::status::too_large) {
      read_error_ = atom("emsgsize");
      break;
    }
    if (!readable_ || eof_ || read_error_) break;
    if (budget < read_chunk) {  // leave the rest for the next readiness: re-armed to report it again
      poller_->rearm(fd_, registration_);
      break;
    }
    const std::size_t before = in_.size();
    if (!read_more()) break;
    budget -= in_.size() - before;
  }
  release_if_large(in_);
  if (open() && settings_.active.kind() != active::mode::off && (eof_ || read_error_)) {
    if (read_error_) send_to_owner(tuple(atom("tcp_error"), term(id_), term(*read_error_)));
    send_to_owner(tuple(atom("tcp_closed"), term(id_)));
    close_locked();
  }
}

// --- writing ---

void tcp_socket::flush() {
  while (out_offset_ < out_.size()) {
    const ssize_t n = ::send(fd_, out_.data() + out_offset_, out_.size() - out_offset_, MSG_NOSIGNAL);
    if (n > 0) {
      out_offset_ += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EAGAIN) {
      writable_ = false;
      return;
    } else if (n < 0 && errno != EINTR) {
      write_error_ = io_impl::posix_reason(errno);
      out_.clear();
      out_offset_ = 0;
      return;
    }
  }
  out_.clear();
  out_offset_ = 0;
  release_if_large(out_);
  if (shut_pending_) {
    shut_pending_ = false;
    ::shutdown(fd_, SHUT_WR);
  }
}

// Writes `header` and `data` straight from the caller's memory; queues what the kernel did not take.
void tcp_socket::write_direct(std::string_view header, std::string_view data) {
  iovec parts[2] = {{const_cast<char*>(header.data()), header.size()},
                    {const_cast<char*>(data.data()), data.size()}};
  std::size_t total = header.size() + data.size();
  ssize_t n = -1;
  do {
    msghdr message{};
    message.msg_iov = parts;
    message.msg_iovlen = 2;
    n = ::sendmsg(fd_, &message, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  std::size_t written = 0;
  if (n >= 0) {
    written = static_cast<std::size_t>(n);
  } else if (errno == EAGAIN) {
    writable_ = false;
  } else {
    write_error_ = io_impl::posix_reason(errno);
    return;
  }
  if (written == total) return;
  writable_ = false;  // a short write: the kernel's buffer is full
  if (written < header.size()) out_.append(header.substr(written));
  out_.append(data.substr(written > header.size() ? written - header.size() : 0));
}

bool tcp_socket::try_send(std::string_view data, bool first, bool framed, const pid& caller,
                          std::optional<reference>& ref) {
  std::lock_guard guard(mutex_);
  check_open();
  if (write_error_) fail(*write_error_, "send");
  if (shut_pending_ || shut_) fail(atom("closed"), "send: the socket was shut down for writing");
  if (first) {
    char buffer[4];
    const std::string_view header = framed ? packet_header(settings_.packet, data.size(), buffer) : "";
    if (out_offset_ == out_.size() && writable_) {
      write_direct(header, data);
    } else {
      out_.append(header);
      out_.append(data);
    }
  }
  if (writable_) flush();
  if (write_error_) fail(*write_error_, "send");
  if (out_.size() - out_offset_ <= settings_.send_buffer) return true;
  add_waiter(writers_, caller, ref);
  return false;
}

void tcp_socket::shutdown_write() {
  std::lock_guard guard(mutex_);
  check_open();
  if (shut_ || shut_pending_) return;
  if (out_offset_ == out_.size()) {
    shut_ = true;
    ::shutdown(fd_, SHUT_WR);
  } else {
    shut_pending_ = true;  // after what send queued
    shut_ = true;
  }
}

// --- accepting and connecting ---

int tcp_socket::try_accept(const pid& caller, std::optional<reference>& ref) {
  std::lock_guard guard(mutex_);
  check_open();
  if (role_ != role::listener) fail(atom("einval"), "accept: not a listening socket");
  for (;;) {
    const int fd = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      emfile_reported_ = false;
      return fd;
    }
    if (errno == EINTR || errno == ECONNABORTED) continue;
    if (errno == EAGAIN) {
      add_waiter(readers_, caller, ref);
      return -1;
    }
    if (errno == EMFILE || errno == ENFILE) {
      if (!emfile_reported_) {
        emfile_reported_ = true;
        log(log_level::warning,
            fmt::format(
                "gen_tcp: accept on {}: {} (out of file descriptors); accepting again once some are free",
                inspect(term(id_)), io_impl::posix_reason(errno).text()));
      }
      return accept_starved;
    }
    throw io_impl::posix_error(errno, "accept", inspect(term(id_)));
  }
}

bool tcp_socket::try_finish_connect(const pid& caller, std::optional<reference>& ref) {
  std::lock_guard guard(mutex_);
  check_open();
  int err = 0;
  socklen_t size = sizeof err;
  if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &size) != 0) err = errno;
  if (err != 0) {
    close_locked(false);
    throw io_impl::posix_error(err, "connect", inspect(term(id_)));
  }
  if (!writable_) {
    add_waiter(readers_, caller, ref);
    return false;
  }
  role_ = role::connected;
  if (settings_.active.kind() != active::mode::off) deliver_active();
  return true;
}

// --- readiness ---

void tcp_socket::on_ready(std::uint32_t events) noexcept {
  std::lock_guard guard(mutex_);
  if (fd_ < 0) return;
  if (draining_) {  // closed by its users: writes what they sent, then closes for good
    if ((events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0) writable_ = true;
    if (writable_) flush();
    if (out_offset_ == out_.size() || write_error_) close_locked(false);
    return;
  }
  if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) readable_ = true;
  if ((events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0) writable_ = true;
  try {
    if (role_ == role::connecting) {
      if (writable_) wake(readers_);
      return;
    }
    if (readable_) {
      wake(readers_);
      if (role_ == role::connected && settings_.active.kind() != active::mode::off) deliver_active();
    }
    if (open() && writable_ && role_ == role::connected) {
      flush();
      if (write_error_ || out_.size() - out_offset_ <= settings_.send_buffer) wake(writers_);
    }
  } catch (const std::exception& e) {  // out of memory building a message: the connection cannot go on
    log(log_level::error, fmt::format("gen_tcp: {} closed: {}", inspect(term(id_)), e.what()));
    close_locked(false);
  }
}

// --- closing, options, addresses ---

void tcp_socket::close_locked(bool drain) noexcept {
  if (fd_ < 0) return;
  if (!draining_) {
    draining_ = true;  // closed for every user from now on
    in_ = {};
    service_.forget(*this, owner_);
    try {
      wake(readers_);
      wake(writers_);
    } catch (...) {  // out of memory for a wake-up message: those waiters time out instead
      readers_.clear();
      writers_.clear();
    }
    if (drain && out_offset_ < out_.size() && !write_error_) return;  // on_ready writes the rest, then closes
  }
  poller_->remove(fd_, registration_);
  ::close(fd_);
  fd_ = -1;
  out_ = {};
  out_offset_ = 0;
}

bool tcp_socket::close() noexcept {
  std::lock_guard guard(mutex_);
  const bool was_open = open();
  close_locked();
  return was_open;
}

// --- controlling_process: the hand-over in tcp_socket.hpp's design note ---

std::optional<paused_active> tcp_socket::pause_for_hand_over(const pid& caller, const pid& new_owner) {
  std::lock_guard guard(mutex_);
  check_open();
  if (new_owner == owner_) return std::nullopt;  // as OTP: ok, whoever asks
  check_owner_locked(caller);
  if (!alive(new_owner))
    fail(atom("badarg"), "controlling_process: the new owner is not a live local process");
  const paused_active paused{settings_.active, settings_.active_left};
  // A listener sends no active messages, and accept copies its settings: it is left as it is.
  if (role_ != role::listener) settings_.active = active::off();  // nothing more goes to the caller
  return paused;
}

void tcp_socket::finish_hand_over([[maybe_unused]] const pid& caller, const pid& new_owner,
                                  paused_active paused) {
  std::lock_guard guard(mutex_);
  if (!open()) fail(atom("closed"), "controlling_process: the socket was closed during the hand-over");
  BEAM_ASSERT(owner_ == caller, "only the owner's process hands the socket over, and it is in the call");
  service_.moved(*this, owner_, new_owner);
  owner_ = new_owner;
  // The new owner learns that it owns a port; if it ended meanwhile, its end (or the signal's drop) closes
  // it.
  if (!beam::detail::give_port(beam::detail::process_control::node(), new_owner, term(id_))) {
    close_locked();
    return;
  }
  restore_active(paused);  // to the new owner, after what the caller forwarded
}

void tcp_socket::cancel_hand_over(const pid& caller, paused_active paused) noexcept {
  std::lock_guard guard(mutex_);
  if (!open() || owner_ != caller) return;
  try {
    restore_active(paused);
  } catch (const std::exception& e) {  // out of memory building a message, as in on_ready
    log(log_level::error, fmt::format("gen_tcp: {} closed: {}", inspect(term(id_)), e.what()));
    close_locked(false);
  }
}

void tcp_socket::restore_active(paused_active paused) {
  settings_.active = paused.active;
  settings_.active_left = paused.left;
  if (role_ == role::connected && settings_.active.kind() != active::mode::off) deliver_active();
}

void tcp_socket::set_active(active a) {
  if (a.kind() != active::mode::count) {
    settings_.active = a;
    return;
  }
  const std::int32_t before = settings_.active.kind() == active::mode::count ? settings_.active_left : 0;
  settings_.active_left = std::clamp(before + a.count(), -32768, 32767);
  if (settings_.active_left > 0) {
    settings_.active = a;
  } else {
    settings_.active = active::off();
    send_to_owner(tuple(atom("tcp_passive"), term(id_)));
  }
}

void tcp_socket::apply(const options& opts) {
  std::lock_guard guard(mutex_);
  check_open();
  if (opts.ip || opts.backlog || opts.reuseaddr)
    fail(atom("einval"), "setopts: ip, backlog and reuseaddr are set at listen");
  settings next = settings_;
  apply_options(next, opts);
  if (opts.nodelay && role_ != role::listener) {
    const int on = *opts.nodelay ? 1 : 0;
    if (::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) != 0)
      throw io_impl::posix_error(errno, "setopts", "nodelay");
  }
  const active wanted = next.active;
  next.active = settings_.active;
  next.active_left = settings_.active_left;
  settings_ = next;
  if (opts.active) set_active(wanted);
  if (opts.idle_timeout && opts.idle_timeout->count() != 0) {
    last_arrival_ = std::chrono::steady_clock::now();
    service_.watch_idle(shared_from_this(), last_arrival_ + *opts.idle_timeout);
  }
  if (role_ == role::connected && settings_.active.kind() != active::mode::off) deliver_active();
}

std::pair<std::string, std::uint16_t> tcp_socket::address(bool peer) {
  std::lock_guard guard(mutex_);
  check_open();
  sockaddr_in where{};
  socklen_t size = sizeof where;
  const int rc = peer ? ::getpeername(fd_, reinterpret_cast<sockaddr*>(&where), &size)
                      : ::getsockname(fd_, reinterpret_cast<sockaddr*>(&where), &size);
  if (rc != 0) throw io_impl::posix_error(errno, peer ? "peername" : "sockname", inspect(term(id_)));
  char text[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &where.sin_addr, text, sizeof text);
  return {text, ntohs(where.sin_port)};
}

void apply_options(settings& s, const options& opts) {
  if (opts.active) {
    s.active = *opts.active;
    s.active_left = opts.active->count();
    if (s.active.kind() == active::mode::count && s.active_left <= 0) s.active = active::off();
  }
  if (opts.packet) s.packet = *opts.packet;
  if (opts.packet_size) s.packet_size = *opts.packet_size;
  if (opts.send_buffer) {
    if (*opts.send_buffer == 0) fail(atom("einval"), "send_buffer must be at least 1 byte");
    s.send_buffer = *opts.send_buffer;
  }
  if (opts.nodelay) s.nodelay = *opts.nodelay;
  if (opts.idle_timeout) {
    if (opts.idle_timeout->count() < 0) fail(atom("einval"), "idle_timeout is negative");
    s.idle_timeout = *opts.idle_timeout;
  }
}

std::chrono::steady_clock::time_point tcp_socket::check_idle(
    std::chrono::steady_clock::time_point now) noexcept {
  constexpr auto never = std::chrono::steady_clock::time_point::max();
  std::lock_guard guard(mutex_);
  if (!open() || settings_.idle_timeout.count() == 0 || role_ != role::connected) return never;
  const auto due = last_arrival_ + settings_.idle_timeout;
  if (due > now) return due;
  try {
    if (settings_.active.kind() != active::mode::off) {
      send_to_owner(tuple(atom("tcp_error"), term(id_), atom("timeout")));
      send_to_owner(tuple(atom("tcp_closed"), term(id_)));
    } else if (!readers_.empty()) {
      read_error_ = atom("timeout");  // the waiting recv reports it, and closes
      readable_ = false;
      wake(readers_);
      return never;
    }
  } catch (...) {  // out of memory for the messages: closed all the same
  }
  close_locked();
  return never;
}

}  // namespace beam::gen_tcp::detail
