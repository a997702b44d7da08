#include "proc/process_table.hpp"

#include <sys/mman.h>

#include <new>

#include <fmt/format.h>

#include <beam/error.hpp>
#include <beam/logger.hpp>

#include "term/atom_table.hpp"

namespace beam::proc {
namespace {
constexpr std::size_t cache_batch = 64;
}

process_table::process_table(std::uint32_t limit, std::uint32_t caches)
    : limit_(limit), capacity_(limit + caches * static_cast<std::uint32_t>(cache_batch)) {
  void* mem = ::mmap(nullptr, sizeof(slot) * capacity_, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mem == MAP_FAILED) throw std::bad_alloc();
  slots_ = static_cast<slot*>(mem);  // zero pages read as empty slots with serial 0: no construction needed
}

process_table::~process_table() {
  ::munmap(slots_, sizeof(slot) * capacity_);
}

std::uint32_t process_table::take_number(slot_cache* cache) {
  if (cache != nullptr && !cache->numbers.empty()) {
    const std::uint32_t n = cache->numbers.back();
    cache->numbers.pop_back();
    return n;
  }
  const std::uint32_t fresh = fresh_.fetch_add(1, std::memory_order_relaxed);
  if (fresh < capacity_) return fresh;
  fresh_.store(capacity_, std::memory_order_relaxed);  // keep it from wrapping
  std::lock_guard lock(free_mutex_);
  // live_ < limit_ was reserved by the caller, so a free number exists here (or in some worker's cache: the
  // caller falls back to flushing caches if this ever runs dry).
  if (free_.empty()) return capacity_;
  const std::uint32_t n = free_.back();
  free_.pop_back();
  if (cache != nullptr) {
    while (cache->numbers.size() < cache_batch / 2 && !free_.empty()) {
      cache->numbers.push_back(free_.back());
      free_.pop_back();
    }
  }
  return n;
}

void process_table::give_number(std::uint32_t number, slot_cache* cache) noexcept {
  if (cache != nullptr && cache->numbers.size() < cache_batch) {
    cache->numbers.push_back(number);
    return;
  }
  std::lock_guard lock(free_mutex_);
  free_.push_back(number);
  if (cache != nullptr) {  // hand half the cache back so other workers can use those numbers
    while (cache->numbers.size() > cache_batch / 2) {
      free_.push_back(cache->numbers.back());
      cache->numbers.pop_back();
    }
  }
}

void process_table::flush(slot_cache& cache) noexcept {
  std::lock_guard lock(free_mutex_);
  free_.insert(free_.end(), cache.numbers.begin(), cache.numbers.end());
  cache.numbers.clear();
}

void process_table::refuse_past_limit() {
  live_.fetch_sub(1, std::memory_order_relaxed);
  const std::string what = fmt::format("Too many processes: the process limit is {}", limit_);
  log(log_level::error, what);
  throw error(term(detail::atoms::system_limit), what);
}

void process_table::insert(detail::process_control& p, slot_cache* cache) {
  if (live_.fetch_add(1, std::memory_order_relaxed) >= limit_) refuse_past_limit();
  const std::uint32_t n = take_number(cache);
  if (n >= capacity_) refuse_past_limit();  // cannot happen: see capacity_ in the header
  const std::uint64_t serial = slots_[n].word.load(std::memory_order_relaxed) >> 1;  // empty: ours alone
  p.tag = serial << 32 | n;                                                          // its pid
  p.refs.store(1, std::memory_order_release);  // the table's reference; pairs with try_retain's acquire
  // Release: pairs with find's acquire, the PCB is fully built.
  slots_[n].word.store(reinterpret_cast<std::uintptr_t>(&p), std::memory_order_release);
}

void process_table::remove(detail::process_control& p, slot_cache* cache) noexcept {
  const std::uint32_t next_serial = p.serial() + 1;  // the next process here gets a new pid
  // seq_cst: before whatever retires p reads the workers' pins (base/epochs.hpp); also a release for find.
  slots_[p.number()].word.store(std::uintptr_t{next_serial} << 1 | 1, std::memory_order_seq_cst);
  give_number(p.number(), cache);
  live_.fetch_sub(1, std::memory_order_relaxed);
}

detail::process_control* process_table::retain_at(std::uint32_t number) const noexcept {
  const std::uintptr_t word = slots_[number].word.load(std::memory_order_acquire);
  if (!holds_process(word)) return nullptr;
  auto* p = reinterpret_cast<detail::process_control*>(word);
  if (!p->try_retain()) return nullptr;
  // The block may hold another process by now (PCB memory is type-stable): check what we retained. A process
  // in its exit path stays findable until it leaves the table (after its frame is destroyed): what is
  // delivered to it then is answered as for a dead process when its mailbox is cleared.
  if (p->number() != number) {
    detail::release(*p);
    return nullptr;
  }
  return p;
}

detail::process_control* process_table::find(const pid& id) const noexcept {
  if (!id.is_local() || id.number() >= capacity_) return nullptr;
  detail::process_control* p = retain_at(id.number());
  if (p != nullptr && p->serial() != id.serial()) {
    detail::release(*p);
    return nullptr;
  }
  return p;
}

std::vector<pid> process_table::pids() const {
  std::vector<pid> out;
  const std::uint32_t used = std::min(fresh_.load(std::memory_order_relaxed), capacity_);
  for (std::uint32_t i = 0; i < used; ++i) {
    if (detail::process_control* p = retain_at(i)) {
      out.push_back(p->self());
      detail::release(*p);
    }
  }
  return out;
}

}  // namespace beam::proc
