// One suite, both backends: the in-process engine and Redis (a real
// redis-server) must give the same results for the same calls, rule by rule
// (leaderboard/leaderboards.h). Then what only Redis has: a Redis restart
// mid-run, scripts flushed, and a randomised run comparing the two call by
// call (cursors included: both sign with the same key).
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "backend_harness.h"

namespace citadel::test {
namespace {

using leaderboard::BoardConfig;
using leaderboard::LeaderboardError;
using leaderboard::Period;
using leaderboard::Record;
using leaderboard::RecordPage;
using leaderboard::ScoreOperator;
using leaderboard::SortOrder;
using services::OwnedSubmission;
using namespace std::chrono_literals;

constexpr int64_t kT0 = 1'767'225'600'000;  // 2026-01-01 00:00:00 UTC
constexpr int64_t kDay = 86'400'000;
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

BoardConfig board(std::string id, SortOrder order, ScoreOperator op, std::string schedule = "") {
  BoardConfig config;
  config.id = std::move(id);
  config.order = order;
  config.op = op;
  config.reset_schedule = std::move(schedule);
  return config;
}

OwnedSubmission sub(uint64_t user, int64_t score, int64_t subscore = 0, std::string name = "",
                    std::optional<std::string> metadata = std::nullopt) {
  return {user, std::move(name), score, subscore, std::move(metadata)};
}

std::vector<uint64_t> ids_of(const std::vector<Record>& records) {
  std::vector<uint64_t> ids;
  for (const Record& r : records) ids.push_back(r.user_id);
  return ids;
}

std::vector<uint64_t> ranks_of(const std::vector<Record>& records) {
  std::vector<uint64_t> ranks;
  for (const Record& r : records) ranks.push_back(r.rank);
  return ranks;
}

class BackendConformance : public ::testing::TestWithParam<BackendKind> {
 protected:
  BackendHarness h{GetParam()};
};

INSTANTIATE_TEST_SUITE_P(Backends, BackendConformance,
                         ::testing::Values(BackendKind::kInProcess, BackendKind::kRedis),
                         [](const auto& info) {
                           return info.param == BackendKind::kRedis ? "Redis" : "InProcess";
                         });

TEST_P(BackendConformance, OrderTiesAndSequence) {
  ASSERT_EQ(h.create(board("d", SortOrder::kDescending, ScoreOperator::kBest), kT0),
            LeaderboardError::kOk);
  EXPECT_EQ(h.create(board("d", SortOrder::kDescending, ScoreOperator::kBest), kT0),
            LeaderboardError::kBoardExists);
  EXPECT_EQ(h.create(board("", SortOrder::kDescending, ScoreOperator::kBest), kT0),
            LeaderboardError::kInvalidBoardId);
  EXPECT_EQ(h.create(board("x", SortOrder::kDescending, ScoreOperator::kBest, "nope"), kT0),
            LeaderboardError::kInvalidSchedule);
  auto r = h.submit("d", sub(1, 10), kT0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value.rank, 1u);
  EXPECT_TRUE(r.value.created);
  EXPECT_TRUE(r.value.taken);
  h.submit("d", sub(2, 20), kT0);
  h.submit("d", sub(3, 10), kT0);
  h.submit("d", sub(4, 10, 5), kT0);
  h.submit("d", sub(5, kMax, kMax), kT0);
  h.submit("d", sub(6, kMin, kMin), kT0);
  auto page = h.list("d", 10);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(ids_of(page.value.records), (std::vector<uint64_t>{5, 2, 4, 1, 3, 6}));
  EXPECT_EQ(ranks_of(page.value.records), (std::vector<uint64_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(page.value.total, 6u);
  EXPECT_EQ(page.value.records[0].score, kMax);
  EXPECT_EQ(page.value.records[5].subscore, kMin);
  EXPECT_TRUE(page.value.next_cursor.empty());
  EXPECT_TRUE(page.value.prev_cursor.empty());

  ASSERT_EQ(h.create(board("a", SortOrder::kAscending, ScoreOperator::kBest), kT0),
            LeaderboardError::kOk);
  h.submit("a", sub(1, 10), kT0);
  h.submit("a", sub(2, 20), kT0);
  h.submit("a", sub(3, 10), kT0);
  h.submit("a", sub(4, 10, -5), kT0);
  h.submit("a", sub(5, -1), kT0);
  page = h.list("a", 10);
  EXPECT_EQ(ids_of(page.value.records), (std::vector<uint64_t>{5, 4, 1, 3, 2}));
  EXPECT_EQ(h.rank_of("a", 3).value, 4u);
  EXPECT_EQ(h.rank_of("a", 99).error, LeaderboardError::kNotFound);
}

TEST_P(BackendConformance, Best) {
  h.create(board("b", SortOrder::kDescending, ScoreOperator::kBest), kT0);
  h.submit("b", sub(1, 50, 0, "ann", "m1"), kT0);
  h.submit("b", sub(2, 40), kT0);
  // Worse: not taken; the count, the time and the name still change, the metadata not.
  auto r = h.submit("b", sub(1, 30, 0, "anna", "m2"), kT0 + 5);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r.value.taken);
  EXPECT_FALSE(r.value.created);
  EXPECT_EQ(r.value.score, 50);
  EXPECT_EQ(r.value.num_submissions, 2u);
  auto rec = h.records_of("b", {1}).value.at(0);
  EXPECT_EQ(rec.username, "anna");
  EXPECT_EQ(rec.metadata, "m1");
  EXPECT_EQ(rec.create_time_unix_ms, kT0);
  EXPECT_EQ(rec.update_time_unix_ms, kT0 + 5);
  // Equal: not taken either. Better on the subscore: taken, metadata replaced.
  EXPECT_FALSE(h.submit("b", sub(1, 50), kT0).value.taken);
  r = h.submit("b", sub(1, 50, 1, "", "m3"), kT0);
  EXPECT_TRUE(r.value.taken);
  EXPECT_EQ(r.value.subscore, 1);
  rec = h.records_of("b", {1}).value.at(0);
  EXPECT_EQ(rec.username, "anna");  // empty name keeps it
  EXPECT_EQ(rec.metadata, "m3");
  EXPECT_EQ(rec.num_submissions, 4u);
  // "" clears the metadata when taken.
  h.submit("b", sub(1, 60, 0, "", ""), kT0);
  EXPECT_EQ(h.records_of("b", {1}).value.at(0).metadata, "");
  // A tie reached later ranks lower.
  h.submit("b", sub(2, 60), kT0);
  EXPECT_EQ(ids_of(h.list("b", 5).value.records), (std::vector<uint64_t>{1, 2}));
}

TEST_P(BackendConformance, SetIncrDecr) {
  h.create(board("s", SortOrder::kDescending, ScoreOperator::kSet), kT0);
  h.submit("s", sub(1, 50), kT0);
  auto r = h.submit("s", sub(1, 10, 3), kT0);
  EXPECT_TRUE(r.value.taken);
  EXPECT_EQ(r.value.score, 10);
  EXPECT_EQ(r.value.subscore, 3);

  h.create(board("i", SortOrder::kDescending, ScoreOperator::kIncrement), kT0);
  h.submit("i", sub(1, 5, 1), kT0);
  r = h.submit("i", sub(1, 7, -3), kT0);
  EXPECT_EQ(r.value.score, 12);
  EXPECT_EQ(r.value.subscore, -2);
  h.submit("i", sub(2, kMax - 1), kT0);
  r = h.submit("i", sub(2, 2), kT0);
  EXPECT_EQ(r.error, LeaderboardError::kScoreOutOfRange);
  r = h.submit("i", sub(2, 1), kT0);  // the error changed nothing, the count included
  EXPECT_EQ(r.value.score, kMax);
  EXPECT_EQ(r.value.num_submissions, 2u);
  // Carries across the 32-bit halves.
  h.submit("i", sub(3, 0xffffffffLL), kT0);
  EXPECT_EQ(h.submit("i", sub(3, 1), kT0).value.score, 0x100000000LL);
  h.submit("i", sub(4, -0x100000000LL), kT0);
  EXPECT_EQ(h.submit("i", sub(4, 1), kT0).value.score, -0xffffffffLL);

  h.create(board("dd", SortOrder::kDescending, ScoreOperator::kDecrement), kT0);
  r = h.submit("dd", sub(1, 5, 2), kT0);
  EXPECT_EQ(r.value.score, -5);
  EXPECT_EQ(r.value.subscore, -2);
  r = h.submit("dd", sub(1, -20), kT0);
  EXPECT_EQ(r.value.score, 15);
  EXPECT_EQ(h.submit("dd", sub(2, kMin), kT0).error, LeaderboardError::kScoreOutOfRange);
  EXPECT_EQ(h.submit("dd", sub(3, 0, kMin), kT0).error, LeaderboardError::kScoreOutOfRange);
  EXPECT_EQ(h.records_of("dd", {2, 3}).value.size(), 0u);
  h.submit("dd", sub(4, kMax), kT0);  // -kMax
  EXPECT_EQ(h.submit("dd", sub(4, 2), kT0).error, LeaderboardError::kScoreOutOfRange);
  EXPECT_EQ(h.submit("dd", sub(4, 1), kT0).value.score, kMin);
}

TEST_P(BackendConformance, Errors) {
  EXPECT_EQ(h.submit("nope", sub(1, 1), kT0).error, LeaderboardError::kUnknownBoard);
  EXPECT_EQ(h.list("nope", 10).error, LeaderboardError::kUnknownBoard);
  EXPECT_EQ(h.list("nope", 0).error, LeaderboardError::kUnknownBoard);
  EXPECT_EQ(h.around("nope", 1, 10).error, LeaderboardError::kUnknownBoard);
  EXPECT_EQ(h.records_of("nope", {1}).error, LeaderboardError::kUnknownBoard);
  EXPECT_EQ(h.rank_of("nope", 1).error, LeaderboardError::kUnknownBoard);
  EXPECT_EQ(h.info("nope").error, LeaderboardError::kUnknownBoard);
  BoardConfig small = board("e", SortOrder::kDescending, ScoreOperator::kBest);
  small.max_records = 2;
  small.max_metadata_bytes = 4;
  h.create(small, kT0);
  EXPECT_EQ(h.submit("e", sub(1, 1, 0, std::string(65, 'n')), kT0).error,
            LeaderboardError::kUsernameTooLong);
  EXPECT_TRUE(h.submit("e", sub(1, 1, 0, std::string(64, 'n')), kT0).ok());
  EXPECT_EQ(h.submit("e", sub(2, 1, 0, "", "12345"), kT0).error,
            LeaderboardError::kMetadataTooLarge);
  EXPECT_TRUE(h.submit("e", sub(2, 1, 0, "", "1234"), kT0).ok());
  EXPECT_EQ(h.submit("e", sub(3, 1), kT0).error, LeaderboardError::kBoardFull);
  EXPECT_TRUE(h.submit("e", sub(2, 9), kT0).ok());  // an existing player still may
  EXPECT_EQ(h.list("e", 0).error, LeaderboardError::kInvalidLimit);
  EXPECT_EQ(h.list("e", 1001).error, LeaderboardError::kInvalidLimit);
  EXPECT_EQ(h.around("e", 1, 0).error, LeaderboardError::kInvalidLimit);
  EXPECT_EQ(h.around("e", 3, 5).error, LeaderboardError::kNotFound);
  EXPECT_EQ(h.list("e", 10, "", Period::kPrevious).error, LeaderboardError::kNoPreviousPeriod);
  std::vector<uint64_t> many(1001, 1);
  EXPECT_EQ(h.records_of("e", many).error, LeaderboardError::kTooManyIds);
  // A batch: each its own result, in order.
  auto all = h.submit_batch(
      "e", {sub(1, 5), sub(9, 1), sub(2, 1, 0, "", "toolong"), sub(1, 7, 0, "bob")}, kT0);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all.value.size(), 4u);
  EXPECT_TRUE(all.value[0].ok());
  EXPECT_EQ(all.value[1].error, LeaderboardError::kBoardFull);
  EXPECT_EQ(all.value[2].error, LeaderboardError::kMetadataTooLarge);
  EXPECT_EQ(all.value[3].value.score, 7);
  EXPECT_EQ(all.value[3].value.num_submissions, 3u);
  auto unknown = h.submit_batch("nope", {sub(1, 1), sub(2, 2)}, kT0);
  EXPECT_EQ(unknown.value.at(1).error, LeaderboardError::kUnknownBoard);
}

TEST_P(BackendConformance, BatchRecordsAreAsEachSubmissionLeftThem) {
  BoardConfig config = board("br", SortOrder::kDescending, ScoreOperator::kIncrement);
  config.max_metadata_bytes = 4;
  h.create(config, kT0);
  auto r = h.call<std::vector<services::SubmitOutcome>>([&](auto done) {
    h.backend().submit_batch_records(
        "br",
        {sub(1, 5, 0, "ann", "m1"), sub(2, 9), sub(1, 7, 1, "", "toolong"), sub(1, 1, 0, "al")},
        kT0 + 7, done);
  });
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.value.size(), 4u);
  const Record& first = r.value[0].record;
  EXPECT_EQ(first.user_id, 1u);
  EXPECT_EQ(first.score, 5);
  EXPECT_EQ(first.username, "ann");
  EXPECT_EQ(first.metadata, "m1");
  EXPECT_EQ(first.rank, 1u);
  EXPECT_EQ(first.num_submissions, 1u);
  EXPECT_EQ(first.create_time_unix_ms, kT0 + 7);
  EXPECT_EQ(r.value[1].record.rank, 1u);
  EXPECT_EQ(r.value[2].result.error, LeaderboardError::kMetadataTooLarge);
  const Record& last = r.value[3].record;
  EXPECT_EQ(last.score, 6);
  EXPECT_EQ(last.rank, 2u);
  EXPECT_EQ(last.username, "al");
  EXPECT_EQ(last.metadata, "m1");
  EXPECT_EQ(last.num_submissions, 2u);
  EXPECT_EQ(last.update_time_unix_ms, kT0 + 7);
  EXPECT_EQ(r.value[3].result.value.rank, 2u);
  auto unknown = h.call<std::vector<services::SubmitOutcome>>(
      [&](auto done) { h.backend().submit_batch_records("nope", {sub(1, 1)}, kT0, done); });
  EXPECT_EQ(unknown.value.at(0).result.error, LeaderboardError::kUnknownBoard);
}

TEST_P(BackendConformance, PagesAndCursors) {
  h.create(board("p", SortOrder::kDescending, ScoreOperator::kBest), kT0);
  std::vector<OwnedSubmission> batch;
  for (uint64_t u = 1; u <= 25; ++u) batch.push_back(sub(u, static_cast<int64_t>(u % 7), 0));
  h.submit_batch("p", batch, kT0);
  const auto all = h.list("p", 100).value.records;
  ASSERT_EQ(all.size(), 25u);
  // Forward through next cursors: every record once, in order.
  std::vector<uint64_t> seen;
  auto page = h.list("p", 10);
  EXPECT_TRUE(page.value.prev_cursor.empty());
  std::string last_prev;
  for (int i = 0; i < 10; ++i) {
    for (const Record& r : page.value.records) seen.push_back(r.user_id);
    if (page.value.next_cursor.empty()) break;
    last_prev = page.value.prev_cursor;
    page = h.list("p", 10, page.value.next_cursor);
    ASSERT_TRUE(page.ok());
    EXPECT_FALSE(page.value.prev_cursor.empty());
  }
  EXPECT_EQ(seen, ids_of(all));
  EXPECT_EQ(ranks_of(page.value.records), (std::vector<uint64_t>{21, 22, 23, 24, 25}));
  // Backward from the last page.
  auto back = h.list("p", 10, page.value.prev_cursor);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back.value.records.front().rank, 11u);
  EXPECT_EQ(back.value.records.back().rank, 20u);
  back = h.list("p", 10, back.value.prev_cursor);
  EXPECT_EQ(back.value.records.front().rank, 1u);
  EXPECT_TRUE(back.value.prev_cursor.empty());
  EXPECT_FALSE(back.value.next_cursor.empty());
  // Past the end: empty, its prev cursor turned around (inclusive) gives the last 3.
  auto tail = h.list("p", 3);
  tail = h.list("p", 22, tail.value.next_cursor);  // ranks 4..25
  ASSERT_EQ(tail.value.records.size(), 22u);
  EXPECT_TRUE(tail.value.next_cursor.empty());
  const std::string after_last = [&] {
    auto p2 = h.list("p", 24);
    return p2.value.next_cursor;  // after rank 24
  }();
  auto last = h.list("p", 5, after_last);
  ASSERT_EQ(last.value.records.size(), 1u);
  EXPECT_TRUE(last.value.next_cursor.empty());
  // Delete nothing, but move rank 25 up past the cursor: the page after it is empty.
  h.submit("p", sub(last.value.records[0].user_id, 100), kT0);
  auto empty = h.list("p", 5, after_last);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty.value.records.empty());
  EXPECT_TRUE(empty.value.next_cursor.empty());
  ASSERT_FALSE(empty.value.prev_cursor.empty());
  auto turned = h.list("p", 2, empty.value.prev_cursor);
  EXPECT_EQ(turned.value.records.back().rank, 25u);
  // Bad cursors: altered, truncated, another board's.
  std::string altered = page.value.prev_cursor;
  altered[10] = altered[10] == 'A' ? 'B' : 'A';
  EXPECT_EQ(h.list("p", 10, altered).error, LeaderboardError::kBadCursor);
  EXPECT_EQ(h.list("p", 10, "abc").error, LeaderboardError::kBadCursor);
  h.create(board("q", SortOrder::kDescending, ScoreOperator::kBest), kT0);
  EXPECT_EQ(h.list("q", 10, page.value.prev_cursor).error, LeaderboardError::kBadCursor);
  EXPECT_EQ(h.list("p", 0, "abc").error, LeaderboardError::kInvalidLimit);  // the limit first
}

TEST_P(BackendConformance, AroundAndRecords) {
  h.create(board("r", SortOrder::kDescending, ScoreOperator::kBest), kT0);
  for (uint64_t u = 1; u <= 20; ++u) h.submit("r", sub(u, 100 - static_cast<int64_t>(u)), kT0);
  // User u is at rank u.
  EXPECT_EQ(ranks_of(h.around("r", 10, 5).value.records),
            (std::vector<uint64_t>{8, 9, 10, 11, 12}));
  EXPECT_EQ(ranks_of(h.around("r", 2, 5).value.records), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(ranks_of(h.around("r", 20, 5).value.records),
            (std::vector<uint64_t>{16, 17, 18, 19, 20}));
  EXPECT_EQ(ranks_of(h.around("r", 10, 4).value.records), (std::vector<uint64_t>{9, 10, 11, 12}));
  EXPECT_EQ(h.around("r", 1, 50).value.records.size(), 20u);
  auto around = h.around("r", 10, 3);
  EXPECT_FALSE(around.value.next_cursor.empty());
  EXPECT_FALSE(around.value.prev_cursor.empty());
  EXPECT_EQ(h.list("r", 2, around.value.next_cursor).value.records.front().rank, 12u);
  auto records = h.records_of("r", {15, 3, 99, 3, 7});
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(ids_of(records.value), (std::vector<uint64_t>{3, 7, 15}));
  EXPECT_EQ(records.value[0].score, 97);
  EXPECT_EQ(records.value[0].rank, 3u);
  EXPECT_TRUE(h.records_of("r", {}).value.empty());
}

TEST_P(BackendConformance, ResetsKeepOnePreviousPeriod) {
  // Daily at midnight UTC; kT0 is a midnight.
  h.create(board("daily", SortOrder::kDescending, ScoreOperator::kBest, "0 0 * * *"), kT0 + 1000);
  auto info = h.info("daily", kT0 + 1000);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info.value.current.start_unix_ms, kT0);
  EXPECT_EQ(info.value.current.end_unix_ms, kT0 + kDay);
  EXPECT_FALSE(info.value.previous.has_value());
  h.submit("daily", sub(1, 10), kT0 + 2000);
  h.submit("daily", sub(2, 20), kT0 + 3000);
  const std::string cursor = h.list("daily", 1, "", Period::kCurrent, kT0 + 4000).value.next_cursor;
  ASSERT_FALSE(cursor.empty());
  EXPECT_EQ(h.list("daily", 5, "", Period::kPrevious, kT0 + 4000).error,
            LeaderboardError::kNoPreviousPeriod);
  // The next day: a read resets first.
  auto page = h.list("daily", 5, "", Period::kCurrent, kT0 + kDay + 1);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page.value.total, 0u);
  auto prev = h.list("daily", 5, "", Period::kPrevious, kT0 + kDay + 1);
  ASSERT_TRUE(prev.ok());
  EXPECT_EQ(ids_of(prev.value.records), (std::vector<uint64_t>{2, 1}));
  // The old current period's cursor: stale on the current, read on in the previous.
  EXPECT_EQ(h.list("daily", 5, cursor, Period::kCurrent, kT0 + kDay + 2).error,
            LeaderboardError::kStaleCursor);
  EXPECT_EQ(ids_of(h.list("daily", 5, cursor, Period::kPrevious, kT0 + kDay + 2).value.records),
            (std::vector<uint64_t>{1}));
  // An earlier time undoes nothing.
  EXPECT_EQ(h.list("daily", 5, "", Period::kCurrent, kT0 + 5).value.total, 0u);
  auto r = h.submit("daily", sub(1, 5), kT0 + kDay + 10);
  EXPECT_TRUE(r.value.created);
  EXPECT_EQ(h.rank_of("daily", 1, Period::kPrevious, kT0 + kDay + 10).value, 2u);
  info = h.info("daily", kT0 + kDay + 10);
  EXPECT_EQ(info.value.current.start_unix_ms, kT0 + kDay);
  EXPECT_EQ(info.value.current.records, 1u);
  ASSERT_TRUE(info.value.previous.has_value());
  EXPECT_EQ(info.value.previous->start_unix_ms, kT0);
  EXPECT_EQ(info.value.previous->end_unix_ms, kT0 + kDay);
  EXPECT_EQ(info.value.previous->records, 2u);
  // Three days on with nothing in between: the previous period is empty.
  r = h.submit("daily", sub(3, 1), kT0 + 4 * kDay + 10);
  info = h.info("daily", kT0 + 4 * kDay + 10);
  EXPECT_EQ(info.value.current.start_unix_ms, kT0 + 4 * kDay);
  EXPECT_EQ(info.value.previous->start_unix_ms, kT0 + 3 * kDay);
  EXPECT_EQ(info.value.previous->records, 0u);
  EXPECT_TRUE(h.records_of("daily", {1}, Period::kPrevious, kT0 + 4 * kDay).value.empty());
  // The sequence runs on across periods: ties still order by arrival.
  h.submit("daily", sub(4, 1), kT0 + 4 * kDay + 11);
  EXPECT_EQ(ids_of(h.list("daily", 5, "", Period::kCurrent, kT0 + 4 * kDay + 12).value.records),
            (std::vector<uint64_t>{3, 4}));
}

TEST_P(BackendConformance, DeleteRemovesTheRecordAndRanksCloseUp) {
  h.create(board("del", SortOrder::kDescending, ScoreOperator::kBest), kT0);
  for (uint64_t user = 1; user <= 4; ++user) {
    ASSERT_TRUE(h.submit("del", sub(user, 50 - 10 * static_cast<int64_t>(user), 0, "n"), kT0).ok());
  }
  EXPECT_EQ(h.remove("del", 2, kT0 + 1), LeaderboardError::kOk);
  EXPECT_EQ(h.remove("del", 2, kT0 + 2), LeaderboardError::kNotFound) << "deleted already";
  EXPECT_EQ(h.remove("del", 99, kT0 + 2), LeaderboardError::kNotFound) << "never submitted";
  EXPECT_EQ(h.remove("nope", 1, kT0 + 2), LeaderboardError::kUnknownBoard);
  auto page = h.list("del", 10, "", Period::kCurrent, kT0 + 3);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(ids_of(page.value.records), (std::vector<uint64_t>{1, 3, 4}));
  EXPECT_EQ(ranks_of(page.value.records), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(page.value.total, 3u);
  EXPECT_EQ(h.rank_of("del", 3, Period::kCurrent, kT0 + 3).value, 2u);
  EXPECT_EQ(h.rank_of("del", 2, Period::kCurrent, kT0 + 3).error, LeaderboardError::kNotFound);
  EXPECT_TRUE(h.records_of("del", {2}, Period::kCurrent, kT0 + 3).value.empty());
  EXPECT_EQ(h.info("del", kT0 + 3).value.current.records, 3u);
  // Submitting again starts a new record: a first submission, ranked last.
  auto again = h.submit("del", sub(2, 1), kT0 + 4);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again.value.created);
  EXPECT_EQ(again.value.rank, 4u);
  EXPECT_EQ(again.value.num_submissions, 1u);
  // Deleting the last record leaves an empty board.
  for (uint64_t user : {1, 2, 3, 4})
    EXPECT_EQ(h.remove("del", user, kT0 + 5), LeaderboardError::kOk);
  EXPECT_EQ(h.list("del", 10, "", Period::kCurrent, kT0 + 6).value.total, 0u);
}

TEST_P(BackendConformance, DeleteAppliesADueResetFirstAndKeepsThePreviousPeriod) {
  h.create(board("dd", SortOrder::kDescending, ScoreOperator::kBest, "0 0 * * *"), kT0);
  ASSERT_TRUE(h.submit("dd", sub(1, 10), kT0 + 1).ok());
  // The next day the record is in the previous period: nothing to delete.
  EXPECT_EQ(h.remove("dd", 1, kT0 + kDay + 1), LeaderboardError::kNotFound);
  EXPECT_EQ(ids_of(h.list("dd", 5, "", Period::kPrevious, kT0 + kDay + 2).value.records),
            (std::vector<uint64_t>{1}));
  ASSERT_TRUE(h.submit("dd", sub(1, 3), kT0 + kDay + 3).ok());
  EXPECT_EQ(h.remove("dd", 1, kT0 + kDay + 4), LeaderboardError::kOk);
  EXPECT_EQ(h.list("dd", 5, "", Period::kCurrent, kT0 + kDay + 5).value.total, 0u);
  EXPECT_EQ(h.list("dd", 5, "", Period::kPrevious, kT0 + kDay + 5).value.total, 1u)
      << "only the current period's record goes";
}

// ------------------------------------------------------------ Redis only --

TEST(RedisBackendTest, RedisRestartFailsClearlyThenWorksAgain) {
  RedisServer server;  // its own: stopped mid-test
  BackendHarness h(BackendKind::kRedis, &server);
  ASSERT_EQ(h.create(board("live", SortOrder::kDescending, ScoreOperator::kIncrement), kT0),
            LeaderboardError::kOk);
  ASSERT_TRUE(h.submit("live", sub(1, 5), kT0).ok());
  server.command({"SAVE"});  // Redis is the boards' home: its own snapshot brings them back
  server.stop();
  auto down = h.wait<std::vector<leaderboard::Result<leaderboard::SubmitResult>>>(
      [&](auto done) { h.backend().submit_batch("live", {sub(1, 1)}, kT0, done); });
  EXPECT_FALSE(down.available());
  EXPECT_NE(down.unavailable.find("redis:"), std::string::npos) << down.unavailable;
  auto read = h.wait<RecordPage>([&](auto done) {
    h.backend().list("live", {10, "", Period::kCurrent}, kT0, done);
  });
  EXPECT_FALSE(read.available());
  server.start();
  ASSERT_TRUE(h.loop().run_until([&] { return h.client()->connected(); }));
  auto r = h.submit("live", sub(1, 1), kT0);  // scripts loaded again on the new connection
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value.score, 6);
  EXPECT_EQ(r.value.num_submissions, 2u);
  // Scripts flushed behind our back: NOSCRIPT, resent as EVAL, same answer.
  server.command({"SCRIPT", "FLUSH"});
  r = h.submit("live", sub(1, 1), kT0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value.score, 7);
  EXPECT_EQ(h.redis()->script_reloads(), 1u);
  EXPECT_EQ(h.rank_of("live", 1).value, 1u);
}

TEST(RedisBackendTest, LayoutIsExactPastTwoToTheFiftyThree) {
  BackendHarness h(BackendKind::kRedis);
  h.create(board("big", SortOrder::kDescending, ScoreOperator::kIncrement), kT0);
  const int64_t big = (int64_t{1} << 53) + 1;
  h.submit("big", sub(1, big), kT0);
  h.submit("big", sub(2, big + 1), kT0);
  EXPECT_EQ(h.submit("big", sub(1, 1), kT0).value.score, big + 1);
  EXPECT_EQ(ids_of(h.list("big", 2).value.records), (std::vector<uint64_t>{2, 1}));
  // One sorted set of 32-byte members with score 0, one hash of records.
  const std::string start = std::to_string(kT0);
  EXPECT_EQ(RedisServer::shared().command({"ZCARD", "lb:{big}:z:" + start}), "2");
  EXPECT_EQ(RedisServer::shared().command({"HLEN", "lb:{big}:r:" + start}), "2");
  EXPECT_EQ(RedisServer::shared().command({"HGET", "lb:{big}:meta", "seq"}), "3");
}

// Randomised, Redis against the engine call by call: submits (batches,
// extreme scores, names, metadata), pages through cursors both ways, around,
// records, ranks, across resets. Cursors must be byte-identical.
TEST(RedisBackendTest, RandomRunMatchesTheEngine) {
  BackendHarness engine(BackendKind::kInProcess);
  BackendHarness redis(BackendKind::kRedis);
  const char* seed_env = std::getenv("CITADEL_TEST_SEED");
  const uint64_t seed = seed_env != nullptr ? std::strtoull(seed_env, nullptr, 10) : 12345;
  SCOPED_TRACE("seed " + std::to_string(seed) + " (CITADEL_TEST_SEED=N replays one)");
  std::mt19937_64 rng(seed);
  const std::vector<BoardConfig> boards = {
      board("best-d", SortOrder::kDescending, ScoreOperator::kBest, "0 * * * *"),
      board("set-a", SortOrder::kAscending, ScoreOperator::kSet),
      board("incr-d", SortOrder::kDescending, ScoreOperator::kIncrement, "*/20 * * * *"),
      board("decr-a", SortOrder::kAscending, ScoreOperator::kDecrement)};
  for (const auto& b : boards) {
    ASSERT_EQ(engine.create(b, kT0), LeaderboardError::kOk);
    ASSERT_EQ(redis.create(b, kT0), LeaderboardError::kOk);
  }
  // How much of the run did real work (a run of refusals would prove little).
  int accepted = 0, records_seen = 0, resets = 0, deleted = 0;
  auto pick_score = [&]() -> int64_t {
    switch (rng() % 6) {
      case 0:
        return kMax - static_cast<int64_t>(rng() % 3);
      case 1:
        return kMin + static_cast<int64_t>(rng() % 3);
      case 2:
        return static_cast<int64_t>(rng());
      default:
        return static_cast<int64_t>(rng() % 11) - 5;
    }
  };
  int64_t now = kT0;
  std::vector<std::string> cursors;
  for (int step = 0; step < 2400; ++step) {  // 2000 before deletes took a seventh
    SCOPED_TRACE("step " + std::to_string(step));
    now += static_cast<int64_t>(rng() % 120'000);
    const std::string id = boards[rng() % boards.size()].id;
    const Period period = rng() % 4 == 0 ? Period::kPrevious : Period::kCurrent;
    switch (rng() % 7) {
      case 0:
      case 1: {
        std::vector<OwnedSubmission> batch;
        const std::size_t n = 1 + rng() % 6;
        for (std::size_t i = 0; i < n; ++i) {
          OwnedSubmission s = sub(1 + rng() % 30, pick_score(), pick_score() % 3);
          if (rng() % 3 == 0)
            s.username = std::to_string(rng() % 100);  // "u" + : GCC 12 -Wrestrict
          if (rng() % 4 == 0) s.metadata = std::string(rng() % 3, 'm');
          batch.push_back(s);
        }
        auto a = engine.submit_batch(id, batch, now);
        auto b = redis.submit_batch(id, batch, now);
        ASSERT_EQ(a.value.size(), b.value.size());
        for (std::size_t i = 0; i < a.value.size(); ++i) {
          ASSERT_EQ(a.value[i].error, b.value[i].error) << i;
          const auto& x = a.value[i].value;
          const auto& y = b.value[i].value;
          ASSERT_EQ(x.rank, y.rank);
          ASSERT_EQ(x.score, y.score);
          ASSERT_EQ(x.subscore, y.subscore);
          ASSERT_EQ(x.num_submissions, y.num_submissions);
          ASSERT_EQ(x.created, y.created);
          ASSERT_EQ(x.taken, y.taken);
          accepted += a.value[i].ok();
        }
        break;
      }
      case 2: {
        std::string cursor;
        if (!cursors.empty() && rng() % 2 == 0) cursor = cursors[rng() % cursors.size()];
        const uint32_t limit = 1 + rng() % 8;
        auto a = engine.list(id, limit, cursor, period, now);
        auto b = redis.list(id, limit, cursor, period, now);
        ASSERT_EQ(a.error, b.error);
        ASSERT_EQ(a.value.records, b.value.records);
        ASSERT_EQ(a.value.next_cursor, b.value.next_cursor);
        ASSERT_EQ(a.value.prev_cursor, b.value.prev_cursor);
        ASSERT_EQ(a.value.total, b.value.total);
        records_seen += static_cast<int>(a.value.records.size());
        for (const auto& c : {a.value.next_cursor, a.value.prev_cursor}) {
          if (!c.empty()) cursors.push_back(c);
        }
        break;
      }
      case 3: {
        const uint64_t user = 1 + rng() % 32;
        const uint32_t limit = 1 + rng() % 7;
        auto a = engine.around(id, user, limit, period, now);
        auto b = redis.around(id, user, limit, period, now);
        ASSERT_EQ(a.error, b.error);
        ASSERT_EQ(a.value.records, b.value.records);
        ASSERT_EQ(a.value.next_cursor, b.value.next_cursor);
        ASSERT_EQ(a.value.prev_cursor, b.value.prev_cursor);
        break;
      }
      case 4: {
        std::vector<uint64_t> ids;
        for (int i = 0; i < 5; ++i) ids.push_back(1 + rng() % 32);
        auto a = engine.records_of(id, ids, period, now);
        auto b = redis.records_of(id, ids, period, now);
        ASSERT_EQ(a.error, b.error);
        ASSERT_EQ(a.value, b.value);
        break;
      }
      case 5: {
        // Deletes, a few: they shrink the boards the other reads look at.
        const uint64_t user = 1 + rng() % 32;
        if (rng() % 3 != 0) break;
        const LeaderboardError a = engine.remove(id, user, now);
        ASSERT_EQ(a, redis.remove(id, user, now));
        deleted += a == LeaderboardError::kOk;
        break;
      }
      default: {
        const uint64_t user = 1 + rng() % 32;
        auto a = engine.rank_of(id, user, period, now);
        auto b = redis.rank_of(id, user, period, now);
        ASSERT_EQ(a.error, b.error);
        ASSERT_EQ(a.value, b.value);
        auto ia = engine.info(id, now);
        auto ib = redis.info(id, now);
        ASSERT_EQ(ia.value.current.start_unix_ms, ib.value.current.start_unix_ms);
        ASSERT_EQ(ia.value.current.end_unix_ms, ib.value.current.end_unix_ms);
        ASSERT_EQ(ia.value.current.records, ib.value.current.records);
        ASSERT_EQ(ia.value.previous.has_value(), ib.value.previous.has_value());
        if (ia.value.previous) {
          ++resets;
          ASSERT_EQ(ia.value.previous->start_unix_ms, ib.value.previous->start_unix_ms);
          ASSERT_EQ(ia.value.previous->end_unix_ms, ib.value.previous->end_unix_ms);
          ASSERT_EQ(ia.value.previous->records, ib.value.previous->records);
        }
        break;
      }
    }
  }
  EXPECT_GT(accepted, 1000);
  EXPECT_GT(records_seen, 500);
  EXPECT_GT(resets, 20);
  EXPECT_GT(deleted, 10);
}

}  // namespace
}  // namespace citadel::test
