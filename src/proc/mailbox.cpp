#include "proc/mailbox.hpp"

namespace beam::proc {

message_node* mailbox::take_all() noexcept {
  message_node* stack = inbox_.exchange(nullptr, std::memory_order_acquire);  // pairs with push's release
  message_node* ordered = nullptr;  // reverse: the stack is newest first
  std::uint32_t n = 0;
  while (stack != nullptr) {
    message_node* next = stack->next;
    stack->next = ordered;
    ordered = stack;
    stack = next;
    ++n;
  }
  if (n != 0) pending_.fetch_sub(n, std::memory_order_relaxed);
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
