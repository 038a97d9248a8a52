// A board as plain data, for the store: Leaderboards::snapshot writes one,
// Leaderboards::restore reads one back into exactly the same board (the same
// ranks, ties, cursors and periods). Field meanings are those of Record and
// BoardInfo; what restore checks is listed on BoardSnapshot.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "leaderboard/leaderboard_types.h"

namespace citadel::leaderboard {

struct RecordSnapshot {
  uint64_t user_id = 0;
  std::string username;
  int64_t score = 0;
  int64_t subscore = 0;
  uint32_t num_submissions = 0;
  std::string metadata;
  int64_t create_time_unix_ms = 0;
  int64_t update_time_unix_ms = 0;
  // The board's counter value when the record reached its (score, subscore):
  // the tie-break between equal pairs (lower first). Unique within a period.
  uint64_t sequence = 0;

  bool operator==(const RecordSnapshot&) const = default;
};

struct PeriodSnapshot {
  int64_t start_unix_ms = 0;
  // Exclusive. For the current period it is derived from the schedule (the
  // next reset, or kNoEnd) and restore ignores it; for the previous period
  // it is the reset that ended it.
  int64_t end_unix_ms = kNoEnd;
  std::vector<RecordSnapshot> records;  // in rank order

  bool operator==(const PeriodSnapshot&) const = default;
};

// Restore refuses (kBadSnapshot) a snapshot whose config would be refused by
// create_board (with that error instead), or in which, within a period, two
// records share a user id or a sequence, a sequence is not below
// next_sequence, a username or metadata is over its limit, num_submissions
// is 0, or there are more than max_records records; or whose previous
// period does not end at or before the current one starts.
struct BoardSnapshot {
  BoardConfig config;
  uint64_t next_sequence = 0;  // the next sequence number the board hands out
  PeriodSnapshot current;
  std::optional<PeriodSnapshot> previous;  // nullopt until the first reset

  bool operator==(const BoardSnapshot&) const = default;
};

}  // namespace citadel::leaderboard
