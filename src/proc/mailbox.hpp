// proc/mailbox.hpp: a process's mailbox: lock-free for any number of senders, private to its one owner.
//
// Senders push onto `inbox_`, an atomic stack (CAS, seq_cst: release for the owner's acquire exchange, and
// part of the wake-up protocol in process_control.hpp). The owner takes the whole stack at once, reverses it
// into arrival order and appends it to its private queue, which only it touches; receive scans and removes
// from there. Order between one sender and the owner is preserved: a sender's pushes are ordered in the
// stack, and every batch taken is newer than the one before. `pending_` counts messages in the inbox (senders
// add, the owner subtracts what it takes): with the private count it gives message_queue_len to any thread
// without a lock. Rejected: Vyukov's MPSC queue (one exchange per push, but the owner can see a half-linked
// queue and must spin or treat it as empty, which complicates the wake-up protocol); a mutex-protected deque
// (senders would contend on it).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <utility>

#include <beam/term.hpp>

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

  // Any thread. Returns the inbox count before this push.
  std::uint32_t push(message_node* n) noexcept {
    message_node* top = inbox_.load(std::memory_order_relaxed);
    do {
      n->next = top;
    } while (!inbox_.compare_exchange_weak(top, n, std::memory_order_seq_cst, std::memory_order_relaxed));
    return pending_.fetch_add(1, std::memory_order_relaxed);
  }

  // Any thread: true when a sender pushed something the owner has not taken yet. seq_cst: part of the wake-up
  // protocol (the owner announces it waits, then checks this; a sender pushes, then checks the state).
  [[nodiscard]] bool has_new() const noexcept { return inbox_.load(std::memory_order_seq_cst) != nullptr; }

  // Any thread; exact only when read by the owner.
  [[nodiscard]] std::size_t size() const noexcept {
    return std::size_t{queued_.load(std::memory_order_relaxed)} + pending_.load(std::memory_order_relaxed);
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

  std::atomic<message_node*> inbox_{nullptr};  // senders push, the owner takes all
  message_node* head_ = nullptr;               // owner: the private queue, oldest first
  message_node** tail_link_ = &head_;          // owner: the link to append at
  std::atomic<std::uint32_t> pending_{0};      // messages in the inbox
  std::atomic<std::uint32_t> queued_{0};  // written by the owner (relaxed), read by anyone: private queue
};

}  // namespace beam::proc
