// The sort key of a record: its (score, subscore) pair mapped so that
// ascending key order is the board's order (rank 1 first), then the record's
// sequence number (lower = reached that pair earlier). Sequence numbers are
// unique within a board, so two records never share a key and no further
// tie-break (such as the user id) is ever needed.
#pragma once

#include <cstdint>

#include "leaderboard/leaderboard_types.h"

namespace citadel::leaderboard {

struct RankKey {
  uint64_t score = 0;
  uint64_t subscore = 0;
  uint64_t sequence = 0;

  bool operator==(const RankKey&) const = default;
};

inline bool operator<(const RankKey& a, const RankKey& b) {
  if (a.score != b.score) return a.score < b.score;
  if (a.subscore != b.subscore) return a.subscore < b.subscore;
  return a.sequence < b.sequence;
}

// int64 -> uint64 preserving order (flip the sign bit), inverted for a
// descending board so its best score maps to the smallest key. No
// arithmetic, so INT64_MIN and INT64_MAX need no special case.
inline uint64_t order_mapped(int64_t value, SortOrder order) {
  uint64_t ascending = static_cast<uint64_t>(value) ^ (uint64_t{1} << 63);
  return order == SortOrder::kDescending ? ~ascending : ascending;
}

inline int64_t order_unmapped(uint64_t mapped, SortOrder order) {
  uint64_t ascending = order == SortOrder::kDescending ? ~mapped : mapped;
  return static_cast<int64_t>(ascending ^ (uint64_t{1} << 63));
}

inline RankKey make_rank_key(SortOrder order, int64_t score, int64_t subscore, uint64_t sequence) {
  return {order_mapped(score, order), order_mapped(subscore, order), sequence};
}

}  // namespace citadel::leaderboard
