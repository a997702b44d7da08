#include "proc/mailbox.hpp"

namespace beam::proc {

message_node* mailbox::take_all() noexcept {
  const std::uintptr_t word = inbox_.exchange(0, std::memory_order_acquire);  // pairs with push's release
  message_node* stack = node_of(word);
  message_node* ordered = nullptr;  // reverse: the stack is newest first
  std::uint32_t n = 0;
  while (stack != nullptr) {
    message_node* next = stack->next;
    stack->next = ordered;
    ordered = stack;
    stack = next;
    ++n;
  }
  if ((word >> address_bits) == count_max) {  // the pushes past the count added to overflow_
    overflow_.fetch_sub(static_cast<std::int32_t>(n - count_max), std::memory_order_relaxed);
  }
  return ordered;
}

message_node* mailbox::unlink(message_node** link) noexcept {
  message_node* n = *link;
  *link = n->next;
  if (tail_link_ == &n->next) tail_link_ = link;
  n->next = nullptr;
  queued_.store(queued_.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
  return n;
}

}  // namespace beam::proc
