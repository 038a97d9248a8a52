// Reads: pages and their cursors (exactly once in both directions, empty
// pages, tampering), around a player at the edges, records of a set of
// players, ranks, and deleting a record.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
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

class Queries : public ::testing::Test {
 protected:
  Leaderboards engine{testing::test_cursor_key()};

  // n players: player i (1..n) scores 10 * ((i + 1) / 2), so pairs tie and
  // the earlier submission of each pair ranks first.
  void fill(std::string_view board, SortOrder order, uint64_t n) {
    ASSERT_EQ(
        engine.create_board(board_config(std::string(board), order, ScoreOperator::kBest), kT0),
        LeaderboardError::kOk);
    for (uint64_t i = 1; i <= n; ++i) {
      ASSERT_TRUE(engine.submit(board, score_of(i, int64_t(10 * ((i + 1) / 2))), kT0).ok());
    }
  }
  // The expected rank order of fill(): best score first, earlier id first within a tie.
  static std::vector<uint64_t> expected_order(SortOrder order, uint64_t n) {
    std::vector<uint64_t> ids(n);
    std::iota(ids.begin(), ids.end(), 1);
    std::stable_sort(ids.begin(), ids.end(), [&](uint64_t a, uint64_t b) {
      int64_t sa = int64_t(10 * ((a + 1) / 2)), sb = int64_t(10 * ((b + 1) / 2));
      return order == SortOrder::kDescending ? sa > sb : sa < sb;
    });
    return ids;
  }
  RecordPage page(std::string_view board, uint32_t limit, std::string_view cursor = "",
                  Period period = Period::kCurrent) {
    Result<RecordPage> result = engine.list(board, {limit, cursor, period}, kT0);
    EXPECT_EQ(result.error, LeaderboardError::kOk);
    return result.value;
  }
  std::vector<uint64_t> around(std::string_view board, uint64_t user, uint32_t limit) {
    Result<RecordPage> result = engine.around(board, user, limit, Period::kCurrent, kT0);
    EXPECT_EQ(result.error, LeaderboardError::kOk);
    return ids_of(result.value.records);
  }
};

TEST_F(Queries, FirstPageHoldsTheTopInRankOrder) {
  fill("b", SortOrder::kDescending, 10);
  RecordPage top = page("b", 3);
  EXPECT_EQ(ids_of(top.records), (std::vector<uint64_t>{9, 10, 7}));
  EXPECT_EQ(top.records[0].rank, 1u);
  EXPECT_EQ(top.records[2].rank, 3u);
  EXPECT_EQ(top.total, 10u);
  EXPECT_FALSE(top.next_cursor.empty());
  EXPECT_TRUE(top.prev_cursor.empty()) << "nothing comes before rank 1";
  RecordPage all = page("b", 100);
  EXPECT_EQ(ids_of(all.records), expected_order(SortOrder::kDescending, 10));
  EXPECT_TRUE(all.next_cursor.empty());
  EXPECT_TRUE(all.prev_cursor.empty());
}

TEST_F(Queries, EmptyBoardGivesAnEmptyPageWithoutCursors) {
  fill("b", SortOrder::kDescending, 0);
  RecordPage empty = page("b", 10);
  EXPECT_TRUE(empty.records.empty());
  EXPECT_TRUE(empty.next_cursor.empty());
  EXPECT_TRUE(empty.prev_cursor.empty());
  EXPECT_EQ(empty.total, 0u);
}

// Forward with next_cursor, then back with prev_cursor: every record once,
// in rank order, for page sizes that do and do not divide the board.
TEST_F(Queries, PagingCoversEveryRecordExactlyOnceBothWays) {
  for (SortOrder order : {SortOrder::kDescending, SortOrder::kAscending}) {
    std::string board = order == SortOrder::kDescending ? "desc" : "asc";
    fill(board, order, 101);
    std::vector<uint64_t> expected = expected_order(order, 101);
    for (uint32_t limit : {1u, 7u, 10u, 101u, 1000u}) {
      SCOPED_TRACE(board + " limit " + std::to_string(limit));
      std::vector<uint64_t> forward;
      std::vector<std::string> prev_cursors;
      RecordPage p = page(board, limit);
      int pages = 1;
      for (;;) {
        for (const Record& r : p.records) {
          ASSERT_EQ(r.rank, forward.size() + 1);
          forward.push_back(r.user_id);
        }
        if (p.next_cursor.empty()) break;
        p = page(board, limit, p.next_cursor);
        ++pages;
        ASSERT_LE(pages, 200) << "paging does not end";
      }
      EXPECT_EQ(forward, expected);
      EXPECT_EQ(pages, int((101 + limit - 1) / limit));
      // Backwards from the last page.
      std::vector<uint64_t> backward(p.records.size());
      std::transform(p.records.begin(), p.records.end(), backward.begin(),
                     [](const Record& r) { return r.user_id; });
      while (!p.prev_cursor.empty()) {
        p = page(board, limit, p.prev_cursor);
        ASSERT_FALSE(p.records.empty());
        ASSERT_EQ(p.records.size(), std::min<std::size_t>(limit, 101)) << "short page going back";
        std::vector<uint64_t> ids = ids_of(p.records);
        backward.insert(backward.begin(), ids.begin(), ids.end());
        ASSERT_LE(backward.size(), 101u);
      }
      EXPECT_EQ(backward, expected);
    }
  }
}

TEST_F(Queries, NextThenPrevReturnsTheSamePage) {
  fill("b", SortOrder::kDescending, 30);
  RecordPage first = page("b", 8);
  RecordPage second = page("b", 8, first.next_cursor);
  RecordPage back = page("b", 8, second.prev_cursor);
  EXPECT_EQ(ids_of(back.records), ids_of(first.records));
  EXPECT_EQ(back.records[0].rank, 1u);
  EXPECT_TRUE(back.prev_cursor.empty());
}

// A cursor holds a key, so records changing elsewhere do not shift the next
// page, and a deleted boundary record does not break it.
TEST_F(Queries, CursorsHoldAPositionNotARank) {
  fill("b", SortOrder::kDescending, 20);  // top: 19, 20, 17, 18, 15, ...
  RecordPage first = page("b", 4);
  EXPECT_EQ(ids_of(first.records), (std::vector<uint64_t>{19, 20, 17, 18}));
  // A new leader and the boundary record's deletion, before the next page.
  ASSERT_TRUE(engine.submit("b", score_of(99, 1000), kT0).ok());
  ASSERT_EQ(engine.delete_record("b", 18, Period::kCurrent, kT0), LeaderboardError::kOk);
  RecordPage second = page("b", 4, first.next_cursor);
  EXPECT_EQ(ids_of(second.records), (std::vector<uint64_t>{15, 16, 13, 14}));
  EXPECT_EQ(second.records[0].rank, 5u) << "ranks are current ones";
}

TEST_F(Queries, EmptyPagePastTheEndLeadsBack) {
  fill("b", SortOrder::kDescending, 6);  // 5, 6, 3, 4, 1, 2
  RecordPage first = page("b", 3);
  ASSERT_EQ(ids_of(first.records), (std::vector<uint64_t>{5, 6, 3}));
  // Everything after the cursor is deleted: the next page is empty, and its
  // prev_cursor reads the records up to and including the cursor's key.
  for (uint64_t id : {4, 1, 2}) {
    ASSERT_EQ(engine.delete_record("b", id, Period::kCurrent, kT0), LeaderboardError::kOk);
  }
  RecordPage empty = page("b", 3, first.next_cursor);
  EXPECT_TRUE(empty.records.empty());
  EXPECT_TRUE(empty.next_cursor.empty());
  ASSERT_FALSE(empty.prev_cursor.empty());
  EXPECT_EQ(ids_of(page("b", 3, empty.prev_cursor).records), ids_of(first.records));
}

TEST_F(Queries, EmptyPageBeforeTheStartLeadsForward) {
  fill("b", SortOrder::kDescending, 6);  // 5, 6, 3, 4, 1, 2
  RecordPage second = page("b", 3, page("b", 3).next_cursor);
  ASSERT_EQ(ids_of(second.records), (std::vector<uint64_t>{4, 1, 2}));
  for (uint64_t id : {5, 6, 3}) {
    ASSERT_EQ(engine.delete_record("b", id, Period::kCurrent, kT0), LeaderboardError::kOk);
  }
  RecordPage empty = page("b", 3, second.prev_cursor);
  EXPECT_TRUE(empty.records.empty());
  EXPECT_TRUE(empty.prev_cursor.empty());
  ASSERT_FALSE(empty.next_cursor.empty());
  EXPECT_EQ(ids_of(page("b", 3, empty.next_cursor).records), ids_of(second.records));
}

TEST_F(Queries, LimitMustBeOneToMaxPageSize) {
  fill("b", SortOrder::kDescending, 3);
  EXPECT_EQ(engine.list("b", {0, "", Period::kCurrent}, kT0).error,
            LeaderboardError::kInvalidLimit);
  EXPECT_EQ(engine.list("b", {kMaxPageSize + 1, "", Period::kCurrent}, kT0).error,
            LeaderboardError::kInvalidLimit);
  EXPECT_EQ(engine.around("b", 1, 0, Period::kCurrent, kT0).error, LeaderboardError::kInvalidLimit);
  EXPECT_EQ(engine.list("nope", {10, "", Period::kCurrent}, kT0).error,
            LeaderboardError::kUnknownBoard);
  EXPECT_EQ(engine.list("b", {10, "", Period::kPrevious}, kT0).error,
            LeaderboardError::kNoPreviousPeriod);
}

// Every single-character change, every truncation, and cursors from another
// board or another key are refused as kBadCursor, never a page.
TEST_F(Queries, TamperedCursorsAreRefused) {
  fill("b", SortOrder::kDescending, 20);
  fill("other", SortOrder::kDescending, 20);
  std::string cursor = page("b", 5).next_cursor;
  ASSERT_EQ(cursor.size(), 67u);
  const std::string alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=. ";
  int tried = 0;
  for (std::size_t i = 0; i < cursor.size(); ++i) {
    for (char c : alphabet) {
      if (c == cursor[i]) continue;
      std::string altered = cursor;
      altered[i] = c;
      Result<RecordPage> result = engine.list("b", {5, altered, Period::kCurrent}, kT0);
      ASSERT_EQ(result.error, LeaderboardError::kBadCursor) << "position " << i << " char " << c;
      ++tried;
    }
  }
  EXPECT_GT(tried, 4000);
  for (std::size_t n = 0; n < cursor.size(); ++n) {
    ASSERT_EQ(engine.list("b", {5, cursor.substr(0, n), Period::kCurrent}, kT0).error,
              n == 0 ? LeaderboardError::kOk : LeaderboardError::kBadCursor);
  }
  EXPECT_EQ(engine.list("b", {5, cursor + "A", Period::kCurrent}, kT0).error,
            LeaderboardError::kBadCursor);
  EXPECT_EQ(engine.list("b", {5, std::string(100'000, 'A'), Period::kCurrent}, kT0).error,
            LeaderboardError::kBadCursor);
  EXPECT_EQ(engine.list("other", {5, cursor, Period::kCurrent}, kT0).error,
            LeaderboardError::kBadCursor)
      << "a cursor of another board";
  Leaderboards other_key(testing::test_cursor_key(8));
  ASSERT_EQ(
      other_key.create_board(board_config("b", SortOrder::kDescending, ScoreOperator::kBest), kT0),
      LeaderboardError::kOk);
  EXPECT_EQ(other_key.list("b", {5, cursor, Period::kCurrent}, kT0).error,
            LeaderboardError::kBadCursor)
      << "a cursor signed with another key";
  // The genuine one still works.
  EXPECT_EQ(engine.list("b", {5, cursor, Period::kCurrent}, kT0).error, LeaderboardError::kOk);
}

TEST_F(Queries, AroundCentresOnThePlayerAndShiftsAtTheEdges) {
  fill("b", SortOrder::kAscending, 20);  // ids in rank order: 1..20
  ASSERT_EQ(expected_order(SortOrder::kAscending, 20)[9], 10u);
  EXPECT_EQ(around("b", 10, 5), (std::vector<uint64_t>{8, 9, 10, 11, 12}));
  EXPECT_EQ(around("b", 10, 4), (std::vector<uint64_t>{9, 10, 11, 12})) << "one before, two after";
  EXPECT_EQ(around("b", 10, 1), (std::vector<uint64_t>{10}));
  EXPECT_EQ(around("b", 1, 5), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(around("b", 2, 5), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(around("b", 20, 5), (std::vector<uint64_t>{16, 17, 18, 19, 20}));
  EXPECT_EQ(around("b", 19, 5), (std::vector<uint64_t>{16, 17, 18, 19, 20}));
  EXPECT_EQ(around("b", 7, 100).size(), 20u) << "the whole board when it is smaller";
  Result<RecordPage> page = engine.around("b", 10, 5, Period::kCurrent, kT0);
  EXPECT_EQ(page.value.records[0].rank, 8u);
  EXPECT_EQ(page.value.total, 20u);
  // Its cursors continue in both directions.
  EXPECT_EQ(ids_of(this->page("b", 3, page.value.next_cursor).records),
            (std::vector<uint64_t>{13, 14, 15}));
  EXPECT_EQ(ids_of(this->page("b", 3, page.value.prev_cursor).records),
            (std::vector<uint64_t>{5, 6, 7}));
  EXPECT_EQ(engine.around("b", 99, 5, Period::kCurrent, kT0).error, LeaderboardError::kNotFound);
}

TEST_F(Queries, AroundOnTinyBoards) {
  fill("one", SortOrder::kDescending, 1);
  EXPECT_EQ(around("one", 1, 5), (std::vector<uint64_t>{1}));
  Result<RecordPage> page = engine.around("one", 1, 5, Period::kCurrent, kT0);
  EXPECT_TRUE(page.value.next_cursor.empty());
  EXPECT_TRUE(page.value.prev_cursor.empty());
  fill("two", SortOrder::kAscending, 2);
  EXPECT_EQ(around("two", 2, 1), (std::vector<uint64_t>{2}));
  EXPECT_EQ(around("two", 2, 2), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(around("two", 1, 2), (std::vector<uint64_t>{1, 2}));
}

TEST_F(Queries, RecordsOfPlayersComeInRankOrder) {
  fill("b", SortOrder::kAscending, 10);
  uint64_t ids[] = {7, 3, 42, 3, 9};
  Result<std::vector<Record>> found = engine.records_of("b", ids, Period::kCurrent, kT0);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(ids_of(found.value), (std::vector<uint64_t>{3, 7, 9}));
  EXPECT_EQ(found.value[0].rank, 3u);
  EXPECT_EQ(found.value[1].rank, 7u);
  std::vector<uint64_t> too_many(kMaxIdsPerQuery + 1, 1);
  EXPECT_EQ(engine.records_of("b", too_many, Period::kCurrent, kT0).error,
            LeaderboardError::kTooManyIds);
  std::vector<uint64_t> at_limit(kMaxIdsPerQuery, 1);
  EXPECT_EQ(engine.records_of("b", at_limit, Period::kCurrent, kT0).value.size(), 1u);
}

TEST_F(Queries, RankOfAndDelete) {
  fill("b", SortOrder::kDescending, 10);  // 9, 10, 7, 8, 5, 6, 3, 4, 1, 2
  EXPECT_EQ(engine.rank_of("b", 9, Period::kCurrent, kT0).value, 1u);
  EXPECT_EQ(engine.rank_of("b", 6, Period::kCurrent, kT0).value, 6u);
  EXPECT_EQ(engine.rank_of("b", 2, Period::kCurrent, kT0).value, 10u);
  EXPECT_EQ(engine.rank_of("b", 77, Period::kCurrent, kT0).error, LeaderboardError::kNotFound);
  ASSERT_EQ(engine.delete_record("b", 7, Period::kCurrent, kT0), LeaderboardError::kOk);
  EXPECT_EQ(engine.delete_record("b", 7, Period::kCurrent, kT0), LeaderboardError::kNotFound);
  EXPECT_EQ(engine.delete_record("nope", 7, Period::kCurrent, kT0),
            LeaderboardError::kUnknownBoard);
  EXPECT_EQ(engine.rank_of("b", 6, Period::kCurrent, kT0).value, 5u);
  EXPECT_EQ(engine.rank_of("b", 7, Period::kCurrent, kT0).error, LeaderboardError::kNotFound);
  EXPECT_EQ(page("b", 100).total, 9u);
  // A deleted player who submits again starts a new record.
  ASSERT_TRUE(engine.submit("b", score_of(7, 1), kT0 + 5).ok());
  Result<std::vector<Record>> again =
      engine.records_of("b", std::vector<uint64_t>{7}, Period::kCurrent, kT0);
  EXPECT_EQ(again.value[0].num_submissions, 1u);
  EXPECT_EQ(again.value[0].create_time_unix_ms, kT0 + 5);
}

TEST_F(Queries, DeleteKeepsCountsPagesAndAroundInStep) {
  fill("b", SortOrder::kDescending, 10);  // 9, 10, 7, 8, 5, 6, 3, 4, 1, 2
  ASSERT_EQ(engine.delete_record("b", 9, Period::kCurrent, kT0), LeaderboardError::kOk);  // rank 1
  ASSERT_EQ(engine.delete_record("b", 2, Period::kCurrent, kT0), LeaderboardError::kOk);  // last
  EXPECT_EQ(engine.board_info("b", kT0).value.current.records, 8u);
  const RecordPage all = page("b", 100);
  EXPECT_EQ(ids_of(all.records), (std::vector<uint64_t>{10, 7, 8, 5, 6, 3, 4, 1}));
  for (std::size_t i = 0; i < all.records.size(); ++i) EXPECT_EQ(all.records[i].rank, i + 1);
  EXPECT_EQ(all.total, 8u);
  // The page around the new last player ends at the new last rank.
  EXPECT_EQ(around("b", 1, 3), (std::vector<uint64_t>{3, 4, 1}));
  EXPECT_EQ(engine.rank_of("b", 10, Period::kCurrent, kT0).value, 1u);
  // Nothing before the first reset: the previous period cannot be deleted from.
  EXPECT_EQ(engine.delete_record("b", 10, Period::kPrevious, kT0),
            LeaderboardError::kNoPreviousPeriod);
  // Deleting every record leaves an empty, usable board.
  for (uint64_t id : {10, 7, 8, 5, 6, 3, 4, 1}) {
    ASSERT_EQ(engine.delete_record("b", id, Period::kCurrent, kT0), LeaderboardError::kOk) << id;
  }
  EXPECT_EQ(page("b", 10).total, 0u);
  EXPECT_TRUE(page("b", 10).next_cursor.empty());
  ASSERT_TRUE(engine.submit("b", score_of(5, 3), kT0).ok());
  EXPECT_EQ(engine.rank_of("b", 5, Period::kCurrent, kT0).value, 1u);
}

}  // namespace
}  // namespace citadel::leaderboard
