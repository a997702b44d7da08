// io/dirty_pool.cpp: see dirty_pool.hpp for the design.
#include "io/dirty_pool.hpp"

#include <utility>

namespace beam::io_impl {
namespace {
// The stop hint of the calling dirty thread's pool; nullptr on any other thread. Written once, by the thread.
thread_local const std::atomic<bool>* current_stop_hint = nullptr;
}  // namespace

dirty_pool::dirty_pool(std::uint32_t threads) : bound_(threads < 1 ? 1 : threads) {}

dirty_pool::~dirty_pool() {
  std::deque<std::unique_ptr<job>> dropped;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    dropped.swap(queue_);
  }
  stop_hint_.store(true, std::memory_order_relaxed);  // pairs with stop_requested() (a hint only)
  wake_.notify_all();
  for (std::thread& t : threads_) t.join();  // no submit runs now: the owner is being destroyed
}

void dirty_pool::submit(std::unique_ptr<job> j) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(j));
    // Each idle thread takes one queued job: more jobs than idle threads, and room for a thread, starts one.
    if (queue_.size() > idle_ && threads_.size() < bound_) threads_.emplace_back([this] { work(); });
  }
  wake_.notify_one();
}

bool dirty_pool::stop_requested() noexcept {
  return current_stop_hint != nullptr && current_stop_hint->load(std::memory_order_relaxed);
}

std::unique_ptr<dirty_pool::job> dirty_pool::next_job() {
  std::unique_lock lock(mutex_);
  ++idle_;
  wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
  --idle_;
  if (stopping_) return nullptr;
  std::unique_ptr<job> j = std::move(queue_.front());
  queue_.pop_front();
  return j;
}

void dirty_pool::work() {
  current_stop_hint = &stop_hint_;
  while (std::unique_ptr<job> j = next_job()) j->run();
}

}  // namespace beam::io_impl
