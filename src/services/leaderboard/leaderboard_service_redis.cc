// LeaderboardService in Redis mode (redis.url set): every command goes to
// RedisLeaderboardBackend and is answered once Redis answered, in request
// order per player (a reserved ReplySequencer ticket). A reply that carries
// the period's bounds asks Redis for them in the same pipeline. Submits are
// gathered for the rest of the loop turn and sent as one script call per
// board (SubmitBatch), which returns each submission's record as it left it.
#include <spdlog/spdlog.h>

#include <optional>

#include "redis/redis_client.h"
#include "services/leaderboard/backend/redis_leaderboard_backend.h"
#include "services/leaderboard/leaderboard_service.h"

namespace citadel::services {
namespace {

using leaderboard::BoardInfo;
using leaderboard::LeaderboardError;
using leaderboard::Period;

// Runs `call` and board_info for the same board and time (pipelined: one
// round trip), then finish(main, info).
template <class T, class Call, class Finish>
void with_info(LeaderboardBackend& backend, const std::string& board_id, int64_t now, Call call,
               Finish finish) {
  struct State {
    std::optional<BackendResult<T>> main;
    std::optional<BackendResult<BoardInfo>> info;
    Finish finish;
  };
  auto state = std::make_shared<State>(State{std::nullopt, std::nullopt, std::move(finish)});
  auto maybe_finish = [state] {
    if (state->main && state->info) state->finish(std::move(*state->main), std::move(*state->info));
  };
  call([state, maybe_finish](BackendResult<T> r) {
    state->main = std::move(r);
    maybe_finish();
  });
  backend.board_info(board_id, now, [state, maybe_finish](BackendResult<BoardInfo> r) {
    state->info = std::move(r);
    maybe_finish();
  });
}

std::optional<leaderboard::PeriodInfo> period_in(const BackendResult<BoardInfo>& info,
                                                 Period period) {
  if (!info.ok()) return std::nullopt;
  return period == Period::kCurrent ? std::optional(info.result.value.current)
                                    : info.result.value.previous;
}

}  // namespace

void LeaderboardService::start_redis_in_loop(const leaderboard::CursorKey& cursor_key) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  const auto url = redis::parse_redis_url(config_.redis_url);
  if (!url) {  // the config layer checked it: not reached
    // Not the URL itself: it may hold a password.
    spdlog::error("leaderboards: redis.url is not redis://[[user]:password@]host[:port][/db]");
    return;
  }
  redis::RedisClient::Options options;
  options.stats = redis_stats_;
  redis_client_ = std::make_unique<redis::RedisClient>(loop_, *url, options);
  auto backend = std::make_unique<RedisLeaderboardBackend>(*redis_client_, cursor_key);
  backend->set_connected_hook([this] { create_configured_in_redis(); });
  redis_ = std::move(backend);
  spdlog::info("leaderboards: in Redis at {}:{} (database {}{})", url->host, url->port, url->db,
               url->password.empty() ? ""
               : url->user.empty()   ? ", with a password"
                                     : ", as ACL user " + url->user);
}

void LeaderboardService::create_configured_in_redis() {
  const int64_t now = now_ms();
  for (const leaderboard::BoardConfig& config : config_.boards) {
    redis_->create_board(config, now, [id = config.id](BackendResult<bool> r) {
      if (!r.available()) {
        spdlog::warn("leaderboards: board '{}' not created in Redis yet: {}", id, r.unavailable);
      } else if (r.result.error != LeaderboardError::kOk &&
                 r.result.error != LeaderboardError::kBoardExists) {
        spdlog::error("leaderboards: board '{}' refused: {}", id,
                      leaderboard::to_string(r.result.error));
      }
    });
  }
}

void LeaderboardService::fill_in_loop(const Request& req, ReplySequencer::Ticket ticket,
                                      net::SharedBytes frame) {
  auto send = [this](uint64_t connection_id, net::SharedBytes f) {
    outbox_.send(connection_id, std::move(f));
  };
  auto it = users_.find(req.user_id);
  if (it == users_.end()) return send(req.connection_id, std::move(frame));
  it->second.replies.fill(ticket, req.connection_id, std::move(frame), send);
}

void LeaderboardService::submit_in_redis(Request req, std::string board_id,
                                         OwnedSubmission submission) {
  if (!redis_) {
    return reply(req, Result::ServerBusy, "leaderboards unavailable, retry later (starting)",
                 ReplyBody{board_id});
  }
  SubmitBatch& batch = redis_submits_[std::move(board_id)];
  batch.replies.push_back({req, users_[req.user_id].replies.reserve()});
  batch.submissions.push_back(std::move(submission));
  if (redis_flush_posted_) return;
  redis_flush_posted_ = true;
  // After the rest of this turn's posted work: every submit it brings joins.
  loop_.post([this] { flush_redis_submits(); });
}

void LeaderboardService::flush_redis_submits() {
  CITADEL_ASSERT_IN_LOOP(loop_);
  redis_flush_posted_ = false;
  auto batches = std::move(redis_submits_);
  redis_submits_.clear();
  const int64_t now = now_ms();
  for (auto& entry : batches) {
    // Named references, not a structured binding: clang 14 (the fuzz build)
    // cannot capture a binding in a lambda.
    const auto& board_id = entry.first;
    auto& batch = entry.second;
    // One script call for the batch (records included) and one for the
    // period, pipelined: one round trip.
    with_info<std::vector<SubmitOutcome>>(
        *redis_, board_id, now,
        [&, id = board_id](auto done) {
          redis_->submit_batch_records(id, std::move(batch.submissions), now, std::move(done));
        },
        [this, board_id = board_id, replies = std::move(batch.replies)](
            BackendResult<std::vector<SubmitOutcome>> outcomes, BackendResult<BoardInfo> info) {
          const std::optional<leaderboard::PeriodInfo> period = period_in(info, Period::kCurrent);
          for (std::size_t i = 0; i < replies.size(); ++i) {
            const QueuedSubmit& q = replies[i];
            if (!outcomes.available() || i >= outcomes.result.value.size()) {
              const std::string why = outcomes.available() ? "no result" : outcomes.unavailable;
              fill_in_loop(q.req, q.ticket, unavailable(q.req, board_id, why));
              continue;
            }
            const SubmitOutcome& o = outcomes.result.value[i];
            if (!o.result.ok()) {
              fill_in_loop(q.req, q.ticket, refusal(q.req, o.result.error, board_id));
              continue;
            }
            const std::vector<leaderboard::Record> records{o.record};
            ReplyBody body{board_id, &records};
            body.info = period;
            body.total = period ? period->records : 0;
            body.taken = o.result.value.taken;
            fill_in_loop(
                q.req, q.ticket,
                encode(q.req, Result::Ok,
                       o.result.value.taken ? "recorded" : "not better: record unchanged", body));
          }
        });
  }
}

void LeaderboardService::page_in_redis(
    Request req, std::string board_id, Period period,
    std::function<void(LeaderboardBackend::Done<leaderboard::RecordPage>)> call) {
  if (!redis_) {
    return reply(req, Result::ServerBusy, "leaderboards unavailable, retry later (starting)",
                 ReplyBody{board_id});
  }
  const ReplySequencer::Ticket ticket = users_[req.user_id].replies.reserve();
  with_info<leaderboard::RecordPage>(
      *redis_, board_id, now_ms(), std::move(call),
      [this, req, ticket, board_id, period](BackendResult<leaderboard::RecordPage> page,
                                            BackendResult<BoardInfo> info) {
        if (!page.available()) {
          return fill_in_loop(req, ticket, unavailable(req, board_id, page.unavailable));
        }
        if (!page.result.ok()) {
          return fill_in_loop(req, ticket, refusal(req, page.result.error, board_id));
        }
        ReplyBody body{board_id, &page.result.value.records};
        body.next_cursor = page.result.value.next_cursor;
        body.prev_cursor = page.result.value.prev_cursor;
        body.total = page.result.value.total;
        body.period = period;
        body.info = period_in(info, period);
        fill_in_loop(req, ticket, encode(req, Result::Ok, "ok", body));
      });
}

void LeaderboardService::records_in_redis(Request req, std::string board_id,
                                          std::vector<uint64_t> ids, Period period, bool mine) {
  if (!redis_) {
    return reply(req, Result::ServerBusy, "leaderboards unavailable, retry later (starting)",
                 ReplyBody{board_id});
  }
  const ReplySequencer::Ticket ticket = users_[req.user_id].replies.reserve();
  const int64_t now = now_ms();
  with_info<std::vector<leaderboard::Record>>(
      *redis_, board_id, now,
      [&](auto done) { redis_->records_of(board_id, std::move(ids), period, now, done); },
      [this, req, ticket, board_id, period, mine](BackendResult<std::vector<leaderboard::Record>> r,
                                                  BackendResult<BoardInfo> info) {
        if (!r.available()) {
          return fill_in_loop(req, ticket, unavailable(req, board_id, r.unavailable));
        }
        if (!r.result.ok())
          return fill_in_loop(req, ticket, refusal(req, r.result.error, board_id));
        if (mine && r.result.value.empty()) {
          return fill_in_loop(req, ticket, refusal(req, LeaderboardError::kNotFound, board_id));
        }
        ReplyBody body{board_id, &r.result.value};
        body.period = period;
        body.info = period_in(info, period);
        body.total = body.info ? body.info->records : 0;
        fill_in_loop(req, ticket, encode(req, Result::Ok, "ok", body));
      });
}

void LeaderboardService::delete_in_redis(Request req, std::string board_id) {
  if (!redis_) {
    return reply(req, Result::ServerBusy, "leaderboards unavailable, retry later (starting)",
                 ReplyBody{board_id});
  }
  // Submits wait for the end of the loop turn; one of this player's that
  // came before the delete must reach Redis before it.
  if (!redis_submits_.empty()) flush_redis_submits();
  const ReplySequencer::Ticket ticket = users_[req.user_id].replies.reserve();
  const int64_t now = now_ms();
  with_info<bool>(
      *redis_, board_id, now,
      [&](auto done) { redis_->delete_record(board_id, req.user_id, now, std::move(done)); },
      [this, req, ticket, board_id](BackendResult<bool> r, BackendResult<BoardInfo> info) {
        if (!r.available()) {
          return fill_in_loop(req, ticket, unavailable(req, board_id, r.unavailable));
        }
        if (!r.result.ok()) {
          return fill_in_loop(req, ticket, refusal(req, r.result.error, board_id));
        }
        ReplyBody body{board_id};
        body.info = period_in(info, Period::kCurrent);
        body.total = body.info ? body.info->records : 0;
        fill_in_loop(req, ticket, encode(req, Result::Ok, "deleted", body));
      });
}

void LeaderboardService::server_delete_in_redis(std::string board_id, uint64_t user_id,
                                                ServerDeleteDone done) {
  if (!redis_) {
    if (done) done(LeaderboardError::kOk, false);
    return;
  }
  if (!redis_submits_.empty()) flush_redis_submits();
  redis_->delete_record(board_id, user_id, now_ms(),
                        [done = std::move(done)](BackendResult<bool> r) {
                          if (!done) return;
                          // Not available: not known to be deleted (committed = false).
                          if (!r.available()) return done(LeaderboardError::kOk, false);
                          done(r.result.error, r.result.ok());
                        });
}

void LeaderboardService::create_board_in_redis(leaderboard::BoardConfig config, CreateDone done) {
  if (!redis_) {
    if (done) done(LeaderboardError::kOk, "starting");
    return;
  }
  redis_->create_board(config, now_ms(),
                       [id = config.id, done = std::move(done)](BackendResult<bool> r) {
                         if (!r.available()) {
                           spdlog::warn("leaderboards: cannot create '{}': {}", id, r.unavailable);
                         }
                         if (done) done(r.result.error, r.unavailable);
                       });
}

void LeaderboardService::server_submit_in_redis(std::string board_id, OwnedSubmission submission,
                                                ServerSubmitDone done) {
  if (!redis_) {
    if (done) done(LeaderboardError::kOk, false);
    return;
  }
  using Submits = std::vector<leaderboard::Result<leaderboard::SubmitResult>>;
  redis_->submit_batch(board_id, {std::move(submission)}, now_ms(),
                       [done = std::move(done)](BackendResult<Submits> r) {
                         if (!done) return;
                         // Not available: not known to be recorded (committed = false).
                         if (!r.available()) return done(LeaderboardError::kOk, false);
                         const auto& one = r.result.value.at(0);
                         done(one.error, one.ok());
                       });
}

}  // namespace citadel::services
