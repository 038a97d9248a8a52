// The engine against the brute-force ReferenceBoard (reference_model.h):
// every operator and order, random submits with many ties, deletions, hourly
// resets (some skipped over), and every kind of read, compared after each
// step. Seeded; the seed is printed (CITADEL_TEST_SEED=N replays a run).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "engine_support.h"
#include "leaderboard/leaderboards.h"
#include "reference_model.h"
#include "test_seed.h"

namespace citadel::leaderboard {
namespace {

using testing::ReferenceBoard;

struct Subject {
  std::string id;
  ReferenceBoard model;
};

class RandomModel : public ::testing::Test {
 protected:
  Leaderboards engine{testing::test_cursor_key()};
  std::vector<Subject> boards;
  std::mt19937_64 rng;
  int64_t now = testing::kT0;

  void make_boards() {
    for (SortOrder order : {SortOrder::kDescending, SortOrder::kAscending}) {
      for (ScoreOperator op : {ScoreOperator::kBest, ScoreOperator::kSet, ScoreOperator::kIncrement,
                               ScoreOperator::kDecrement}) {
        BoardConfig config;
        config.id = std::string(to_string(order)) + "-" + std::string(to_string(op));
        config.order = order;
        config.op = op;
        config.reset_schedule = "0 * * * *";  // hourly, as the model's periods
        config.max_metadata_bytes = 12;
        // Of 2000 players: the ascending boards fill up (kBoardFull).
        config.max_records = order == SortOrder::kAscending ? 300 : 1500;
        ASSERT_EQ(engine.create_board(config, now), LeaderboardError::kOk);
        boards.push_back({config.id, ReferenceBoard(config, now)});
      }
    }
  }

  uint64_t any_user() { return 1 + rng() % 2000; }

  Submission any_submission(std::string& name_storage, std::string& meta_storage) {
    Submission s;
    s.user_id = any_user();
    switch (rng() % 4) {  // narrow ranges make ties common
      case 0:
        s.score = int64_t(rng() % 5);
        break;
      case 1:
        s.score = int64_t(rng() % 1000) - 500;
        break;
      case 2:
        s.score = int64_t(rng());
        break;  // near the int64 ends: overflow paths
      default:
        s.score = int64_t(rng() % 3) - 1;
        break;
    }
    s.subscore = rng() % 8 == 0 ? int64_t(rng()) : int64_t(rng() % 3);
    if (rng() % 3 == 0) {
      name_storage = "name" + std::to_string(rng() % 30);
      s.username = name_storage;
    }
    if (rng() % 3 == 0) {
      meta_storage = std::string(rng() % 15, char('a' + rng() % 26));  // sometimes over 12
      s.metadata = meta_storage;
    }
    return s;
  }

  // Mostly milliseconds apart, so periods grow to a few thousand records; a
  // reset every ten thousand steps or so, sometimes several at once.
  void advance_time() {
    uint64_t roll = rng() % 20'000;
    if (roll == 0) {
      now += int64_t(2 + rng() % 3) * ReferenceBoard::kHourMs;  // resets nobody sees
    } else if (roll < 3) {
      now += ReferenceBoard::kHourMs;
    } else {
      now += int64_t(rng() % 100);
    }
  }

  // Every record of a period through pages of a random size, with ranks,
  // names, metadata and times, against the model's sorted list.
  void check_pages(Subject& board, Period period) {
    std::optional<std::vector<Record>> expected = board.model.ranked(period, now);
    uint32_t limit = 1 + uint32_t(rng() % 40);
    Result<RecordPage> page = engine.list(board.id, {limit, "", period}, now);
    if (!expected) {
      ASSERT_EQ(page.error, LeaderboardError::kNoPreviousPeriod);
      return;
    }
    ASSERT_EQ(page.error, LeaderboardError::kOk);
    std::vector<Record> seen;
    for (int pages = 0;; ++pages) {
      ASSERT_LE(pages, int(expected->size() / limit) + 1) << "paging does not end";
      ASSERT_EQ(page.value.total, expected->size());
      seen.insert(seen.end(), page.value.records.begin(), page.value.records.end());
      if (page.value.next_cursor.empty()) break;
      page = engine.list(board.id, {limit, page.value.next_cursor, period}, now);
      ASSERT_EQ(page.error, LeaderboardError::kOk);
    }
    ASSERT_EQ(seen, *expected);
  }

  void check_reads(Subject& board) {
    Period period = rng() % 4 == 0 ? Period::kPrevious : Period::kCurrent;
    std::optional<std::vector<Record>> expected = board.model.ranked(period, now);
    uint64_t user = any_user();
    switch (rng() % 4) {
      case 0: {
        Result<uint64_t> rank = engine.rank_of(board.id, user, period, now);
        if (!expected) {
          ASSERT_EQ(rank.error, LeaderboardError::kNoPreviousPeriod);
          break;
        }
        auto it = std::find_if(expected->begin(), expected->end(),
                               [&](const Record& r) { return r.user_id == user; });
        if (it == expected->end()) {
          ASSERT_EQ(rank.error, LeaderboardError::kNotFound);
        } else {
          ASSERT_EQ(rank.value, it->rank);
        }
        break;
      }
      case 1: {
        uint32_t limit = 1 + uint32_t(rng() % 12);
        Result<RecordPage> around = engine.around(board.id, user, limit, period, now);
        if (!expected) {
          ASSERT_EQ(around.error, LeaderboardError::kNoPreviousPeriod);
          break;
        }
        auto it = std::find_if(expected->begin(), expected->end(),
                               [&](const Record& r) { return r.user_id == user; });
        if (it == expected->end()) {
          ASSERT_EQ(around.error, LeaderboardError::kNotFound);
          break;
        }
        // The window from the rule, computed the slow way.
        int64_t n = int64_t(expected->size());
        int64_t first = int64_t(it->rank) - 1 - (int64_t(limit) - 1) / 2;
        if (first < 0) first = 0;
        int64_t end = std::min<int64_t>(n, first + limit);
        first = std::max<int64_t>(0, end - limit);
        std::vector<Record> window(expected->begin() + first, expected->begin() + end);
        ASSERT_EQ(around.value.records, window) << "around " << user << " limit " << limit;
        ASSERT_EQ(around.value.prev_cursor.empty(), first == 0);
        ASSERT_EQ(around.value.next_cursor.empty(), end == n);
        break;
      }
      case 2: {
        std::vector<uint64_t> ids;
        for (int i = 0, k = int(rng() % 10); i < k; ++i) ids.push_back(any_user());
        Result<std::vector<Record>> found = engine.records_of(board.id, ids, period, now);
        if (!expected) {
          ASSERT_EQ(found.error, LeaderboardError::kNoPreviousPeriod);
          break;
        }
        std::vector<Record> wanted;
        for (const Record& r : *expected) {
          if (std::find(ids.begin(), ids.end(), r.user_id) != ids.end()) wanted.push_back(r);
        }
        ASSERT_EQ(found.value, wanted);
        break;
      }
      default:
        check_pages(board, period);
    }
  }
};

TEST_F(RandomModel, EngineMatchesTheBruteForceModel) {
  uint64_t seed = testing::test_seed("Leaderboard random model");
  rng.seed(seed);
  make_boards();
  int submits = 0, refused = 0, deletes = 0, full = 0, resets_seen = 0;
  for (int step = 0; step < 60'000; ++step) {
    SCOPED_TRACE("seed " + std::to_string(seed) + " step " + std::to_string(step));
    int64_t hour_before = now / ReferenceBoard::kHourMs;
    advance_time();
    resets_seen += now / ReferenceBoard::kHourMs != hour_before;
    Subject& board = boards[rng() % boards.size()];
    uint64_t action = rng() % 20;
    if (action < 13) {
      std::string name, meta;
      Submission s = any_submission(name, meta);
      Result<SubmitResult> got = engine.submit(board.id, s, now);
      Result<SubmitResult> want = board.model.submit(s, now);
      ASSERT_EQ(got.error, want.error) << to_string(got.error) << " vs " << to_string(want.error);
      if (got.ok()) {
        ASSERT_EQ(got.value.rank, want.value.rank);
        ASSERT_EQ(got.value.score, want.value.score);
        ASSERT_EQ(got.value.subscore, want.value.subscore);
        ASSERT_EQ(got.value.num_submissions, want.value.num_submissions);
        ASSERT_EQ(got.value.created, want.value.created);
        ASSERT_EQ(got.value.taken, want.value.taken);
        ++submits;
      } else {
        ++refused;
        full += got.error == LeaderboardError::kBoardFull;
      }
    } else if (action < 14) {
      Period period = rng() % 4 == 0 ? Period::kPrevious : Period::kCurrent;
      uint64_t user = any_user();
      LeaderboardError got = engine.delete_record(board.id, user, period, now);
      ASSERT_EQ(got, board.model.remove(user, period, now));
      deletes += got == LeaderboardError::kOk;
    } else {
      check_reads(board);
    }
  }
  for (Subject& board : boards) {
    check_pages(board, Period::kCurrent);
    check_pages(board, Period::kPrevious);
  }
  std::cout << submits << " submits, " << refused << " refused (" << full << " board full), "
            << deletes << " deletes, " << resets_seen << " hour boundaries\n";
  EXPECT_GT(full, 0) << "no board filled up";
  EXPECT_GT(refused, full) << "no other refusal happened";
  EXPECT_GT(deletes, 0);
  EXPECT_GT(resets_seen, 0);
}

}  // namespace
}  // namespace citadel::leaderboard
