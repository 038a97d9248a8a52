#include "services/leaderboard/backend/redis_leaderboard_backend.h"

#include <algorithm>
#include <charconv>
#include <unordered_set>

#include "leaderboard/board.h"
#include "leaderboard/rank_key.h"
#include "leaderboard/username_pool.h"
#include "services/leaderboard/backend/redis_leaderboard_scripts.h"
#include "services/leaderboard/backend/redis_submit_reply.h"

namespace citadel::services {
namespace {

using leaderboard::LeaderboardError;
using leaderboard::Period;

// The scripts return LeaderboardError values as numbers.
static_assert(static_cast<int>(LeaderboardError::kUnknownBoard) == 1);
static_assert(static_cast<int>(LeaderboardError::kBoardExists) == 2);
static_assert(static_cast<int>(LeaderboardError::kNotFound) == 6);
static_assert(static_cast<int>(LeaderboardError::kNoPreviousPeriod) == 7);
static_assert(static_cast<int>(LeaderboardError::kStaleCursor) == 9);
static_assert(static_cast<int>(LeaderboardError::kInvalidLimit) == 10);
static_assert(static_cast<int>(LeaderboardError::kScoreOutOfRange) == 14);
static_assert(static_cast<int>(LeaderboardError::kBoardFull) == 15);
static_assert(leaderboard::kMaxPageSize == 1000);  // the read script's limit check

constexpr std::size_t kMemberBytes = 32;
constexpr int64_t kMillisPerSecond = 1000;
constexpr std::string_view kNoEndText = "none";

std::string meta_key(std::string_view board_id) {
  std::string key = "lb:{";
  key += board_id;
  key += "}:meta";
  return key;
}

void put_be64(std::string& out, uint64_t value) {
  for (int i = 7; i >= 0; --i) out += static_cast<char>((value >> (8 * i)) & 0xff);
}

uint64_t get_be64(std::string_view in, std::size_t at) {
  uint64_t value = 0;
  for (std::size_t i = 0; i < 8; ++i) value = (value << 8) | static_cast<uint8_t>(in[at + i]);
  return value;
}

std::string user_bytes(uint64_t user_id) {
  std::string out;
  put_be64(out, user_id);
  return out;
}

std::string key_bytes(const leaderboard::RankKey& key) {
  std::string out;
  put_be64(out, key.score);
  put_be64(out, key.subscore);
  put_be64(out, key.sequence);
  return out;
}

leaderboard::RankKey key_of_member(std::string_view member) {
  return {get_be64(member, 0), get_be64(member, 8), get_be64(member, 16)};
}

int64_t floor_seconds(int64_t unix_ms) {
  int64_t seconds = unix_ms / kMillisPerSecond;
  return (unix_ms % kMillisPerSecond < 0) ? seconds - 1 : seconds;
}

int64_t to_int64(std::string_view text) {
  int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

std::string_view str(const redisReply* r) {
  return r != nullptr && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
             ? std::string_view(r->str, r->len)
             : std::string_view();
}

int64_t num(const redisReply* r) {
  if (r == nullptr) return 0;
  if (r->type == REDIS_REPLY_INTEGER) return r->integer;
  return to_int64(str(r));
}

int64_t end_of(std::string_view text) {
  return text == kNoEndText ? leaderboard::kNoEnd : to_int64(text);
}

// A script's reply: its error code (a non-array or a malformed one counts
// as the script failing).
LeaderboardError code_of(const redisReply* r) {
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements == 0) {
    return LeaderboardError::kBadSnapshot;  // never returned: callers check shape first
  }
  return static_cast<LeaderboardError>(num(r->element[0]));
}

// Half-split for the scripts: hi signed, lo unsigned.
void put_halves(std::vector<std::string>& args, int64_t value) {
  args.push_back(std::to_string(static_cast<int32_t>(value >> 32)));
  args.push_back(std::to_string(static_cast<uint32_t>(value & 0xffffffffu)));
}

// The page reply's header: {0, total, start, end, first, boundary, records...}.
constexpr std::size_t kHeader = 6;
constexpr std::size_t kRecordFields = 7;

std::vector<leaderboard::Record> records_in(const redisReply* r, leaderboard::SortOrder order,
                                            std::vector<leaderboard::RankKey>* keys) {
  std::vector<leaderboard::Record> out;
  if (r->elements < kHeader) return out;
  out.reserve((r->elements - kHeader) / kRecordFields);
  for (std::size_t i = kHeader; i + kRecordFields <= r->elements; i += kRecordFields) {
    redisReply* const* f = r->element + i;
    const std::string_view member = str(f[0]);
    if (member.size() != kMemberBytes) continue;
    const leaderboard::RankKey key = key_of_member(member);
    leaderboard::Record rec;
    rec.user_id = get_be64(member, 24);
    rec.score = leaderboard::order_unmapped(key.score, order);
    rec.subscore = leaderboard::order_unmapped(key.subscore, order);
    rec.num_submissions = static_cast<uint32_t>(num(f[1]));
    rec.create_time_unix_ms = num(f[2]);
    rec.update_time_unix_ms = num(f[3]);
    rec.username = std::string(str(f[4]));
    rec.metadata = std::string(str(f[5]));
    rec.rank = static_cast<uint64_t>(num(f[6]));
    out.push_back(std::move(rec));
    if (keys != nullptr) keys->push_back(key);
  }
  return out;
}

bool page_shaped(const redisReply* r) {
  return r != nullptr && r->type == REDIS_REPLY_ARRAY && r->elements >= 1 &&
         (code_of(r) != LeaderboardError::kOk || r->elements >= kHeader);
}

}  // namespace

RedisLeaderboardBackend::RedisLeaderboardBackend(redis::RedisClient& client,
                                                 const leaderboard::CursorKey& cursor_key)
    : client_(client),
      cursors_(cursor_key),
      create_(redis_scripts::create_script()),
      submit_(redis_scripts::submit_script()),
      read_(redis_scripts::read_script()),
      delete_(redis_scripts::delete_script()) {
  client_.set_connected_hook([this] {
    load_scripts();
    if (connected_hook_) connected_hook_();
  });
  if (client_.connected()) load_scripts();
}

RedisLeaderboardBackend::~RedisLeaderboardBackend() {
  client_.set_connected_hook(nullptr);
}

void RedisLeaderboardBackend::load_scripts() {
  // Pipelined ahead of every call on this connection.
  for (const redis::RedisScript* s : {&create_, &submit_, &read_, &delete_}) s->load(client_);
}

void RedisLeaderboardBackend::run(const redis::RedisScript& script, std::vector<std::string> args,
                                  ScriptDone done) {
  // args: the board's key, then the script's arguments.
  std::weak_ptr<bool> alive = alive_;
  script.run(client_, 1, std::move(args),
             [alive, done = std::move(done)](const redis::RedisResult& r) {
               if (!alive.expired()) done(r);
             });
}

uint64_t RedisLeaderboardBackend::script_reloads() const {
  return create_.reloads() + submit_.reloads() + read_.reloads() + delete_.reloads();
}

void RedisLeaderboardBackend::with_board(const std::string& board_id, BoardDone done) {
  if (auto waiting = board_waiters_.find(board_id); waiting != board_waiters_.end()) {
    waiting->second.push_back(std::move(done));  // behind the calls already waiting
    return;
  }
  if (auto it = boards_.find(board_id); it != boards_.end()) return done(&it->second, {});
  board_waiters_[board_id].push_back(std::move(done));
  // Every waiter gets the same answer, in order.
  done = [this, board_id](const BoardState* board, std::string_view unavailable) {
    auto node = board_waiters_.extract(board_id);
    if (node.empty()) return;
    const std::string why(unavailable);
    for (auto& waiter : node.mapped()) {
      // A waiter may forget the board (a reset); look it up again for each.
      auto it = board != nullptr ? boards_.find(board_id) : boards_.end();
      waiter(it != boards_.end() ? &it->second : nullptr, why);
    }
  };
  std::vector<std::string_view> args = {
      "HMGET", "", "order", "op", "max_metadata_bytes", "max_records", "schedule"};
  const std::string key = meta_key(board_id);
  args[1] = key;
  std::weak_ptr<bool> alive = alive_;
  client_.command(
      args, [this, alive, board_id, done = std::move(done)](const redis::RedisResult& r) {
        if (alive.expired()) return;
        if (!r.ok()) return done(nullptr, r.error_text());
        if (r.reply->type != REDIS_REPLY_ARRAY || r.reply->elements != 5) {
          return done(nullptr, "redis: unexpected reply to HMGET");
        }
        redisReply* const* f = r.reply->element;
        if (f[0]->type == REDIS_REPLY_NIL) return done(nullptr, {});  // no such board
        BoardState state;
        state.config.id = board_id;
        state.config.order = static_cast<leaderboard::SortOrder>(num(f[0]));
        state.config.op = static_cast<leaderboard::ScoreOperator>(num(f[1]));
        state.config.max_metadata_bytes = static_cast<uint32_t>(num(f[2]));
        state.config.max_records = static_cast<uint32_t>(num(f[3]));
        state.config.reset_schedule = std::string(str(f[4]));
        if (!state.config.reset_schedule.empty()) {
          state.schedule = leaderboard::CronSchedule::parse(state.config.reset_schedule).schedule;
        }
        auto [it, inserted] = boards_.insert_or_assign(board_id, std::move(state));
        done(&it->second, {});
      });
}

std::vector<std::string> RedisLeaderboardBackend::period_args(const BoardState& board,
                                                              int64_t now_unix_ms) const {
  // t, the start of the period containing t, its end, and the fire before
  // that start ("" where the schedule has none, or no schedule: no reset).
  std::vector<std::string> args{std::to_string(now_unix_ms), "", std::string(kNoEndText), ""};
  if (!board.schedule) return args;
  const int64_t seconds = floor_seconds(now_unix_ms);
  const auto last = board.schedule->last_at_or_before(seconds);
  if (!last) return args;
  args[1] = std::to_string(*last * kMillisPerSecond);
  if (const auto next = board.schedule->next_after(seconds)) {
    args[2] = std::to_string(*next * kMillisPerSecond);
  }
  if (const auto before = board.schedule->last_at_or_before(*last - 1)) {
    args[3] = std::to_string(*before * kMillisPerSecond);
  }
  return args;
}

// ------------------------------------------------------------------ calls --

void RedisLeaderboardBackend::create_board(const leaderboard::BoardConfig& config,
                                           int64_t now_unix_ms, Done<bool> done) {
  // The engine's own checks and first period, on a throwaway board.
  leaderboard::UsernamePool names;
  auto made = leaderboard::Board::create(config, now_unix_ms, names);
  if (!made.ok()) return done({{made.error, false}, {}});
  const leaderboard::BoardInfo info = made.value->info();
  std::vector<std::string> args{meta_key(config.id),
                                std::to_string(static_cast<int>(config.order)),
                                std::to_string(static_cast<int>(config.op)),
                                std::to_string(config.max_metadata_bytes),
                                std::to_string(config.max_records),
                                config.reset_schedule,
                                std::to_string(info.current.start_unix_ms),
                                info.current.end_unix_ms == leaderboard::kNoEnd
                                    ? std::string(kNoEndText)
                                    : std::to_string(info.current.end_unix_ms)};
  run(create_, std::move(args), [done = std::move(done)](const redis::RedisResult& r) {
    if (!r.ok()) return done({{}, "redis: " + std::string(r.error_text())});
    const auto code = static_cast<LeaderboardError>(num(r.reply));
    done({{code, code == LeaderboardError::kOk}, {}});
  });
}

void RedisLeaderboardBackend::submit_batch(
    const std::string& board_id, std::vector<OwnedSubmission> submissions, int64_t now_unix_ms,
    Done<std::vector<leaderboard::Result<leaderboard::SubmitResult>>> done) {
  submit_batch_records(
      board_id, std::move(submissions), now_unix_ms,
      [done = std::move(done)](BackendResult<std::vector<SubmitOutcome>> r) {
        BackendResult<std::vector<leaderboard::Result<leaderboard::SubmitResult>>> out;
        out.unavailable = std::move(r.unavailable);
        out.result.value.reserve(r.result.value.size());
        for (const SubmitOutcome& o : r.result.value) out.result.value.push_back(o.result);
        done(std::move(out));
      });
}

void RedisLeaderboardBackend::submit_batch_records(const std::string& board_id,
                                                   std::vector<OwnedSubmission> submissions,
                                                   int64_t now_unix_ms,
                                                   Done<std::vector<SubmitOutcome>> done) {
  using Results = std::vector<SubmitOutcome>;
  with_board(board_id, [this, board_id, submissions = std::move(submissions), now_unix_ms,
                        done = std::move(done)](const BoardState* board,
                                                std::string_view unavailable) mutable {
    BackendResult<Results> out;
    if (!unavailable.empty()) {
      out.unavailable = std::string(unavailable);
      return done(std::move(out));
    }
    out.result.value.resize(submissions.size());
    if (board == nullptr) {
      for (auto& r : out.result.value) r.result = {LeaderboardError::kUnknownBoard};
      return done(std::move(out));
    }
    // The checks that need no state are made here; the rest go to Redis.
    std::vector<std::string> args{meta_key(board_id)};
    for (std::string& a : period_args(*board, now_unix_ms)) args.push_back(std::move(a));
    args.reserve(args.size() + 8 * submissions.size());
    auto sent = std::make_shared<std::vector<std::size_t>>();  // indices sent, in order
    for (std::size_t i = 0; i < submissions.size(); ++i) {
      const OwnedSubmission& s = submissions[i];
      if (s.username.size() > leaderboard::kMaxUsernameBytes) {
        out.result.value[i].result = {LeaderboardError::kUsernameTooLong};
        continue;
      }
      if (s.metadata && s.metadata->size() > board->config.max_metadata_bytes) {
        out.result.value[i].result = {LeaderboardError::kMetadataTooLarge};
        continue;
      }
      sent->push_back(i);
      args.push_back(user_bytes(s.user_id));
      args.push_back(s.username);
      put_halves(args, s.score);
      put_halves(args, s.subscore);
      args.push_back(s.metadata ? "1" : "0");
      args.push_back(s.metadata.value_or(""));
    }
    const leaderboard::SortOrder order = board->config.order;
    // Sent even when every submission was refused: the reset still applies.
    run(submit_, std::move(args),
        [this, board_id, order, sent, out = std::move(out),
         done = std::move(done)](const redis::RedisResult& r) mutable {
          if (!r.ok()) {
            out.unavailable = "redis: " + std::string(r.error_text());
            return done(std::move(out));
          }
          const redisReply* reply = r.reply;
          if (reply->type == REDIS_REPLY_INTEGER) {
            boards_.erase(board_id);  // deleted behind our back
            for (auto& res : out.result.value) res.result = {LeaderboardError::kUnknownBoard};
            return done(std::move(out));
          }
          if (reply->type != REDIS_REPLY_ARRAY) {
            out.unavailable = "redis: unexpected reply to the submit script";
            return done(std::move(out));
          }
          for (std::size_t k = 0; k < sent->size() && k < reply->elements; ++k) {
            const redisReply* one = reply->element[k];
            SubmitOutcome& o = out.result.value[(*sent)[k]];
            if (one->type == REDIS_REPLY_INTEGER) {  // refused: its error code
              const auto code = static_cast<LeaderboardError>(one->integer);
              o.result = {code == LeaderboardError::kOk ? LeaderboardError::kBadSnapshot : code};
              continue;
            }
            const std::optional<SubmitReplyRecord> got = parse_submit_reply(str(one));
            if (!got || one->type != REDIS_REPLY_STRING) {
              o.result = {LeaderboardError::kBadSnapshot};
              continue;
            }
            const leaderboard::RankKey key = key_of_member(got->member);
            const int64_t score = leaderboard::order_unmapped(key.score, order);
            const int64_t subscore = leaderboard::order_unmapped(key.subscore, order);
            o.result = {
                LeaderboardError::kOk,
                {got->rank, score, subscore, got->num_submissions, got->created, got->taken}};
            o.record = {get_be64(got->member, 24),
                        std::string(got->username),
                        score,
                        subscore,
                        got->num_submissions,
                        std::string(got->metadata),
                        got->create_unix_ms,
                        got->update_unix_ms,
                        got->rank};
          }
          done(std::move(out));
        });
  });
}

void RedisLeaderboardBackend::delete_record(const std::string& board_id, uint64_t user_id,
                                            int64_t now_unix_ms, Done<bool> done) {
  with_board(board_id, [this, board_id, user_id, now_unix_ms, done = std::move(done)](
                           const BoardState* board, std::string_view unavailable) mutable {
    BackendResult<bool> out;
    if (!unavailable.empty()) {
      out.unavailable = std::string(unavailable);
      return done(std::move(out));
    }
    if (board == nullptr) return done({{LeaderboardError::kUnknownBoard}, {}});
    std::vector<std::string> args{meta_key(board_id)};
    for (std::string& a : period_args(*board, now_unix_ms)) args.push_back(std::move(a));
    args.push_back(user_bytes(user_id));
    run(delete_, std::move(args),
        [this, board_id, done = std::move(done)](const redis::RedisResult& r) mutable {
          BackendResult<bool> out;
          if (!r.ok()) {
            out.unavailable = "redis: " + std::string(r.error_text());
            return done(std::move(out));
          }
          if (r.reply->type != REDIS_REPLY_ARRAY || r.reply->elements != 1) {
            out.unavailable = "redis: unexpected reply to the delete script";
            return done(std::move(out));
          }
          const LeaderboardError code = code_of(r.reply);
          if (code == LeaderboardError::kUnknownBoard)
            boards_.erase(board_id);  // deleted behind our back
          done({{code, code == LeaderboardError::kOk}, {}});
        });
  });
}

void RedisLeaderboardBackend::read(
    const std::string& board_id, int64_t now_unix_ms, Period period,
    std::vector<std::string> op_args,
    std::function<void(const BoardState*, const redis::RedisResult&, std::string_view)> done) {
  with_board(board_id, [this, board_id, now_unix_ms, period, op_args = std::move(op_args),
                        done = std::move(done)](const BoardState* board,
                                                std::string_view unavailable) mutable {
    if (!unavailable.empty() || board == nullptr) return done(board, {}, unavailable);
    std::vector<std::string> args{meta_key(board_id)};
    for (std::string& a : period_args(*board, now_unix_ms)) args.push_back(std::move(a));
    args.push_back(period == Period::kPrevious ? "p" : "c");
    for (std::string& a : op_args) args.push_back(std::move(a));
    const std::string id = board_id;
    run(read_, std::move(args),
        [this, id, done = std::move(done)](const redis::RedisResult& r) mutable {
          auto it = boards_.find(id);
          const BoardState* state = it == boards_.end() ? nullptr : &it->second;
          if (!r.ok()) {
            const std::string why = "redis: " + std::string(r.error_text());
            return done(state, r, why);
          }
          if (!page_shaped(r.reply)) return done(state, r, "redis: unexpected script reply");
          if (code_of(r.reply) == LeaderboardError::kUnknownBoard) {
            boards_.erase(id);
            return done(nullptr, r, {});
          }
          done(state, r, {});
        });
  });
}

void RedisLeaderboardBackend::list(const std::string& board_id, PageRequest request,
                                   int64_t now_unix_ms, Done<leaderboard::RecordPage> done) {
  // Checked by the script in the engine's order: board, period, limit; then
  // the cursor (its signature here, its period there).
  std::vector<std::string> op_args;
  std::optional<leaderboard::CursorPosition> cursor;
  bool bad_cursor = false;
  if (request.cursor.empty()) {
    op_args = {"range", std::to_string(request.limit), "0"};
  } else {
    auto decoded = cursors_.decode(board_id, request.cursor);
    if (!decoded.ok()) {
      bad_cursor = true;
      op_args = {"check", std::to_string(request.limit)};
    } else {
      cursor = decoded.value;
      op_args = {"cursor",
                 std::to_string(request.limit),
                 "",
                 cursor->direction == leaderboard::CursorPosition::Direction::kAfter ? "1" : "0",
                 cursor->inclusive ? "1" : "0",
                 std::to_string(cursor->period_start_unix_ms)};
    }
  }
  // The cursor's key needs the board's order: filled in once it is known.
  auto finish = [this, board_id, cursor, bad_cursor, done = std::move(done)](
                    const BoardState* board, const redis::RedisResult& r,
                    std::string_view unavailable) {
    BackendResult<leaderboard::RecordPage> out;
    if (!unavailable.empty()) {
      out.unavailable = std::string(unavailable);
      return done(std::move(out));
    }
    if (board == nullptr) return done({{LeaderboardError::kUnknownBoard}, {}});
    const LeaderboardError code = code_of(r.reply);
    if (code != LeaderboardError::kOk) return done({{code}, {}});
    if (bad_cursor) return done({{LeaderboardError::kBadCursor}, {}});
    const redisReply* reply = r.reply;
    const leaderboard::SortOrder order = board->config.order;
    const uint64_t total = static_cast<uint64_t>(num(reply->element[1]));
    const int64_t start = to_int64(str(reply->element[2]));
    const uint64_t first = static_cast<uint64_t>(num(reply->element[4]));
    const uint64_t boundary = static_cast<uint64_t>(num(reply->element[5]));
    std::vector<leaderboard::RankKey> keys;
    out.result.value.records = records_in(reply, order, &keys);
    out.result.value.total = total;
    const uint64_t end = first + keys.size();
    auto encode = [&](leaderboard::CursorPosition::Direction direction, bool inclusive,
                      const leaderboard::RankKey& key) {
      return cursors_.encode(
          board_id, {direction, inclusive, start, leaderboard::order_unmapped(key.score, order),
                     leaderboard::order_unmapped(key.subscore, order), key.sequence});
    };
    leaderboard::RecordPage& page = out.result.value;
    if (!keys.empty()) {
      if (end < total) {
        page.next_cursor =
            encode(leaderboard::CursorPosition::Direction::kAfter, false, keys.back());
      }
      if (first > 0) {
        page.prev_cursor =
            encode(leaderboard::CursorPosition::Direction::kBefore, false, keys.front());
      }
    } else if (cursor) {
      const leaderboard::RankKey key =
          leaderboard::make_rank_key(order, cursor->score, cursor->subscore, cursor->sequence);
      const bool after = cursor->direction == leaderboard::CursorPosition::Direction::kAfter;
      if (after && boundary > 0) {
        page.prev_cursor =
            encode(leaderboard::CursorPosition::Direction::kBefore, !cursor->inclusive, key);
      } else if (!after && boundary < total) {
        page.next_cursor =
            encode(leaderboard::CursorPosition::Direction::kAfter, !cursor->inclusive, key);
      }
    }
    done(std::move(out));
  };
  if (!cursor) return read(board_id, now_unix_ms, request.period, std::move(op_args), finish);
  // The key bytes depend on the order: learn the board first (cached after once).
  with_board(board_id, [this, board_id, now_unix_ms, period = request.period, cursor,
                        op_args = std::move(op_args), finish = std::move(finish)](
                           const BoardState* board, std::string_view unavailable) mutable {
    if (!unavailable.empty() || board == nullptr) {
      return finish(board, redis::RedisResult{}, unavailable);
    }
    op_args[2] = key_bytes(leaderboard::make_rank_key(board->config.order, cursor->score,
                                                      cursor->subscore, cursor->sequence));
    read(board_id, now_unix_ms, period, std::move(op_args), std::move(finish));
  });
}

void RedisLeaderboardBackend::around(const std::string& board_id, uint64_t user_id, uint32_t limit,
                                     Period period, int64_t now_unix_ms,
                                     Done<leaderboard::RecordPage> done) {
  read(board_id, now_unix_ms, period, {"around", std::to_string(limit), user_bytes(user_id)},
       [this, board_id, done = std::move(done)](
           const BoardState* board, const redis::RedisResult& r, std::string_view unavailable) {
         BackendResult<leaderboard::RecordPage> out;
         if (!unavailable.empty()) {
           out.unavailable = std::string(unavailable);
           return done(std::move(out));
         }
         if (board == nullptr) return done({{LeaderboardError::kUnknownBoard}, {}});
         const LeaderboardError code = code_of(r.reply);
         if (code != LeaderboardError::kOk) return done({{code}, {}});
         const leaderboard::SortOrder order = board->config.order;
         const uint64_t total = static_cast<uint64_t>(num(r.reply->element[1]));
         const int64_t start = to_int64(str(r.reply->element[2]));
         const uint64_t first = static_cast<uint64_t>(num(r.reply->element[4]));
         std::vector<leaderboard::RankKey> keys;
         leaderboard::RecordPage& page = out.result.value;
         page.records = records_in(r.reply, order, &keys);
         page.total = total;
         auto encode = [&](leaderboard::CursorPosition::Direction direction,
                           const leaderboard::RankKey& key) {
           return cursors_.encode(
               board_id, {direction, false, start, leaderboard::order_unmapped(key.score, order),
                          leaderboard::order_unmapped(key.subscore, order), key.sequence});
         };
         if (!keys.empty()) {
           if (first + keys.size() < total) {
             page.next_cursor = encode(leaderboard::CursorPosition::Direction::kAfter, keys.back());
           }
           if (first > 0) {
             page.prev_cursor =
                 encode(leaderboard::CursorPosition::Direction::kBefore, keys.front());
           }
         }
         done(std::move(out));
       });
}

void RedisLeaderboardBackend::records_of(const std::string& board_id,
                                         std::vector<uint64_t> user_ids, Period period,
                                         int64_t now_unix_ms,
                                         Done<std::vector<leaderboard::Record>> done) {
  const bool too_many = user_ids.size() > leaderboard::kMaxIdsPerQuery;
  std::vector<std::string> op_args{"records"};
  if (!too_many) {
    std::unordered_set<uint64_t> seen;
    for (uint64_t id : user_ids) {
      if (seen.insert(id).second) op_args.push_back(user_bytes(id));
    }
  }
  read(board_id, now_unix_ms, period, std::move(op_args),
       [too_many, done = std::move(done)](const BoardState* board, const redis::RedisResult& r,
                                          std::string_view unavailable) {
         BackendResult<std::vector<leaderboard::Record>> out;
         if (!unavailable.empty()) {
           out.unavailable = std::string(unavailable);
           return done(std::move(out));
         }
         if (board == nullptr) return done({{LeaderboardError::kUnknownBoard}, {}});
         const LeaderboardError code = code_of(r.reply);
         if (code != LeaderboardError::kOk) return done({{code}, {}});
         if (too_many) return done({{LeaderboardError::kTooManyIds}, {}});
         out.result.value = records_in(r.reply, board->config.order, nullptr);
         std::sort(out.result.value.begin(), out.result.value.end(),
                   [](const auto& a, const auto& b) { return a.rank < b.rank; });
         done(std::move(out));
       });
}

void RedisLeaderboardBackend::rank_of(const std::string& board_id, uint64_t user_id, Period period,
                                      int64_t now_unix_ms, Done<uint64_t> done) {
  read(board_id, now_unix_ms, period, {"rank", user_bytes(user_id)},
       [done = std::move(done)](const BoardState* board, const redis::RedisResult& r,
                                std::string_view unavailable) {
         BackendResult<uint64_t> out;
         if (!unavailable.empty()) {
           out.unavailable = std::string(unavailable);
           return done(std::move(out));
         }
         if (board == nullptr) return done({{LeaderboardError::kUnknownBoard}, {}});
         const LeaderboardError code = code_of(r.reply);
         if (code != LeaderboardError::kOk || r.reply->elements <= kHeader) {
           return done({{code}, {}});
         }
         done({{LeaderboardError::kOk, static_cast<uint64_t>(num(r.reply->element[kHeader]))}, {}});
       });
}

void RedisLeaderboardBackend::board_info(const std::string& board_id, int64_t now_unix_ms,
                                         Done<leaderboard::BoardInfo> done) {
  read(board_id, now_unix_ms, Period::kCurrent, {"info"},
       [done = std::move(done)](const BoardState* board, const redis::RedisResult& r,
                                std::string_view unavailable) {
         BackendResult<leaderboard::BoardInfo> out;
         if (!unavailable.empty()) {
           out.unavailable = std::string(unavailable);
           return done(std::move(out));
         }
         if (board == nullptr) return done({{LeaderboardError::kUnknownBoard}, {}});
         const LeaderboardError code = code_of(r.reply);
         if (code != LeaderboardError::kOk) return done({{code}, {}});
         redisReply* const* f = r.reply->element;
         leaderboard::BoardInfo& info = out.result.value;
         info.config = board->config;
         info.current = {to_int64(str(f[1])), end_of(str(f[2])), static_cast<uint64_t>(num(f[3]))};
         if (!str(f[4]).empty()) {
           info.previous = leaderboard::PeriodInfo{to_int64(str(f[4])), to_int64(str(f[5])),
                                                   static_cast<uint64_t>(num(f[6]))};
         }
         done(std::move(out));
       });
}

}  // namespace citadel::services
