// services/tcp_service.hpp: the runtime's table of open sockets, by port number and by owner.
//
// The table maps each open socket's port number to its state (a {tcp, S, Data} message names the socket by
// its port) and each owner to the sockets it owns, so that the end of a process closes its sockets
// (proc::port_service, called from the process's exit path). One mutex guards both maps; it is taken when a
// socket opens, closes or changes owner, and when a process that ever owned a socket ends, never on the data
// path (send and recv reach the socket's state through the gen_tcp::socket handle).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>

#include <beam/gen_tcp.hpp>

#include "io/poller.hpp"
#include "proc/node.hpp"
#include "services/tcp_socket.hpp"

namespace beam::gen_tcp::detail {

class tcp_service final : public proc::port_service, public io_impl::expiry_handler {
 public:
  explicit tcp_service(io_impl::poller& p) : poller_(p) { p.set_expiry_handler(*this); }
  ~tcp_service() override;  // closes the sockets left (the schedulers have stopped)
  tcp_service(const tcp_service&) = delete;
  tcp_service& operator=(const tcp_service&) = delete;

  // A socket for `fd` (non-blocking, close-on-exec), owned by `owner`, a running process that is the caller
  // (it is told it owns a port). Closes fd and throws on failure.
  socket open(int fd, const pid& owner, const settings& s, tcp_socket::role r);
  // The open socket with port number `number`, or null.
  [[nodiscard]] std::shared_ptr<tcp_socket> find(std::uint64_t number);
  // A socket closed: off the table.
  void forget(const tcp_socket& s, const pid& owner) noexcept;
  // The index follows a change of owner.
  void moved(const tcp_socket& s, const pid& from, const pid& to);
  void owner_ended(const pid& owner) noexcept override;
  [[nodiscard]] std::size_t open_count() noexcept;
  // Idle timeouts: `s` is looked at (check_idle) at `when`, by the poller's thread.
  void watch_idle(std::shared_ptr<tcp_socket> s, std::chrono::steady_clock::time_point when);
  std::chrono::steady_clock::time_point expire(std::chrono::steady_clock::time_point now) noexcept override;
  [[nodiscard]] io_impl::poller& poller() noexcept { return poller_; }

 private:
  io_impl::poller& poller_;
  std::atomic<std::uint64_t> next_number_{1};
  std::mutex mutex_;
  std::unordered_map<std::uint64_t, std::shared_ptr<tcp_socket>> sockets_;                       // mutex_
  std::unordered_multimap<pid, std::uint64_t> by_owner_;                                         // mutex_
  std::multimap<std::chrono::steady_clock::time_point, std::weak_ptr<tcp_socket>> idle_checks_;  // mutex_
};

}  // namespace beam::gen_tcp::detail
