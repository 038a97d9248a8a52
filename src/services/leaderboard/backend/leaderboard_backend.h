// The leaderboard service's port to where boards live: the in-process engine
// (InProcessBackend, src/leaderboard) or Redis (RedisLeaderboardBackend).
// Both follow the rules of leaderboard/leaderboards.h and give the same
// results for the same calls (tests/redis/leaderboard_backend_test.cc runs
// one suite on both).
//
// Asynchronous: every call completes through its callback, on the caller's
// loop (the service loop), exactly once. The in-process backend completes
// before the call returns; the Redis one from a later loop turn, or at once
// with BackendResult::unavailable set while Redis is away.
// Not thread-safe: one owner (the service loop) calls it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "leaderboard/leaderboard_types.h"

namespace citadel::services {

// A Submission that owns its strings (the call may complete later).
struct OwnedSubmission {
  uint64_t user_id = 0;
  std::string username;  // empty: keep the record's name
  int64_t score = 0;
  int64_t subscore = 0;
  std::optional<std::string> metadata;  // nullopt: keep the record's metadata
};

// What a backend call came back with: the engine's result, or (Redis only)
// `unavailable` set with why the backend could not be asked (Redis away,
// too much in flight); then result.error is meaningless.
template <class T>
struct BackendResult {
  leaderboard::Result<T> result;
  std::string unavailable;  // empty: result is the answer

  bool available() const { return unavailable.empty(); }
  bool ok() const { return available() && result.ok(); }
};

// A submission's result and, when it is ok, the record as it left it (the
// reply to a submit on the wire carries it).
struct SubmitOutcome {
  leaderboard::Result<leaderboard::SubmitResult> result;
  leaderboard::Record record;
};

struct PageRequest {
  uint32_t limit = 100;
  std::string cursor;  // empty: from rank 1
  leaderboard::Period period = leaderboard::Period::kCurrent;
};

class LeaderboardBackend {
 public:
  template <class T>
  using Done = std::function<void(BackendResult<T>)>;

  virtual ~LeaderboardBackend() = default;

  virtual void create_board(const leaderboard::BoardConfig& config, int64_t now_unix_ms,
                            Done<bool> done) = 0;
  // In order, with the results submit would give one by one (kUnknownBoard
  // fills them all). One round trip for the whole batch on Redis.
  virtual void submit_batch(
      const std::string& board_id, std::vector<OwnedSubmission> submissions, int64_t now_unix_ms,
      Done<std::vector<leaderboard::Result<leaderboard::SubmitResult>>> done) = 0;
  // submit_batch, with each accepted submission's record as it left it:
  // still one round trip for the batch on Redis.
  virtual void submit_batch_records(const std::string& board_id,
                                    std::vector<OwnedSubmission> submissions, int64_t now_unix_ms,
                                    Done<std::vector<SubmitOutcome>> done) = 0;
  // Deletes the player's record of the current period (a reset due by now
  // applies first): kNotFound when there is none. One round trip on Redis.
  virtual void delete_record(const std::string& board_id, uint64_t user_id, int64_t now_unix_ms,
                             Done<bool> done) = 0;
  virtual void list(const std::string& board_id, PageRequest request, int64_t now_unix_ms,
                    Done<leaderboard::RecordPage> done) = 0;
  virtual void around(const std::string& board_id, uint64_t user_id, uint32_t limit,
                      leaderboard::Period period, int64_t now_unix_ms,
                      Done<leaderboard::RecordPage> done) = 0;
  virtual void records_of(const std::string& board_id, std::vector<uint64_t> user_ids,
                          leaderboard::Period period, int64_t now_unix_ms,
                          Done<std::vector<leaderboard::Record>> done) = 0;
  virtual void rank_of(const std::string& board_id, uint64_t user_id, leaderboard::Period period,
                       int64_t now_unix_ms, Done<uint64_t> done) = 0;
  virtual void board_info(const std::string& board_id, int64_t now_unix_ms,
                          Done<leaderboard::BoardInfo> done) = 0;
};

}  // namespace citadel::services
