// Submits: the four operators under both sort orders, tie-breaks (subscore,
// then who got there first), what a submission updates, and every refusal.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "engine_support.h"
#include "leaderboard/leaderboards.h"

namespace citadel::leaderboard {
namespace {

using testing::board_config;
using testing::ids_of;
using testing::kT0;
using testing::score_of;

class Operators : public ::testing::Test {
 protected:
  Leaderboards engine{testing::test_cursor_key()};

  void make(std::string id, SortOrder order, ScoreOperator op) {
    ASSERT_EQ(engine.create_board(board_config(std::move(id), order, op), kT0),
              LeaderboardError::kOk);
  }
  SubmitResult submit(std::string_view board, const Submission& s, int64_t now = kT0) {
    Result<SubmitResult> result = engine.submit(board, s, now);
    EXPECT_EQ(result.error, LeaderboardError::kOk);
    return result.value;
  }
  Record record(std::string_view board, uint64_t user) {
    uint64_t ids[] = {user};
    Result<std::vector<Record>> result = engine.records_of(board, ids, Period::kCurrent, kT0);
    EXPECT_TRUE(result.ok());
    EXPECT_EQ(result.value.size(), 1u);
    return result.value.empty() ? Record{} : result.value[0];
  }
  std::vector<uint64_t> order_of(std::string_view board) {
    Result<RecordPage> page = engine.list(board, {kMaxPageSize, "", Period::kCurrent}, kT0);
    EXPECT_TRUE(page.ok());
    return ids_of(page.value.records);
  }
};

TEST_F(Operators, BestKeepsTheBetterPairOnADescendingBoard) {
  make("b", SortOrder::kDescending, ScoreOperator::kBest);
  SubmitResult first = submit("b", score_of(1, 100, 5));
  EXPECT_TRUE(first.created);
  EXPECT_TRUE(first.taken);
  EXPECT_EQ(first.rank, 1u);
  SubmitResult worse = submit("b", score_of(1, 90, 50));
  EXPECT_FALSE(worse.taken);
  EXPECT_FALSE(worse.created);
  EXPECT_EQ(worse.score, 100);
  EXPECT_EQ(worse.subscore, 5);
  EXPECT_EQ(worse.num_submissions, 2u) << "a submission that is not taken still counts";
  SubmitResult same_score_better_sub = submit("b", score_of(1, 100, 6));
  EXPECT_TRUE(same_score_better_sub.taken);
  EXPECT_EQ(same_score_better_sub.subscore, 6);
  SubmitResult equal = submit("b", score_of(1, 100, 6));
  EXPECT_FALSE(equal.taken) << "an equal pair is not better";
  SubmitResult better = submit("b", score_of(1, 101, -1000));
  EXPECT_TRUE(better.taken);
  EXPECT_EQ(better.score, 101);
  EXPECT_EQ(better.subscore, -1000) << "the pair is taken whole, not field by field";
  EXPECT_EQ(better.num_submissions, 5u);
}

TEST_F(Operators, BestKeepsTheLowerPairOnAnAscendingBoard) {
  make("laps", SortOrder::kAscending, ScoreOperator::kBest);
  submit("laps", score_of(1, 6000, 3));
  EXPECT_FALSE(submit("laps", score_of(1, 6100, 0)).taken);
  EXPECT_FALSE(submit("laps", score_of(1, 6000, 4)).taken);
  SubmitResult faster = submit("laps", score_of(1, 5900, 9));
  EXPECT_TRUE(faster.taken);
  EXPECT_EQ(faster.score, 5900);
  EXPECT_EQ(faster.subscore, 9);
  submit("laps", score_of(2, 5000));
  submit("laps", score_of(3, 7000));
  EXPECT_EQ(order_of("laps"), (std::vector<uint64_t>{2, 1, 3}));
}

TEST_F(Operators, SetOverwritesEvenWithAWorseScore) {
  make("s", SortOrder::kDescending, ScoreOperator::kSet);
  submit("s", score_of(1, 100, 1));
  submit("s", score_of(2, 50));
  SubmitResult lower = submit("s", score_of(1, 10, 0));
  EXPECT_TRUE(lower.taken);
  EXPECT_EQ(lower.score, 10);
  EXPECT_EQ(lower.rank, 2u);
  EXPECT_EQ(order_of("s"), (std::vector<uint64_t>{2, 1}));
}

TEST_F(Operators, IncrementAddsScoreAndSubscore) {
  make("i", SortOrder::kDescending, ScoreOperator::kIncrement);
  SubmitResult first = submit("i", score_of(1, 5, 1));
  EXPECT_EQ(first.score, 5) << "a new record starts from (0, 0)";
  SubmitResult more = submit("i", score_of(1, 7, 2));
  EXPECT_EQ(more.score, 12);
  EXPECT_EQ(more.subscore, 3);
  SubmitResult negative = submit("i", score_of(1, -20, 0));
  EXPECT_EQ(negative.score, -8);
  EXPECT_EQ(negative.num_submissions, 3u);
}

TEST_F(Operators, DecrementSubtractsWithoutAFloor) {
  make("d", SortOrder::kDescending, ScoreOperator::kDecrement);
  SubmitResult first = submit("d", score_of(1, 5, 1));
  EXPECT_EQ(first.score, -5) << "a new record is (0, 0) minus the submission";
  EXPECT_EQ(first.subscore, -1);
  SubmitResult again = submit("d", score_of(1, -15, 0));
  EXPECT_EQ(again.score, 10);
  SubmitResult below_zero = submit("d", score_of(1, 25, 0));
  EXPECT_EQ(below_zero.score, -15);
}

TEST_F(Operators, OverflowIsRefusedAndChangesNothing) {
  make("i", SortOrder::kDescending, ScoreOperator::kIncrement);
  make("d", SortOrder::kDescending, ScoreOperator::kDecrement);
  submit("i", score_of(1, INT64_MAX - 1));
  EXPECT_EQ(engine.submit("i", score_of(1, 2), kT0).error, LeaderboardError::kScoreOutOfRange);
  EXPECT_EQ(engine.submit("i", score_of(1, 0, 0), kT0).error, LeaderboardError::kOk);
  submit("i", score_of(2, 0, INT64_MIN));
  EXPECT_EQ(engine.submit("i", score_of(2, 0, -1), kT0).error, LeaderboardError::kScoreOutOfRange);
  EXPECT_EQ(engine.submit("d", score_of(3, INT64_MIN), kT0).error,
            LeaderboardError::kScoreOutOfRange)
      << "0 - INT64_MIN does not fit";
  EXPECT_EQ(engine.submit("d", score_of(3, 0, INT64_MIN), kT0).error,
            LeaderboardError::kScoreOutOfRange);
  submit("d", score_of(4, INT64_MAX));  // -INT64_MAX fits
  EXPECT_EQ(engine.submit("d", score_of(4, 2), kT0).error, LeaderboardError::kScoreOutOfRange);
  Record four = record("d", 4);
  EXPECT_EQ(four.score, -INT64_MAX);
  EXPECT_EQ(four.num_submissions, 1u) << "a refused submission is not counted";
  EXPECT_EQ(record("i", 1).num_submissions, 2u);
}

TEST_F(Operators, ExtremeScoresSortCorrectlyInBothOrders) {
  for (SortOrder order : {SortOrder::kDescending, SortOrder::kAscending}) {
    std::string id = order == SortOrder::kDescending ? "desc" : "asc";
    make(id, order, ScoreOperator::kSet);
    submit(id, score_of(1, INT64_MIN));
    submit(id, score_of(2, -1));
    submit(id, score_of(3, 0));
    submit(id, score_of(4, 1));
    submit(id, score_of(5, INT64_MAX));
    std::vector<uint64_t> expected{5, 4, 3, 2, 1};
    if (order == SortOrder::kAscending) expected = {1, 2, 3, 4, 5};
    EXPECT_EQ(order_of(id), expected) << id;
  }
}

TEST_F(Operators, TiesGoBySubscoreThenByWhoReachedThePairFirst) {
  make("desc", SortOrder::kDescending, ScoreOperator::kBest);
  submit("desc", score_of(1, 100, 1), kT0);
  submit("desc", score_of(2, 100, 2), kT0 + 1);  // higher subscore: above 1
  submit("desc", score_of(3, 100, 1), kT0 + 2);  // same pair as 1, later: below 1
  submit("desc", score_of(4, 100, 1), kT0 + 2);  // same time as 3, submitted after it
  EXPECT_EQ(order_of("desc"), (std::vector<uint64_t>{2, 1, 3, 4}));
  // 4 improves to 2's pair later than 2 got it: just below 2.
  submit("desc", score_of(4, 100, 2), kT0 + 3);
  EXPECT_EQ(order_of("desc"), (std::vector<uint64_t>{2, 4, 1, 3}));
  // A submission that is not taken keeps a record's place in its tie.
  submit("desc", score_of(1, 50, 0), kT0 + 4);
  EXPECT_EQ(order_of("desc"), (std::vector<uint64_t>{2, 4, 1, 3}));

  make("asc", SortOrder::kAscending, ScoreOperator::kSet);
  submit("asc", score_of(1, 10, 5));
  submit("asc", score_of(2, 10, 4));  // lower subscore ranks higher on an ascending board
  submit("asc", score_of(3, 10, 5));
  EXPECT_EQ(order_of("asc"), (std::vector<uint64_t>{2, 1, 3}));
  // set to the same pair keeps the place; set to another pair and back is a new arrival.
  submit("asc", score_of(1, 10, 5));
  EXPECT_EQ(order_of("asc"), (std::vector<uint64_t>{2, 1, 3}));
  submit("asc", score_of(1, 11, 5));
  submit("asc", score_of(1, 10, 5));
  EXPECT_EQ(order_of("asc"), (std::vector<uint64_t>{2, 3, 1}));
}

TEST_F(Operators, IncrementByZeroKeepsThePlaceInATie) {
  make("i", SortOrder::kDescending, ScoreOperator::kIncrement);
  submit("i", score_of(1, 10));
  submit("i", score_of(2, 10));
  submit("i", score_of(1, 0));
  EXPECT_EQ(order_of("i"), (std::vector<uint64_t>{1, 2}));
  submit("i", score_of(1, 1));
  submit("i", score_of(1, -1));  // back to 10, but later than 2
  EXPECT_EQ(order_of("i"), (std::vector<uint64_t>{2, 1}));
}

TEST_F(Operators, SubmissionUpdatesNameTimesAndMetadata) {
  make("b", SortOrder::kDescending, ScoreOperator::kBest);
  submit("b", score_of(1, 10, 0, "ann", R"({"car":"red"})"), kT0);
  Record r = record("b", 1);
  EXPECT_EQ(r.username, "ann");
  EXPECT_EQ(r.metadata, R"({"car":"red"})");
  EXPECT_EQ(r.create_time_unix_ms, kT0);
  EXPECT_EQ(r.update_time_unix_ms, kT0);
  // Not taken: the name and time change, the metadata stays with the score it describes.
  submit("b", score_of(1, 5, 0, "annie", R"({"car":"blue"})"), kT0 + 10);
  r = record("b", 1);
  EXPECT_EQ(r.username, "annie");
  EXPECT_EQ(r.metadata, R"({"car":"red"})");
  EXPECT_EQ(r.create_time_unix_ms, kT0);
  EXPECT_EQ(r.update_time_unix_ms, kT0 + 10);
  // An empty name and absent metadata keep what is there.
  submit("b", score_of(1, 20), kT0 + 20);
  r = record("b", 1);
  EXPECT_EQ(r.username, "annie");
  EXPECT_EQ(r.metadata, R"({"car":"red"})");
  EXPECT_EQ(r.score, 20);
  // Taken with metadata: replaced; with "" : cleared.
  submit("b", score_of(1, 30, 0, "", "green"), kT0 + 30);
  EXPECT_EQ(record("b", 1).metadata, "green");
  submit("b", score_of(1, 40, 0, "", ""), kT0 + 40);
  EXPECT_EQ(record("b", 1).metadata, "");
  EXPECT_EQ(record("b", 1).num_submissions, 5u);
}

TEST_F(Operators, NamesAreSharedAcrossBoards) {
  make("a", SortOrder::kDescending, ScoreOperator::kBest);
  make("b", SortOrder::kDescending, ScoreOperator::kBest);
  submit("a", score_of(1, 1, 0, "zed"));
  submit("b", score_of(1, 1, 0, "zed"));
  ASSERT_EQ(engine.delete_board("a"), LeaderboardError::kOk);
  EXPECT_EQ(record("b", 1).username, "zed") << "deleting one board freed another's name";
}

TEST_F(Operators, RefusalsNameTheirCause) {
  make("b", SortOrder::kDescending, ScoreOperator::kBest);
  EXPECT_EQ(engine.submit("nope", score_of(1, 1), kT0).error, LeaderboardError::kUnknownBoard);
  std::string long_name(kMaxUsernameBytes + 1, 'n');
  EXPECT_EQ(engine.submit("b", score_of(1, 1, 0, long_name), kT0).error,
            LeaderboardError::kUsernameTooLong);
  std::string name_at_limit(kMaxUsernameBytes, 'n');
  EXPECT_EQ(engine.submit("b", score_of(1, 1, 0, name_at_limit), kT0).error, LeaderboardError::kOk);
}

TEST_F(Operators, MetadataCapIsTheBoardsAndChecksEvenUntakenSubmissions) {
  BoardConfig config = board_config("m", SortOrder::kDescending, ScoreOperator::kBest);
  config.max_metadata_bytes = 16;
  ASSERT_EQ(engine.create_board(config, kT0), LeaderboardError::kOk);
  EXPECT_EQ(engine.submit("m", score_of(1, 1, 0, "", std::string(16, 'x')), kT0).error,
            LeaderboardError::kOk);
  EXPECT_EQ(engine.submit("m", score_of(1, 9, 0, "", std::string(17, 'x')), kT0).error,
            LeaderboardError::kMetadataTooLarge);
  EXPECT_EQ(engine.submit("m", score_of(1, 0, 0, "", std::string(17, 'x')), kT0).error,
            LeaderboardError::kMetadataTooLarge);
  EXPECT_EQ(record("m", 1).score, 1) << "a refused submission changed the record";
  EXPECT_EQ(record("m", 1).num_submissions, 1u);
}

TEST_F(Operators, BoardFullRefusesNewPlayersOnly) {
  BoardConfig config = board_config("small", SortOrder::kDescending, ScoreOperator::kSet);
  config.max_records = 2;
  ASSERT_EQ(engine.create_board(config, kT0), LeaderboardError::kOk);
  submit("small", score_of(1, 1));
  submit("small", score_of(2, 2));
  EXPECT_EQ(engine.submit("small", score_of(3, 3), kT0).error, LeaderboardError::kBoardFull);
  EXPECT_EQ(engine.submit("small", score_of(1, 5), kT0).error, LeaderboardError::kOk);
  ASSERT_EQ(engine.delete_record("small", 2, Period::kCurrent, kT0), LeaderboardError::kOk);
  EXPECT_EQ(engine.submit("small", score_of(3, 3), kT0).error, LeaderboardError::kOk);
}

TEST_F(Operators, BoardConfigIsChecked) {
  auto create = [&](BoardConfig config) { return engine.create_board(config, kT0); };
  BoardConfig good = board_config("ok", SortOrder::kDescending, ScoreOperator::kBest);
  EXPECT_EQ(create(good), LeaderboardError::kOk);
  EXPECT_EQ(create(good), LeaderboardError::kBoardExists);
  BoardConfig c = good;
  c.id = "";
  EXPECT_EQ(create(c), LeaderboardError::kInvalidBoardId);
  c.id = std::string(kMaxBoardIdBytes + 1, 'a');
  EXPECT_EQ(create(c), LeaderboardError::kInvalidBoardId);
  c.id = "has space";
  EXPECT_EQ(create(c), LeaderboardError::kInvalidBoardId);
  c.id = std::string("nul\0id", 6);
  EXPECT_EQ(create(c), LeaderboardError::kInvalidBoardId);
  c = good;
  c.id = "sched";
  c.reset_schedule = "0 0 * *";
  EXPECT_EQ(create(c), LeaderboardError::kInvalidSchedule);
  c.reset_schedule = "0 0 31 2 *";
  EXPECT_EQ(create(c), LeaderboardError::kInvalidSchedule);
  c = good;
  c.id = "limits";
  c.max_metadata_bytes = kMaxMetadataBytesLimit + 1;
  EXPECT_EQ(create(c), LeaderboardError::kInvalidConfig);
  c.max_metadata_bytes = 0;
  c.max_records = 0;
  EXPECT_EQ(create(c), LeaderboardError::kInvalidConfig);
  c.max_records = kMaxRecordsLimit + 1;
  EXPECT_EQ(create(c), LeaderboardError::kInvalidConfig);
  c = good;
  c.id = "op";
  c.op = static_cast<ScoreOperator>(9);
  EXPECT_EQ(create(c), LeaderboardError::kInvalidConfig);
  EXPECT_EQ(engine.board_ids(), (std::vector<std::string>{"ok"}));
}

TEST_F(Operators, ErrorNamesAreDistinct) {
  std::set<std::string_view> names;
  for (int e = 0; e <= int(LeaderboardError::kBadSnapshot); ++e) {
    names.insert(to_string(static_cast<LeaderboardError>(e)));
  }
  EXPECT_EQ(names.size(), std::size_t(LeaderboardError::kBadSnapshot) + 1);
  EXPECT_EQ(to_string(ScoreOperator::kDecrement), "decr");
  EXPECT_EQ(to_string(SortOrder::kAscending), "asc");
}

}  // namespace
}  // namespace citadel::leaderboard
