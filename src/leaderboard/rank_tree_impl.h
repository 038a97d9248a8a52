// The members of BasicRankTree. Included by rank_tree.cc, which instantiates
// RankTree, and by the tests, which instantiate small-node trees.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstring>
#include <string>

#include "leaderboard/rank_tree.h"

namespace citadel::leaderboard {
namespace rank_tree_detail {

// Moves n elements of a trivially copyable array; the ranges may overlap.
template <class T>
inline void move_elements(T* to, const T* from, std::size_t n) {
  if (n > 0) std::memmove(to, from, n * sizeof(T));
}

template <class T>
inline void prefetch_array(const T* array, uint32_t count) {
  const char* bytes = reinterpret_cast<const char*>(array);
  for (std::size_t offset = 0; offset < count * sizeof(T); offset += 64) {
    __builtin_prefetch(bytes + offset);
  }
}

}  // namespace rank_tree_detail

template <uint32_t kLeafCapacity, uint32_t kInnerCapacity>
BasicRankTree<kLeafCapacity, kInnerCapacity>::BasicRankTree() {
  root_ = leaves_.allocate();
}

template <uint32_t kLeafCapacity, uint32_t kInnerCapacity>
uint32_t BasicRankTree<kLeafCapacity, kInnerCapacity>::child_for(const Inner& inner,
                                                                 const RankKey& key) {
  // Ask for the separators' scores and the counts before searching, so their
  // cache misses overlap.
  inner.separators.prefetch(inner.count - 1);
  rank_tree_detail::prefetch_array(inner.sizes, inner.count);
  // Keys equal to a separator belong to the child on its right.
  return inner.separators.template search<true>(inner.count - 1, key);
}

template <uint32_t kLeafCapacity, uint32_t kInnerCapacity>
uint64_t BasicRankTree<kLeafCapacity, kInnerCapacity>::sum_before(const Inner& inner,
                                                                  uint32_t child) {
  uint64_t total = 0;
  for (uint32_t i = 0; i < child; ++i) total += inner.sizes[i];
  return total;
}

// ----------------------------------------------------------------- insert --

template <uint32_t kLeafCapacity, uint32_t kInnerCapacity>
uint64_t BasicRankTree<kLeafCapacity, kInnerCapacity>::insert(const RankKey& key, uint32_t value) {
  Path path;
  uint64_t rank = 0;
  uint32_t node = root_;
  for (int level = height_; level > 0; --level) {
    Inner& inner = inners_[node];
    uint32_t child = child_for(inner, key);
    rank += sum_before(inner, child);
    inner.sizes[child] += 1;
    path.steps[path.depth++] = {node, child};
    node = inner.children[child];
  }
  Leaf& leaf = leaves_[node];
  leaf.keys.prefetch(leaf.count);
  uint32_t slot = leaf.keys.template search<false>(leaf.count, key);
  assert(slot == leaf.count || !(leaf.keys.get(slot) == key));
  leaf.keys.move_from(slot + 1, leaf.keys, slot, leaf.count - slot);
  rank_tree_detail::move_elements(leaf.values + slot + 1, leaf.values + slot, leaf.count - slot);
  leaf.keys.set(slot, key);
  leaf.values[slot] = value;
  ++leaf.count;
  ++size_;
  if (leaf.count > kLeafCapacity) split_leaf(node, slot, path);
  return rank + slot;
}

template <uint32_t kLeafCapacity, uint32_t kInnerCapacity>
void BasicRankTree<kLeafCapacity, kInnerCapacity>::split_leaf(uint32_t leaf_id,
                                                              uint32_t inserted_slot, Path& path) {
  Leaf& left = leaves_[leaf_id];
  uint32_t keep = left.count / 2;
  if (inserted_slot == left.count - 1 && left.next == kNone) {
    keep = left.count - 1;  // appended past the last key: the new key starts a leaf
  } else if (inserted_slot == 0 && left.prev == kNone) {
    keep = 1;  // before the first key: it stays alone, the full run moves right
  }
  uint32_t right_id = leaves_.allocate();
  Leaf& right = leaves_[right_id];  // chunks never move, so `left` stays valid
  right.count = left.count - keep;
  right.keys.move_from(0, left.keys, keep, right.count);
  rank_tree_detail::move_elements(right.values, left.values + keep, right.count);
  left.count = keep;
  right.prev = leaf_id;
  right.next = left.next;
  if (left.next != kNone) leaves_[left.next].prev = right_id;
  left.next = right_id;
  add_child(path, right.keys.get(0), right_id, right.count);
}

template <uint32_t kLeafCapacity, uint32_t kInnerCapacity>
void BasicRankTree<kLeafCapacity, kInnerCapacity>::split_inner(uint32_t inner_id, Path& path) {
  Inner& left = inners_[inner_id];
  uint32_t right_id = inners_.allocate();
  Inner& right = inners_[right_id];
  uint32_t total = left.count;
  uint32_t keep = total / 2;
  right.count = total - keep;
  rank_tree_detail::move_elements(right.children, left.children + keep, right.count);
  rank_tree_detail::move_elements(right.sizes, left.sizes + keep, right.count);
  right.separators.move_from(0, left.separators, keep, right.count - 1);
  RankKey up = left.separators.get(keep - 1);
  left.count = keep;
  add_child(path, up, right_id, uint32_t(sum_before(right, right.count)));
}

// Inserts `child` (just split off) right of the child the path's last step
// went through; that step's count already includes the split-off keys.
template <uint32_t kLeafCapacity, uint32_t kInnerCapacity>
void BasicRankTree<kLeafCapacity, kInnerCapacity>::add_child(Path& path, const RankKey& separator,
                                                             uint32_t child, uint32_t child_size) {
  if (path.depth == 0) {
    uint32_t root_id = inners_.allocate();
    Inner& root = inners_[root_id];
    root.count = 2;
    root.children[0] = root_;
    root.children[1] = child;
    root.sizes[0] = uint32_t(size_ - child_size);
    root.sizes[1] = child_size;
    root.separators.set(0, separator);
    root_ = root_id;
    ++height_;
    return;
  }
  PathStep step = path.steps[--path.depth];
  Inner& parent = inners_[step.inner];
  uint32_t at = step.child + 1;
  rank_tree_detail::move_elements(parent.children + at + 1, parent.children + at,
                                  parent.count - at);
  rank_tree_detail::move_elements(parent.sizes + at + 1, parent.sizes + at, parent.count - at);
  parent.separators.move_from(step.child + 1, parent.separators, step.child,
                              parent.count - 1 - step.child);
  parent.sizes[step.child] -= child_size;
  parent.children[at] = child;
  parent.sizes[at] = child_size;
  parent.separators.set(step.child, separator);
  ++parent.count;
  if (parent.count > kInnerCapacity) split_inner(step.inner, path);
}

// ------------------------------------------------------------------ erase --

template <uint32_t kLeafCapacity, uint32_t kInnerCapacity>
uint64_t BasicRankTree<kLeafCapacity, kInnerCapacity>::erase(const RankKey& key) {
  Path path;
  uint64_t rank = 0;
  uint32_t node = root_;
  for (int level = height_; level > 0; --level) {
    Inner& inner = inners_[node];
    uint32_t child = child_for(inner, key);
    rank += sum_before(inner, child);
    inner.sizes[child] -= 1;
    path.steps[path.depth++] = {node, child};
    node = inner.children[child];
  }
  Leaf& leaf = leaves_[node];
  leaf.keys.prefetch(leaf.count);
  uint32_t slot = leaf.keys.template search<false>(leaf.count, key);
  assert(slot < leaf.count && leaf.keys.get(slot) == key);
  leaf.keys.move_from(slot, leaf.keys, slot + 1, leaf.count - slot - 1);
  rank_tree_detail::move_elements(leaf.values + slot, leaf.values + slot + 1,
                                  leaf.count - slot - 1);
  --leaf.count;
  --size_;
  if (path.depth > 0 && leaf.count < kLeafMinimum) rebalance_leaf(path);
  return rank + slot;
}

template <uint32_t kLeafCapacity, uint32_t kInnerCapacity>
uint64_t BasicRankTree<kLeafCapacity, kInnerCapacity>::move(const RankKey& from, const RankKey& to,
                                                            uint32_t value) {
  // Both descents in step: each level's next nodes are asked for before
  // either is searched, so the two leaves (the likely misses) load together.
  // Each records its path, for the counts a move between leaves changes.
  PathStep from_path[kMaxHeight];
  PathStep to_path[kMaxHeight];
  uint32_t from_node = root_;
  uint32_t to_node = root_;
  uint64_t to_rank = 0;
  for (int level = height_, depth = 0; level > 0; --level, ++depth) {
    const Inner& from_inner = inners_[from_node];
    const Inner& to_inner = inners_[to_node];
    uint32_t from_child = from_inner.separators.template search<true>(from_inner.count - 1, from);
    uint32_t to_child = to_inner.separators.template search<true>(to_inner.count - 1, to);
    to_rank += sum_before(to_inner, to_child);
    from_path[depth] = {from_node, from_child};
    to_path[depth] = {to_node, to_child};
    from_node = from_inner.children[from_child];
    to_node = to_inner.children[to_child];
    prefetch_node(from_node, level == 1);
    if (to_node != from_node) prefetch_node(to_node, level == 1);
  }
  if (from_node != to_node) {
    Leaf& from_leaf = leaves_[from_node];
    Leaf& to_leaf = leaves_[to_node];
    if (from_leaf.count - 1 < kLeafMinimum || to_leaf.count + 1 > kLeafCapacity) {
      // One leaf must merge or split: the plain way, with the walk in cache.
      erase(from);
      return insert(to, value);
    }
    // Neither leaf changes shape, so no separator does (`to` lies between
    // the ones that bound its leaf: the descent put it there), and only the
    // counts on the two paths move: one less along the way to `from`, one
    // more along the way to `to` (where the paths share a node and child,
    // the two cancel). One descent instead of three (this one, erase's,
    // insert's): what a submit that moves a record far (set) or just past
    // its leaf (a small incr) mostly costs.
    for (int depth = 0; depth < height_; ++depth) {
      inners_[from_path[depth].inner].sizes[from_path[depth].child] -= 1;
      inners_[to_path[depth].inner].sizes[to_path[depth].child] += 1;
    }
    uint32_t from_slot = from_leaf.keys.template search<false>(from_leaf.count, from);
    assert(from_slot < from_leaf.count && from_leaf.keys.get(from_slot) == from);
    uint32_t after = from_leaf.count - from_slot - 1;
    from_leaf.keys.move_from(from_slot, from_leaf.keys, from_slot + 1, after);
    rank_tree_detail::move_elements(from_leaf.values + from_slot, from_leaf.values + from_slot + 1,
                                    after);
    --from_leaf.count;
    uint32_t to_slot = to_leaf.keys.template search<false>(to_leaf.count, to);
    assert(to_slot == to_leaf.count || !(to_leaf.keys.get(to_slot) == to));
    uint32_t shifted = to_leaf.count - to_slot;
    to_leaf.keys.move_from(to_slot + 1, to_leaf.keys, to_slot, shifted);
    rank_tree_detail::move_elements(to_leaf.values + to_slot + 1, to_leaf.values + to_slot,
                                    shifted);
    to_leaf.keys.set(to_slot, to);
    to_leaf.values[to_slot] = value;
    ++to_leaf.count;
    // to_rank counted the keys of the subtrees left of `to`'s path as they
    // were, `from` among them when it lies before `to` (the leaves differ,
    // so it then sits in one of those subtrees).
    return to_rank + to_slot - (from < to ? 1 : 0);
  }
  // The same leaf: its key count and every count above stay, and `to` lies
  // between the separators that bound it (the descent put it there), so
  // nothing but the leaf changes. Keys before the leaf are the same before
  // and after, so to_rank still counts them.
  Leaf& leaf = leaves_[from_node];
  uint32_t from_slot = leaf.keys.template search<false>(leaf.count, from);
  assert(from_slot < leaf.count && leaf.keys.get(from_slot) == from);
  uint32_t rest = leaf.count - 1;
  leaf.keys.move_from(from_slot, leaf.keys, from_slot + 1, rest - from_slot);
  rank_tree_detail::move_elements(leaf.values + from_slot, leaf.values + from_slot + 1,
                                  rest - from_slot);
  uint32_t to_slot = leaf.keys.template search<false>(rest, to);
  assert(to_slot == rest || !(leaf.keys.get(to_slot) == to));
  leaf.keys.move_from(to_slot + 1, leaf.keys, to_slot, rest - to_slot);
  rank_tree_detail::move_elements(leaf.values + to_slot + 1, leaf.values + to_slot, rest - to_slot);
  leaf.keys.set(to_slot, to);
  leaf.values[to_slot] = value;
  return to_rank + to_slot;
}

// Repairs the leaf the path's last step leads to, which has too few keys,
// by merging with or borrowing from a sibling.
template <uint32_t kLeafCapacity, uint32_t kInnerCapacity>
void BasicRankTree<kLeafCapacity, kInnerCapacity>::rebalance_leaf(Path& path) {
  PathStep step = path.steps[path.depth - 1];
  Inner& parent = inners_[step.inner];
  uint32_t left_index = step.child > 0 ? step.child - 1 : 0;
  uint32_t right_index = left_index + 1;
  uint32_t left_id = parent.children[left_index];
  uint32_t right_id = parent.children[right_index];
  Leaf& left = leaves_[left_id];
  Leaf& right = leaves_[right_id];

  if (left.count + right.count <= kLeafMergeLimit) {
    left.keys.move_from(left.count, right.keys, 0, right.count);
    rank_tree_detail::move_elements(left.values + left.count, right.values, right.count);
    left.count += right.count;
    left.next = right.next;
    if (right.next != kNone) leaves_[right.next].prev = left_id;
    right.count = 0;
    leaves_.release(right_id);
    parent.sizes[left_index] += parent.sizes[right_index];
    remove_child(path, right_index);
    return;
  }
  // Borrow: even out the two leaves.
  uint32_t target_left = (left.count + right.count) / 2;
  if (left.count < target_left) {
    uint32_t n = target_left - left.count;
    left.keys.move_from(left.count, right.keys, 0, n);
    rank_tree_detail::move_elements(left.values + left.count, right.values, n);
    right.keys.move_from(0, right.keys, n, right.count - n);
    rank_tree_detail::move_elements(right.values, right.values + n, right.count - n);
    left.count += n;
    right.count -= n;
  } else {
    uint32_t n = left.count - target_left;
    right.keys.move_from(n, right.keys, 0, right.count);
    rank_tree_detail::move_elements(right.values + n, right.values, right.count);
    right.keys.move_from(0, left.keys, target_left, n);
    rank_tree_detail::move_elements(right.values, left.values + target_left, n);
    left.count -= n;
    right.count += n;
  }
  parent.sizes[left_index] = left.count;
  parent.sizes[right_index] = right.count;
  parent.separators.set(left_index, right.keys.get(0));
}

// Removes child `index` (and the separator left of it) from the inner node
// at the end of the path, then repairs that node.
template <uint32_t kLeafCapacity, uint32_t kInnerCapacity>
void BasicRankTree<kLeafCapacity, kInnerCapacity>::remove_child(Path& path, uint32_t index) {
  assert(index > 0);
  uint32_t inner_id = path.steps[path.depth - 1].inner;
  Inner& inner = inners_[inner_id];
  rank_tree_detail::move_elements(inner.children + index, inner.children + index + 1,
                                  inner.count - index - 1);
  rank_tree_detail::move_elements(inner.sizes + index, inner.sizes + index + 1,
                                  inner.count - index - 1);
  inner.separators.move_from(index - 1, inner.separators, index, inner.count - index - 1);
  --inner.count;
  if (path.depth == 1) {
    if (inner.count == 1) {  // a root with one child gives way to it
      root_ = inner.children[0];
      --height_;
      inners_.release(inner_id);
    }
    return;
  }
  if (inner.count < kInnerMinimum) rebalance_inner(path);
}

// Repairs the inner node at the end of the path, which has too few children,
// by merging with or borrowing from a sibling through their parent.
template <uint32_t kLeafCapacity, uint32_t kInnerCapacity>
void BasicRankTree<kLeafCapacity, kInnerCapacity>::rebalance_inner(Path& path) {
  --path.depth;  // the parent is now last
  PathStep step = path.steps[path.depth - 1];
  Inner& parent = inners_[step.inner];
  uint32_t left_index = step.child > 0 ? step.child - 1 : 0;
  uint32_t right_index = left_index + 1;
  uint32_t right_id = parent.children[right_index];
  Inner& left = inners_[parent.children[left_index]];
  Inner& right = inners_[right_id];
  RankKey between = parent.separators.get(left_index);

  if (left.count + right.count <= kInnerMergeLimit) {
    left.separators.set(left.count - 1, between);
    left.separators.move_from(left.count, right.separators, 0, right.count - 1);
    rank_tree_detail::move_elements(left.children + left.count, right.children, right.count);
    rank_tree_detail::move_elements(left.sizes + left.count, right.sizes, right.count);
    left.count += right.count;
    inners_.release(right_id);
    parent.sizes[left_index] += parent.sizes[right_index];
    remove_child(path, right_index);
    return;
  }
  // Borrow: rotate children through the parent's separator.
  uint32_t target_left = (left.count + right.count) / 2;
  uint64_t moved_keys = 0;
  if (left.count < target_left) {
    uint32_t n = target_left - left.count;  // from the front of right to the end of left
    moved_keys = sum_before(right, n);
    left.separators.set(left.count - 1, between);
    left.separators.move_from(left.count, right.separators, 0, n - 1);
    rank_tree_detail::move_elements(left.children + left.count, right.children, n);
    rank_tree_detail::move_elements(left.sizes + left.count, right.sizes, n);
    parent.separators.set(left_index, right.separators.get(n - 1));
    right.separators.move_from(0, right.separators, n, right.count - n - 1);
    rank_tree_detail::move_elements(right.children, right.children + n, right.count - n);
    rank_tree_detail::move_elements(right.sizes, right.sizes + n, right.count - n);
    left.count += n;
    right.count -= n;
    parent.sizes[left_index] += uint32_t(moved_keys);
    parent.sizes[right_index] -= uint32_t(moved_keys);
  } else {
    uint32_t n = left.count - target_left;  // from the end of left to the front of right
    uint32_t first = left.count - n;
    for (uint32_t i = first; i < left.count; ++i) moved_keys += left.sizes[i];
    right.separators.move_from(n, right.separators, 0, right.count - 1);
    rank_tree_detail::move_elements(right.children + n, right.children, right.count);
    rank_tree_detail::move_elements(right.sizes + n, right.sizes, right.count);
    right.separators.set(n - 1, between);
    right.separators.move_from(0, left.separators, first, n - 1);
    rank_tree_detail::move_elements(right.children, left.children + first, n);
    rank_tree_detail::move_elements(right.sizes, left.sizes + first, n);
    parent.separators.set(left_index, left.separators.get(first - 1));
    left.count -= n;
    right.count += n;
    parent.sizes[left_index] -= uint32_t(moved_keys);
    parent.sizes[right_index] += uint32_t(moved_keys);
  }
}

// ---------------------------------------------------------------- queries --

template <uint32_t kLeafCapacity, uint32_t kInnerCapacity>
template <bool kInclusive>
uint64_t BasicRankTree<kLeafCapacity, kInnerCapacity>::count_up_to(const RankKey& key) const {
  uint64_t count = 0;
  uint32_t node = root_;
  for (int level = height_; level > 0; --level) {
    const Inner& inner = inners_[node];
    uint32_t child = child_for(inner, key);
    count += sum_before(inner, child);
    node = inner.children[child];
  }
  const Leaf& leaf = leaves_[node];
  leaf.keys.prefetch(leaf.count);
  return count + leaf.keys.template search<kInclusive>(leaf.count, key);
}

template <uint32_t kLeafCapacity, uint32_t kInnerCapacity>
uint64_t BasicRankTree<kLeafCapacity, kInnerCapacity>::count_less(const RankKey& key) const {
  return count_up_to<false>(key);
}

template <uint32_t kLeafCapacity, uint32_t kInnerCapacity>
uint64_t BasicRankTree<kLeafCapacity, kInnerCapacity>::count_not_greater(const RankKey& key) const {
  return count_up_to<true>(key);
}

template <uint32_t kLeafCapacity, uint32_t kInnerCapacity>
typename BasicRankTree<kLeafCapacity, kInnerCapacity>::Position
BasicRankTree<kLeafCapacity, kInnerCapacity>::at(uint64_t rank) const {
  if (rank >= size_) return {};
  uint32_t node = root_;
  for (int level = height_; level > 0; --level) {
    const Inner& inner = inners_[node];
    rank_tree_detail::prefetch_array(inner.sizes, inner.count);
    uint32_t child = 0;
    while (rank >= inner.sizes[child]) rank -= inner.sizes[child++];
    node = inner.children[child];
  }
  return {node, uint32_t(rank)};
}

template <uint32_t kLeafCapacity, uint32_t kInnerCapacity>
typename BasicRankTree<kLeafCapacity, kInnerCapacity>::Position
BasicRankTree<kLeafCapacity, kInnerCapacity>::next(Position position) const {
  const Leaf& leaf = leaves_[position.leaf];
  if (position.slot + 1 < leaf.count) return {position.leaf, position.slot + 1};
  return leaf.next == kNone ? Position{} : Position{leaf.next, 0};
}

template <uint32_t kLeafCapacity, uint32_t kInnerCapacity>
RankKey BasicRankTree<kLeafCapacity, kInnerCapacity>::key(Position position) const {
  return leaves_[position.leaf].keys.get(position.slot);
}

template <uint32_t kLeafCapacity, uint32_t kInnerCapacity>
uint32_t BasicRankTree<kLeafCapacity, kInnerCapacity>::value(Position position) const {
  return leaves_[position.leaf].values[position.slot];
}

template <uint32_t kLeafCapacity, uint32_t kInnerCapacity>
void BasicRankTree<kLeafCapacity, kInnerCapacity>::prefetch_node(uint32_t node,
                                                                 bool is_leaf) const {
  if (is_leaf) {
    const Leaf& leaf = leaves_[node];
    rank_tree_detail::prefetch_array(reinterpret_cast<const char*>(&leaf),
                                     uint32_t(offsetof(Leaf, keys)));
    leaf.keys.prefetch(kLeafCapacity);
  } else {
    const Inner& inner = inners_[node];
    rank_tree_detail::prefetch_array(reinterpret_cast<const char*>(&inner),
                                     uint32_t(offsetof(Inner, separators)));
    inner.separators.prefetch(kInnerCapacity - 1);
  }
}

template <uint32_t kLeafCapacity, uint32_t kInnerCapacity>
void BasicRankTree<kLeafCapacity, kInnerCapacity>::prefetch_paths(
    std::span<const RankKey> keys) const {
  constexpr std::size_t kGroup = 64;
  uint32_t nodes[kGroup];
  for (std::size_t start = 0; start < keys.size(); start += kGroup) {
    std::size_t n = std::min(kGroup, keys.size() - start);
    for (std::size_t i = 0; i < n; ++i) nodes[i] = root_;
    for (int level = height_; level > 0; --level) {
      for (std::size_t i = 0; i < n; ++i) {
        const Inner& inner = inners_[nodes[i]];
        uint32_t child = inner.separators.template search<true>(inner.count - 1, keys[start + i]);
        nodes[i] = inner.children[child];
        prefetch_node(nodes[i], level == 1);
      }
    }
  }
}

template <uint32_t kLeafCapacity, uint32_t kInnerCapacity>
void BasicRankTree<kLeafCapacity, kInnerCapacity>::clear() {
  *this = BasicRankTree();
}

template <uint32_t kLeafCapacity, uint32_t kInnerCapacity>
std::size_t BasicRankTree<kLeafCapacity, kInnerCapacity>::memory_bytes() const {
  return leaves_.memory_bytes() + inners_.memory_bytes();
}

// ------------------------------------------------------------- invariants --

template <uint32_t kLeafCapacity, uint32_t kInnerCapacity>
std::string BasicRankTree<kLeafCapacity, kInnerCapacity>::check_invariants() const {
  uint64_t count = 0;
  uint32_t prev_leaf = kNone;
  std::string problem = check_subtree(root_, height_, nullptr, nullptr, count, prev_leaf);
  if (!problem.empty()) return problem;
  if (prev_leaf != kNone && leaves_[prev_leaf].next != kNone) return "last leaf has a next";
  if (count != size_) {
    return "size " + std::to_string(size_) + " but " + std::to_string(count) + " keys";
  }
  return {};
}

template <uint32_t kLeafCapacity, uint32_t kInnerCapacity>
std::string BasicRankTree<kLeafCapacity, kInnerCapacity>::check_subtree(uint32_t node, int height,
                                                                        const RankKey* low,
                                                                        const RankKey* high,
                                                                        uint64_t& count,
                                                                        uint32_t& prev_leaf) const {
  bool is_root = node == root_;
  if (height == 0) {
    const Leaf& leaf = leaves_[node];
    if (leaf.count > kLeafCapacity) return "leaf over capacity";
    if (leaf.count == 0 && !is_root) return "empty leaf below the root";
    if (leaf.prev != prev_leaf) return "leaf prev link broken";
    if (prev_leaf != kNone && leaves_[prev_leaf].next != node) return "leaf next link broken";
    for (uint32_t i = 0; i < leaf.count; ++i) {
      RankKey key = leaf.keys.get(i);
      if (i > 0 && !(leaf.keys.get(i - 1) < key)) return "leaf keys not strictly ascending";
      if (low != nullptr && key < *low) return "leaf key below its separator";
      if (high != nullptr && !(key < *high)) return "leaf key at or above next separator";
    }
    count += leaf.count;
    prev_leaf = node;
    return {};
  }
  const Inner& inner = inners_[node];
  if (inner.count > kInnerCapacity) return "inner over capacity";
  if (inner.count < 2) return "inner with fewer than 2 children";
  if (!is_root && inner.count < kInnerMinimum) return "inner below minimum";
  RankKey separators[kInnerCapacity];
  for (uint32_t i = 0; i + 1 < inner.count; ++i) {
    separators[i] = inner.separators.get(i);
    if (i > 0 && !(separators[i - 1] < separators[i])) return "separators not ascending";
    if (low != nullptr && separators[i] < *low) return "separator below its bound";
    if (high != nullptr && !(separators[i] < *high)) return "separator above its bound";
  }
  for (uint32_t i = 0; i < inner.count; ++i) {
    uint64_t below = 0;
    const RankKey* child_low = i == 0 ? low : &separators[i - 1];
    const RankKey* child_high = i + 1 == inner.count ? high : &separators[i];
    std::string problem =
        check_subtree(inner.children[i], height - 1, child_low, child_high, below, prev_leaf);
    if (!problem.empty()) return problem;
    if (below != inner.sizes[i]) return "subtree count wrong";
    count += below;
  }
  return {};
}

}  // namespace citadel::leaderboard
