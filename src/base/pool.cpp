#include "base/pool.hpp"

#include <cstdlib>
#include <new>

namespace beam::base {

chunk_store::~chunk_store() {
  for (std::byte* c : chunks_) ::operator delete (c, std::align_val_t{64});
}

std::byte* chunk_store::allocate_chunk() {
  auto* c = static_cast<std::byte*>(::operator new (chunk_size, std::align_val_t{64}));
  std::lock_guard lock(mutex_);
  chunks_.push_back(c);
  return c;
}

std::size_t chunk_store::chunk_bytes() const noexcept {
  std::lock_guard lock(mutex_);
  return chunks_.size() * chunk_size;
}

void* pool_set::allocate(std::size_t size) {
  count_live(static_cast<std::int64_t>(size));
  if (size > max_pooled) return ::operator new(size);
  const std::size_t c = class_of(size);
  if (free_block* b = free_[c]) {
    free_[c] = b->next;
    return b;
  }
  const std::size_t bytes = c * granule;
  if (carve_left_ < bytes) {
    carve_ = store_.allocate_chunk();
    carve_left_ = chunk_store::chunk_size;
  }
  void* b = carve_;
  carve_ += bytes;
  carve_left_ -= bytes;
  return b;
}

void pool_set::free(void* block, std::size_t size) noexcept {
  count_live(-static_cast<std::int64_t>(size));
  if (size > max_pooled) {
    ::operator delete(block);
    return;
  }
  const std::size_t c = class_of(size);
  auto* b = static_cast<free_block*>(block);
  b->next = free_[c];
  free_[c] = b;
}

}  // namespace beam::base
