// Leaderboards on the wire: LeaderboardSubmit, Top, Around, Records, Mine and
// Delete, each answered by one LeaderboardReply, over the in-process engine
// (src/leaderboard, docs/leaderboards.md).
//
// Threads: the engine is not thread-safe, so it lives on the service loop and
// nothing else touches it. Handlers (on the connections' loops) only verify
// the payload and post the request there; server-side callers (rooms, the
// admin API) post too. Replies go out through the Outbox, in request order
// per user (a ReplySequencer, as chat does).
//
// Persistence (store::LeaderboardStore, the configured backend): every board
// is loaded into the engine at start. An accepted submit is applied in
// memory, its record row is queued to the store, and the reply waits for the
// commit (batched with everything else in the store's queue), so an
// acknowledged score is on disk. A delete likewise removes the record in
// memory, queues the row's deletion and answers once that committed. A reset saves the board's row,
// which drops the periods no longer kept.
//
// With redis.url set (LeaderboardConfig::redis_url) the boards live in Redis
// instead (RedisLeaderboardBackend, leaderboard_service_redis.cc): Redis is
// their durable home, the engine and the store hold none of them, and every
// command is answered once Redis answered. While Redis is away a command is
// answered ServerBusy at once (nothing waits or queues); the client
// reconnects by itself. Configured boards are created in Redis on every
// (re)connection unless there already; a board already in Redis keeps the
// settings it was made with.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "leaderboard/cursor.h"
#include "leaderboard/leaderboards.h"
#include "net/event_loop.h"
#include "ops/config.h"
#include "protocol/leaderboard_generated.h"
#include "rooms/score_sink.h"
#include "server/outbox.h"
#include "server/router.h"
#include "services/chat/reply_sequencer.h"
#include "services/leaderboard/backend/leaderboard_backend.h"
#include "services/session/session_registry.h"
#include "store/leaderboard_store.h"

namespace citadel::redis {
class RedisClient;
struct RedisClientStats;
}  // namespace citadel::redis

namespace citadel::services {

struct LeaderboardConfig {
  std::vector<leaderboard::BoardConfig> boards;  // created at start
  double submits_per_second = 10;                // per player, token bucket ...
  double submit_burst = 20;                      // ... of this size
  // The clock boards reset by (Unix ms); empty: the wall clock. Tests step it.
  std::function<int64_t()> now_unix_ms;
  // redis://[[user]:password@]host[:port][/db] (redis.url): the boards live in this Redis; empty:
  // in process, persisted to the store.
  std::string redis_url;
};

// The `leaderboards:` section of the config file, as the service takes it
// (the config layer checked names and ranges; the engine checks the rest).
LeaderboardConfig leaderboard_config(const ops::LeaderboardsConfig& config);
leaderboard::BoardConfig board_config(const ops::LeaderboardBoardConfig& board);

// Wire limits (docs/protocol.md, Leaderboards): smaller than the engine's.
inline constexpr uint32_t kLeaderboardMaxLimit = 100;
inline constexpr std::size_t kLeaderboardMaxIds = 100;

class LeaderboardService final : public rooms::ScoreSink {
 public:
  // Loads the stored boards (waiting for the store: before the loops run),
  // then creates the configured boards that are not stored yet; a configured
  // board that is stored keeps its records and periods under the configured
  // settings. Throws std::runtime_error naming a board the engine refuses, or
  // when the store cannot be read.
  LeaderboardService(net::EventLoop& service_loop, server::Outbox& outbox,
                     SessionRegistry& sessions, store::LeaderboardStore& store,
                     const leaderboard::CursorKey& cursor_key, const LeaderboardConfig& config);
  // After the loops stopped (the Redis connection is closed from here).
  ~LeaderboardService();

  // Start-up: every leaderboard command, logged-in users only.
  void register_handlers(server::Router& router);
  // Session hook (service loop): forgets the player's rate limit and order.
  void on_session_end_in_loop(const Session& s);

  // Server side, any thread: creates and saves a board (the admin API).
  // `done` runs on the service loop, once the board is saved. In Redis mode
  // a board Redis could not be asked about (Redis away) is kInvalidConfig
  // here; create_board_from_json tells it apart (503).
  void create_board(leaderboard::BoardConfig config,
                    std::function<void(leaderboard::LeaderboardError)> done);
  // The admin API's POST /leaderboards, any thread: parses the JSON body
  // (the keys of a board in the config file) and creates the board. `done`
  // gets 201, 400 (the body or the board is refused, and why), 409 (a
  // board with this id exists) or, in Redis mode, 503 (Redis away).
  void create_board_from_json(std::string body,
                              std::function<void(unsigned status, std::string text)> done);
  // Server side, any thread: a submit not limited by rate (room code, e.g.
  // match results). `done` (optional) runs on the service loop: with the
  // engine's refusal, or kOk and whether the record was committed (false:
  // the store failed, the score is not known to be on disk).
  using ServerSubmitDone = std::function<void(leaderboard::LeaderboardError, bool committed)>;
  void submit_from_server(std::string board_id, uint64_t user_id, std::string username,
                          int64_t score, int64_t subscore, std::optional<std::string> metadata,
                          ServerSubmitDone done);
  // rooms::ScoreSink (room code, any thread): submit_from_server.
  void submit_score(rooms::ScoreSubmission submission, Done done) override;
  // Server side, any thread: deletes any player's record of the board's
  // current period (the admin API, room code). `done` (optional) runs on the
  // service loop: kOk, kUnknownBoard or kNotFound, and whether the deletion
  // was committed (kOk and false: the store failed, or in Redis mode Redis
  // could not be asked, then the error is kOk and nothing is known deleted).
  using ServerDeleteDone = std::function<void(leaderboard::LeaderboardError, bool committed)>;
  void delete_from_server(std::string board_id, uint64_t user_id, ServerDeleteDone done);
  // The admin API's DELETE /leaderboards/{board_id}/records/{user_id}, any
  // thread. `done` gets 200 (deleted), 404 (no such board, or no record for
  // the player in the current period), 503 (Redis away) or 500 (the store
  // failed: not known to be deleted), with a one-line text.
  void delete_record_for_admin(std::string board_id, uint64_t user_id,
                               std::function<void(unsigned status, std::string text)> done);
  // rooms::ScoreSink (room code, any thread): delete_from_server.
  void delete_score(std::string board_id, uint64_t user_id, Done done) override;

  // Redis mode: the connection's counters (connected, connections, failed
  // attempts, refused AUTHs), readable from any thread (/metrics); null in
  // process.
  const redis::RedisClientStats* redis_stats() const { return redis_stats_.get(); }

 private:
  using Result = msg::LeaderboardResult;
  struct Request {
    uint64_t connection_id = 0;
    uint64_t user_id = 0;
    uint32_t request_id = 0;
  };
  struct UserState {
    double tokens = 0;
    std::chrono::steady_clock::time_point refilled{};
    ReplySequencer replies;  // every LeaderboardReply in request order
  };
  // What a reply carries besides its result; defaults for a refusal.
  struct ReplyBody {
    explicit ReplyBody(std::string_view board,
                       const std::vector<leaderboard::Record>* list = nullptr)
        : board_id(board), records(list) {}
    std::string_view board_id;
    const std::vector<leaderboard::Record>* records = nullptr;
    std::string_view next_cursor, prev_cursor;
    uint64_t total = 0;
    leaderboard::Period period = leaderboard::Period::kCurrent;
    std::optional<leaderboard::PeriodInfo> info;
    bool taken = false;
  };

  // Service loop.
  // Loads what the store holds and creates the configured boards (constructor).
  void load(const std::vector<leaderboard::BoardConfig>& configured);
  // Applies due resets (before any call that takes the time) and saves the
  // boards that reset.
  void roll_over_in_loop(int64_t now);
  void save_board_in_loop(const std::string& board_id, store::LeaderboardStore::WriteCallback done);
  // Queues the player's current record; `done` runs on the service loop
  // with whether it committed (or, refused, what the store said).
  void save_record_in_loop(const std::string& board_id, uint64_t user_id,
                           std::function<void(store::StoreError)> done);
  void submit_in_loop(Request req, std::string board_id, int64_t score, int64_t subscore,
                      std::optional<std::string> metadata);
  void top_in_loop(Request req, std::string board_id, uint32_t limit, std::string cursor,
                   leaderboard::Period period);
  void around_in_loop(Request req, std::string board_id, uint32_t limit,
                      leaderboard::Period period);
  void records_in_loop(Request req, std::string board_id, std::vector<uint64_t> ids,
                       leaderboard::Period period);
  void mine_in_loop(Request req, std::string board_id, leaderboard::Period period);
  void delete_in_loop(Request req, std::string board_id);
  // Queues the deletion of the player's row of the board's current period;
  // `done` runs on the service loop with what the store said.
  void delete_stored_record_in_loop(const std::string& board_id, uint64_t user_id,
                                    std::function<void(store::StoreError)> done);
  bool take_token_in_loop(uint64_t user_id);
  std::optional<leaderboard::PeriodInfo> period_info_in_loop(const std::string& board_id,
                                                             leaderboard::Period period);
  void reply_page_in_loop(const Request& req, const std::string& board_id,
                          const leaderboard::Result<leaderboard::RecordPage>& page,
                          leaderboard::Period period);
  void refuse(const Request& req, leaderboard::LeaderboardError error, std::string_view board_id);
  void reply(const Request& req, Result result, std::string_view message, const ReplyBody& body);
  static net::SharedBytes encode(const Request& req, Result result, std::string_view message,
                                 const ReplyBody& body);
  int64_t now_ms() const;
  // The time, after applying the resets due by then.
  int64_t tick_in_loop();

  // ---- Redis mode (leaderboard_service_redis.cc), service loop ----
  bool in_redis() const { return !config_.redis_url.empty(); }
  // Connects (from the service loop: the client lives there).
  void start_redis_in_loop(const leaderboard::CursorKey& cursor_key);
  // Creates the configured boards that Redis does not hold (each connection).
  void create_configured_in_redis();
  // Queues the submit; what one loop turn queued goes to Redis as one
  // script call per board (flush_redis_submits, posted once per turn).
  void submit_in_redis(Request req, std::string board_id, OwnedSubmission submission);
  void flush_redis_submits();
  void page_in_redis(Request req, std::string board_id, leaderboard::Period period,
                     std::function<void(LeaderboardBackend::Done<leaderboard::RecordPage>)> call);
  void records_in_redis(Request req, std::string board_id, std::vector<uint64_t> ids,
                        leaderboard::Period period, bool mine);
  // `unavailable` set: Redis could not be asked (error meaningless).
  using CreateDone =
      std::function<void(leaderboard::LeaderboardError, std::string_view unavailable)>;
  void create_board_in_redis(leaderboard::BoardConfig config, CreateDone done);
  void server_submit_in_redis(std::string board_id, OwnedSubmission submission,
                              ServerSubmitDone done);
  void delete_in_redis(Request req, std::string board_id);
  void server_delete_in_redis(std::string board_id, uint64_t user_id, ServerDeleteDone done);
  // Sends a reply whose place in the player's order was reserved (ticket).
  void fill_in_loop(const Request& req, ReplySequencer::Ticket ticket, net::SharedBytes frame);
  // The refusal refuse() sends, as a frame.
  static net::SharedBytes refusal(const Request& req, leaderboard::LeaderboardError error,
                                  std::string_view board_id);
  // A command Redis could not take: ServerBusy, with why.
  static net::SharedBytes unavailable(const Request& req, std::string_view board_id,
                                      std::string_view why);

  net::EventLoop& loop_;
  server::Outbox& outbox_;
  SessionRegistry& sessions_;
  store::LeaderboardStore& store_;
  const LeaderboardConfig config_;
  leaderboard::Leaderboards engine_;  // service loop only
  // The earliest next reset of any board: until then no call looks for one.
  // INT64_MIN until the first look.
  int64_t next_reset_unix_ms_ = INT64_MIN;
  std::unordered_map<uint64_t, UserState> users_;
  // Redis mode only: made with the service (before any thread reads it), so
  // the admin thread may read it while the client comes and goes.
  std::shared_ptr<redis::RedisClientStats> redis_stats_;
  std::unique_ptr<redis::RedisClient> redis_client_;  // Redis mode only
  std::unique_ptr<LeaderboardBackend> redis_;         // over redis_client_
  struct QueuedSubmit {
    Request req;
    ReplySequencer::Ticket ticket;
  };
  struct SubmitBatch {
    std::vector<QueuedSubmit> replies;
    std::vector<OwnedSubmission> submissions;
  };
  std::unordered_map<std::string, SubmitBatch> redis_submits_;  // this turn's, by board
  bool redis_flush_posted_ = false;
};

// The cursor key, derived from the token secret in `secret_file` (created if
// absent): secret, and the same across restarts, so cursors handed out
// before a restart still work, without a second key file.
leaderboard::CursorKey leaderboard_cursor_key(const std::string& secret_file);

}  // namespace citadel::services
