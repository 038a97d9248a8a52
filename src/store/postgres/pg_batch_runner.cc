#include "store/postgres/pg_batch_runner.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <initializer_list>
#include <type_traits>

#include "store/postgres/pg_handle.h"
#include "store/postgres/pg_io.h"
#include "store/postgres/pg_object_statements.h"
#include "store/postgres/pg_statements.h"
#include "store/unix_ms.h"

namespace citadel::store::pg {
namespace {

constexpr auto kFailureLogInterval = std::chrono::seconds(1);

// One binary parameter: its bytes stay owned by the caller until the send
// returns (libpq copies them into its output buffer).
struct Param {
  const char* data;
  int length;
};
Param text(const std::string& s) {
  return {s.data(), static_cast<int>(s.size())};
}
Param int8(const BinaryInt8& v) {
  return {v.bytes, 8};
}

bool send_prepared(PGconn* conn, const char* name, std::initializer_list<Param> params) {
  std::array<const char*, 12> values{};
  std::array<int, 12> lengths{};
  std::array<int, 12> formats{};
  int n = 0;
  for (const Param& p : params) {
    values[n] = p.data;
    lengths[n] = p.length;
    formats[n] = 1;  // binary
    ++n;
  }
  return PQsendQueryPrepared(conn, name, n, values.data(), lengths.data(), formats.data(),
                             /*resultFormat=*/0) != 0;
}

bool send_plain(PGconn* conn, const char* sql) {
  // In pipeline mode only the extended protocol is allowed: PQsendQueryParams.
  return PQsendQueryParams(conn, sql, 0, nullptr, nullptr, nullptr, nullptr, 0) != 0;
}

std::optional<Account> account_from(const PGresult* r) {
  if (PQntuples(r) == 0) return std::nullopt;
  return Account{int64_at(r, 0, 0), text_at(r, 0, 1), text_at(r, 0, 2), text_at(r, 0, 3),
                 int64_at(r, 0, 4)};
}

}  // namespace

BatchRunner::BatchRunner(uint32_t history_per_channel, std::chrono::milliseconds batch_timeout)
    : history_per_channel_(history_per_channel), batch_timeout_(batch_timeout) {}

BatchRunner::Outcome BatchRunner::run(PGconn* conn, std::span<QueuedRequest> batch) {
  batch_time_unix_ms_ = unix_ms_now();
  excluded_.assign(batch.size(), false);
  // Each round either commits, fails as a whole, or takes one request out:
  // at most batch.size() + 1 rounds.
  for (;;) {
    const Attempt result = attempt(conn, batch);
    if (result == Attempt::kCommitted) return {true, pipeline_broken_};
    if (result == Attempt::kRequestFailed) {
      excluded_[failed_request_] = true;
      fail(batch[failed_request_].request, StoreError::kStorageError);
      continue;
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (!excluded_[i]) fail(batch[i].request, StoreError::kStorageError);
    }
    return {false, result == Attempt::kConnectionLost};
  }
}

BatchRunner::Attempt BatchRunner::attempt(PGconn* conn, std::span<QueuedRequest> batch) {
  commands_.clear();
  channels_appended_.clear();
  pipeline_broken_ = false;
  bool any = false;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (excluded_[i]) continue;
    reset_result(batch[i].request);
    if (needs_command(batch[i].request)) any = true;
  }
  if (!any) return Attempt::kCommitted;  // nothing for the server to do

  if (!send_plain(conn, "BEGIN")) return Attempt::kConnectionLost;
  commands_.push_back({Command::Kind::kBegin});
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (excluded_[i] || !needs_command(batch[i].request)) continue;
    if (!send(conn, batch[i].request)) return Attempt::kConnectionLost;
    commands_.push_back({Command::Kind::kRequest, i});
  }
  // One DELETE per channel per batch, not per insert.
  std::sort(channels_appended_.begin(), channels_appended_.end());
  channels_appended_.erase(std::unique(channels_appended_.begin(), channels_appended_.end()),
                           channels_appended_.end());
  const BinaryInt8 keep_offset(int64_t{history_per_channel_} - 1);
  for (const std::string_view channel : channels_appended_) {
    const std::string name(channel);
    if (!send_prepared(conn, stmt::kTrimHistory, {text(name), int8(keep_offset)})) {
      return Attempt::kConnectionLost;
    }
    commands_.push_back({Command::Kind::kTrim});
  }
  if (!send_plain(conn, "COMMIT")) return Attempt::kConnectionLost;
  commands_.push_back({Command::Kind::kCommit});
  if (PQpipelineSync(conn) == 0) return Attempt::kConnectionLost;

  const auto deadline = std::chrono::steady_clock::now() + batch_timeout_;
  if (!flush_until(conn, deadline)) {
    log_failure("sending a batch", error_message(conn));
    return Attempt::kConnectionLost;
  }

  // Every command answers with one result and then a null; a command after
  // an error answers PGRES_PIPELINE_ABORTED. The first error decides.
  const Command* first_error = nullptr;
  std::string error_text;
  std::string sqlstate;
  bool committed = false;
  for (const Command& command : commands_) {
    if (!await_result(conn, deadline)) {
      log_failure("reading a batch's results",
                  PQstatus(conn) == CONNECTION_BAD ? error_message(conn) : "timed out");
      return lost_after(committed);
    }
    const Result r(PQgetResult(conn));
    if (!r) return Attempt::kConnectionLost;  // out of step with the pipeline: start over
    const auto status = PQresultStatus(r.get());
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
      if (command.kind == Command::Kind::kRequest)
        take_result(batch[command.index].request, r.get());
      if (command.kind == Command::Kind::kCommit) committed = true;
    } else if (status != PGRES_PIPELINE_ABORTED && first_error == nullptr) {
      first_error = &command;
      error_text = error_message(r.get());
      const char* state = PQresultErrorField(r.get(), PG_DIAG_SQLSTATE);
      sqlstate = state ? state : "";
    }
    if (!await_result(conn, deadline)) return lost_after(committed);
    const Result end(PQgetResult(conn));  // the null that ends this command's results
    if (end) return Attempt::kConnectionLost;
  }
  if (!await_result(conn, deadline)) return lost_after(committed);
  const Result sync(PQgetResult(conn));
  if (!sync || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) return Attempt::kConnectionLost;

  if (first_error == nullptr && committed) return Attempt::kCommitted;
  if (!rollback_if_failed(conn, deadline)) return Attempt::kConnectionLost;
  if (first_error == nullptr) return Attempt::kBatchFailed;  // cannot happen: COMMIT without error
  // Errors of the transaction or the server, not of one request's data:
  // statement_timeout or a cancel (57), serialization failure or deadlock
  // (40), out of disk or memory (53), a connection problem (08). Running the
  // batch again without one request would not help.
  const bool whole_batch = sqlstate.starts_with("57") || sqlstate.starts_with("40") ||
                           sqlstate.starts_with("53") || sqlstate.starts_with("08");
  if (first_error->kind == Command::Kind::kRequest && !whole_batch) {
    log_failure("a statement (its request fails alone; the batch runs again)", error_text);
    failed_request_ = first_error->index;
    return Attempt::kRequestFailed;
  }
  log_failure(first_error->kind == Command::Kind::kCommit  ? "COMMIT"
              : first_error->kind == Command::Kind::kBegin ? "BEGIN"
              : first_error->kind == Command::Kind::kTrim  ? "trimming chat history"
                                                           : "a statement (the batch fails)",
              error_text);
  return Attempt::kBatchFailed;
}

// The connection failed or a deadline passed while reading results: the
// pipeline is out of step, so the connection goes. If COMMIT had answered,
// the batch holds all the same.
BatchRunner::Attempt BatchRunner::lost_after(bool committed) {
  if (!committed) return Attempt::kConnectionLost;
  pipeline_broken_ = true;
  return Attempt::kCommitted;
}

// An error inside BEGIN ... COMMIT leaves the transaction aborted after the
// sync; it stays so until a ROLLBACK.
bool BatchRunner::rollback_if_failed(PGconn* conn, std::chrono::steady_clock::time_point deadline) {
  if (PQtransactionStatus(conn) == PQTRANS_IDLE) return true;
  if (!send_plain(conn, "ROLLBACK") || PQpipelineSync(conn) == 0) return false;
  if (!flush_until(conn, deadline)) return false;
  for (int expected = 0; expected < 3; ++expected) {  // result, null, sync
    if (!await_result(conn, deadline)) return false;
    const Result r(PQgetResult(conn));
    if (expected == 2) return r && PQresultStatus(r.get()) == PGRES_PIPELINE_SYNC;
  }
  return false;
}

bool BatchRunner::needs_command(Request& request) const {
  return std::visit(
      [this](auto& r) {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, CreateAccountRequest>) {
          if (!r.username.empty() || !r.device_id.empty()) return true;
          r.result.error = StoreError::kInvalidArgument;
          return false;
        } else if constexpr (std::is_same_v<T, FindByUsernameRequest>) {
          return !r.username.empty();  // guests have no name to find
        } else if constexpr (std::is_same_v<T, GuestLoginRequest>) {
          if (!r.device_id.empty()) return true;
          r.result.error = StoreError::kInvalidArgument;
          return false;
        } else if constexpr (std::is_same_v<T, LoadHistoryRequest>) {
          return std::min(r.limit, history_per_channel_) != 0;
        } else {
          return true;
        }
      },
      request);
}

bool BatchRunner::send(PGconn* conn, Request& request) {
  const BinaryInt8 now(batch_time_unix_ms_);
  return std::visit(
      [&](auto& r) {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, CreateAccountRequest>) {
          return send_prepared(
              conn, stmt::kCreateAccount,
              {text(r.username), text(r.password_hash), text(r.device_id), int8(now)});
        } else if constexpr (std::is_same_v<T, FindByUsernameRequest>) {
          return send_prepared(conn, stmt::kFindByUsername, {text(r.username)});
        } else if constexpr (std::is_same_v<T, FindByIdRequest>) {
          const BinaryInt8 id(r.account_id);
          return send_prepared(conn, stmt::kFindById, {int8(id)});
        } else if constexpr (std::is_same_v<T, GuestLoginRequest>) {
          return send_prepared(conn, stmt::kGuestLogin, {text(r.device_id), int8(now)});
        } else if constexpr (std::is_same_v<T, AppendHistoryRequest>) {
          channels_appended_.push_back(r.channel);
          const BinaryInt8 sender(r.message.sender_id);
          const BinaryInt8 sent_at(r.message.sent_at_unix_ms);
          return send_prepared(conn, stmt::kAppendHistory,
                               {text(r.channel), int8(sender), text(r.message.sender_name),
                                text(r.message.text), int8(sent_at)});
        } else if constexpr (std::is_same_v<T, WriteObjectsRequest>) {
          return send_object_request(conn, r, batch_time_unix_ms_);
        } else if constexpr (std::is_same_v<T, ReadObjectsRequest> ||
                             std::is_same_v<T, DeleteObjectsRequest> ||
                             std::is_same_v<T, ListObjectsRequest>) {
          return send_object_request(conn, r);
        } else if constexpr (std::is_same_v<T, LoadHistoryRequest>) {
          const BinaryInt8 limit(std::min(r.limit, history_per_channel_));
          return send_prepared(conn, stmt::kLoadHistory, {text(r.channel), int8(limit)});
        } else if constexpr (std::is_same_v<T, SaveLeaderboardRequest>) {
          const LeaderboardBoardRow& b = r.board;
          const BinaryInt8 order(b.sort_order), op(b.score_operator),
              metadata(b.max_metadata_bytes), records(b.max_records),
              current(b.current_start_unix_ms), has_previous(b.has_previous ? 1 : 0),
              previous_start(b.previous_start_unix_ms), previous_end(b.previous_end_unix_ms);
          return send_prepared(conn, stmt::kSaveLeaderboard,
                               {text(b.id), int8(order), int8(op), text(b.reset_schedule),
                                int8(metadata), int8(records), int8(current), int8(has_previous),
                                int8(previous_start), int8(previous_end)});
        } else if constexpr (std::is_same_v<T, SaveLeaderboardRecordRequest>) {
          const LeaderboardRecordRow& x = r.record;
          const BinaryInt8 period(x.period_start_unix_ms), user(x.user_id), score(x.score),
              subscore(x.subscore), submissions(x.num_submissions), created(x.create_time_unix_ms),
              updated(x.update_time_unix_ms), sequence(x.sequence);
          return send_prepared(conn, stmt::kSaveLeaderboardRecord,
                               {text(x.board_id), int8(period), int8(user), text(x.username),
                                int8(score), int8(subscore), int8(submissions), text(x.metadata),
                                int8(created), int8(updated), int8(sequence)});
        } else if constexpr (std::is_same_v<T, DeleteLeaderboardRecordRequest>) {
          const BinaryInt8 period(r.period_start_unix_ms), user(r.user_id);
          return send_prepared(conn, stmt::kDeleteLeaderboardRecord,
                               {text(r.board_id), int8(period), int8(user)});
        } else {
          static_assert(std::is_same_v<T, LoadLeaderboardsRequest>);
          return send_prepared(conn, stmt::kLoadLeaderboards, {});
        }
      },
      request);
}

void BatchRunner::take_result(Request& request, const PGresult* res) {
  std::visit(
      [&](auto& r) {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, CreateAccountRequest>) {
          if (!PQgetisnull(res, 0, 0)) {
            r.result.value = int64_at(res, 0, 0);
          } else if (bool_at(res, 0, 1)) {
            r.result.error = StoreError::kUsernameTaken;
          } else if (bool_at(res, 0, 2)) {
            r.result.error = StoreError::kDeviceTaken;
          } else {
            // The clash is with a row another node committed after this
            // statement's snapshot: it is not visible, but it exists.
            r.result.error =
                r.username.empty() ? StoreError::kDeviceTaken : StoreError::kUsernameTaken;
          }
        } else if constexpr (std::is_same_v<T, FindByUsernameRequest> ||
                             std::is_same_v<T, FindByIdRequest>) {
          r.result.value = account_from(res);
        } else if constexpr (std::is_same_v<T, GuestLoginRequest>) {
          if (PQntuples(res) == 0) {
            // Another node created this device's account after our snapshot
            // (both inserts raced): it exists, we cannot see it yet. The
            // client's retry finds it.
            log_failure("a guest login racing another node", r.device_id);
            r.result.error = StoreError::kStorageError;
            return;
          }
          r.result.value = {int64_at(res, 0, 0), bool_at(res, 0, 1)};
        } else if constexpr (std::is_same_v<T, ReadObjectsRequest> ||
                             std::is_same_v<T, WriteObjectsRequest> ||
                             std::is_same_v<T, DeleteObjectsRequest> ||
                             std::is_same_v<T, ListObjectsRequest>) {
          take_object_result(r, res);
        } else if constexpr (std::is_same_v<T, LoadHistoryRequest>) {
          auto& messages = r.result.value;
          const int rows = PQntuples(res);
          messages.reserve(static_cast<std::size_t>(rows));
          // Newest first out of the index; callers want reading order.
          for (int row = rows - 1; row >= 0; --row) {
            messages.push_back({int64_at(res, row, 0), text_at(res, row, 1), text_at(res, row, 2),
                                int64_at(res, row, 3)});
          }
        } else if constexpr (std::is_same_v<T, LoadLeaderboardsRequest>) {
          auto& data = r.result.value;
          const int rows = PQntuples(res);
          for (int row = 0; row < rows; ++row) {
            std::string id = text_at(res, row, 0);
            if (data.boards.empty() || data.boards.back().id != id) {  // rows come by board
              data.boards.push_back(
                  {id, int64_at(res, row, 1), int64_at(res, row, 2), text_at(res, row, 3),
                   int64_at(res, row, 4), int64_at(res, row, 5), int64_at(res, row, 6),
                   int64_at(res, row, 7) != 0, int64_at(res, row, 8), int64_at(res, row, 9)});
            }
            if (PQgetisnull(res, row, 11)) continue;  // a board without records
            data.records.push_back({std::move(id), int64_at(res, row, 10), int64_at(res, row, 11),
                                    text_at(res, row, 12), int64_at(res, row, 13),
                                    int64_at(res, row, 14), int64_at(res, row, 15),
                                    text_at(res, row, 16), int64_at(res, row, 17),
                                    int64_at(res, row, 18), int64_at(res, row, 19)});
          }
        }
      },
      request);
}

void BatchRunner::log_failure(std::string_view during, const std::string& message) {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_failure_log_ < kFailureLogInterval) {
    ++failure_logs_suppressed_;
    return;
  }
  last_failure_log_ = now;
  spdlog::error("store: postgres failed during {}: {}; {} similar lines suppressed", during,
                message, std::exchange(failure_logs_suppressed_, 0));
}

}  // namespace citadel::store::pg
