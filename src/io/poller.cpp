// io/poller.cpp: epoll behind the poller interface. The design note is in poller.hpp.
#include "io/poller.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <system_error>

#include "base/assert.hpp"

namespace beam::io_impl {
namespace {
// The word epoll carries for the eventfd: no slot has this index.
constexpr std::uint64_t wake_word = ~std::uint64_t{0};
constexpr int max_events = 256;
constexpr std::uint32_t watched_events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;

std::uint64_t word_of(std::uint32_t slot, std::uint32_t generation) noexcept {
  return std::uint64_t{generation} << 32 | slot;
}

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

int timeout_ms(poller::clock::time_point deadline) noexcept {
  if (deadline == poller::clock::time_point::min()) return 0;
  if (deadline == poller::clock::time_point::max()) return -1;
  const auto left = deadline - poller::clock::now();
  if (left <= poller::clock::duration::zero()) return 0;
  // Rounded up: a poll that returns before its deadline would only be polled again at once.
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return ms > 60'000 ? 60'000 : static_cast<int>(ms);
}
}  // namespace

poller::poller() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) throw_errno("epoll_create1");
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    const int saved = errno;
    close(epoll_fd_);
    throw std::system_error(saved, std::generic_category(), "eventfd");
  }
  epoll_event ev{};
  ev.events = EPOLLIN;  // level-triggered: readable until the poll that wakes reads it back
  ev.data.u64 = wake_word;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0) {
    const int saved = errno;
    close(wake_fd_);
    close(epoll_fd_);
    throw std::system_error(saved, std::generic_category(), "epoll_ctl(eventfd)");
  }
}

poller::~poller() {
  close(wake_fd_);
  close(epoll_fd_);
}

poller::registration poller::add(int fd, std::shared_ptr<poll_target> target) {
  BEAM_ASSERT(target != nullptr, "poller::add needs a target");
  std::uint32_t index = 0;
  std::uint32_t generation = 0;
  {
    std::lock_guard lock(slots_mutex_);
    if (free_.empty()) {
      index = static_cast<std::uint32_t>(slots_.size());
      slots_.emplace_back();
    } else {
      index = free_.back();
      free_.pop_back();
    }
    slots_[index].target = std::move(target);
    generation = slots_[index].generation;
  }
  epoll_event ev{};
  ev.events = watched_events;
  ev.data.u64 = word_of(index, generation);
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    const int saved = errno;
    std::lock_guard lock(slots_mutex_);
    slots_[index].target.reset();
    free_.push_back(index);
    throw std::system_error(saved, std::generic_category(), "epoll_ctl(add)");
  }
  registered_.fetch_add(1, std::memory_order_relaxed);
  return {index};
}

void poller::remove(int fd, registration r) noexcept {
  if (!r.valid()) return;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd,
            nullptr);                    // fails only for a descriptor already gone: nothing to undo
  std::shared_ptr<poll_target> dropped;  // released outside the lock: its destructor may do anything
  {
    std::lock_guard lock(slots_mutex_);
    slot& s = slots_[r.slot];
    ++s.generation;  // events already read from the kernel for it are dropped at dispatch
    dropped = std::move(s.target);
    free_.push_back(r.slot);
  }
  registered_.fetch_sub(1, std::memory_order_relaxed);
}

void poller::rearm(int fd, registration r) noexcept {
  if (!r.valid()) return;
  epoll_event ev{};
  ev.events = watched_events;
  {
    std::lock_guard lock(slots_mutex_);
    ev.data.u64 = word_of(r.slot, slots_[r.slot].generation);
  }
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);  // fails only for a descriptor already removed
}

bool poller::try_poll(clock::time_point deadline, std::uint32_t* dispatched,
                      const std::atomic<bool>* skip_if) {
  if (polling_.exchange(true)) return false;  // seq_cst: pairs with the release below, and the parker's token
  if (skip_if != nullptr && skip_if->load()) {  // its owner was woken while it came here (parker.hpp)
    polling_.store(false, std::memory_order_release);
    if (dispatched != nullptr) *dispatched = 0;
    return true;
  }
  std::array<epoll_event, max_events> events{};
  const clock::time_point expiry{clock::duration(next_expiry_.load())};
  if (expiry < deadline && deadline != clock::time_point::min()) deadline = expiry;
  waiting_until_.store(deadline.time_since_epoch().count());  // seq_cst: against expire_by's lowering
  if (clock::time_point{clock::duration(next_expiry_.load())} < deadline) deadline = clock::time_point::min();
  int n = epoll_wait(epoll_fd_, events.data(), max_events, timeout_ms(deadline));
  waiting_until_.store(clock::time_point::min().time_since_epoch().count(), std::memory_order_relaxed);
  if (n < 0) n = 0;  // EINTR (a profiler's signal): the caller polls again when it needs to
  std::array<std::pair<std::shared_ptr<poll_target>, std::uint32_t>, max_events> ready;
  int count = 0;
  {
    std::lock_guard lock(slots_mutex_);
    for (int i = 0; i < n; ++i) {
      const std::uint64_t word = events[i].data.u64;
      if (word == wake_word) continue;
      const auto index = static_cast<std::uint32_t>(word);
      const slot& s = slots_[index];
      if (s.generation != static_cast<std::uint32_t>(word >> 32) || !s.target) continue;  // removed since
      const std::uint32_t bits = events[i].events;  // epoll_event is packed: copied, not bound
      ready[count++] = {s.target, bits};
    }
  }
  for (int i = 0; i < n; ++i) {
    if (events[i].data.u64 != wake_word) continue;
    std::uint64_t value = 0;
    [[maybe_unused]] const auto got = read(wake_fd_, &value, sizeof value);  // EAGAIN: already read back
  }
  for (int i = 0; i < count; ++i) {
    ready[i].first->on_ready(ready[i].second);
    ready[i].first.reset();
  }
  run_expiries();
  polling_.store(false, std::memory_order_release);
  if (dispatched != nullptr) *dispatched = static_cast<std::uint32_t>(count);
  return true;
}

// The polling thread: lets the handler act on what is due, and notes its next deadline.
void poller::run_expiries() noexcept {
  if (expiry_ == nullptr) return;
  const auto now = clock::now();
  if (clock::time_point{clock::duration(next_expiry_.load())} > now) return;
  next_expiry_.store(clock::time_point::max().time_since_epoch().count());  // before the handler may lower it
  const auto next = expiry_->expire(now);
  lower_expiry(next);
}

// Lowers next_expiry_ to `deadline`; true when it did.
bool poller::lower_expiry(clock::time_point deadline) noexcept {
  const clock::rep wanted = deadline.time_since_epoch().count();
  clock::rep current = next_expiry_.load();
  while (wanted < current) {
    if (next_expiry_.compare_exchange_weak(current, wanted)) return true;
  }
  return false;
}

void poller::expire_by(clock::time_point deadline) noexcept {
  // A poll that read next_expiry_ before we lowered it may sleep past `deadline`: wake it (it then polls
  // again with the new deadline). One that reads it after sees it.
  if (lower_expiry(deadline) && waiting_until_.load() > deadline.time_since_epoch().count()) interrupt();
}

void poller::interrupt() noexcept {
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto put = write(wake_fd_, &one, sizeof one);  // EAGAIN: the count is full, it wakes
}

}  // namespace beam::io_impl
