// proc/mailbox.hpp: a process's mailbox: lock-free for any number of senders, private to its one owner.
//
// Senders push onto `inbox_`, an atomic stack (CAS, seq_cst: release for the owner's acquire exchange, and part of
// the wake-up protocol in process_control.hpp). The owner
// takes the whole stack at once, reverses it into arrival order and appends it to its private queue, which only it
// touches; receive scans and removes from there. Order between one sender and the owner is preserved: a sender's
// pushes are ordered in the stack, and every batch taken is newer than the one before.
// `pending_` counts messages in the inbox (senders add, the owner subtracts what it takes): with the private count it
// gives message_queue_len to any thread without a lock.
// Rejected: Vyukov's MPSC queue (one exchange per push, but the owner can see a half-linked queue and must spin or
// treat it as empty, which complicates the wake-up protocol); a mutex-protected deque (senders would contend on it).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include <beam/term.hpp>

namespace beam::proc {

// One queued message. Allocated by the sender, freed by the owner.
struct message_node {
  message_node* next = nullptr;
  term message;
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
    return queued_.load(std::memory_order_relaxed) + pending_.load(std::memory_order_relaxed);
  }

  // --- owner only ---
  // Moves new arrivals to the private queue; true if there were any.
  bool take_new() noexcept;
  // The link that points at the first message of the private queue.
  [[nodiscard]] message_node** first_link() noexcept { return &head_; }
  // Unlinks the node `*link` points at (the owner's cursor) and returns it.
  message_node* unlink(message_node** link) noexcept;
  [[nodiscard]] message_node** end_link() noexcept { return tail_link_; }
  // Hands every message, queued or still in the inbox, to `free_node`.
  template <class F>
  void clear(F&& free_node) noexcept {
    take_new();
    while (head_ != nullptr) free_node(unlink(&head_));
  }

 private:
  std::atomic<message_node*> inbox_{nullptr};  // senders push, the owner takes all
  std::atomic<std::uint32_t> pending_{0};      // messages in the inbox
  message_node* head_ = nullptr;               // owner: the private queue, oldest first
  message_node** tail_link_ = &head_;          // owner: the link to append at
  std::atomic<std::size_t> queued_{0};         // written by the owner (relaxed), read by anyone: private queue
};

}  // namespace beam::proc
