// The block pools under PCBs, messages, closures, coroutine frames and term nodes (src/base/pool.hpp,
// small_pool.hpp): blocks go back to the set that carved them, so traffic between threads recycles memory
// instead of growing it, and the bytes in use are counted exactly.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "base/pool.hpp"
#include "base/small_pool.hpp"

namespace {

using beam::base::chunk_store;
using beam::base::pool_set;

TEST(Pool, AFreedBlockIsReusedForItsSizeClass) {
  chunk_store store;
  pool_set set(store);
  void* a = set.allocate(48);
  set.free(a, 48);
  EXPECT_NE(set.allocate(16), a);  // another class: carved fresh
  EXPECT_EQ(set.allocate(40), a);  // 40 and 48 share the 48-byte class
}

TEST(Pool, ABlockFreedThroughAnotherSetGoesBackToTheSetThatCarvedIt) {
  chunk_store store;
  pool_set owner(store), other(store);
  void* a = owner.allocate(32);
  EXPECT_EQ(store.used_bytes(), 32u);
  other.free(a, 32);
  EXPECT_EQ(store.used_bytes(), 0u);
  void* b = other.allocate(32);
  EXPECT_NE(b, a);  // not kept where it was freed
  EXPECT_EQ(owner.allocate(32), a);
  EXPECT_EQ(store.used_bytes(), 64u);
  owner.free(b, 32);
  owner.free(a, 32);
  EXPECT_EQ(store.used_bytes(), 0u);
}

// Coroutine frames and term nodes (base/small_pool.hpp) are pooled per thread the same way: a block made on
// one thread and freed on another is reused by the thread that made it.
TEST(SmallPool, ABlockFreedOnAnotherThreadGoesHome) {
  const std::size_t used = beam::base::small_pool_used_bytes();
  void* frame = beam::base::allocate_small(200);
  EXPECT_EQ(beam::base::small_pool_used_bytes(), used + 208);
  std::thread([frame] { beam::base::free_small(frame, 200); }).join();
  EXPECT_EQ(beam::base::small_pool_used_bytes(), used);
  void* again = beam::base::allocate_small(200);
  EXPECT_EQ(again, frame);
  beam::base::free_small(again, 200);
}

TEST(Pool, BlocksAreAlignedAndChunksAreCarvedInOrder) {
  chunk_store store;
  pool_set set(store);
  std::vector<std::uintptr_t> blocks;
  for (int i = 0; i < 10'000; ++i) blocks.push_back(reinterpret_cast<std::uintptr_t>(set.allocate(64)));
  for (std::uintptr_t b : blocks) EXPECT_EQ(b % 64, 0u);
  EXPECT_EQ(store.chunk_bytes(), 10 * chunk_store::chunk_size);  // 10,000 x 64 B, a header per chunk
}

// A producer thread allocates, a consumer thread frees through its own set, as a sender and a receiver on two
// schedulers do with message nodes. Memory stays bounded by what is in flight, not by what was ever sent.
TEST(Pool, ProducerConsumerTrafficBetweenThreadsReusesTheSameChunks) {
  chunk_store store;
  constexpr int rounds = 2'000, per_round = 1'000;
  std::atomic<void**> handed{nullptr};
  std::atomic<int> consumed{0};
  std::thread consumer([&] {
    pool_set mine(store);
    for (int r = 0; r < rounds; ++r) {
      void** batch = nullptr;
      while ((batch = handed.exchange(nullptr, std::memory_order_acquire)) == nullptr)
        std::this_thread::yield();
      for (int i = 0; i < per_round; ++i) mine.free(batch[i], 32);
      delete[] batch;
      consumed.store(r + 1, std::memory_order_release);
    }
  });
  pool_set producer(store);
  for (int r = 0; r < rounds; ++r) {
    auto* batch = new void*[per_round];
    for (int i = 0; i < per_round; ++i) batch[i] = producer.allocate(32);
    handed.store(batch, std::memory_order_release);
    while (consumed.load(std::memory_order_acquire) != r + 1) std::this_thread::yield();
  }
  consumer.join();
  // Two million blocks of 32 B went through (61 MiB); at most two rounds are ever out (64 KiB).
  EXPECT_LE(store.chunk_bytes(), 2 * chunk_store::chunk_size);
  EXPECT_EQ(store.used_bytes(), 0u);
}

}  // namespace
