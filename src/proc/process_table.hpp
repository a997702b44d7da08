// proc/process_table.hpp: pid -> process, an array indexed by the pid's number.
//
// The array is reserved for the process limit up front (mmap, MAP_NORESERVE) and its pages are touched only
// as slots come into use, so a limit of 134,217,727 costs address space, not memory. Each slot is one word:
// the live process's PCB (even: PCBs are aligned), or, while empty, the serial its next process will get,
// shifted left with the low bit set (0, the untouched page, reads as empty with serial 0). A live process's
// serial is in its PCB (its pid is the PCB's tag). A reused slot's new pid differs from every earlier one, so
// a stale pid never reaches the new process. Free numbers: workers keep a small cache
// of free numbers (slot_cache) and trade batches with the table's shared list under `free_mutex_`, once per
// batch, so spawn and exit take no shared lock in the common case. Numbers never used yet come from `fresh_`
// (an atomic counter). `live_` counts processes against the limit (fetch_add before taking a number; undone
// on failure).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

#include <beam/pid.hpp>

#include "proc/process_control.hpp"

namespace beam::proc {

// A worker's private cache of free pid numbers. Owner worker only.
struct slot_cache {
  std::vector<std::uint32_t> numbers;
};

class process_table {
 public:
  // `caches`: how many slot_caches may hold free numbers (one per worker).
  process_table(std::uint32_t limit, std::uint32_t caches);
  ~process_table();
  process_table(const process_table&) = delete;
  process_table& operator=(const process_table&) = delete;

  // Any thread: gives `p` a number and serial and publishes it. Throws beam::error(system_limit) at the
  // limit.
  void insert(detail::process_control& p, slot_cache* cache);
  // Owner of `p` only, once, at exit: empties the slot (the table's reference is dropped by the caller).
  void remove(detail::process_control& p, slot_cache* cache) noexcept;
  // Any thread: the live process `id` names, retained (release it with detail::release), or nullptr (also
  // for a pid of another node: detail::send_message hands a message for one to the node's router).
  [[nodiscard]] detail::process_control* find(const pid& id) const noexcept;
  // A worker that pins an epoch only: the live process `id` names, without a reference, valid until the
  // worker unpins (node::retire keeps a PCB until no worker pinned before its end can still hold it:
  // base/epochs.hpp). A process found here may be ending: what is queued for it then is answered as for a
  // dead process when its PCB is freed.
  [[nodiscard]] detail::process_control* find_unretained(const pid& id) const noexcept {
    if (!id.is_local() || id.number() >= capacity_) return nullptr;
    // seq_cst: after the worker's pin (base/epochs.hpp); a plain load on x86.
    const std::uintptr_t word = slots_[id.number()].word.load(std::memory_order_seq_cst);
    if (!holds_process(word)) return nullptr;
    auto* p = reinterpret_cast<detail::process_control*>(word);
    return p->self() == id ? p : nullptr;
  }

  [[nodiscard]] std::uint32_t limit() const noexcept { return limit_; }
  [[nodiscard]] std::uint32_t count() const noexcept { return live_.load(std::memory_order_relaxed); }
  // Any thread: the pids alive at some moment during the call.
  [[nodiscard]] std::vector<pid> pids() const;
  // Returns a cache's numbers to the shared list (a worker stopping).
  void flush(slot_cache& cache) noexcept;

 private:
  // The PCB's address, or serial << 1 | 1 while empty. Release on insert, seq_cst on remove (see
  // base/epochs.hpp), acquire on find, seq_cst on find_unretained.
  struct slot {
    std::atomic<std::uintptr_t> word{0};
  };
  [[nodiscard]] static bool holds_process(std::uintptr_t word) noexcept {
    return word != 0 && (word & 1) == 0;
  }
  // The live process in slot `number`, retained, or nullptr.
  [[nodiscard]] detail::process_control* retain_at(std::uint32_t number) const noexcept;
  std::uint32_t take_number(slot_cache* cache);
  // Undoes the count taken by insert, logs "Too many processes" and throws beam::error(system_limit).
  [[noreturn]] void refuse_past_limit();
  void give_number(std::uint32_t number, slot_cache* cache) noexcept;

  const std::uint32_t limit_;
  // Numbers go up to limit_ plus what the caches may hold, so with fewer than limit_ processes alive a number
  // is always free outside the caches (numbers in another worker's cache cannot be taken).
  const std::uint32_t capacity_;
  slot* slots_;  // capacity_ slots, reserved with mmap
  std::atomic<std::uint32_t> live_{0};
  std::atomic<std::uint32_t> fresh_{0};  // numbers below it have been used at least once
  std::mutex free_mutex_;
  std::vector<std::uint32_t> free_;  // free_mutex_
};

}  // namespace beam::proc
