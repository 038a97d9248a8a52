// RankTree against std::set as the reference: every rank, position and walk
// must agree, and the structural invariants must hold after each burst of
// changes (check_invariants walks the whole tree). The random cases also run
// on a tree of 8-key nodes, which is six or seven levels deep at a few
// thousand keys, so every split, merge and borrow runs at every level.
#include "leaderboard/rank_tree.h"

#include "leaderboard/rank_tree_impl.h"

#include "leaderboard/key_columns.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <random>
#include <set>
#include <vector>

#include "test_seed.h"

namespace citadel::leaderboard {

template class BasicRankTree<8, 8>;

namespace {

using SmallRankTree = BasicRankTree<8, 8>;

RankKey key_of(uint64_t n) {
  return {n / 7, n % 7, n};
}

// Compares the whole tree with the reference: walk order and values for
// every key; at() and both counts for every key of a small tree and for
// about a thousand spread over a large one.
template <class Tree>
void expect_same(const Tree& tree, const std::set<RankKey>& reference) {
  ASSERT_EQ(tree.check_invariants(), "");
  ASSERT_EQ(tree.size(), reference.size());
  uint64_t rank = 0;
  uint64_t stride = std::max<uint64_t>(1, reference.size() / 1000);
  auto position = tree.at(0);
  for (const RankKey& key : reference) {
    ASSERT_FALSE(position.at_end()) << "walk ended early at " << rank;
    ASSERT_EQ(tree.key(position), key) << "rank " << rank;
    ASSERT_EQ(tree.value(position), uint32_t(key.sequence));
    if (rank % stride == 0 || rank + 1 == reference.size()) {
      ASSERT_EQ(tree.key(tree.at(rank)), key);
      ASSERT_EQ(tree.count_less(key), rank);
      ASSERT_EQ(tree.count_not_greater(key), rank + 1);
    }
    position = tree.next(position);
    ++rank;
  }
  EXPECT_TRUE(position.at_end());
  EXPECT_TRUE(tree.at(reference.size()).at_end());
}

TEST(RankTree, EmptyTree) {
  RankTree tree;
  EXPECT_EQ(tree.size(), 0u);
  EXPECT_TRUE(tree.at(0).at_end());
  EXPECT_EQ(tree.count_less(key_of(5)), 0u);
  EXPECT_EQ(tree.check_invariants(), "");
}

TEST(RankTree, InsertReturnsRankAndEraseReturnsFormerRank) {
  RankTree tree;
  EXPECT_EQ(tree.insert({10, 0, 1}, 1), 0u);
  EXPECT_EQ(tree.insert({5, 0, 2}, 2), 0u);
  EXPECT_EQ(tree.insert({7, 0, 3}, 3), 1u);
  EXPECT_EQ(tree.insert({7, 0, 0}, 4), 1u);  // same score, lower sequence: first
  EXPECT_EQ(tree.insert({7, 1, 0}, 5), 3u);  // higher subscore key after both 7/0
  EXPECT_EQ(tree.erase({7, 0, 3}), 2u);
  EXPECT_EQ(tree.erase({5, 0, 2}), 0u);
  EXPECT_EQ(tree.size(), 3u);
  EXPECT_EQ(tree.check_invariants(), "");
}

TEST(RankTree, CountsForAbsentKeys) {
  RankTree tree;
  for (uint64_t i = 0; i < 1000; ++i) tree.insert({i * 2, 0, 0}, uint32_t(i));
  EXPECT_EQ(tree.count_less({501, 0, 0}), 251u);
  EXPECT_EQ(tree.count_not_greater({501, 0, 0}), 251u);
  EXPECT_EQ(tree.count_less({500, 0, 0}), 250u);
  EXPECT_EQ(tree.count_not_greater({500, 0, 0}), 251u);
  EXPECT_EQ(tree.count_less({0, 0, 0}), 0u);
  EXPECT_EQ(tree.count_not_greater({5000, 0, 0}), 1000u);
}

// Keys arriving in order (the common case for ties: the later record goes
// last) and in reverse must fill the edge leaves, not leave them half empty.
TEST(RankTree, InOrderInsertsPackLeaves) {
  for (bool ascending : {true, false}) {
    RankTree tree;
    std::set<RankKey> reference;
    const uint64_t n = 20'000;
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t k = ascending ? i : n - i;
      tree.insert(key_of(k), uint32_t(k));
      reference.insert(key_of(k));
    }
    expect_same(tree, reference);
    // 64 keys a leaf when full: about 28 bytes of leaf per key, plus a little.
    EXPECT_LT(tree.memory_bytes() / n, 40u) << (ascending ? "ascending" : "descending");
  }
}

template <class Tree>
void erase_everything_in_each_order() {
  for (int order = 0; order < 3; ++order) {
    Tree tree;
    std::set<RankKey> reference;
    std::vector<uint64_t> numbers(5000);
    for (uint64_t i = 0; i < numbers.size(); ++i) numbers[i] = i;
    for (uint64_t n : numbers) {
      tree.insert(key_of(n), uint32_t(n));
      reference.insert(key_of(n));
    }
    if (order == 1) std::reverse(numbers.begin(), numbers.end());
    if (order == 2) std::shuffle(numbers.begin(), numbers.end(), std::mt19937_64(7));
    for (std::size_t i = 0; i < numbers.size(); ++i) {
      RankKey key = key_of(numbers[i]);
      ASSERT_EQ(tree.erase(key), uint64_t(std::distance(reference.begin(), reference.find(key))));
      reference.erase(key);
      if (i % 500 == 0) expect_same(tree, reference);
    }
    expect_same(tree, reference);
    // Empty again, the tree works as new.
    tree.insert(key_of(3), 3);
    EXPECT_EQ(tree.size(), 1u);
    EXPECT_EQ(tree.check_invariants(), "");
  }
}

TEST(RankTree, EraseEverythingInEachOrder) {
  erase_everything_in_each_order<RankTree>();
}
TEST(RankTree, SmallNodesEraseEverythingInEachOrder) {
  erase_everything_in_each_order<SmallRankTree>();
}

// Random inserts and erases, drifting size, checked against std::set.
template <class Tree>
void random_operations_match_reference(const char* name, int bursts, int per_burst,
                                       int check_rank_every) {
  // std::distance over a std::set is linear: on a big tree, the rank returned
  // by insert and erase is checked for one call in check_rank_every (the
  // whole tree is compared after each burst either way).
  auto check_this_one = [&](int i) { return i % check_rank_every == 0; };
  uint64_t seed = testing::test_seed(name);
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  Tree tree;
  std::set<RankKey> reference;
  std::vector<RankKey> present;
  uint64_t next_sequence = 0;
  for (int burst = 0; burst < bursts; ++burst) {
    // Alternate growing and shrinking phases so merges and borrows happen at
    // every level, with narrow score ranges so ties on score are common.
    bool growing = burst % 3 != 2;
    uint64_t score_range = burst % 2 == 0 ? 50 : 1'000'000;
    for (int i = 0; i < per_burst; ++i) {
      bool insert = present.empty() || (growing ? rng() % 4 != 0 : rng() % 4 == 0);
      if (!present.empty() && rng() % 4 == 0) {
        // A record's new pair: move(), most often a small step (often within
        // the same leaf, the in-place path), else anywhere.
        std::size_t pick = rng() % present.size();
        RankKey from = present[pick];
        uint64_t score = rng() % 2 == 0 ? from.score + rng() % 3 : rng() % score_range;
        RankKey to{score, rng() % 3, next_sequence++};
        uint64_t rank = tree.move(from, to, uint32_t(to.sequence));
        reference.erase(from);
        if (check_this_one(i)) {
          ASSERT_EQ(rank, uint64_t(std::distance(reference.begin(), reference.lower_bound(to))));
        }
        reference.insert(to);
        present[pick] = to;
      } else if (insert) {
        RankKey key{rng() % score_range, rng() % 3, next_sequence++};
        uint32_t value = uint32_t(key.sequence);
        uint64_t rank = tree.insert(key, value);
        if (check_this_one(i)) {
          ASSERT_EQ(rank, uint64_t(std::distance(reference.begin(), reference.lower_bound(key))));
        }
        reference.insert(key);
        present.push_back(key);
      } else {
        std::size_t pick = rng() % present.size();
        RankKey key = present[pick];
        present[pick] = present.back();
        present.pop_back();
        uint64_t rank = tree.erase(key);
        if (check_this_one(i)) {
          ASSERT_EQ(rank, uint64_t(std::distance(reference.begin(), reference.find(key))));
        }
        reference.erase(key);
      }
    }
    expect_same(tree, reference);
  }
}

TEST(RankTree, RandomOperationsMatchReference) {
  random_operations_match_reference<RankTree>("RankTree random", 30, 4000, 64);
}

TEST(RankTree, SmallNodesRandomOperationsMatchReference) {
  random_operations_match_reference<SmallRankTree>("RankTree small nodes random", 60, 300, 1);
}

// KeyColumns::search (score column first, without branches; the other
// columns on a tie) against std::lower_bound / std::upper_bound, at every
// count up to a full node, with scores drawn from few values so ties and
// runs of equal scores are common, and probe keys around every stored one.
TEST(KeyColumns, SearchMatchesStdBounds) {
  std::mt19937_64 random(testing::test_seed("KeyColumns search"));
  constexpr uint32_t kSlots = 65;
  KeyColumns<kSlots> columns;
  for (int round = 0; round < 200; ++round) {
    uint32_t count = uint32_t(random() % (kSlots + 1));
    uint64_t spread = 1 + random() % 8;
    std::vector<RankKey> keys(count);
    for (RankKey& key : keys) {
      key = {UINT64_MAX - 4 + random() % spread, random() % 3, random() % 4};
    }
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    count = uint32_t(keys.size());
    for (uint32_t i = 0; i < count; ++i) columns.set(i, keys[i]);
    for (uint64_t score = UINT64_MAX - 5; score != 1; ++score) {
      for (uint64_t subscore = 0; subscore < 4; ++subscore) {
        for (uint64_t sequence = 0; sequence < 5; ++sequence) {
          RankKey probe{score, subscore, sequence};
          auto lower = uint32_t(std::lower_bound(keys.begin(), keys.end(), probe) - keys.begin());
          auto upper = uint32_t(std::upper_bound(keys.begin(), keys.end(), probe) - keys.begin());
          ASSERT_EQ(columns.search<false>(count, probe), lower) << round;
          ASSERT_EQ(columns.search<true>(count, probe), upper) << round;
        }
      }
    }
  }
}

}  // namespace
}  // namespace citadel::leaderboard
