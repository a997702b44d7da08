// base/epochs.hpp: epoch-based reclamation (Fraser's EBR) for objects that threads use without a reference
// count, for the few instructions of a lookup and its use, and that are freed only once no thread can still
// be using them.
//
// A participant (a scheduler worker, by index) pins the current epoch around each such use and unpins after.
// An object made unreachable for new lookups (by a seq_cst store that happens before the retiring) and then
// retired may be freed at once if no participant is pinned (the common case: a pin lasts a send); else it is
// stamped with current() and may be freed once the epoch is two past its stamp: the epoch moves from e to
// e + 1 only when every pinned participant is pinned at e (try_advance), so no participant pinned before the
// unlinking can still be pinned, and one pinned after it cannot have found the object. Pinning is a seq_cst
// exchange before a seq_cst lookup; the unlinking is a seq_cst store before the retirer's seq_cst loads of
// the pins and the epoch (the store-load pattern of Dekker's algorithm, so that one of the two sees the
// other; no standalone fence, which the thread sanitizer cannot follow); unpinning is a release store, which
// also orders the use before the free for whoever sees it.
//
// Why pins and not quiescent points (QSBR: each worker announces between tasks, no fence on the hot path). It
// was built and measured first: a worker preempted by the OS in the middle of a slice, or running a long one,
// holds the epoch back, and with the crash test's spare schedulers on 2 cores the PCBs waiting to be freed
// reached 2.4 MB (the test allows 64 KiB). A pin lasts a send, so a preempted worker is almost never pinned.
// Rejected too: an asymmetric fence (the participant pins with a plain store, the retirer calls
// membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)): 15 us a call on this 2-core VM while another thread runs,
// so about 470 ns per retired object at one try per 32.
//
// Who touches what: `epoch_` any thread (loads; try_advance CASes it); `pins_[i]` participant i stores, any
// thread loads.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

namespace beam::base {

class epochs {
 public:
  explicit epochs(std::uint32_t participants)
      : participants_(participants), pins_(std::make_unique<pin_slot[]>(participants)) {}

  // Any thread: the epoch now.
  [[nodiscard]] std::uint64_t current() const noexcept { return epoch_.load(std::memory_order_seq_cst); }

  // Participant `i` only, around a use: nothing it finds after pin() is freed before its unpin().
  void pin(std::uint32_t i) noexcept { pins_[i].epoch.exchange(current(), std::memory_order_seq_cst); }
  void unpin(std::uint32_t i) noexcept { pins_[i].epoch.store(unpinned, std::memory_order_release); }

  // Any thread, after the unlinking of an object (see above): whether any of the first
  // `count` participants is pinned. When none is, none can hold the object (one that pins later cannot find
  // it), and it may be freed at once.
  [[nodiscard]] bool any_pinned(std::uint32_t count) const noexcept {
    return pinned_other_than(unpinned, count);
  }

  // Any thread: moves the epoch on if every participant among the first `count` (those that may pin) is
  // unpinned or pinned at it. Returns the epoch now.
  std::uint64_t try_advance(std::uint32_t count) noexcept {
    std::uint64_t e = current();
    if (pinned_other_than(e, count)) return e;
    if (epoch_.compare_exchange_strong(e, e + 1, std::memory_order_seq_cst)) return e + 1;
    return e;  // another thread moved it: e holds what it found
  }

 private:
  static constexpr std::uint64_t unpinned = 0;  // epochs start at 1
  // Whether one of the first `count` participants is pinned at an epoch other than `e`.
  [[nodiscard]] bool pinned_other_than(std::uint64_t e, std::uint32_t count) const noexcept {
    for (std::uint32_t i = 0; i < count && i < participants_; ++i) {
      const std::uint64_t pinned = pins_[i].epoch.load(std::memory_order_seq_cst);
      if (pinned != unpinned && pinned != e) return true;
    }
    return false;
  }
  struct alignas(64) pin_slot {
    std::atomic<std::uint64_t> epoch{unpinned};
  };
  const std::uint32_t participants_;
  std::unique_ptr<pin_slot[]> pins_;
  alignas(64) std::atomic<std::uint64_t> epoch_{1};
};

// Pins participant `i` of `e` for its scope.
class pinned_epoch {
 public:
  pinned_epoch(epochs& e, std::uint32_t i) noexcept : epochs_(e), participant_(i) { epochs_.pin(i); }
  ~pinned_epoch() { epochs_.unpin(participant_); }
  pinned_epoch(const pinned_epoch&) = delete;
  pinned_epoch& operator=(const pinned_epoch&) = delete;

 private:
  epochs& epochs_;
  const std::uint32_t participant_;
};

}  // namespace beam::base
