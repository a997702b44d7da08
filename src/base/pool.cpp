#include "base/pool.hpp"

#include <sys/mman.h>

#include <cstdint>
#include <new>

namespace beam::base {

chunk_store::~chunk_store() {
  for (std::byte* r : regions_) ::munmap(r, region_size);
}

std::byte* chunk_store::allocate_chunk() {
  std::lock_guard lock(mutex_);
  if (handed_out_ % (region_size / chunk_size) == 0) map_region();
  std::byte* c = next_;
  next_ += chunk_size;
  ++handed_out_;
  return c;
}

// Maps a region with room to align it, then unmaps the unaligned ends.
void chunk_store::map_region() {
  constexpr std::size_t mapped = region_size + chunk_size;
  regions_.reserve(regions_.size() + 1);  // may throw: before there is a region to lose
  void* m = ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) throw std::bad_alloc();
  const auto start = reinterpret_cast<std::uintptr_t>(m);
  const std::uintptr_t aligned = (start + chunk_size - 1) & ~(std::uintptr_t{chunk_size} - 1);
  if (aligned != start) ::munmap(m, aligned - start);
  if (const std::size_t tail = start + mapped - (aligned + region_size); tail != 0) {
    ::munmap(reinterpret_cast<void*>(aligned + region_size), tail);
  }
  next_ = reinterpret_cast<std::byte*>(aligned);
  regions_.push_back(next_);
}

std::size_t chunk_store::chunk_bytes() const noexcept {
  std::lock_guard lock(mutex_);
  return handed_out_ * chunk_size;
}

std::size_t chunk_store::used_bytes() const noexcept {
  std::lock_guard lock(mutex_);
  std::int64_t used = 0;
  for (const pool_set* s : sets_) used += s->used_bytes();
  return used > 0 ? static_cast<std::size_t>(used) : 0;  // a racing snapshot may see a free before its alloc
}

pool_set::pool_set(chunk_store& store) : store_(store) {
  std::lock_guard lock(store_.mutex_);
  store_.sets_.push_back(this);
}

pool_set::~pool_set() {
  std::lock_guard lock(store_.mutex_);
  std::erase(store_.sets_, this);
}

void* pool_set::allocate(std::size_t size) {
  if (size > max_pooled) return ::operator new(size);
  const std::size_t c = class_of(size);
  free_block* b = free_[c];
  if (b == nullptr && remote_[c].load(std::memory_order_relaxed) != nullptr) {
    b = remote_[c].exchange(nullptr, std::memory_order_acquire);  // pairs with push_remote's release
  }
  const std::size_t bytes = c * granule;
  if (b != nullptr) {
    free_[c] = b->next;
    add_owner_bytes(static_cast<std::int64_t>(bytes));
    return b;
  }
  if (carve_left_ < bytes) {
    carve_ = store_.allocate_chunk();  // may throw: nothing counted yet
    new (carve_) chunk_header{this};
    carve_ += sizeof(chunk_header);
    carve_left_ = chunk_store::chunk_size - sizeof(chunk_header);
  }
  void* block = carve_;
  carve_ += bytes;
  carve_left_ -= bytes;
  add_owner_bytes(static_cast<std::int64_t>(bytes));
  return block;
}

void pool_set::free(void* block, std::size_t size) noexcept {
  if (size > max_pooled) {
    ::operator delete(block);
    return;
  }
  const std::size_t c = class_of(size);
  auto* b = static_cast<free_block*>(block);
  if (pool_set* owner = owner_of(block); owner != this) {
    owner->push_remote(b, c);
    return;
  }
  add_owner_bytes(-static_cast<std::int64_t>(c * granule));
  b->next = free_[c];
  free_[c] = b;
}

void pool_set::free_home(void* block, std::size_t size) noexcept {
  if (size > max_pooled) {
    ::operator delete(block);
    return;
  }
  owner_of(block)->push_remote(static_cast<free_block*>(block), class_of(size));
}

pool_set* pool_set::owner_of(void* block) noexcept {
  const auto chunk = reinterpret_cast<std::uintptr_t>(block) & ~(std::uintptr_t{chunk_store::chunk_size} - 1);
  return reinterpret_cast<const chunk_header*>(chunk)->owner;
}

void pool_set::push_remote(free_block* b, std::size_t c) noexcept {
  remote_bytes_.fetch_add(static_cast<std::int64_t>(c * granule), std::memory_order_relaxed);
  free_block* top = remote_[c].load(std::memory_order_relaxed);
  do {
    b->next = top;
  } while (!remote_[c].compare_exchange_weak(top, b, std::memory_order_release, std::memory_order_relaxed));
}

}  // namespace beam::base
