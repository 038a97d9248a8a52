// Snapshot and restore: the round trip keeps every field, rank, tie and
// period; a restored board then behaves like the original (same submits,
// same answers, same cursors); and snapshots that break an invariant are
// refused without touching the engine.
#include <gtest/gtest.h>

#include "engine_support.h"
#include "leaderboard/leaderboards.h"

namespace citadel::leaderboard {
namespace {

using testing::board_config;
using testing::ids_of;
using testing::score_of;
using testing::utc_ms;

class Snapshots : public ::testing::Test {
 protected:
  Leaderboards original{testing::test_cursor_key()};
  Leaderboards restored{testing::test_cursor_key()};
  const int64_t t0 = utc_ms(2026, 5, 4, 10);

  // A daily board with ties, names, metadata, deletions and one reset.
  void build() {
    BoardConfig config =
        board_config("season", SortOrder::kDescending, ScoreOperator::kIncrement, "0 0 * * *");
    config.max_metadata_bytes = 64;
    ASSERT_EQ(original.create_board(config, t0), LeaderboardError::kOk);
    for (uint64_t user = 1; user <= 40; ++user) {
      std::string name = "player" + std::to_string(user);
      std::string meta = user % 3 == 0 ? R"({"lvl":)" + std::to_string(user) + "}" : "";
      ASSERT_TRUE(original
                      .submit("season",
                              {user, name, int64_t(user % 7), int64_t(user % 2),
                               meta.empty() ? std::nullopt : std::optional<std::string_view>(meta)},
                              t0 + int64_t(user))
                      .ok());
    }
    ASSERT_EQ(original.delete_record("season", 5, Period::kCurrent, t0 + 100),
              LeaderboardError::kOk);
    int64_t next_day = utc_ms(2026, 5, 5, 1);
    for (uint64_t user = 1; user <= 10; ++user) {
      ASSERT_TRUE(original.submit("season", score_of(user, 3), next_day + int64_t(user)).ok());
    }
  }
};

TEST_F(Snapshots, OneRecordSnapshotIsWhatTheBoardSnapshotHolds) {
  build();
  const Result<BoardSnapshot> board = original.snapshot("season");
  ASSERT_TRUE(board.ok());
  for (const RecordSnapshot& expected : board.value.current.records) {
    const Result<RecordSnapshot> one = original.record_snapshot("season", expected.user_id);
    ASSERT_TRUE(one.ok());
    EXPECT_EQ(one.value, expected);
  }
  EXPECT_EQ(original.record_snapshot("season", 40).error, LeaderboardError::kNotFound)
      << "only the current period: 40 wrote before the reset";
  EXPECT_EQ(original.record_snapshot("nope", 1).error, LeaderboardError::kUnknownBoard);
}

TEST_F(Snapshots, RoundTripKeepsEverything) {
  build();
  Result<BoardSnapshot> snapshot = original.snapshot("season");
  ASSERT_TRUE(snapshot.ok());
  ASSERT_TRUE(snapshot.value.previous.has_value());
  EXPECT_EQ(snapshot.value.previous->records.size(), 39u);
  EXPECT_EQ(snapshot.value.current.records.size(), 10u);
  ASSERT_EQ(restored.restore(snapshot.value), LeaderboardError::kOk);
  Result<BoardSnapshot> again = restored.snapshot("season");
  EXPECT_EQ(again.value, snapshot.value);

  int64_t now = utc_ms(2026, 5, 5, 2);
  for (Period period : {Period::kCurrent, Period::kPrevious}) {
    Result<RecordPage> a = original.list("season", {kMaxPageSize, "", period}, now);
    Result<RecordPage> b = restored.list("season", {kMaxPageSize, "", period}, now);
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a.value.records, b.value.records);
  }
  EXPECT_EQ(original.board_info("season", now).value.previous->start_unix_ms,
            restored.board_info("season", now).value.previous->start_unix_ms);
}

TEST_F(Snapshots, RestoredBoardBehavesLikeTheOriginal) {
  build();
  ASSERT_EQ(restored.restore(original.snapshot("season").value), LeaderboardError::kOk);
  int64_t now = utc_ms(2026, 5, 5, 3);
  // A cursor from the original reads the restored board (same key).
  Result<RecordPage> page = original.list("season", {4, "", Period::kPrevious}, now);
  Result<RecordPage> continued_a =
      original.list("season", {4, page.value.next_cursor, Period::kPrevious}, now);
  Result<RecordPage> continued_b =
      restored.list("season", {4, page.value.next_cursor, Period::kPrevious}, now);
  ASSERT_TRUE(continued_b.ok());
  EXPECT_EQ(continued_a.value.records, continued_b.value.records);
  // The same submits give the same results: ties land the same way, since the
  // sequence counter came across too.
  for (uint64_t user : {3, 11, 4, 12, 3}) {
    Result<SubmitResult> a = original.submit("season", score_of(user, 2), now);
    Result<SubmitResult> b = restored.submit("season", score_of(user, 2), now);
    EXPECT_EQ(a.value.rank, b.value.rank) << "user " << user;
    EXPECT_EQ(a.value.score, b.value.score);
  }
  // And the next reset happens at the same moment on both.
  int64_t next_reset = utc_ms(2026, 5, 6);
  EXPECT_EQ(original.roll_over_due(next_reset), restored.roll_over_due(next_reset));
  Result<RecordPage> a = original.list("season", {kMaxPageSize, "", Period::kPrevious}, next_reset);
  Result<RecordPage> b = restored.list("season", {kMaxPageSize, "", Period::kPrevious}, next_reset);
  EXPECT_EQ(a.value.records, b.value.records);
}

TEST_F(Snapshots, RestoreReplacesABoardWithTheSameId) {
  build();
  BoardSnapshot snapshot = original.snapshot("season").value;
  ASSERT_EQ(original.submit("season", score_of(99, 1000), utc_ms(2026, 5, 5, 4)).error,
            LeaderboardError::kOk);
  ASSERT_EQ(original.restore(snapshot), LeaderboardError::kOk);
  EXPECT_EQ(original.rank_of("season", 99, Period::kCurrent, utc_ms(2026, 5, 5, 4)).error,
            LeaderboardError::kNotFound);
  EXPECT_EQ(original.board_ids(), (std::vector<std::string>{"season"}));
}

TEST_F(Snapshots, BrokenSnapshotsAreRefusedAndChangeNothing) {
  build();
  const BoardSnapshot good = original.snapshot("season").value;
  ASSERT_GE(good.current.records.size(), 2u);
  auto refused = [&](BoardSnapshot s) {
    LeaderboardError error = restored.restore(s);
    EXPECT_TRUE(restored.board_ids().empty()) << "a refused restore left a board";
    return error;
  };
  BoardSnapshot s = good;
  s.current.records[1].user_id = s.current.records[0].user_id;
  EXPECT_EQ(refused(s), LeaderboardError::kBadSnapshot) << "duplicate user";
  s = good;
  s.current.records[1].sequence = s.current.records[0].sequence;
  EXPECT_EQ(refused(s), LeaderboardError::kBadSnapshot) << "duplicate sequence";
  s = good;
  s.current.records[0].sequence = s.next_sequence;
  EXPECT_EQ(refused(s), LeaderboardError::kBadSnapshot) << "sequence not below the counter";
  s = good;
  s.current.records[0].username = std::string(kMaxUsernameBytes + 1, 'x');
  EXPECT_EQ(refused(s), LeaderboardError::kBadSnapshot) << "long name";
  s = good;
  s.previous->records[0].metadata = std::string(65, 'x');
  EXPECT_EQ(refused(s), LeaderboardError::kBadSnapshot) << "metadata over the cap";
  s = good;
  s.current.records[0].num_submissions = 0;
  EXPECT_EQ(refused(s), LeaderboardError::kBadSnapshot) << "no submissions";
  s = good;
  s.config.max_records = 5;
  EXPECT_EQ(refused(s), LeaderboardError::kBadSnapshot) << "over max_records";
  s = good;
  s.previous->end_unix_ms = s.current.start_unix_ms + 1;
  EXPECT_EQ(refused(s), LeaderboardError::kBadSnapshot) << "periods overlap";
  s = good;
  s.config.reset_schedule = "every day";
  EXPECT_EQ(refused(s), LeaderboardError::kInvalidSchedule);
  s = good;
  s.config.id = "";
  EXPECT_EQ(refused(s), LeaderboardError::kInvalidBoardId);
  // The same user in both periods is fine (one record per period).
  EXPECT_EQ(restored.restore(good), LeaderboardError::kOk);
}

TEST_F(Snapshots, EmptyBoardRoundTrip) {
  ASSERT_EQ(
      original.create_board(board_config("empty", SortOrder::kAscending, ScoreOperator::kSet), t0),
      LeaderboardError::kOk);
  BoardSnapshot snapshot = original.snapshot("empty").value;
  EXPECT_TRUE(snapshot.current.records.empty());
  EXPECT_EQ(snapshot.current.end_unix_ms, kNoEnd);
  ASSERT_EQ(restored.restore(snapshot), LeaderboardError::kOk);
  EXPECT_EQ(restored.snapshot("empty").value, snapshot);
  EXPECT_EQ(original.snapshot("nope").error, LeaderboardError::kUnknownBoard);
}

}  // namespace
}  // namespace citadel::leaderboard
