// LeaderboardBackend in Redis (redis.url set): the same rules and results as
// the in-process engine (leaderboard/leaderboards.h), with Redis as the
// boards' durable home, shared by every server that points at it.
//
// Layout, per board B (the hash tag {B} keeps a board's keys in one slot):
//   lb:{B}:meta     hash: order, op, max_metadata_bytes, max_records,
//                   schedule, seq (the board's next sequence number),
//                   cur_start, cur_end ("none": no end), prev_start and
//                   prev_end (absent before the first reset)
//   lb:{B}:z:START  sorted set, one period (START = its start, Unix ms):
//                   every member has score 0 and is 32 bytes, big-endian:
//                   order-mapped score, order-mapped subscore, sequence,
//                   user id. The first 24 bytes are the engine's RankKey
//                   (leaderboard/rank_key.h), so byte order is rank order:
//                   ZRANK is the rank, ZRANGE by index a page, ZLEXCOUNT a
//                   cursor's boundary. Exact int64 semantics: a Redis score
//                   (a double) would lose scores past 2^53.
//   lb:{B}:r:START  hash, user id (8 bytes) -> the record (MessagePack:
//                   member, num_submissions, created, updated, name,
//                   metadata), written by the scripts only.
// Every call is one Lua script (redis_leaderboard_scripts.h), so a submit's
// read-modify-write is atomic, a page is read from one state and a delete
// removes the member and its record together; a reset is
// applied lazily by whichever script runs first at or past the period's
// end (the previous period's keys are then UNLINKed, the current one's kept
// as the previous). The cron arithmetic stays in C++: each call passes the
// period that contains its time, the script compares it with the stored one.
// A batch of submits is one EVALSHA; calls are pipelined on the one
// connection (RedisClient), so nothing waits a round trip per submit.
//
// The scripts are loaded (SCRIPT LOAD) on every connection; a NOSCRIPT
// reply (Redis restarted or flushed its scripts) resends the call as EVAL,
// which caches the script again. While Redis is away every call completes at
// once with BackendResult::unavailable set.
//
// Board configs are cached here once read (they never change); a board
// deleted in Redis behind our back answers kUnknownBoard and is dropped
// from the cache.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "leaderboard/cron_schedule.h"
#include "leaderboard/cursor.h"
#include "redis/redis_client.h"
#include "redis/redis_script.h"
#include "services/leaderboard/backend/leaderboard_backend.h"

namespace citadel::services {

class RedisLeaderboardBackend final : public LeaderboardBackend {
 public:
  // Loop thread of `client`'s loop. Takes over the client's connected hook.
  RedisLeaderboardBackend(redis::RedisClient& client, const leaderboard::CursorKey& cursor_key);
  ~RedisLeaderboardBackend() override;

  void create_board(const leaderboard::BoardConfig& config, int64_t now_unix_ms,
                    Done<bool> done) override;
  void submit_batch(
      const std::string& board_id, std::vector<OwnedSubmission> submissions, int64_t now_unix_ms,
      Done<std::vector<leaderboard::Result<leaderboard::SubmitResult>>> done) override;
  void submit_batch_records(const std::string& board_id, std::vector<OwnedSubmission> submissions,
                            int64_t now_unix_ms, Done<std::vector<SubmitOutcome>> done) override;
  void delete_record(const std::string& board_id, uint64_t user_id, int64_t now_unix_ms,
                     Done<bool> done) override;
  void list(const std::string& board_id, PageRequest request, int64_t now_unix_ms,
            Done<leaderboard::RecordPage> done) override;
  void around(const std::string& board_id, uint64_t user_id, uint32_t limit,
              leaderboard::Period period, int64_t now_unix_ms,
              Done<leaderboard::RecordPage> done) override;
  void records_of(const std::string& board_id, std::vector<uint64_t> user_ids,
                  leaderboard::Period period, int64_t now_unix_ms,
                  Done<std::vector<leaderboard::Record>> done) override;
  void rank_of(const std::string& board_id, uint64_t user_id, leaderboard::Period period,
               int64_t now_unix_ms, Done<uint64_t> done) override;
  void board_info(const std::string& board_id, int64_t now_unix_ms,
                  Done<leaderboard::BoardInfo> done) override;

  // Runs after the scripts are queued for loading on each new connection
  // (the first included): the owner's own start-up work.
  void set_connected_hook(std::function<void()> hook) { connected_hook_ = std::move(hook); }

  // Scripts resent as EVAL after a NOSCRIPT reply (tests).
  uint64_t script_reloads() const;

 private:
  struct BoardState {
    leaderboard::BoardConfig config;
    std::optional<leaderboard::CronSchedule> schedule;
  };
  // The reply of a script, or why there is none.
  using ScriptDone = std::function<void(const redis::RedisResult&)>;
  using BoardDone = std::function<void(const BoardState* board, std::string_view unavailable)>;

  // The board's config, from the cache or read from Redis (null: no such board).
  void with_board(const std::string& board_id, BoardDone done);
  // EVALSHA script 1 meta_key args...; EVAL on NOSCRIPT.
  void run(const redis::RedisScript& script, std::vector<std::string> args, ScriptDone done);
  // A read script call: args after the period arguments.
  void read(const std::string& board_id, int64_t now_unix_ms, leaderboard::Period period,
            std::vector<std::string> op_args,
            std::function<void(const BoardState*, const redis::RedisResult&,
                               std::string_view unavailable)>
                done);
  std::vector<std::string> period_args(const BoardState& board, int64_t now_unix_ms) const;
  void load_scripts();

  redis::RedisClient& client_;
  leaderboard::CursorCodec cursors_;
  redis::RedisScript create_;
  redis::RedisScript submit_;
  redis::RedisScript read_;
  redis::RedisScript delete_;
  std::unordered_map<std::string, BoardState> boards_;
  // Calls waiting for a board's settings being read (HMGET in flight), in
  // the order they came: each runs, and so sends its own command, in that
  // order, so a later call never overtakes an earlier one on the connection.
  std::unordered_map<std::string, std::vector<BoardDone>> board_waiters_;
  std::function<void()> connected_hook_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace citadel::services
