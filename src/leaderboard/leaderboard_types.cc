#include "leaderboard/leaderboard_types.h"

namespace citadel::leaderboard {

std::string_view to_string(LeaderboardError error) {
  switch (error) {
    case LeaderboardError::kOk:
      return "ok";
    case LeaderboardError::kUnknownBoard:
      return "unknown board";
    case LeaderboardError::kBoardExists:
      return "board exists";
    case LeaderboardError::kInvalidBoardId:
      return "invalid board id";
    case LeaderboardError::kInvalidSchedule:
      return "invalid reset schedule";
    case LeaderboardError::kInvalidConfig:
      return "invalid board config";
    case LeaderboardError::kNotFound:
      return "no record";
    case LeaderboardError::kNoPreviousPeriod:
      return "no previous period";
    case LeaderboardError::kBadCursor:
      return "bad cursor";
    case LeaderboardError::kStaleCursor:
      return "stale cursor";
    case LeaderboardError::kInvalidLimit:
      return "invalid limit";
    case LeaderboardError::kTooManyIds:
      return "too many ids";
    case LeaderboardError::kUsernameTooLong:
      return "username too long";
    case LeaderboardError::kMetadataTooLarge:
      return "metadata too large";
    case LeaderboardError::kScoreOutOfRange:
      return "score out of range";
    case LeaderboardError::kBoardFull:
      return "board full";
    case LeaderboardError::kBadSnapshot:
      return "bad snapshot";
  }
  return "unknown error";
}

std::string_view to_string(SortOrder order) {
  return order == SortOrder::kAscending ? "asc" : "desc";
}

std::string_view to_string(ScoreOperator op) {
  switch (op) {
    case ScoreOperator::kBest:
      return "best";
    case ScoreOperator::kSet:
      return "set";
    case ScoreOperator::kIncrement:
      return "incr";
    case ScoreOperator::kDecrement:
      return "decr";
  }
  return "unknown";
}

}  // namespace citadel::leaderboard
