// Scheduled resets with time passed in: period bounds, the previous period
// kept readable, several resets with nobody writing, cursors across a reset,
// resets driven by a timer (roll_over_due) and by any call.
#include <gtest/gtest.h>

#include "engine_support.h"
#include "leaderboard/leaderboards.h"

namespace citadel::leaderboard {
namespace {

using testing::board_config;
using testing::ids_of;
using testing::score_of;
using testing::utc_ms;

class Resets : public ::testing::Test {
 protected:
  Leaderboards engine{testing::test_cursor_key()};

  // A daily board at 00:00 UTC, made at noon on 2026-03-10.
  const int64_t made_at = utc_ms(2026, 3, 10, 12);
  void SetUp() override {
    ASSERT_EQ(engine.create_board(
                  board_config("daily", SortOrder::kDescending, ScoreOperator::kBest, "0 0 * * *"),
                  made_at),
              LeaderboardError::kOk);
  }
  void submit(uint64_t user, int64_t score, int64_t now) {
    ASSERT_EQ(engine.submit("daily", score_of(user, score), now).error, LeaderboardError::kOk);
  }
  std::vector<uint64_t> ids(Period period, int64_t now) {
    Result<RecordPage> page = engine.list("daily", {100, "", period}, now);
    EXPECT_EQ(page.error, LeaderboardError::kOk);
    return ids_of(page.value.records);
  }
  BoardInfo info(int64_t now) { return engine.board_info("daily", now).value; }
};

TEST_F(Resets, FirstPeriodIsAlignedToTheSchedule) {
  BoardInfo board = info(made_at);
  EXPECT_EQ(board.current.start_unix_ms, utc_ms(2026, 3, 10));
  EXPECT_EQ(board.current.end_unix_ms, utc_ms(2026, 3, 11));
  EXPECT_FALSE(board.previous.has_value());
  EXPECT_EQ(engine.list("daily", {10, "", Period::kPrevious}, made_at).error,
            LeaderboardError::kNoPreviousPeriod);
}

TEST_F(Resets, OneResetMovesTheRecordsToThePreviousPeriod) {
  submit(1, 10, made_at);
  submit(2, 20, made_at + 1000);
  int64_t last_moment = utc_ms(2026, 3, 11) - 1;
  submit(3, 30, last_moment);
  EXPECT_EQ(ids(Period::kCurrent, last_moment), (std::vector<uint64_t>{3, 2, 1}));

  int64_t next_day = utc_ms(2026, 3, 11);  // exactly at the reset
  EXPECT_TRUE(ids(Period::kCurrent, next_day).empty());
  EXPECT_EQ(ids(Period::kPrevious, next_day), (std::vector<uint64_t>{3, 2, 1}));
  BoardInfo board = info(next_day);
  EXPECT_EQ(board.current.start_unix_ms, utc_ms(2026, 3, 11));
  EXPECT_EQ(board.current.end_unix_ms, utc_ms(2026, 3, 12));
  ASSERT_TRUE(board.previous.has_value());
  EXPECT_EQ(board.previous->start_unix_ms, utc_ms(2026, 3, 10));
  EXPECT_EQ(board.previous->end_unix_ms, utc_ms(2026, 3, 11));
  EXPECT_EQ(board.previous->records, 3u);

  // The new period fills independently; the previous one is still readable
  // through every query.
  submit(1, 5, next_day + 10);
  EXPECT_EQ(engine.rank_of("daily", 1, Period::kCurrent, next_day + 10).value, 1u);
  EXPECT_EQ(engine.rank_of("daily", 1, Period::kPrevious, next_day + 10).value, 3u);
  Result<RecordPage> around = engine.around("daily", 2, 1, Period::kPrevious, next_day + 10);
  EXPECT_EQ(ids_of(around.value.records), (std::vector<uint64_t>{2}));
  uint64_t both[] = {1, 3};
  EXPECT_EQ(ids_of(engine.records_of("daily", both, Period::kPrevious, next_day + 10).value),
            (std::vector<uint64_t>{3, 1}));
  EXPECT_EQ(engine.records_of("daily", both, Period::kCurrent, next_day + 10).value.size(), 1u);
}

TEST_F(Resets, OnlyTheLastPeriodIsKept) {
  submit(1, 10, made_at);
  submit(2, 20, utc_ms(2026, 3, 11, 8));
  submit(3, 30, utc_ms(2026, 3, 12, 8));
  EXPECT_EQ(ids(Period::kPrevious, utc_ms(2026, 3, 12, 8)), (std::vector<uint64_t>{2}));
  EXPECT_EQ(ids(Period::kCurrent, utc_ms(2026, 3, 12, 8)), (std::vector<uint64_t>{3}));
}

TEST_F(Resets, SeveralResetsWithNoCallsLeaveAnEmptyPreviousPeriod) {
  submit(1, 10, made_at);
  int64_t later = utc_ms(2026, 3, 14, 6);  // three resets passed unseen
  EXPECT_TRUE(ids(Period::kPrevious, later).empty());
  BoardInfo board = info(later);
  EXPECT_EQ(board.current.start_unix_ms, utc_ms(2026, 3, 14));
  ASSERT_TRUE(board.previous.has_value());
  EXPECT_EQ(board.previous->start_unix_ms, utc_ms(2026, 3, 13));
  EXPECT_EQ(board.previous->end_unix_ms, utc_ms(2026, 3, 14));
  EXPECT_EQ(board.previous->records, 0u);
}

TEST_F(Resets, TimeGoingBackDoesNotUndoAReset) {
  submit(1, 10, made_at);
  int64_t next_day = utc_ms(2026, 3, 11, 1);
  submit(2, 20, next_day);
  submit(3, 30, made_at);  // an earlier time after the reset: still the new period
  EXPECT_EQ(ids(Period::kCurrent, made_at), (std::vector<uint64_t>{3, 2}));
  EXPECT_EQ(ids(Period::kPrevious, made_at), (std::vector<uint64_t>{1}));
}

TEST_F(Resets, RollOverDueResetsOnlyDueBoardsAndReportsThem) {
  ASSERT_EQ(
      engine.create_board(
          board_config("hourly", SortOrder::kDescending, ScoreOperator::kSet, "@hourly"), made_at),
      LeaderboardError::kOk);
  ASSERT_EQ(engine.create_board(
                board_config("forever", SortOrder::kDescending, ScoreOperator::kSet), made_at),
            LeaderboardError::kOk);
  EXPECT_TRUE(engine.roll_over_due(made_at + 1000).empty());
  EXPECT_EQ(engine.roll_over_due(utc_ms(2026, 3, 10, 13)), (std::vector<std::string>{"hourly"}));
  EXPECT_TRUE(engine.roll_over_due(utc_ms(2026, 3, 10, 13)).empty()) << "already reset";
  EXPECT_EQ(engine.roll_over_due(utc_ms(2026, 3, 11)),
            (std::vector<std::string>{"daily", "hourly"}));
  Result<BoardInfo> forever = engine.board_info("forever", utc_ms(2030, 1, 1));
  EXPECT_EQ(forever.value.current.start_unix_ms, made_at);
  EXPECT_EQ(forever.value.current.end_unix_ms, kNoEnd);
  EXPECT_FALSE(forever.value.previous.has_value());
}

TEST_F(Resets, ACursorReadsOnInThePeriodItWasMadeFor) {
  for (uint64_t user = 1; user <= 10; ++user) submit(user, int64_t(user), made_at);
  Result<RecordPage> first = engine.list("daily", {4, "", Period::kCurrent}, made_at);
  ASSERT_TRUE(first.ok());
  int64_t next_day = utc_ms(2026, 3, 11, 0, 0, 1);
  EXPECT_EQ(engine.list("daily", {4, first.value.next_cursor, Period::kCurrent}, next_day).error,
            LeaderboardError::kStaleCursor);
  Result<RecordPage> continued =
      engine.list("daily", {4, first.value.next_cursor, Period::kPrevious}, next_day);
  ASSERT_EQ(continued.error, LeaderboardError::kOk);
  EXPECT_EQ(ids_of(continued.value.records), (std::vector<uint64_t>{6, 5, 4, 3}));
  // A cursor of the new period does not read the previous one.
  submit(1, 1, next_day);
  submit(2, 2, next_day);
  Result<RecordPage> fresh = engine.list("daily", {1, "", Period::kCurrent}, next_day);
  EXPECT_EQ(engine.list("daily", {1, fresh.value.next_cursor, Period::kPrevious}, next_day).error,
            LeaderboardError::kStaleCursor);
}

TEST_F(Resets, WeeklyScheduleAcrossAMonthEnd) {
  ASSERT_EQ(engine.create_board(
                board_config("weekly", SortOrder::kAscending, ScoreOperator::kBest, "30 4 * * MON"),
                utc_ms(2026, 3, 27)),  // a Friday
            LeaderboardError::kOk);
  BoardInfo board = engine.board_info("weekly", utc_ms(2026, 3, 27)).value;
  EXPECT_EQ(board.current.start_unix_ms, utc_ms(2026, 3, 23, 4, 30));
  EXPECT_EQ(board.current.end_unix_ms, utc_ms(2026, 3, 30, 4, 30));
  ASSERT_TRUE(engine.submit("weekly", score_of(1, 100), utc_ms(2026, 3, 30, 4, 29)).ok());
  ASSERT_TRUE(engine.submit("weekly", score_of(2, 100), utc_ms(2026, 3, 30, 4, 30)).ok());
  board = engine.board_info("weekly", utc_ms(2026, 4, 1)).value;
  EXPECT_EQ(board.current.start_unix_ms, utc_ms(2026, 3, 30, 4, 30));
  EXPECT_EQ(board.current.end_unix_ms, utc_ms(2026, 4, 6, 4, 30));
  EXPECT_EQ(board.previous->records, 1u);
  EXPECT_EQ(board.current.records, 1u);
}

}  // namespace
}  // namespace citadel::leaderboard
