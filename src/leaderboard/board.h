// One leaderboard: its settings, its reset schedule, and the records of its
// current and previous periods. Applies the operators and limits; the rules
// are written out in leaderboards.h. Queries that build pages and cursors
// are Leaderboards'; this class hands out the period's RecordTable.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "leaderboard/cron_schedule.h"
#include "leaderboard/leaderboard_types.h"
#include "leaderboard/record_table.h"
#include "leaderboard/snapshot.h"
#include "leaderboard/username_pool.h"

namespace citadel::leaderboard {

class Board {
 public:
  // Checks the config (id, schedule, limits). The first period starts at the
  // schedule's last fire at or before now (now itself without a schedule, or
  // when the schedule has not fired since 1970).
  static Result<std::unique_ptr<Board>> create(const BoardConfig& config, int64_t now_unix_ms,
                                               UsernamePool& names);
  static Result<std::unique_ptr<Board>> restore(const BoardSnapshot& snapshot, UsernamePool& names);

  const BoardConfig& config() const { return config_; }

  // Moves to the period containing now when a reset has come due: true if
  // one did. Every call below that takes a time does this first; a time
  // before the current period's start changes nothing (no reset is undone).
  bool roll_over_if_due(int64_t now_unix_ms);
  // When the current period ends: kNoEnd without a schedule.
  int64_t next_reset_unix_ms() const { return next_reset_unix_ms_; }

  Result<SubmitResult> submit(const Submission& submission, int64_t now_unix_ms);
  // The same as submit() for each submission in order (results[i] is what
  // submit(submissions[i]) would return at that point), but faster: groups
  // of submissions first prefetch, stage by stage for the whole group, the
  // player index slots, the records, then the tree paths, so their cache
  // misses overlap instead of each submit waiting out its own. results must
  // be as long as submissions.
  void submit_batch(std::span<const Submission> submissions, int64_t now_unix_ms,
                    std::span<Result<SubmitResult>> results);
  // kNotFound when the player has no record in that period.
  LeaderboardError remove(uint64_t user_id, Period period, int64_t now_unix_ms);

  // The period's records, or null for kPrevious before the first reset.
  const RecordTable* table(Period period) const;
  // The period's start (what a cursor is bound to), end and size.
  std::optional<PeriodInfo> period_info(Period period) const;
  BoardInfo info() const;

  BoardSnapshot snapshot() const;
  std::size_t memory_bytes() const;

 private:
  // Only create and restore make boards (make_unique needs a public constructor).
  struct MadeByFactory {
    explicit MadeByFactory() = default;
  };

 public:
  Board(MadeByFactory, const BoardConfig& config, std::optional<CronSchedule> schedule,
        UsernamePool& names);

 private:
  // Submissions prefetched together by submit_batch: enough to keep the
  // core's outstanding misses busy, few enough that the group's lines are
  // still in L1 and L2 when used.
  static constexpr std::size_t kBatchGroup = 16;

  // The keys a submission will erase and insert, as far as can be told
  // before earlier submissions of the batch are applied. Hints only.
  void prefetch_for(std::span<const Submission> group) const;

  UsernamePool& names_;
  BoardConfig config_;
  std::optional<CronSchedule> schedule_;
  std::unique_ptr<RecordTable> current_;
  int64_t current_start_unix_ms_ = 0;
  int64_t next_reset_unix_ms_ = kNoEnd;
  std::unique_ptr<RecordTable> previous_;  // null until the first reset
  int64_t previous_start_unix_ms_ = 0;
  int64_t previous_end_unix_ms_ = 0;
  uint64_t next_sequence_ = 0;
};

}  // namespace citadel::leaderboard
