#include "services/leaderboard/leaderboard_service.h"

#include <flatbuffers/flatbuffers.h>
#include <sodium.h>

#include <algorithm>
#include <future>
#include <map>
#include <stdexcept>

#include "protocol/commands.h"
#include "protocol/flatbuffers_text.h"
#include "protocol/utf8.h"
#include "redis/redis_client.h"
#include "server/verified_handler.h"
#include "services/auth/token_signer.h"

namespace citadel::services {

namespace {

using leaderboard::LeaderboardError;
using leaderboard::Period;

Period period_of(msg::LeaderboardPeriod p) {
  return p == msg::LeaderboardPeriod::Previous ? Period::kPrevious : Period::kCurrent;
}

store::LeaderboardBoardRow row_of(const leaderboard::BoardInfo& info) {
  const leaderboard::BoardConfig& c = info.config;
  store::LeaderboardBoardRow row{c.id,
                                 static_cast<int64_t>(c.order),
                                 static_cast<int64_t>(c.op),
                                 c.reset_schedule,
                                 c.max_metadata_bytes,
                                 c.max_records,
                                 info.current.start_unix_ms};
  if (info.previous) {
    row.has_previous = true;
    row.previous_start_unix_ms = info.previous->start_unix_ms;
    row.previous_end_unix_ms = info.previous->end_unix_ms;
  }
  return row;
}

leaderboard::RecordSnapshot snapshot_of(const store::LeaderboardRecordRow& r) {
  return {static_cast<uint64_t>(r.user_id),
          r.username,
          r.score,
          r.subscore,
          static_cast<uint32_t>(r.num_submissions),
          r.metadata,
          r.create_time_unix_ms,
          r.update_time_unix_ms,
          static_cast<uint64_t>(r.sequence)};
}

msg::LeaderboardResult result_of(LeaderboardError error) {
  using R = msg::LeaderboardResult;
  switch (error) {
    case LeaderboardError::kOk:
      return R::Ok;
    case LeaderboardError::kUnknownBoard:
      return R::NoSuchBoard;
    case LeaderboardError::kBadCursor:
      return R::BadCursor;
    case LeaderboardError::kStaleCursor:
      return R::StaleCursor;
    case LeaderboardError::kInvalidLimit:
      return R::InvalidLimit;
    case LeaderboardError::kTooManyIds:
      return R::TooManyIds;
    case LeaderboardError::kNotFound:
      return R::NotRanked;
    case LeaderboardError::kNoPreviousPeriod:
      return R::NoPreviousPeriod;
    case LeaderboardError::kMetadataTooLarge:
      return R::MetadataTooLarge;
    case LeaderboardError::kScoreOutOfRange:
      return R::ScoreOutOfRange;
    case LeaderboardError::kBoardFull:
      return R::BoardFull;
    default:
      return R::InternalError;
  }
}

}  // namespace

leaderboard::BoardConfig board_config(const ops::LeaderboardBoardConfig& b) {
  leaderboard::BoardConfig board;
  board.id = b.id;
  board.order =
      b.sort == "asc" ? leaderboard::SortOrder::kAscending : leaderboard::SortOrder::kDescending;
  board.op = b.op == "set"    ? leaderboard::ScoreOperator::kSet
             : b.op == "incr" ? leaderboard::ScoreOperator::kIncrement
             : b.op == "decr" ? leaderboard::ScoreOperator::kDecrement
                              : leaderboard::ScoreOperator::kBest;
  board.reset_schedule = b.reset;
  board.max_metadata_bytes = b.max_metadata_bytes;
  board.max_records = b.max_records;
  return board;
}

LeaderboardConfig leaderboard_config(const ops::LeaderboardsConfig& config) {
  LeaderboardConfig out;
  out.submits_per_second = config.submits_per_second;
  out.submit_burst = config.submit_burst;
  for (const ops::LeaderboardBoardConfig& b : config.boards) out.boards.push_back(board_config(b));
  return out;
}

leaderboard::CursorKey leaderboard_cursor_key(const std::string& secret_file) {
  const TokenSigner::Secret secret = load_or_create_secret(secret_file);
  static constexpr std::string_view kContext = "citadel-leaderboard-cursor-key";
  leaderboard::CursorKey key{};
  crypto_generichash(key.data(), key.size(), reinterpret_cast<const uint8_t*>(kContext.data()),
                     kContext.size(), secret.data(), secret.size());
  return key;
}

LeaderboardService::LeaderboardService(net::EventLoop& service_loop, server::Outbox& outbox,
                                       SessionRegistry& sessions, store::LeaderboardStore& store,
                                       const leaderboard::CursorKey& cursor_key,
                                       const LeaderboardConfig& config)
    : loop_(service_loop),
      outbox_(outbox),
      sessions_(sessions),
      store_(store),
      config_(config),
      engine_(cursor_key) {
  if (!in_redis()) {
    load(config_.boards);
    return;
  }
  // Redis mode: the client lives on the service loop, so it starts there.
  redis_stats_ = std::make_shared<redis::RedisClientStats>();
  loop_.post([this, cursor_key] { start_redis_in_loop(cursor_key); });
}

LeaderboardService::~LeaderboardService() {
  redis_.reset();  // before the client it uses
  redis_client_.reset();
}

void LeaderboardService::load(const std::vector<leaderboard::BoardConfig>& configured) {
  // Start-up, before the loops run: waiting here blocks no loop.
  std::promise<store::LeaderboardLoadResult> loaded;
  store_.load_leaderboards([&](store::LeaderboardLoadResult r) { loaded.set_value(std::move(r)); });
  store::LeaderboardLoadResult data = loaded.get_future().get();
  if (!data.ok()) {
    throw std::runtime_error("leaderboards: cannot load from the store: " +
                             std::string(store::to_string(data.error)));
  }
  std::map<std::string, leaderboard::BoardSnapshot, std::less<>> boards;
  for (const store::LeaderboardBoardRow& row : data.value.boards) {
    leaderboard::BoardSnapshot& b = boards[row.id];
    b.config = {row.id,
                static_cast<leaderboard::SortOrder>(row.sort_order),
                static_cast<leaderboard::ScoreOperator>(row.score_operator),
                row.reset_schedule,
                static_cast<uint32_t>(row.max_metadata_bytes),
                static_cast<uint32_t>(row.max_records)};
    b.current.start_unix_ms = row.current_start_unix_ms;
    if (row.has_previous) {
      b.previous =
          leaderboard::PeriodSnapshot{row.previous_start_unix_ms, row.previous_end_unix_ms, {}};
    }
  }
  for (const store::LeaderboardRecordRow& row : data.value.records) {
    auto it = boards.find(row.board_id);
    if (it == boards.end()) continue;
    leaderboard::BoardSnapshot& b = it->second;
    // The counter runs on from the highest sequence kept.
    b.next_sequence = std::max(b.next_sequence, static_cast<uint64_t>(row.sequence) + 1);
    if (row.period_start_unix_ms == b.current.start_unix_ms) {
      b.current.records.push_back(snapshot_of(row));
    } else if (b.previous && row.period_start_unix_ms == b.previous->start_unix_ms) {
      b.previous->records.push_back(snapshot_of(row));
    }  // else a period no longer kept, deleted with the next save of the board
  }
  // The configuration decides a configured board's settings; the store its
  // records and periods.
  for (const leaderboard::BoardConfig& config : configured) {
    auto it = boards.find(config.id);
    if (it != boards.end()) it->second.config = config;
  }
  for (const auto& [id, snapshot] : boards) {
    const LeaderboardError error = engine_.restore(snapshot);
    if (error != LeaderboardError::kOk) {
      throw std::runtime_error("leaderboards: stored board '" + id + "' cannot be restored: " +
                               std::string(leaderboard::to_string(error)));
    }
  }
  const int64_t now = now_ms();
  for (const leaderboard::BoardConfig& config : configured) {
    if (boards.contains(config.id)) {
      save_board_in_loop(config.id, nullptr);  // the settings may have changed
      continue;
    }
    const LeaderboardError error = engine_.create_board(config, now);
    if (error != LeaderboardError::kOk) {
      throw std::runtime_error("leaderboards: board '" + config.id +
                               "': " + std::string(leaderboard::to_string(error)));
    }
    // Saved now, so the period its records belong to is known after a restart.
    save_board_in_loop(config.id, nullptr);
  }
  roll_over_in_loop(now);
}

void LeaderboardService::roll_over_in_loop(int64_t now) {
  if (now < next_reset_unix_ms_) return;
  for (const std::string& id : engine_.roll_over_due(now)) save_board_in_loop(id, nullptr);
  next_reset_unix_ms_ = leaderboard::kNoEnd;
  for (const std::string& id : engine_.board_ids()) {
    const auto info = engine_.board_info(id, now);
    if (info.ok())
      next_reset_unix_ms_ = std::min(next_reset_unix_ms_, info.value.current.end_unix_ms);
  }
}

void LeaderboardService::save_board_in_loop(const std::string& board_id,
                                            store::LeaderboardStore::WriteCallback done) {
  // board_info with the earliest time applies no reset (none is undone).
  const auto info = engine_.board_info(board_id, INT64_MIN);
  if (!info.ok()) return;
  store_.save_leaderboard(row_of(info.value), std::move(done));
}

void LeaderboardService::save_record_in_loop(const std::string& board_id, uint64_t user_id,
                                             std::function<void(store::StoreError)> done) {
  const auto record = engine_.record_snapshot(board_id, user_id);
  const auto info = engine_.board_info(board_id, INT64_MIN);
  if (!record.ok() || !info.ok()) return done(store::StoreError::kInvalidArgument);
  const leaderboard::RecordSnapshot& r = record.value;
  store_.save_leaderboard_record(
      {board_id, info.value.current.start_unix_ms, static_cast<int64_t>(r.user_id), r.username,
       r.score, r.subscore, r.num_submissions, r.metadata, r.create_time_unix_ms,
       r.update_time_unix_ms, static_cast<int64_t>(r.sequence)},
      [this, done = std::move(done)](store::LeaderboardWriteResult result) {
        // The store's thread: back to the service loop.
        loop_.post([done, error = result.error] { done(error); });
      });
}

void LeaderboardService::delete_stored_record_in_loop(const std::string& board_id, uint64_t user_id,
                                                      std::function<void(store::StoreError)> done) {
  // The engine applied any due reset before deleting: its current period is
  // the one the record was in.
  const auto info = engine_.board_info(board_id, INT64_MIN);
  if (!info.ok()) return done(store::StoreError::kInvalidArgument);
  // The board's sequence counter is restored from the highest sequence
  // stored, so a restart may hand the deleted record's sequence out again:
  // harmless, since no record holds it any more.
  store_.delete_leaderboard_record(
      board_id, info.value.current.start_unix_ms, static_cast<int64_t>(user_id),
      [this, done = std::move(done)](store::LeaderboardWriteResult result) {
        // The store's thread: back to the service loop.
        loop_.post([done, error = result.error] { done(error); });
      });
}

int64_t LeaderboardService::tick_in_loop() {
  const int64_t now = now_ms();
  roll_over_in_loop(now);
  return now;
}

int64_t LeaderboardService::now_ms() const {
  return config_.now_unix_ms ? config_.now_unix_ms() : unix_ms_now();
}

void LeaderboardService::register_handlers(server::Router& router) {
  using server::Access;
  using server::verified;
  auto request = [](net::Responder& peer, uint32_t request_id) {
    return Request{peer.connection_id(), peer.user_id(), request_id};
  };
  // Every check runs on the service loop, so refusals keep request order
  // with the rest (docs/protocol.md, "Reply order").
  router.add(protocol::cmd::kLeaderboardSubmit,
             verified<msg::LeaderboardSubmit>([this, request](auto& p, const auto& m) {
               std::optional<std::string> metadata;
               if (m.metadata() != nullptr) metadata = std::string(protocol::text_of(m.metadata()));
               loop_.post([this, req = request(p, m.request_id()),
                           board = std::string(protocol::text_of(m.board_id())), score = m.score(),
                           subscore = m.subscore(), metadata = std::move(metadata)]() mutable {
                 submit_in_loop(req, std::move(board), score, subscore, std::move(metadata));
               });
             }),
             Access::kLoggedIn);
  router.add(protocol::cmd::kLeaderboardTop,
             verified<msg::LeaderboardTop>([this, request](auto& p, const auto& m) {
               loop_.post([this, req = request(p, m.request_id()),
                           board = std::string(protocol::text_of(m.board_id())), limit = m.limit(),
                           cursor = std::string(protocol::text_of(m.cursor())),
                           period = period_of(m.period())] {
                 top_in_loop(req, board, limit, cursor, period);
               });
             }),
             Access::kLoggedIn);
  router.add(
      protocol::cmd::kLeaderboardAround,
      verified<msg::LeaderboardAround>([this, request](auto& p, const auto& m) {
        loop_.post([this, req = request(p, m.request_id()),
                    board = std::string(protocol::text_of(m.board_id())), limit = m.limit(),
                    period = period_of(m.period())] { around_in_loop(req, board, limit, period); });
      }),
      Access::kLoggedIn);
  router.add(protocol::cmd::kLeaderboardRecords,
             verified<msg::LeaderboardRecords>([this, request](auto& p, const auto& m) {
               // Copied only up to one past the cap: enough to refuse a longer list.
               std::vector<uint64_t> ids;
               if (const auto* list = m.user_ids()) {
                 ids = protocol::copy_scalars(*list, kLeaderboardMaxIds + 1);
               }
               loop_.post([this, req = request(p, m.request_id()),
                           board = std::string(protocol::text_of(m.board_id())),
                           ids = std::move(ids), period = period_of(m.period())]() mutable {
                 records_in_loop(req, board, std::move(ids), period);
               });
             }),
             Access::kLoggedIn);
  router.add(protocol::cmd::kLeaderboardMine,
             verified<msg::LeaderboardMine>([this, request](auto& p, const auto& m) {
               loop_.post([this, req = request(p, m.request_id()),
                           board = std::string(protocol::text_of(m.board_id())),
                           period = period_of(m.period())] { mine_in_loop(req, board, period); });
             }),
             Access::kLoggedIn);
  router.add(protocol::cmd::kLeaderboardDelete,
             verified<msg::LeaderboardDelete>([this, request](auto& p, const auto& m) {
               loop_.post([this, req = request(p, m.request_id()),
                           board = std::string(protocol::text_of(m.board_id()))]() mutable {
                 delete_in_loop(req, std::move(board));
               });
             }),
             Access::kLoggedIn);
}

void LeaderboardService::create_board(leaderboard::BoardConfig config,
                                      std::function<void(LeaderboardError)> done) {
  loop_.post([this, config = std::move(config), done = std::move(done)]() mutable {
    if (in_redis()) {
      return create_board_in_redis(
          std::move(config), [done](LeaderboardError error, std::string_view unavailable) {
            if (!done) return;
            done(unavailable.empty() ? error : LeaderboardError::kInvalidConfig);
          });
    }
    const int64_t now = tick_in_loop();
    const LeaderboardError error = engine_.create_board(config, now);
    if (error != LeaderboardError::kOk) {
      if (done) done(error);
      return;
    }
    next_reset_unix_ms_ =
        std::min(next_reset_unix_ms_, engine_.board_info(config.id, now).value.current.end_unix_ms);
    save_board_in_loop(config.id, [this, done](store::LeaderboardWriteResult) {
      if (done) loop_.post([done] { done(LeaderboardError::kOk); });
    });
  });
}

void LeaderboardService::create_board_from_json(
    std::string body, std::function<void(unsigned status, std::string text)> done) {
  ops::LeaderboardBoardConfig parsed;
  try {
    parsed = ops::parse_leaderboard_board(body);
  } catch (const ops::ConfigError& e) {
    return done(400, e.what());
  }
  leaderboard::BoardConfig config = board_config(parsed);
  std::string id = config.id;
  auto answer = [done = std::move(done), id](LeaderboardError error, std::string_view unavailable) {
    if (!unavailable.empty()) {
      return done(503, "board '" + id + "': leaderboards unavailable, retry later (" +
                           std::string(unavailable) + ")");
    }
    if (error == LeaderboardError::kOk) return done(201, "created board '" + id + "'");
    done(error == LeaderboardError::kBoardExists ? 409 : 400,
         "board '" + id + "': " + std::string(leaderboard::to_string(error)));
  };
  if (in_redis()) {
    loop_.post([this, config = std::move(config), answer = std::move(answer)]() mutable {
      create_board_in_redis(std::move(config), std::move(answer));
    });
    return;
  }
  create_board(std::move(config),
               [answer = std::move(answer)](LeaderboardError error) { answer(error, {}); });
}

void LeaderboardService::submit_from_server(std::string board_id, uint64_t user_id,
                                            std::string username, int64_t score, int64_t subscore,
                                            std::optional<std::string> metadata,
                                            ServerSubmitDone done) {
  loop_.post([this, board_id = std::move(board_id), user_id, username = std::move(username), score,
              subscore, metadata = std::move(metadata), done = std::move(done)]() mutable {
    if (in_redis()) {
      return server_submit_in_redis(
          std::move(board_id), {user_id, std::move(username), score, subscore, std::move(metadata)},
          std::move(done));
    }
    leaderboard::Submission s{user_id, username, score, subscore, std::nullopt};
    if (metadata) s.metadata = *metadata;
    const int64_t now = tick_in_loop();
    const auto result = engine_.submit(board_id, s, now);
    if (!result.ok()) {
      if (done) done(result.error, false);
      return;
    }
    save_record_in_loop(board_id, user_id, [done](store::StoreError error) {
      if (done) done(LeaderboardError::kOk, error == store::StoreError::kOk);
    });
  });
}

void LeaderboardService::submit_score(rooms::ScoreSubmission s, Done done) {
  submit_from_server(std::move(s.board_id), s.user_id, std::move(s.username), s.score, s.subscore,
                     std::move(s.metadata),
                     [done = std::move(done)](LeaderboardError error, bool committed) {
                       if (!done) return;
                       if (error != LeaderboardError::kOk)
                         return done(leaderboard::to_string(error));
                       done(committed ? "" : "storage failed: not known to be recorded");
                     });
}

void LeaderboardService::delete_from_server(std::string board_id, uint64_t user_id,
                                            ServerDeleteDone done) {
  loop_.post([this, board_id = std::move(board_id), user_id, done = std::move(done)]() mutable {
    if (in_redis()) return server_delete_in_redis(std::move(board_id), user_id, std::move(done));
    const LeaderboardError error =
        engine_.delete_record(board_id, user_id, Period::kCurrent, tick_in_loop());
    if (error != LeaderboardError::kOk) {
      if (done) done(error, false);
      return;
    }
    delete_stored_record_in_loop(board_id, user_id, [done](store::StoreError stored) {
      if (done) done(LeaderboardError::kOk, stored == store::StoreError::kOk);
    });
  });
}

void LeaderboardService::delete_record_for_admin(
    std::string board_id, uint64_t user_id,
    std::function<void(unsigned status, std::string text)> done) {
  const std::string what = "board '" + board_id + "', user " + std::to_string(user_id);
  const bool redis = in_redis();
  delete_from_server(std::move(board_id), user_id,
                     [what, redis, done = std::move(done)](LeaderboardError error, bool committed) {
                       if (error == LeaderboardError::kUnknownBoard) {
                         return done(404, what + ": no such board");
                       }
                       if (error == LeaderboardError::kNotFound) {
                         return done(404, what + ": no record in the current period");
                       }
                       if (error != LeaderboardError::kOk) {
                         return done(400, what + ": " + std::string(leaderboard::to_string(error)));
                       }
                       if (committed) return done(200, what + ": record deleted");
                       if (redis) {
                         return done(503, what + ": leaderboards unavailable, retry later");
                       }
                       done(500, what + ": storage failed: not known to be deleted");
                     });
}

void LeaderboardService::delete_score(std::string board_id, uint64_t user_id, Done done) {
  delete_from_server(std::move(board_id), user_id,
                     [done = std::move(done)](LeaderboardError error, bool committed) {
                       if (!done) return;
                       if (error == LeaderboardError::kNotFound) return done("no record");
                       if (error != LeaderboardError::kOk)
                         return done(leaderboard::to_string(error));
                       done(committed ? "" : "storage failed: not known to be deleted");
                     });
}

// ---- service loop ----

void LeaderboardService::on_session_end_in_loop(const Session& s) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  auto it = users_.find(s.user_id);
  if (it == users_.end()) return;
  it->second.replies.flush(
      [this](uint64_t connection_id, net::SharedBytes f) { outbox_.send(connection_id, f); });
  users_.erase(it);
}

bool LeaderboardService::take_token_in_loop(uint64_t user_id) {
  const auto now = net::EventLoop::Clock::now();
  auto [it, created] = users_.try_emplace(user_id);
  UserState& user = it->second;
  if (created) {
    user.tokens = config_.submit_burst;
    user.refilled = now;
  }
  const double elapsed = std::chrono::duration<double>(now - user.refilled).count();
  user.tokens = std::min(config_.submit_burst, user.tokens + elapsed * config_.submits_per_second);
  user.refilled = now;
  if (user.tokens < 1.0) return false;
  user.tokens -= 1.0;
  return true;
}

void LeaderboardService::submit_in_loop(Request req, std::string board_id, int64_t score,
                                        int64_t subscore, std::optional<std::string> metadata) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  if (!take_token_in_loop(req.user_id)) {
    return reply(req, Result::RateLimited, "slow down", ReplyBody{board_id});
  }
  // Metadata is stored as text: PostgreSQL refuses NUL and malformed UTF-8.
  if (metadata &&
      (!protocol::is_valid_utf8(*metadata) || metadata->find('\0') != std::string::npos)) {
    return reply(req, Result::InvalidMetadata, "metadata must be UTF-8 without NUL bytes",
                 ReplyBody{board_id});
  }
  const Session* session = sessions_.find_in_loop(req.user_id);
  if (in_redis()) {
    return submit_in_redis(req, std::move(board_id),
                           {req.user_id, session ? session->username : std::string(), score,
                            subscore, std::move(metadata)});
  }
  leaderboard::Submission s{req.user_id, session ? std::string_view(session->username) : "", score,
                            subscore, std::nullopt};
  if (metadata) s.metadata = *metadata;
  const int64_t now = tick_in_loop();
  const auto submitted = engine_.submit(board_id, s, now);
  if (!submitted.ok()) return refuse(req, submitted.error, board_id);
  // The reply is built now (the record as this submit left it) and sent once
  // the record is committed; the player's later replies wait behind it.
  const uint64_t ids[] = {req.user_id};
  const auto records = engine_.records_of(board_id, ids, Period::kCurrent, now);
  ReplyBody body{board_id, &records.value};
  body.info = period_info_in_loop(board_id, Period::kCurrent);
  body.total = body.info ? body.info->records : 0;
  body.taken = submitted.value.taken;
  const net::SharedBytes ok = encode(
      req, Result::Ok, submitted.value.taken ? "recorded" : "not better: record unchanged", body);
  const ReplySequencer::Ticket ticket = users_[req.user_id].replies.reserve();
  save_record_in_loop(
      board_id, req.user_id, [this, req, ticket, ok, board_id](store::StoreError error) {
        net::SharedBytes frame = ok;
        if (error == store::StoreError::kOverloaded) {
          frame = encode(req, Result::ServerBusy, "storage is busy: not recorded, retry later",
                         ReplyBody{board_id});
        } else if (error != store::StoreError::kOk) {
          frame = encode(req, Result::InternalError, "storage failed: not known to be recorded",
                         ReplyBody{board_id});
        }
        auto send = [this](uint64_t connection_id, net::SharedBytes f) {
          outbox_.send(connection_id, std::move(f));
        };
        auto it = users_.find(req.user_id);
        if (it == users_.end()) return send(req.connection_id, std::move(frame));
        it->second.replies.fill(ticket, req.connection_id, std::move(frame), send);
      });
}

void LeaderboardService::top_in_loop(Request req, std::string board_id, uint32_t limit,
                                     std::string cursor, Period period) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  if (limit == 0 || limit > kLeaderboardMaxLimit) {
    return refuse(req, LeaderboardError::kInvalidLimit, board_id);
  }
  if (in_redis()) {
    const int64_t now = now_ms();
    return page_in_redis(req, board_id, period, [=, this](auto done) {
      redis_->list(board_id, {limit, cursor, period}, now, std::move(done));
    });
  }
  const auto page = engine_.list(board_id, {limit, cursor, period}, tick_in_loop());
  reply_page_in_loop(req, board_id, page, period);
}

void LeaderboardService::around_in_loop(Request req, std::string board_id, uint32_t limit,
                                        Period period) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  if (limit == 0 || limit > kLeaderboardMaxLimit) {
    return refuse(req, LeaderboardError::kInvalidLimit, board_id);
  }
  if (in_redis()) {
    const int64_t now = now_ms();
    return page_in_redis(req, board_id, period, [=, this](auto done) {
      redis_->around(board_id, req.user_id, limit, period, now, std::move(done));
    });
  }
  const auto page = engine_.around(board_id, req.user_id, limit, period, tick_in_loop());
  reply_page_in_loop(req, board_id, page, period);
}

void LeaderboardService::records_in_loop(Request req, std::string board_id,
                                         std::vector<uint64_t> ids, Period period) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  if (ids.size() > kLeaderboardMaxIds) return refuse(req, LeaderboardError::kTooManyIds, board_id);
  if (in_redis()) return records_in_redis(req, std::move(board_id), std::move(ids), period, false);
  const auto records = engine_.records_of(board_id, ids, period, tick_in_loop());
  if (!records.ok()) return refuse(req, records.error, board_id);
  ReplyBody body{board_id, &records.value};
  body.period = period;
  body.info = period_info_in_loop(board_id, period);
  body.total = body.info ? body.info->records : 0;
  reply(req, Result::Ok, "ok", body);
}

void LeaderboardService::mine_in_loop(Request req, std::string board_id, Period period) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  if (in_redis()) return records_in_redis(req, std::move(board_id), {req.user_id}, period, true);
  const uint64_t ids[] = {req.user_id};
  const auto records = engine_.records_of(board_id, ids, period, tick_in_loop());
  if (!records.ok()) return refuse(req, records.error, board_id);
  if (records.value.empty()) return refuse(req, LeaderboardError::kNotFound, board_id);
  ReplyBody body{board_id, &records.value};
  body.period = period;
  body.info = period_info_in_loop(board_id, period);
  body.total = body.info ? body.info->records : 0;
  reply(req, Result::Ok, "ok", body);
}

void LeaderboardService::delete_in_loop(Request req, std::string board_id) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  // A delete writes as a submit does: it takes from the same bucket.
  if (!take_token_in_loop(req.user_id)) {
    return reply(req, Result::RateLimited, "slow down", ReplyBody{board_id});
  }
  if (in_redis()) return delete_in_redis(req, std::move(board_id));
  const LeaderboardError error =
      engine_.delete_record(board_id, req.user_id, Period::kCurrent, tick_in_loop());
  if (error == LeaderboardError::kNotFound) {
    // Not in memory, but perhaps still stored: an earlier delete whose row
    // the store failed to delete. Deleting it again makes a retry repair that.
    delete_stored_record_in_loop(board_id, req.user_id, [](store::StoreError) {});
  }
  if (error != LeaderboardError::kOk) return refuse(req, error, board_id);
  // As for a submit: built now, sent once the deletion is committed.
  ReplyBody body{board_id};
  body.info = period_info_in_loop(board_id, Period::kCurrent);
  body.total = body.info ? body.info->records : 0;
  const net::SharedBytes ok = encode(req, Result::Ok, "deleted", body);
  const ReplySequencer::Ticket ticket = users_[req.user_id].replies.reserve();
  delete_stored_record_in_loop(
      board_id, req.user_id, [this, req, ticket, ok, board_id](store::StoreError stored) {
        net::SharedBytes frame = ok;
        if (stored == store::StoreError::kOverloaded) {
          frame =
              encode(req, Result::ServerBusy,
                     "storage is busy: not known to be deleted, retry later", ReplyBody{board_id});
        } else if (stored != store::StoreError::kOk) {
          frame = encode(req, Result::InternalError, "storage failed: not known to be deleted",
                         ReplyBody{board_id});
        }
        fill_in_loop(req, ticket, std::move(frame));
      });
}

std::optional<leaderboard::PeriodInfo> LeaderboardService::period_info_in_loop(
    const std::string& board_id, Period period) {
  const auto info = engine_.board_info(board_id, INT64_MIN);
  if (!info.ok()) return std::nullopt;
  return period == Period::kCurrent ? std::optional(info.value.current) : info.value.previous;
}

void LeaderboardService::reply_page_in_loop(
    const Request& req, const std::string& board_id,
    const leaderboard::Result<leaderboard::RecordPage>& page, Period period) {
  if (!page.ok()) return refuse(req, page.error, board_id);
  ReplyBody body{board_id, &page.value.records};
  body.next_cursor = page.value.next_cursor;
  body.prev_cursor = page.value.prev_cursor;
  body.total = page.value.total;
  body.period = period;
  body.info = period_info_in_loop(board_id, period);
  reply(req, Result::Ok, "ok", body);
}

void LeaderboardService::refuse(const Request& req, LeaderboardError error,
                                std::string_view board_id) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  auto send = [this](uint64_t connection_id, net::SharedBytes f) {
    outbox_.send(connection_id, std::move(f));
  };
  net::SharedBytes frame = refusal(req, error, board_id);
  auto it = users_.find(req.user_id);
  if (it == users_.end()) return send(req.connection_id, std::move(frame));
  it->second.replies.ready(req.connection_id, std::move(frame), send);
}

net::SharedBytes LeaderboardService::refusal(const Request& req, LeaderboardError error,
                                             std::string_view board_id) {
  std::string message(leaderboard::to_string(error));
  if (error == LeaderboardError::kInvalidLimit) {
    message = "limit must be 1 to " + std::to_string(kLeaderboardMaxLimit);
  } else if (error == LeaderboardError::kTooManyIds) {
    message = "at most " + std::to_string(kLeaderboardMaxIds) + " user ids";
  }
  return encode(req, result_of(error), message, ReplyBody{board_id});
}

net::SharedBytes LeaderboardService::unavailable(const Request& req, std::string_view board_id,
                                                 std::string_view why) {
  return encode(req, Result::ServerBusy,
                "leaderboards unavailable, retry later (" + std::string(why) + ")",
                ReplyBody{board_id});
}

void LeaderboardService::reply(const Request& req, Result result, std::string_view message,
                               const ReplyBody& body) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  auto send = [this](uint64_t connection_id, net::SharedBytes f) {
    outbox_.send(connection_id, std::move(f));
  };
  net::SharedBytes frame = encode(req, result, message, body);
  auto it = users_.find(req.user_id);
  if (it == users_.end()) return send(req.connection_id, std::move(frame));
  it->second.replies.ready(req.connection_id, std::move(frame), send);
}

net::SharedBytes LeaderboardService::encode(const Request& req, Result result,
                                            std::string_view message, const ReplyBody& body) {
  flatbuffers::FlatBufferBuilder fbb(256);
  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<msg::LeaderboardRecord>>> records;
  if (body.records != nullptr) {
    std::vector<flatbuffers::Offset<msg::LeaderboardRecord>> list;
    list.reserve(body.records->size());
    for (const leaderboard::Record& r : *body.records) {
      const auto name = fbb.CreateString(r.username);
      const auto metadata = r.metadata.empty() ? 0 : fbb.CreateString(r.metadata);
      list.push_back(msg::CreateLeaderboardRecord(fbb, r.rank, r.user_id, name, r.score, r.subscore,
                                                  r.num_submissions, metadata,
                                                  r.create_time_unix_ms, r.update_time_unix_ms));
    }
    records = fbb.CreateVector(list);
  }
  const auto m = fbb.CreateString(message), b = fbb.CreateString(body.board_id);
  const auto next = body.next_cursor.empty() ? 0 : fbb.CreateString(body.next_cursor);
  const auto prev = body.prev_cursor.empty() ? 0 : fbb.CreateString(body.prev_cursor);
  const int64_t start = body.info ? body.info->start_unix_ms : 0;
  const int64_t end =
      body.info && body.info->end_unix_ms != leaderboard::kNoEnd ? body.info->end_unix_ms : 0;
  fbb.Finish(msg::CreateLeaderboardReply(
      fbb, req.request_id, result, m, b, records, next, prev, body.total,
      body.period == Period::kPrevious ? msg::LeaderboardPeriod::Previous
                                       : msg::LeaderboardPeriod::Current,
      start, end, body.taken));
  return server::make_shared_frame(protocol::cmd::kLeaderboardReply,
                                   {fbb.GetBufferPointer(), fbb.GetSize()});
}

}  // namespace citadel::services
