// FlatIndex (player and name lookups), ChunkedPool (record and node
// storage) and UsernamePool (interned names), against std containers.
#include "leaderboard/flat_index.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "leaderboard/chunked_pool.h"
#include "leaderboard/hashing.h"
#include "leaderboard/username_pool.h"
#include "test_seed.h"

namespace citadel::leaderboard {
namespace {

// Keys live in a side array indexed like the elements of the engine's pools.
struct Keyed {
  std::vector<uint64_t> keys;
  FlatIndex index;

  std::optional<uint32_t> find(uint64_t key) const {
    return index.find(hash_id(key), [&](uint32_t i) { return keys[i] == key; });
  }
};

TEST(FlatIndex, FindsWhatWasInsertedAndNothingElse) {
  Keyed map;
  for (uint64_t k = 0; k < 10'000; ++k) {
    map.keys.push_back(k * 3);
    map.index.insert(hash_id(k * 3), uint32_t(k));
  }
  EXPECT_EQ(map.index.size(), 10'000u);
  for (uint64_t k = 0; k < 10'000; ++k) {
    ASSERT_EQ(map.find(k * 3), uint32_t(k));
    ASSERT_FALSE(map.find(k * 3 + 1).has_value());
  }
  // About 8 bytes a slot at a load between 3/8 and 3/4.
  EXPECT_LE(map.index.memory_bytes(), 10'000u * 8 * 8 / 3);
}

TEST(FlatIndex, EraseKeepsEveryOtherKeyReachable) {
  uint64_t seed = testing::test_seed("FlatIndex random");
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  Keyed map;
  std::unordered_map<uint64_t, uint32_t> reference;
  std::vector<uint32_t> free_slots;
  for (int i = 0; i < 200'000; ++i) {
    // Small key space: many erases of present keys, long probe runs.
    uint64_t key = rng() % 20'000;
    auto it = reference.find(key);
    if (it == reference.end()) {
      uint32_t slot;
      if (free_slots.empty()) {
        slot = uint32_t(map.keys.size());
        map.keys.push_back(key);
      } else {
        slot = free_slots.back();
        free_slots.pop_back();
        map.keys[slot] = key;
      }
      map.index.insert(hash_id(key), slot);
      reference[key] = slot;
    } else {
      ASSERT_TRUE(map.index.erase(hash_id(key), it->second));
      ASSERT_FALSE(map.index.erase(hash_id(key), it->second)) << "erased twice";
      free_slots.push_back(it->second);
      reference.erase(it);
    }
    if (i % 10'000 == 0) {
      ASSERT_EQ(map.index.size(), reference.size());
      for (uint64_t k = 0; k < 20'000; ++k) {
        auto expected = reference.find(k);
        auto found = map.find(k);
        ASSERT_EQ(found.has_value(), expected != reference.end()) << "key " << k;
        if (found) {
          ASSERT_EQ(*found, expected->second);
        }
      }
    }
  }
}

TEST(ChunkedPool, ReusesReleasedSlotsAndResetsThem) {
  ChunkedPool<std::string, 4> pool;
  std::vector<uint32_t> ids;
  for (int i = 0; i < 10; ++i) {
    ids.push_back(pool.allocate());
    pool[ids.back()] = "value " + std::to_string(i);
  }
  EXPECT_EQ(pool.live(), 10u);
  const std::string* stable = &pool[ids[1]];
  for (int i = 0; i < 100; ++i) pool[pool.allocate()] = "more";  // grows by chunks
  EXPECT_EQ(stable, &pool[ids[1]]) << "an element moved when the pool grew";
  pool.release(ids[3]);
  uint32_t again = pool.allocate();
  EXPECT_EQ(again, ids[3]);
  EXPECT_EQ(pool[again], "");
  EXPECT_EQ(pool.live(), 110u);
}

// Past kHugePageBytes the chunks come from huge slabs: every element keeps
// its value and its type's alignment, strings are destroyed (ASan sees a
// leak otherwise), and a moved pool owns them all.
TEST(ChunkedPool, GrowsIntoHugeSlabsKeepingValuesAndAlignment) {
  struct alignas(64) Wide {
    uint64_t value = 0;
    std::string name;
  };
  ChunkedPool<Wide, 256> pool;
  const std::size_t n = 3 * kHugePageBytes / sizeof(Wide);  // several huge slabs
  for (std::size_t i = 0; i < n; ++i) {
    Wide& w = pool[pool.allocate()];
    w.value = i;
    w.name = "a name long enough to live on the heap " + std::to_string(i);
  }
  EXPECT_GE(pool.memory_bytes(), n * sizeof(Wide));
  ChunkedPool<Wide, 256> moved(std::move(pool));
  ChunkedPool<Wide, 256> assigned;
  assigned[assigned.allocate()].name = "replaced by the move: destroyed, not leaked";
  assigned = std::move(moved);
  EXPECT_EQ(assigned.live(), n);
  for (std::size_t i = 0; i < n; i += 997) {
    const Wide& w = assigned[static_cast<uint32_t>(i)];
    EXPECT_EQ(reinterpret_cast<uintptr_t>(&w) % alignof(Wide), 0u) << i;
    EXPECT_EQ(w.value, i);
    EXPECT_EQ(w.name, "a name long enough to live on the heap " + std::to_string(i));
  }
}

TEST(UsernamePool, InternsAndCountsReferences) {
  UsernamePool pool;
  EXPECT_EQ(pool.acquire(""), UsernamePool::kNoName);
  uint32_t alice = pool.acquire("alice");
  uint32_t bob = pool.acquire("a name longer than fifteen bytes");
  EXPECT_NE(alice, bob);
  EXPECT_EQ(pool.acquire("alice"), alice);
  EXPECT_EQ(pool.size(), 2u);
  EXPECT_EQ(pool.view(alice), "alice");
  EXPECT_EQ(pool.view(bob), "a name longer than fifteen bytes");
  EXPECT_EQ(pool.view(UsernamePool::kNoName), "");
  pool.release(alice);
  EXPECT_EQ(pool.view(alice), "alice") << "one reference is left";
  pool.release(alice);
  pool.release(bob);
  EXPECT_EQ(pool.size(), 0u);
  // Freed slots are reused, and a freed name can come back.
  uint32_t carol = pool.acquire("carol");
  EXPECT_EQ(pool.view(carol), "carol");
  EXPECT_EQ(pool.acquire("alice"), pool.acquire("alice"));
  EXPECT_EQ(pool.size(), 2u);
}

}  // namespace
}  // namespace citadel::leaderboard
