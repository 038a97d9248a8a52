// The keys of one RankTree node, stored as three columns (all scores, then
// all subscores, then all sequences) rather than as an array of RankKey.
//
// Why: a search compares scores first and reaches the other two columns only
// on a tie. With the columns apart, the scores of a full node are 8 cache
// lines instead of the 24 an array of keys spans, a binary search touches
// about half of them, and prefetch() can ask for all of them at once on
// arrival (the misses then overlap instead of following one another).
#pragma once

#include <cstdint>
#include <cstring>

#include "leaderboard/rank_key.h"

namespace citadel::leaderboard {

template <uint32_t kSlots>
struct KeyColumns {
  uint64_t score[kSlots];
  uint64_t subscore[kSlots];
  uint64_t sequence[kSlots];

  RankKey get(uint32_t i) const { return {score[i], subscore[i], sequence[i]}; }

  void set(uint32_t i, const RankKey& key) {
    score[i] = key.score;
    subscore[i] = key.subscore;
    sequence[i] = key.sequence;
  }

  // Moves n keys from source[from..) to this[to..); the ranges may overlap
  // when source is this node.
  void move_from(uint32_t to, const KeyColumns& source, uint32_t from, uint32_t n) {
    if (n == 0) return;
    std::memmove(score + to, source.score + from, n * sizeof(uint64_t));
    std::memmove(subscore + to, source.subscore + from, n * sizeof(uint64_t));
    std::memmove(sequence + to, source.sequence + from, n * sizeof(uint64_t));
  }

  // Whether the key in slot i is below key.
  bool below(uint32_t i, const RankKey& key) const {
    if (score[i] != key.score) return score[i] < key.score;
    if (subscore[i] != key.subscore) return subscore[i] < key.subscore;
    return sequence[i] < key.sequence;
  }

  // The first slot in [0, count) whose key is at or above key (kAbove =
  // false: lower bound) or strictly above it (kAbove = true: upper bound).
  //
  // Why in two steps: every slot whose score is below key.score is below key,
  // whatever the rest, so a search of the score column alone finds where the
  // answer's run starts. That search has no branch to mispredict (a random
  // key takes each of a plain binary search's six turns with even odds, about
  // 15 cycles lost per wrong guess, at every level of a descent). Only when
  // a slot shares the key's score do the other columns decide, by the exact
  // search over the rest.
  template <bool kAbove>
  uint32_t search(uint32_t count, const RankKey& key) const {
    uint32_t first = score_lower_bound(count, key.score);
    if (first == count || score[first] != key.score) return first;
    count -= first;
    while (count > 0) {
      uint32_t half = count / 2;
      uint32_t middle = first + half;
      bool left_of_answer = kAbove ? !key_below(key, middle) : below(middle, key);
      if (left_of_answer) {
        first = middle + 1;
        count -= half + 1;
      } else {
        count = half;
      }
    }
    return first;
  }

  // Asks for the score column's first `count` entries, every cache line at once.
  void prefetch(uint32_t count) const {
    const char* bytes = reinterpret_cast<const char*>(score);
    for (uint32_t offset = 0; offset < count * sizeof(uint64_t); offset += 64) {
      __builtin_prefetch(bytes + offset);
    }
  }

 private:
  // The first slot in [0, count) whose score is at or above `wanted`. The
  // window halves each turn whether or not the probe is below, so the loop
  // runs the same turns for every key and the choice compiles to a
  // conditional move.
  uint32_t score_lower_bound(uint32_t count, uint64_t wanted) const {
    if (count == 0) return 0;
    const uint64_t* base = score;
    while (count > 1) {
      uint32_t half = count / 2;
      base += (base[half] < wanted) ? half : 0;
      count -= half;
    }
    return uint32_t(base - score) + (*base < wanted ? 1 : 0);
  }

  // Whether key is below the key in slot i.
  bool key_below(const RankKey& key, uint32_t i) const {
    if (key.score != score[i]) return key.score < score[i];
    if (key.subscore != subscore[i]) return key.subscore < subscore[i];
    return key.sequence < sequence[i];
  }
};

}  // namespace citadel::leaderboard
