// Leaderboards, persisted: each board's settings and period bounds, and one
// row per record per kept period. The service keeps the boards in memory
// (src/leaderboard) and writes through this port; at start it loads
// everything back. Plain data (the store knows nothing of the engine's
// types). Same thread contract as AccountStore (account_store.h): any thread
// may call; callbacks run on the store's thread and must not block.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "store/store_types.h"

namespace citadel::store {

struct LeaderboardBoardRow {
  std::string id;
  int64_t sort_order = 0;      // leaderboard::SortOrder
  int64_t score_operator = 0;  // leaderboard::ScoreOperator
  std::string reset_schedule;  // empty: never resets
  int64_t max_metadata_bytes = 0;
  int64_t max_records = 0;
  int64_t current_start_unix_ms = 0;
  bool has_previous = false;  // the two below are meaningful only when set
  int64_t previous_start_unix_ms = 0;
  int64_t previous_end_unix_ms = 0;
};

struct LeaderboardRecordRow {
  std::string board_id;
  int64_t period_start_unix_ms = 0;  // which period of the board
  int64_t user_id = 0;
  std::string username;
  int64_t score = 0;
  int64_t subscore = 0;
  int64_t num_submissions = 0;
  std::string metadata;  // UTF-8 without NUL (the service checks)
  int64_t create_time_unix_ms = 0;
  int64_t update_time_unix_ms = 0;
  int64_t sequence = 0;  // the tie-break among equal pairs
};

struct LeaderboardData {
  std::vector<LeaderboardBoardRow> boards;
  std::vector<LeaderboardRecordRow> records;  // of every board, in no order
};

using LeaderboardWriteResult = StoreResult<bool>;  // value: unused
using LeaderboardLoadResult = StoreResult<LeaderboardData>;

class LeaderboardStore {
 public:
  using WriteCallback = std::function<void(LeaderboardWriteResult)>;
  using LoadCallback = std::function<void(LeaderboardLoadResult)>;

  virtual ~LeaderboardStore() = default;

  // Inserts or replaces the board's row (a new board, or a reset), and
  // deletes its records of periods older than the ones the row keeps (before
  // the previous period's start, or the current one's without a previous).
  virtual void save_leaderboard(LeaderboardBoardRow board, WriteCallback done) = 0;
  // Inserts or replaces the record of (board, period, user). The callback
  // runs once it is committed: acknowledge the submit then.
  virtual void save_leaderboard_record(LeaderboardRecordRow record, WriteCallback done) = 0;
  // Deletes the record of (board, period, user), if there is one (deleting
  // nothing is no error: the engine already said whether it existed). The
  // callback runs once it is committed: acknowledge the delete then.
  virtual void delete_leaderboard_record(std::string board_id, int64_t period_start_unix_ms,
                                         int64_t user_id, WriteCallback done) = 0;
  // Every board and record; sees every save queued before it.
  virtual void load_leaderboards(LoadCallback done) = 0;
};

}  // namespace citadel::store
