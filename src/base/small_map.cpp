// base/small_map.cpp: the position index of small_map and small_set past their linear limit (see the header).
#include "base/small_map.hpp"

#include "base/assert.hpp"

namespace beam::base {

namespace {
std::uint64_t slot_for(std::uint32_t hash, std::size_t position) noexcept {
  return std::uint64_t{hash} << 32 | static_cast<std::uint32_t>(position + 1);
}
}  // namespace

void position_index::push(std::uint32_t hash) {
  const std::size_t position = hashes_.size();
  BEAM_ASSERT(position + 1 < std::size_t{1} << 32, "a slot holds position + 1 in 32 bits");
  hashes_.push_back(hash);
  if (2 * hashes_.size() > slots_.size()) {  // at most half full: probes stay short
    slots_.assign(std::max<std::size_t>(64, 2 * slots_.size()), 0);
    for (std::size_t p = 0; p < hashes_.size(); ++p) place(hashes_[p], p);
  } else {
    place(hash, position);
  }
}

void position_index::erase(std::size_t position) {
  empty_slot(slot_of(position));
  const std::size_t last = hashes_.size() - 1;
  if (position != last) {
    slots_[slot_of(last)] = slot_for(hashes_[last], position);
    hashes_[position] = hashes_[last];
  }
  hashes_.pop_back();
}

void position_index::place(std::uint32_t hash, std::size_t position) noexcept {
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = hash & mask;
  while (slots_[i] != 0) i = (i + 1) & mask;
  slots_[i] = slot_for(hash, position);
}

std::size_t position_index::slot_of(std::size_t position) const noexcept {
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = hashes_[position] & mask;
  while (position_in(slots_[i]) != position) i = (i + 1) & mask;  // present: the loop ends
  return i;
}

// Backward shift: each later slot of the probe run whose home is not between the hole and itself moves into
// the hole, so every entry stays reachable from its home without tombstones.
void position_index::empty_slot(std::size_t i) noexcept {
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t next = (i + 1) & mask; slots_[next] != 0; next = (next + 1) & mask) {
    const std::size_t home = hash_in(slots_[next]) & mask;
    if (((next - home) & mask) >= ((next - i) & mask)) {  // the hole lies on next's probe path
      slots_[i] = slots_[next];
      i = next;
    }
  }
  slots_[i] = 0;
}

}  // namespace beam::base
