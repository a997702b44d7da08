// small_map and small_set (src/base/small_map.hpp), the containers of a process's links, monitors, aliases
// and timer references: searched in place while small, through a hash index once past linear_limit, and the
// same answers either way, erases while iterating included.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <beam/reference.hpp>
#include <beam/term.hpp>

#include "base/small_map.hpp"

// A key whose hashes collide in threes: the index's probe runs and its backward-shift erase get exercised.
struct colliding_key {
  int value;
  friend bool operator==(colliding_key, colliding_key) = default;
  friend auto operator<=>(colliding_key, colliding_key) = default;
};

template <>
struct std::hash<colliding_key> {
  std::size_t operator()(colliding_key k) const noexcept { return static_cast<std::size_t>(k.value / 3); }
};

namespace {

using beam::base::small_map;
using beam::base::small_set;

constexpr std::size_t limit = small_map<int, int>::linear_limit;

TEST(SmallMap, EmplaceFindsAndKeepsTheFirstValue) {
  small_map<int, std::string> m;
  EXPECT_TRUE(m.emplace(1, "one").second);
  EXPECT_FALSE(m.emplace(1, "uno").second);
  ASSERT_NE(m.find(1), m.end());
  EXPECT_EQ(m.find(1)->second, "one");
  EXPECT_EQ(m.find(2), m.end());
  EXPECT_FALSE(m.insert_or_assign(1, "uno").second);
  EXPECT_EQ(m.find(1)->second, "uno");
  EXPECT_EQ(m.size(), 1u);
}

// Random inserts and erases, against std::map, across the switch to the index and back down.
template <class Key = int>
void check_against_std(std::size_t peak) {
  small_map<Key, int> m;
  std::map<Key, int> expected;
  std::mt19937 rng(static_cast<unsigned>(peak));
  for (int step = 0; step < 4000; ++step) {
    const Key key{static_cast<int>(rng() % (2 * peak))};
    if (rng() % 3 != 0) {
      EXPECT_EQ(m.insert_or_assign(key, step).second, expected.insert_or_assign(key, step).second);
    } else {
      EXPECT_EQ(m.erase(key), expected.erase(key));
    }
    ASSERT_EQ(m.size(), expected.size());
  }
  for (int k = 0; k < static_cast<int>(2 * peak); ++k) {
    const auto it = m.find(Key{k});
    const auto want = expected.find(Key{k});
    ASSERT_EQ(it == m.end(), want == expected.end()) << k;
    if (it != m.end()) {
      EXPECT_EQ(it->second, want->second);
    }
  }
  std::map<Key, int> seen(m.begin(), m.end());
  EXPECT_EQ(seen, expected);
}

TEST(SmallMap, AnswersAsStdMapWhileSmall) {
  check_against_std(limit / 2);
}

TEST(SmallMap, AnswersAsStdMapPastTheIndexLimit) {
  check_against_std(limit * 8);
}

TEST(SmallMap, AnswersAsStdMapWhenKeyHashesCollide) {
  check_against_std<colliding_key>(limit * 8);
  check_against_std<colliding_key>(limit * 64);  // the index grows several times, probe runs wrap around
}

TEST(SmallSet, EraseIfWhileIteratingErasesExactlyTheMatches) {
  for (const std::size_t n : {limit / 2, limit * 4}) {
    small_set<int> s;
    for (int i = 0; i < static_cast<int>(n); ++i) EXPECT_TRUE(s.insert(i));
    EXPECT_FALSE(s.insert(0));
    EXPECT_EQ(s.erase_if([](int v) { return v % 3 == 0; }), (n + 2) / 3);
    for (int i = 0; i < static_cast<int>(n); ++i) EXPECT_EQ(s.contains(i), i % 3 != 0) << i << " of " << n;
  }
}

// Terms are the keys processes use (references of monitors and aliases).
TEST(SmallMap, ReferenceKeysAreFoundByValueNotByIdentity) {
  small_map<beam::term, int> m;
  std::vector<beam::reference> refs;
  for (int i = 0; i < static_cast<int>(limit) * 2; ++i) {
    refs.push_back(beam::reference::make());
    m.emplace(beam::term(refs.back()), i);
  }
  for (int i = 0; i < static_cast<int>(refs.size()); ++i) {
    const auto it = m.find(beam::term(refs[static_cast<std::size_t>(i)]));  // a new term, an equal reference
    ASSERT_NE(it, m.end());
    EXPECT_EQ(it->second, i);
  }
  EXPECT_EQ(m.erase(beam::term(refs.front())), 1u);
  EXPECT_EQ(m.find(beam::term(refs.front())), m.end());
}

}  // namespace
