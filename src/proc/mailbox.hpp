// proc/mailbox.hpp: a process's mailbox: lock-free for any number of senders, private to its one owner.
//
// Senders push onto `inbox_`, an atomic stack (CAS, seq_cst: release for the owner's acquire exchange, and
// part of the wake-up protocol in process_control.hpp). The owner takes the whole stack at once, reverses it
// into arrival order and appends it to its private queue, which only it touches; receive scans and removes
// from there. Order between one sender and the owner is preserved: a sender's pushes are ordered in the
// stack, and every batch taken is newer than the one before.
//
// The inbox word carries, beside the top node's address (48 bits: x86-64 and AArch64 user space), how many
// nodes the stack holds (16 bits, saturating at `count_max`). So the push that queues a message also counts
// it, and the exchange that takes the stack takes its count: message_queue_len is known to any thread without
// a lock and without a shared counter. Only pushes onto a saturated stack (65,535 messages not taken yet) add
// to `overflow_`; the owner subtracts them when it takes the stack. Rejected: a separate pending counter
// (a fetch_add per send and a fetch_sub per take: 2 of the 11 locked instructions of a message's path, and a
// cache line every sender of a fan-in fights over; removing it with the PCB references of send and park
// took w3_pingpong from 272 to 194 ns per round trip and w5_fan_in from 5.4 to 9.9 M msgs/s, same run);
// Vyukov's MPSC queue (one exchange per push, but the owner can see a half-linked queue and must spin or
// treat it as empty, which complicates the wake-up protocol); a mutex-protected deque (senders would contend
// on it).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <utility>

#include <beam/term.hpp>

#include "base/assert.hpp"

namespace beam::proc {

// What a queued node carries: a message, or a signal (proc/signals.hpp) that travels in the same queue so
// that signals and messages from one sender keep their order (Erlang's signal ordering guarantee).
enum class signal_kind : std::uint8_t {
  message,      // `payload` is the message
  link,         // payload: the linking pid
  unlink,       // payload: the unlinking pid
  exit_linked,  // a linked process ended; payload: {from, reason}
  exit,         // exit/2; payload: {from, reason}
  monitor,      // payload: {watcher, ref, what DOWN names the target as}
  demonitor,    // payload: the reference
  down,         // payload: the {:DOWN, ref, :process, who, reason} message, kept only while ref is monitored
  alias_message,  // payload: {alias, message}, kept (as the message) only while alias is an active alias
  overflow,       // a message that found the mailbox at its limit: ends the receiver with message_queue_limit
  timer,          // payload: the reference of a send_after/start_timer timer aimed at the receiver, which its
                  // end cancels
  info_request,   // process_info/2; payload: {alias, items}: the owner answers {alias, answer} to the alias
  port_owner,     // payload: a port the receiver owns now (controlling_process), which its end closes
  spawn_reply,    // payload: {ref, flags, result}: another node's answer to the receiver's spawn_request; the
                  // owner takes the link (flag 1) and the monitor under ref (flag 2) the request asked for,
                  // then keeps {spawn_reply, ref, ok, pid} (or {spawn_reply, ref, error, reason})
};

// One queued node. Allocated by the sender, freed by the owner.
struct message_node {
  message_node* next = nullptr;
  term message;
  signal_kind kind = signal_kind::message;
};

class mailbox {
 public:
  mailbox() = default;
  mailbox(const mailbox&) = delete;
  mailbox& operator=(const mailbox&) = delete;
  ~mailbox() = default;  // the owner clears it first: nodes go back to the pools they came from

  // Any thread.
  void push(message_node* n) noexcept {
    const auto address = reinterpret_cast<std::uintptr_t>(n);
    BEAM_ASSERT((address & ~address_mask) == 0, "a message node above the 48-bit address space");
    std::uintptr_t top = inbox_.load(std::memory_order_relaxed);
    std::uintptr_t count = 0;
    do {
      n->next = node_of(top);
      count = top >> address_bits;
    } while (!inbox_.compare_exchange_weak(top, std::min(count + 1, count_max) << address_bits | address,
                                           std::memory_order_seq_cst, std::memory_order_relaxed));
    if (count == count_max) overflow_.fetch_add(1, std::memory_order_relaxed);
  }

  // Any thread: true when a sender pushed something the owner has not taken yet. seq_cst: part of the wake-up
  // protocol (the owner announces it waits, then checks this; a sender pushes, then checks the state).
  [[nodiscard]] bool has_new() const noexcept { return inbox_.load(std::memory_order_seq_cst) != 0; }

  // Any thread; exact only when read by the owner, or when no push or take is under way.
  [[nodiscard]] std::size_t size() const noexcept {
    const std::int64_t overflow = overflow_.load(std::memory_order_relaxed);
    return std::size_t{queued_.load(std::memory_order_relaxed)} +
           (inbox_.load(std::memory_order_relaxed) >> address_bits) +
           static_cast<std::size_t>(std::max<std::int64_t>(overflow, 0));
  }

  // --- owner only ---
  // Moves new arrivals to the private queue, in arrival order; true if there were any. Each signal node is
  // handed to `on_signal` (a message_node*(message_node*)) as it is reached: it returns the node to queue in
  // its place (a signal turned into a message) or nullptr (it consumed the node).
  template <class F>
  bool take_new(F&& on_signal) {
    message_node* ordered = take_all();
    if (ordered == nullptr) return false;
    std::size_t kept = 0;
    while (ordered != nullptr) {
      message_node* n = ordered;
      ordered = n->next;
      n->next = nullptr;
      if (n->kind != signal_kind::message && (n = on_signal(n)) == nullptr) continue;
      *tail_link_ = n;
      tail_link_ = &n->next;
      ++kept;
    }
    queued_.store(queued_.load(std::memory_order_relaxed) + static_cast<std::uint32_t>(kept),
                  std::memory_order_relaxed);
    return true;
  }
  // The link that points at the first message of the private queue.
  [[nodiscard]] message_node** first_link() noexcept { return &head_; }
  // Unlinks the node `*link` points at (the owner's cursor) and returns it.
  message_node* unlink(message_node** link) noexcept;
  [[nodiscard]] message_node** end_link() noexcept { return tail_link_; }
  // Hands every node, queued or still in the inbox (signals not yet handled included), to `drop_node`.
  template <class F>
  void clear(F&& drop_node) noexcept {
    for (message_node* n = take_all(); n != nullptr;) drop_node(std::exchange(n, n->next));
    while (head_ != nullptr) drop_node(unlink(&head_));
  }

 private:
  // Takes the whole inbox, oldest first.
  message_node* take_all() noexcept;

  static constexpr unsigned address_bits = 48;
  static constexpr std::uintptr_t address_mask = (std::uintptr_t{1} << address_bits) - 1;
  static constexpr std::uintptr_t count_max = ~std::uintptr_t{0} >> address_bits;
  static message_node* node_of(std::uintptr_t word) noexcept {
    return reinterpret_cast<message_node*>(word & address_mask);
  }

  std::atomic<std::uintptr_t> inbox_{0};  // the top node | its count << address_bits: senders push, the owner
                                          // takes all
  message_node* head_ = nullptr;          // owner: the private queue, oldest first
  message_node** tail_link_ = &head_;     // owner: the link to append at
  std::atomic<std::uint32_t> queued_{0};  // written by the owner (relaxed), read by anyone: private queue
  // Pushes onto a saturated inbox, less those the owner took. It may dip below zero for a moment: a sender
  // adds after its push, and the owner may take that node first.
  std::atomic<std::int32_t> overflow_{0};
};

}  // namespace beam::proc
