#include "store/sqlite_batch_runner.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "store/unix_ms.h"

namespace citadel::store::sqlite {
namespace {

constexpr auto kFailureLogInterval = std::chrono::seconds(1);

constexpr std::string_view kAccountColumns =
    "SELECT id, username, password_hash, device_id, created_at_ms FROM accounts ";

}  // namespace

BatchRunner::BatchRunner(sqlite3* db, uint32_t history_per_channel)
    : db_(db),
      history_per_channel_(history_per_channel),
      // IMMEDIATE takes the write lock at BEGIN, so a batch never fails
      // half-way with SQLITE_BUSY when another connection holds it: it waits
      // (busy_timeout) before doing any work.
      begin_immediate_(db, "BEGIN IMMEDIATE"),
      begin_deferred_(db, "BEGIN"),
      commit_(db, "COMMIT"),
      rollback_(db, "ROLLBACK"),
      insert_account_(db,
                      "INSERT INTO accounts (username, password_hash, device_id, created_at_ms) "
                      "VALUES (?1, ?2, ?3, ?4)"),
      select_account_by_username_(db, std::string(kAccountColumns) + "WHERE username = ?1"),
      select_account_by_id_(db, std::string(kAccountColumns) + "WHERE id = ?1"),
      select_id_by_device_(db, "SELECT id FROM accounts WHERE device_id = ?1"),
      insert_history_(db,
                      "INSERT INTO chat_history (channel, sender_id, sender_name, text, "
                      "sent_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)"),
      select_recent_history_(db,
                             "SELECT sender_id, sender_name, text, sent_at_ms FROM chat_history "
                             "WHERE channel = ?1 ORDER BY id DESC LIMIT ?2"),
      // The id of the channel's N-th newest row bounds what is kept; with
      // fewer than N rows the subquery is NULL and nothing is deleted. Both
      // halves walk the (channel, id) index.
      trim_history_(db,
                    "DELETE FROM chat_history WHERE channel = ?1 AND id < ("
                    "SELECT id FROM chat_history WHERE channel = ?1 "
                    "ORDER BY id DESC LIMIT 1 OFFSET ?2)"),
      upsert_leaderboard_(db,
                          "INSERT OR REPLACE INTO leaderboard_boards (id, sort_order, "
                          "score_operator, reset_schedule, max_metadata_bytes, max_records, "
                          "current_start_ms, has_previous, previous_start_ms, previous_end_ms) "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"),
      delete_old_leaderboard_records_(
          db, "DELETE FROM leaderboard_records WHERE board_id = ?1 AND period_start_ms < ?2"),
      upsert_leaderboard_record_(
          db,
          "INSERT OR REPLACE INTO leaderboard_records (board_id, period_start_ms, user_id, "
          "username, score, subscore, num_submissions, metadata, create_ms, update_ms, sequence) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"),
      delete_leaderboard_record_(db,
                                 "DELETE FROM leaderboard_records WHERE board_id = ?1 AND "
                                 "period_start_ms = ?2 AND user_id = ?3"),
      select_leaderboards_(db,
                           "SELECT id, sort_order, score_operator, reset_schedule, "
                           "max_metadata_bytes, max_records, current_start_ms, has_previous, "
                           "previous_start_ms, previous_end_ms FROM leaderboard_boards"),
      select_leaderboard_records_(
          db,
          "SELECT board_id, period_start_ms, user_id, username, score, subscore, "
          "num_submissions, metadata, create_ms, update_ms, sequence FROM leaderboard_records"),
      objects_(db) {}

bool BatchRunner::run_in_writer(std::span<QueuedRequest> batch) {
  channels_appended_.clear();
  batch_time_unix_ms_ = unix_ms_now();
  const bool writes = std::any_of(batch.begin(), batch.end(),
                                  [](const QueuedRequest& q) { return is_write(q.request); });

  int rc = done_or_error(StatementScope(writes ? begin_immediate_ : begin_deferred_)->step());
  if (rc != SQLITE_OK) {
    log_failure(rc, "BEGIN");
    fail_batch(batch);
    return false;
  }

  for (QueuedRequest& queued : batch) {
    Request& request = queued.request;
    rc = std::visit([this](auto& r) { return execute(r); }, request);
    if (rc == SQLITE_OK) continue;
    log_failure(rc, "a statement");
    // Some errors (I/O, disk full, out of memory) roll back the whole
    // transaction, not just the statement: then nothing in the batch holds.
    if (sqlite3_get_autocommit(db_) != 0) {
      fail_batch(batch);
      return false;
    }
    fail(request, StoreError::kStorageError);
  }

  rc = trim_history();
  if (rc != SQLITE_OK) {
    // Rows over the limit stay until the channel's next append; not worth
    // failing the logins in this batch for.
    log_failure(rc, "trimming chat history");
    if (sqlite3_get_autocommit(db_) != 0) {
      fail_batch(batch);
      return false;
    }
  }

  rc = done_or_error(StatementScope(commit_)->step());
  if (rc != SQLITE_OK) {
    log_failure(rc, "COMMIT");
    fail_batch(batch);
    return false;
  }
  return true;
}

void BatchRunner::fail_batch(std::span<QueuedRequest> batch) {
  if (sqlite3_get_autocommit(db_) == 0) StatementScope(rollback_)->step();
  for (QueuedRequest& queued : batch) fail(queued.request, StoreError::kStorageError);
}

int BatchRunner::execute(CreateAccountRequest& r) {
  if (r.username.empty() && r.device_id.empty()) {
    r.result.error = StoreError::kInvalidArgument;
    return SQLITE_OK;
  }
  int rc = 0;
  {
    StatementScope insert(insert_account_);
    insert->bind_text_or_null(1, r.username);
    insert->bind_text_or_null(2, r.password_hash);
    insert->bind_text_or_null(3, r.device_id);
    insert->bind_int64(4, batch_time_unix_ms_);
    rc = insert->step();
  }
  if (rc == SQLITE_DONE) {
    r.result.value = sqlite3_last_insert_rowid(db_);
    return SQLITE_OK;
  }
  if (rc != SQLITE_CONSTRAINT_UNIQUE) return rc;
  // The statement failed alone; the transaction goes on. Which of the two
  // unique columns clashed: look the username up rather than parse the
  // error text.
  std::optional<Account> holder;
  if (!r.username.empty()) {
    StatementScope select(select_account_by_username_);
    select->bind_text(1, r.username);
    rc = select_account(*select, holder);
    if (rc != SQLITE_OK) return rc;
  }
  r.result.error = holder ? StoreError::kUsernameTaken : StoreError::kDeviceTaken;
  return SQLITE_OK;
}

int BatchRunner::execute(FindByUsernameRequest& r) {
  if (r.username.empty()) return SQLITE_OK;  // guests have no name to find
  StatementScope select(select_account_by_username_);
  select->bind_text(1, r.username);
  return select_account(*select, r.result.value);
}

int BatchRunner::execute(FindByIdRequest& r) {
  StatementScope select(select_account_by_id_);
  select->bind_int64(1, r.account_id);
  return select_account(*select, r.result.value);
}

int BatchRunner::execute(GuestLoginRequest& r) {
  if (r.device_id.empty()) {
    r.result.error = StoreError::kInvalidArgument;
    return SQLITE_OK;
  }
  // Look up first: a returning guest then costs one index probe and writes
  // nothing. Race-free, because this thread is the only writer.
  {
    StatementScope select(select_id_by_device_);
    select->bind_text(1, r.device_id);
    const int rc = select->step();
    if (rc == SQLITE_ROW) {
      r.result.value = {select->column_int64(0), false};
      return SQLITE_OK;
    }
    if (rc != SQLITE_DONE) return rc;
  }
  StatementScope insert(insert_account_);
  insert->bind_text(3, r.device_id);  // username and password_hash stay NULL
  insert->bind_int64(4, batch_time_unix_ms_);
  const int rc = insert->step();
  if (rc != SQLITE_DONE) return rc;
  r.result.value = {sqlite3_last_insert_rowid(db_), true};
  return SQLITE_OK;
}

int BatchRunner::execute(AppendHistoryRequest& r) {
  StatementScope insert(insert_history_);
  insert->bind_text(1, r.channel);
  insert->bind_int64(2, r.message.sender_id);
  insert->bind_text(3, r.message.sender_name);
  insert->bind_text(4, r.message.text);
  insert->bind_int64(5, r.message.sent_at_unix_ms);
  const int rc = done_or_error(insert->step());
  if (rc == SQLITE_OK) channels_appended_.push_back(r.channel);
  return rc;
}

int BatchRunner::execute(LoadHistoryRequest& r) {
  const uint32_t limit = std::min(r.limit, history_per_channel_);
  if (limit == 0) return SQLITE_OK;
  StatementScope select(select_recent_history_);
  select->bind_text(1, r.channel);
  select->bind_int64(2, limit);
  auto& messages = r.result.value;
  int rc = 0;
  while ((rc = select->step()) == SQLITE_ROW) {
    messages.push_back({select->column_int64(0), select->column_text(1), select->column_text(2),
                        select->column_int64(3)});
  }
  // Newest first out of the index; callers want reading order.
  std::reverse(messages.begin(), messages.end());
  return done_or_error(rc);
}

int BatchRunner::execute(SaveLeaderboardRequest& r) {
  const LeaderboardBoardRow& b = r.board;
  {
    StatementScope upsert(upsert_leaderboard_);
    upsert->bind_text(1, b.id);
    upsert->bind_int64(2, b.sort_order);
    upsert->bind_int64(3, b.score_operator);
    upsert->bind_text(4, b.reset_schedule);
    upsert->bind_int64(5, b.max_metadata_bytes);
    upsert->bind_int64(6, b.max_records);
    upsert->bind_int64(7, b.current_start_unix_ms);
    upsert->bind_int64(8, b.has_previous ? 1 : 0);
    upsert->bind_int64(9, b.previous_start_unix_ms);
    upsert->bind_int64(10, b.previous_end_unix_ms);
    const int rc = done_or_error(upsert->step());
    if (rc != SQLITE_OK) return rc;
  }
  StatementScope trim(delete_old_leaderboard_records_);
  trim->bind_text(1, b.id);
  trim->bind_int64(2, b.has_previous ? b.previous_start_unix_ms : b.current_start_unix_ms);
  return done_or_error(trim->step());
}

int BatchRunner::execute(SaveLeaderboardRecordRequest& r) {
  const LeaderboardRecordRow& x = r.record;
  StatementScope upsert(upsert_leaderboard_record_);
  upsert->bind_text(1, x.board_id);
  upsert->bind_int64(2, x.period_start_unix_ms);
  upsert->bind_int64(3, x.user_id);
  upsert->bind_text(4, x.username);
  upsert->bind_int64(5, x.score);
  upsert->bind_int64(6, x.subscore);
  upsert->bind_int64(7, x.num_submissions);
  upsert->bind_text(8, x.metadata);
  upsert->bind_int64(9, x.create_time_unix_ms);
  upsert->bind_int64(10, x.update_time_unix_ms);
  upsert->bind_int64(11, x.sequence);
  return done_or_error(upsert->step());
}

int BatchRunner::execute(DeleteLeaderboardRecordRequest& r) {
  StatementScope remove(delete_leaderboard_record_);
  remove->bind_text(1, r.board_id);
  remove->bind_int64(2, r.period_start_unix_ms);
  remove->bind_int64(3, r.user_id);
  return done_or_error(remove->step());
}

int BatchRunner::execute(LoadLeaderboardsRequest& r) {
  int rc = 0;
  {
    StatementScope select(select_leaderboards_);
    while ((rc = select->step()) == SQLITE_ROW) {
      r.result.value.boards.push_back({select->column_text(0), select->column_int64(1),
                                       select->column_int64(2), select->column_text(3),
                                       select->column_int64(4), select->column_int64(5),
                                       select->column_int64(6), select->column_int64(7) != 0,
                                       select->column_int64(8), select->column_int64(9)});
    }
    if (rc != SQLITE_DONE) return rc;
  }
  StatementScope select(select_leaderboard_records_);
  while ((rc = select->step()) == SQLITE_ROW) {
    r.result.value.records.push_back(
        {select->column_text(0), select->column_int64(1), select->column_int64(2),
         select->column_text(3), select->column_int64(4), select->column_int64(5),
         select->column_int64(6), select->column_text(7), select->column_int64(8),
         select->column_int64(9), select->column_int64(10)});
  }
  return done_or_error(rc);
}

int BatchRunner::select_account(Statement& stmt, std::optional<Account>& found) {
  const int rc = stmt.step();
  if (rc == SQLITE_DONE) return SQLITE_OK;
  if (rc != SQLITE_ROW) return rc;
  found = Account{stmt.column_int64(0), stmt.column_text(1), stmt.column_text(2),
                  stmt.column_text(3), stmt.column_int64(4)};
  return SQLITE_OK;
}

int BatchRunner::trim_history() {
  if (channels_appended_.empty()) return SQLITE_OK;
  std::sort(channels_appended_.begin(), channels_appended_.end());
  const auto last = std::unique(channels_appended_.begin(), channels_appended_.end());
  for (auto it = channels_appended_.begin(); it != last; ++it) {
    StatementScope trim(trim_history_);
    trim->bind_text(1, *it);
    trim->bind_int64(2, int64_t{history_per_channel_} - 1);
    const int rc = done_or_error(trim->step());
    if (rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

void BatchRunner::log_failure(int rc, std::string_view during) {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_failure_log_ < kFailureLogInterval) {
    ++failure_logs_suppressed_;
    return;
  }
  last_failure_log_ = now;
  spdlog::error("store: sqlite failed during {}: {} ({}); {} similar lines suppressed", during,
                sqlite3_errmsg(db_), rc, std::exchange(failure_logs_suppressed_, 0));
}

}  // namespace citadel::store::sqlite
