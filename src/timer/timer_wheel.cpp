#include "timer/timer_wheel.hpp"

#include <algorithm>
#include <bit>
#include <vector>

namespace beam::timer {
namespace {
constexpr int bits_per_level = 6;

int level_for(std::uint64_t elapsed, std::uint64_t when) noexcept {
  const std::uint64_t differing = (elapsed ^ when) | (timer_wheel::slots - 1);
  const int level = (63 - std::countl_zero(differing)) / bits_per_level;
  return level < timer_wheel::levels ? level : timer_wheel::levels - 1;
}

int slot_for(std::uint64_t when, int level) noexcept {
  return static_cast<int>((when >> (level * bits_per_level)) & (timer_wheel::slots - 1));
}

// How far past the wheel's time an entry may be linked: the start of the farthest slot of the top level. A
// later time could land in the top level's current slot (its digit wraps) and be found due at once, forever.
constexpr std::uint64_t reach = std::uint64_t{timer_wheel::slots - 1}
                                << ((timer_wheel::levels - 1) * bits_per_level);
}  // namespace

timer_wheel::~timer_wheel() {
  for (auto& level : heads_) {
    for (timer_entry*& head : level) {
      while (timer_entry* e = head) {
        head = e->next;
        e->release();
      }
    }
  }
}

void timer_wheel::link(timer_entry* e) noexcept {
  const std::uint64_t when = std::clamp(e->deadline_ms, elapsed_, elapsed_ + reach);
  const int level = level_for(elapsed_, when);
  const int slot = slot_for(when, level);
  e->level = static_cast<std::uint8_t>(level);
  e->slot = static_cast<std::uint8_t>(slot);
  timer_entry*& head = heads_[level][slot];
  e->prev = nullptr;
  e->next = head;
  if (head != nullptr) head->prev = e;
  head = e;
  occupied_[level] |= std::uint64_t{1} << slot;
}

void timer_wheel::unlink(timer_entry* e) noexcept {
  if (e->prev != nullptr) {
    e->prev->next = e->next;
  } else {
    heads_[e->level][e->slot] = e->next;
    if (e->next == nullptr) occupied_[e->level] &= ~(std::uint64_t{1} << e->slot);
  }
  if (e->next != nullptr) e->next->prev = e->prev;
  e->prev = e->next = nullptr;
}

bool timer_wheel::holds(const timer_entry* e) const noexcept {
  return e->prev != nullptr || heads_[e->level][e->slot] == e;
}

void timer_wheel::insert(timer_entry* e) noexcept {
  link(e);
  ++size_;
}

void timer_wheel::remove(timer_entry* e) noexcept {
  unlink(e);
  --size_;
  e->release();
}

bool timer_wheel::next_slot(slot_position& out) const noexcept {
  for (int level = 0; level < levels; ++level) {
    if (occupied_[level] == 0) continue;
    const std::uint64_t slot_span = std::uint64_t{1} << (level * bits_per_level);
    const std::uint64_t level_span = slot_span << bits_per_level;
    const int now_slot = slot_for(elapsed_, level);
    const std::uint64_t rotated = std::rotr(occupied_[level], now_slot);
    const int slot = (std::countr_zero(rotated) + now_slot) % slots;
    std::uint64_t start = (elapsed_ & ~(level_span - 1)) + static_cast<std::uint64_t>(slot) * slot_span;
    if (slot < now_slot) start += level_span;
    out = {level, slot, start};
    return true;
  }
  return false;
}

std::uint64_t timer_wheel::next_deadline() const noexcept {
  slot_position at{};
  if (!next_slot(at)) return no_deadline;
  return at.time > elapsed_ ? at.time : elapsed_;
}

void timer_wheel::fire_due(timer_entry* e) {
  --size_;
  std::uint8_t expected = timer_entry::pending;
  if (e->state.compare_exchange_strong(expected, timer_entry::fired, std::memory_order_acq_rel)) e->fire(e);
  e->release();
}

// `e`, just taken from its slot: released, fired or cascaded to a lower level.
void timer_wheel::expire_one(timer_entry* e, std::uint64_t now_ms) {
  e->prev = e->next = nullptr;
  if (e->state.load(std::memory_order_acquire) == timer_entry::cancelled) {
    --size_;
    e->release();
  } else if (e->deadline_ms <= now_ms) {
    fire_due(e);
  } else {
    link(e);  // cascade to a lower level
  }
}

// A slot's list is newest first, and a slot of a higher level spans many milliseconds (a late poll may also
// find it whole): the entries are taken oldest first, and those due fire in deadline order, ties oldest
// first, as OTP fires its timers.
void timer_wheel::expire_slot(const slot_position& at, std::uint64_t now_ms) {
  timer_entry* list = heads_[at.level][at.slot];
  heads_[at.level][at.slot] = nullptr;
  occupied_[at.level] &= ~(std::uint64_t{1} << at.slot);
  if (list->next == nullptr) {  // the common case: one entry, nothing to order
    expire_one(list, now_ms);
    return;
  }
  timer_entry* oldest = list;
  while (oldest->next != nullptr) oldest = oldest->next;
  std::vector<timer_entry*> due;
  for (timer_entry* e = oldest; e != nullptr;) {
    timer_entry* newer = e->prev;
    if (e->deadline_ms <= now_ms && e->state.load(std::memory_order_acquire) != timer_entry::cancelled) {
      e->prev = e->next = nullptr;
      due.push_back(e);  // fired below, in deadline order
    } else {
      expire_one(e, now_ms);  // released or cascaded
    }
    e = newer;
  }
  std::stable_sort(due.begin(), due.end(), [](const timer_entry* a, const timer_entry* b) {
    return a->deadline_ms < b->deadline_ms;
  });
  for (timer_entry* e : due) fire_due(e);
}

std::uint64_t timer_wheel::poll(std::uint64_t now_ms) {
  slot_position at{};
  while (next_slot(at) && at.time <= now_ms) {
    if (at.time > elapsed_) elapsed_ = at.time;
    expire_slot(at, now_ms);
  }
  if (now_ms > elapsed_) elapsed_ = now_ms;
  return next_deadline();
}

}  // namespace beam::timer
