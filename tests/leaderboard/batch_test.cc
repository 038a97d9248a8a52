// submit_batch must give exactly what submit gives one by one: the same
// results, in order, and the same board afterwards. Two engines take the
// same random submissions (repeated players within a batch, new players,
// refusals, a reset in the middle), one by one and in batches.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "engine_support.h"
#include "leaderboard/leaderboards.h"
#include "test_seed.h"

namespace citadel::leaderboard {
namespace {

using testing::board_config;

TEST(SubmitBatch, SameResultsAndBoardAsOneByOne) {
  uint64_t seed = testing::test_seed("SubmitBatch random");
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  Leaderboards single(testing::test_cursor_key());
  Leaderboards batched(testing::test_cursor_key());
  std::vector<std::string> ids;
  for (SortOrder order : {SortOrder::kDescending, SortOrder::kAscending}) {
    for (ScoreOperator op : {ScoreOperator::kBest, ScoreOperator::kSet, ScoreOperator::kIncrement,
                             ScoreOperator::kDecrement}) {
      BoardConfig config = board_config(
          std::string(to_string(order)) + "-" + std::string(to_string(op)), order, op, "0 * * * *");
      config.max_records = 400;
      config.max_metadata_bytes = 8;
      ASSERT_EQ(single.create_board(config, testing::kT0), LeaderboardError::kOk);
      ASSERT_EQ(batched.create_board(config, testing::kT0), LeaderboardError::kOk);
      ids.push_back(config.id);
    }
  }
  std::vector<std::string> names;
  for (int i = 0; i < 20; ++i) names.push_back(std::to_string(1000 + i));  // 20 distinct names
  std::string long_metadata(9, 'm');
  int64_t now = testing::kT0;
  for (int round = 0; round < 300; ++round) {
    now += int64_t(rng() % 60'000);  // an hourly reset now and then
    const std::string& board = ids[rng() % ids.size()];
    std::vector<Submission> batch(1 + rng() % 70);
    for (Submission& s : batch) {
      s.user_id = 1 + rng() % 500;  // repeats within a batch, and new players
      s.score = rng() % 10 == 0 ? int64_t(rng()) : int64_t(rng() % 50) - 25;
      s.subscore = int64_t(rng() % 3);
      if (rng() % 2) s.username = names[rng() % names.size()];
      if (rng() % 5 == 0) s.metadata = rng() % 2 ? std::string_view("meta") : long_metadata;
    }
    std::vector<Result<SubmitResult>> results(batch.size());
    batched.submit_batch(board, batch, now, results);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      Result<SubmitResult> one = single.submit(board, batch[i], now);
      ASSERT_EQ(results[i].error, one.error) << "round " << round << " item " << i;
      ASSERT_EQ(results[i].value.rank, one.value.rank) << "round " << round << " item " << i;
      ASSERT_EQ(results[i].value.score, one.value.score);
      ASSERT_EQ(results[i].value.subscore, one.value.subscore);
      ASSERT_EQ(results[i].value.num_submissions, one.value.num_submissions);
      ASSERT_EQ(results[i].value.created, one.value.created);
      ASSERT_EQ(results[i].value.taken, one.value.taken);
    }
  }
  for (const std::string& board : ids) {
    EXPECT_EQ(batched.snapshot(board).value, single.snapshot(board).value) << board;
  }
  std::vector<Submission> one(1);
  std::vector<Result<SubmitResult>> out(1);
  batched.submit_batch("nope", one, now, out);
  EXPECT_EQ(out[0].error, LeaderboardError::kUnknownBoard);
}

}  // namespace
}  // namespace citadel::leaderboard
