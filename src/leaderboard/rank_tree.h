// An order-statistics B+tree: RankKey -> 32-bit value (a record index),
// with the rank of any key, the key at any rank, and in-order walks, all in
// O(log n).
//
// Why a B+tree: a board of a million players must take a million submits a
// second, and each submit moves a key (erase + insert). A skiplist with spans
// (Redis's zset) touches one cache line per level, twenty-odd on the way to a
// key; a balanced binary tree about the same. Here a node is a few cache lines
// holding 64 keys, so a million keys sit four levels deep and the top levels
// stay in cache. Inner nodes keep, per child, the number of keys beneath it,
// so a rank is the sum of the counts left of the path.
//
// Layout: leaves hold keys (in columns, key_columns.h) and values, 28 bytes
// an entry, and are linked both ways for walks; inner nodes hold separators,
// child ids and subtree counts. Each node visited has its score column and
// counts prefetched at once, so a descent waits about one miss per level. Nodes live in
// ChunkedPools addressed by 32-bit ids. A leaf that falls below a quarter full merges with or
// borrows from a sibling, and merges only when the result is at most three quarters full, so a run
// of inserts and erases at one boundary cannot split and merge on every call. A full edge leaf (the
// first or the last) that grows at its outer end splits unevenly (the new key alone goes to the new
// leaf), so keys arriving in order fill leaves completely instead of half.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "leaderboard/chunked_pool.h"
#include "leaderboard/key_columns.h"
#include "leaderboard/rank_key.h"

namespace citadel::leaderboard {

// The node capacities are parameters so the tests can build deep trees from
// a few hundred keys (every merge and borrow path at every level); the
// engine uses RankTree, below.
template <uint32_t kLeafCapacity, uint32_t kInnerCapacity>
class BasicRankTree {
  static_assert(kLeafCapacity >= 8 && kInnerCapacity >= 8, "a quarter must be at least 2");

 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  // An entry of the tree, or the end when leaf == kNone. Valid until the
  // tree next changes.
  struct Position {
    uint32_t leaf = kNone;
    uint32_t slot = 0;

    bool at_end() const { return leaf == kNone; }
  };

  BasicRankTree();

  uint64_t size() const { return size_; }

  // Adds key -> value. The key must be absent. Returns the key's 0-based rank.
  uint64_t insert(const RankKey& key, uint32_t value);
  // Removes key, which must be present. Returns the 0-based rank it had.
  uint64_t erase(const RankKey& key);

  // Replaces `from` (present) with `to` (absent) -> value: erase(from) then
  // insert(to, value), the rank insert returns included. Both paths are
  // walked at once, so their misses overlap; when both keys fall in the same
  // leaf (a small change of score), the key moves within it and no count
  // above changes.
  uint64_t move(const RankKey& from, const RankKey& to, uint32_t value);

  // The number of keys < key: the 0-based rank key has, or would have.
  uint64_t count_less(const RankKey& key) const;
  // The number of keys <= key.
  uint64_t count_not_greater(const RankKey& key) const;

  // The entry of 0-based rank `rank`; the end when rank >= size().
  Position at(uint64_t rank) const;
  Position next(Position position) const;
  RankKey key(Position position) const;
  uint32_t value(Position position) const;

  // Walks the paths to these keys' leaves level by level, prefetching each
  // next node for all keys at once, so their misses overlap. A hint for a
  // batch of inserts and erases that follows; changes nothing.
  void prefetch_paths(std::span<const RankKey> keys) const;

  void clear();
  std::size_t memory_bytes() const;

  // Walks the whole tree and returns "" when every invariant holds, else a
  // description of the first one broken. For tests; O(n).
  std::string check_invariants() const;

 private:
  static constexpr uint32_t kLeafMinimum = kLeafCapacity / 4;
  static constexpr uint32_t kLeafMergeLimit = kLeafCapacity * 3 / 4;
  static constexpr uint32_t kInnerMinimum = kInnerCapacity / 4;
  static constexpr uint32_t kInnerMergeLimit = kInnerCapacity * 3 / 4;
  static constexpr int kMaxHeight = 16;  // 64^16 keys: never reached

  struct Leaf {
    uint32_t count = 0;
    uint32_t prev = kNone;
    uint32_t next = kNone;
    // One spare slot: an insert lands first and the split follows.
    uint32_t values[kLeafCapacity + 1];
    KeyColumns<kLeafCapacity + 1> keys;
  };

  struct Inner {
    uint32_t count = 0;  // children; separators = count - 1
    uint32_t children[kInnerCapacity + 1];
    uint32_t sizes[kInnerCapacity + 1];  // keys under each child
    // separators[i] lies between children i and i + 1: every key under child
    // i is below it, every key under child i + 1 is at or above it.
    KeyColumns<kInnerCapacity> separators;
  };

  struct PathStep {
    uint32_t inner;
    uint32_t child;  // index within the inner node
  };

  struct Path {
    PathStep steps[kMaxHeight];
    int depth = 0;
  };

  static uint32_t child_for(const Inner& inner, const RankKey& key);
  // Asks for a node's header, counts and key columns (the parts a search reads).
  void prefetch_node(uint32_t node, bool is_leaf) const;
  static uint64_t sum_before(const Inner& inner, uint32_t child);

  template <bool kInclusive>
  uint64_t count_up_to(const RankKey& key) const;

  void split_leaf(uint32_t leaf_id, uint32_t inserted_slot, Path& path);
  void split_inner(uint32_t inner_id, Path& path);
  void add_child(Path& path, const RankKey& separator, uint32_t child, uint32_t child_size);
  void rebalance_leaf(Path& path);
  void rebalance_inner(Path& path);
  void remove_child(Path& path, uint32_t child_index);

  std::string check_subtree(uint32_t node, int height, const RankKey* low, const RankKey* high,
                            uint64_t& count, uint32_t& prev_leaf) const;

  ChunkedPool<Leaf, 64> leaves_;
  ChunkedPool<Inner, 16> inners_;
  uint32_t root_ = kNone;
  int height_ = 0;  // inner levels above the leaves; 0: the root is a leaf
  uint64_t size_ = 0;
};

// 64 keys a leaf: 1.8 KiB nodes, a million keys four levels deep.
using RankTree = BasicRankTree<64, 64>;
extern template class BasicRankTree<64, 64>;

}  // namespace citadel::leaderboard
