// services/tcp_socket.hpp: one gen_tcp socket's state, shared by its processes and the poller.
//
// Design
// ------
// A socket is a non-blocking descriptor registered once with the runtime's poller (io/poller.hpp), edge-
// triggered for reads and writes. Processes do their own system calls (accept, read, write, connect's check)
// on their worker, under the socket's lock; when one would wait (EAGAIN), it leaves a waiter (its pid and a
// fresh reference) and waits in a selective receive for that reference, with its timeout. The poller, on
// readiness, notes it (`readable_`, `writable_`) and sends the waiters their references: a wake-up is a
// message, so a waiting process is an ordinary waiting process (exit signals end it, its other messages stay
// in order) and holds no thread. A waiter that times out takes itself off under the lock; if the poller took
// it first, the reference is on its way and the process receives it before it goes on, so no stray reference
// is left in its mailbox.
//
// Active mode is the exception: nobody waits, so the poller's thread reads and frames the data and sends the
// owner {tcp, S, Data} messages itself, as many as the active setting allows. A passive (or spent once/N)
// socket stops reading: edge-triggered, the kernel will not tell us again, so `readable_` stays set and the
// setopts that re-arms reads on the caller's thread.
//
// Lost edges: every path that found EAGAIN cleared the flag under the lock before the poller could set it
// again (the poller sets it under the same lock), and a waiter is registered under the lock after a look at
// the flag: so either the waiter sees the flag, or the poller sees the waiter.
//
// Hand-over (controlling_process, gen_tcp.cpp): the messages the socket sent the old owner must reach the new
// one before anything it sends later, and none may be lost. Three steps: (1) under the lock, the socket
// becomes passive (pause_for_hand_over): every message it sends goes out under the lock, so once that returns
// the caller's mailbox holds all the socket will ever send it; (2) the caller, without the lock, forwards
// those to the new owner with a selective receive and a zero timeout; (3) under the lock, the owner changes
// and the active setting comes back (finish_hand_over), so what arrived meanwhile goes to the new owner,
// after what was forwarded. Rejected: moving the owner first (a new owner's recv could overtake the messages
// still being forwarded); forwarding without the pause (a message sent after the last look would stay
// behind). A caller that ends during step 2 still owns the socket, which closes with it. As in OTP, another
// process's setopts during step 2 is not guarded against: its active setting is overwritten in step 3, and
// what it delivered after the caller's last look stays with the caller.
//
// Lock order: a socket's mutex_, then the poller's slot lock (remove) or the service's lock (a close leaves
// the table); the service never takes a socket's lock while it holds its own.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <beam/gen_tcp.hpp>
#include <beam/pid.hpp>
#include <beam/reference.hpp>

#include "io/poller.hpp"

namespace beam::gen_tcp::detail {

class tcp_service;

// A socket's settings; setopts changes them under the socket's lock.
struct settings {
  gen_tcp::active active = gen_tcp::active::on();
  std::int32_t active_left = 0;  // active::count: messages left
  gen_tcp::packet packet = gen_tcp::packet::raw;
  std::size_t packet_size = 0;
  std::size_t send_buffer = std::size_t{64} << 10;
  bool nodelay = false;
  std::chrono::milliseconds idle_timeout{0};  // 0: none
};

// The active setting a hand-over paused, to give back to the new owner.
struct paused_active {
  gen_tcp::active active;
  std::int32_t left;  // settings::active_left
};

// A process waiting on a socket: it receives `ref` when it should look again.
struct waiter {
  pid who;
  reference ref;
};

// Throws beam::error(reason), its text naming the gen_tcp call `what`.
[[noreturn]] void fail(atom reason, std::string_view what);

// Applies the options `opts` sets to `s` (listen, connect and setopts share it). Throws beam::error(einval).
void apply_options(settings& s, const options& opts);

class tcp_socket final : public io_impl::poll_target, public std::enable_shared_from_this<tcp_socket> {
 public:
  enum class role : std::uint8_t { listener, connecting, connected };
  // try_accept's answer when the process is out of descriptors (emfile): wait a while and try again.
  static constexpr int accept_starved = -2;

  tcp_socket(tcp_service& service, int fd, beam::port id, const pid& owner, const settings& s, role r);
  ~tcp_socket() override;
  tcp_socket(const tcp_socket&) = delete;
  tcp_socket& operator=(const tcp_socket&) = delete;

  // After construction, before anyone else sees it: registers with the poller (throws std::system_error).
  void start(io_impl::poller& p);

  void on_ready(std::uint32_t events) noexcept override;

  // --- the calling process's side; each takes the lock. A call that must wait leaves a waiter under a fresh
  // reference it puts in `ref`; the caller then waits for that reference (or its timeout). ---
  // Passive recv: a packet (a binary), or nullopt after leaving a waiter. Throws beam::error.
  std::optional<term> try_recv(const pid& caller, std::size_t length, std::optional<reference>& ref);
  // Appends `data` (only when `first`, not on a retry; behind its packet header when `framed`) and writes
  // what the kernel takes. True when the caller may go on; false after leaving a waiter (the buffer is over
  // its limit). Throws beam::error.
  bool try_send(std::string_view data, bool first, bool framed, const pid& caller,
                std::optional<reference>& ref);
  // Listener: a connected descriptor; -1 after leaving a waiter; accept_starved. Throws beam::error.
  int try_accept(const pid& caller, std::optional<reference>& ref);
  // Connecting: true once connected; false after leaving a waiter. Throws beam::error (econnrefused ...).
  bool try_finish_connect(const pid& caller, std::optional<reference>& ref);
  // A waiter whose timeout passed: true if it was still listed (it is removed now); false if the poller or a
  // close took it first (its reference is on its way).
  bool forget_waiter(const reference& ref);

  // Closes the descriptor (idempotent; false if it was closed): the waiters are woken and find it closed.
  bool close() noexcept;
  void shutdown_write();                // throws closed
  void check_owner(const pid& caller);  // throws not_owner, closed
  void apply(const options& opts);      // setopts; throws

  // --- controlling_process (the design note's hand-over); the owner's process only ---
  // Step 1: checks (closed, not_owner, badarg) and makes the socket passive until step 3; nullopt when
  // `new_owner` owns it already (nothing to do).
  std::optional<paused_active> pause_for_hand_over(const pid& caller, const pid& new_owner);
  // Step 3: `new_owner` owns the socket and gets `paused` back, with what arrived meanwhile. Throws closed if
  // another process closed it since step 1; closes it if `new_owner` has ended since (as if just after).
  void finish_hand_over(const pid& caller, const pid& new_owner, paused_active paused);
  // Step 2 failed: the caller keeps the socket and gets `paused` back.
  void cancel_hand_over(const pid& caller, paused_active paused) noexcept;
  [[nodiscard]] std::pair<std::string, std::uint16_t> address(bool peer);
  [[nodiscard]] beam::port id() const noexcept { return id_; }
  [[nodiscard]] pid owner();
  [[nodiscard]] settings current_settings();
  // The service's idle sweep: closes the socket if nothing arrived for its idle_timeout before `now`, and
  // returns time_point::max(); else returns when to look again.
  std::chrono::steady_clock::time_point check_idle(std::chrono::steady_clock::time_point now) noexcept;

 private:
  // With the lock held:
  void check_open() const;
  void check_owner_locked(const pid& caller) const;
  void add_waiter(std::vector<waiter>& list, const pid& caller, std::optional<reference>& ref);
  // Reads once into in_; false at EAGAIN (clears readable_), at end of file or on an error (noted).
  bool read_more();
  // Writes out_ until EAGAIN or empty; notes a write error.
  void flush();
  void write_direct(std::string_view header, std::string_view data);
  // Active mode: sends the owner what the active setting allows; at end of file or on an error, the
  // {tcp_error, ...} and {tcp_closed, S} messages, and closes.
  void deliver_active();
  void spend_active();
  void set_active(active a);
  void restore_active(paused_active paused);
  void send_to_owner(term message);
  [[nodiscard]] bool open() const noexcept { return fd_ >= 0 && !draining_; }
  // Closes the socket for its users: it leaves the service's table and every waiter is woken (to find it
  // closed). The descriptor closes now, or with `drain` once what send queued is written (as Erlang's close
  // lets the queued output go out first); a write error or a peer's reset ends the wait.
  void close_locked(bool drain = true) noexcept;

  tcp_service& service_;
  const beam::port id_;

  std::mutex mutex_;
  // --- mutex_ ---
  int fd_;  // -1 once closed
  io_impl::poller::registration registration_;
  io_impl::poller* poller_ = nullptr;
  role role_;
  pid owner_;
  settings settings_;
  std::string in_;   // bytes read and not yet delivered
  std::string out_;  // bytes to write, from out_offset_
  std::size_t out_offset_ = 0;
  bool readable_ = true;             // no read has seen EAGAIN since the last edge
  bool writable_;                    // no write has seen EAGAIN since the last edge (false while connecting)
  bool eof_ = false;                 // the peer closed its side
  bool shut_ = false;                // shutdown_write was called
  bool shut_pending_ = false;        // ... and waits for out_ to drain
  bool emfile_reported_ = false;     // a listener logged emfile, and has accepted nothing since
  bool draining_ = false;            // closed by its users; the descriptor stays until out_ is written
  std::optional<atom> read_error_;   // a read failed: reported once (recv, or tcp_error), then closed
  std::optional<atom> write_error_;  // a write failed: later sends report it
  std::vector<waiter> readers_;      // recv, accept, connect
  std::vector<waiter> writers_;      // send over the limit
  std::chrono::steady_clock::time_point last_arrival_ = std::chrono::steady_clock::now();  // for idle_timeout
};

// gen_tcp::send without the packet header: `bytes` go out as they are, so a caller that framed several
// packets itself writes them in one system call (the distribution connection's batches). The same waits and
// errors as send.
task<> send_unframed(socket s, std::string_view bytes);

}  // namespace beam::gen_tcp::detail
