// Runs batches of store requests against the write connection, one
// transaction per batch (group commit): a thousand guest logins cost one
// COMMIT, not a thousand. Writer thread only; owns the prepared statements.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "store/sqlite_handle.h"
#include "store/sqlite_object_runner.h"
#include "store/store_requests.h"

namespace citadel::store::sqlite {

class BatchRunner {
 public:
  // Prepares every statement once. `db` must outlive the runner. Throws
  // SqliteError if a statement does not compile (a schema mismatch).
  BatchRunner(sqlite3* db, uint32_t history_per_channel);
  BatchRunner(const BatchRunner&) = delete;
  BatchRunner& operator=(const BatchRunner&) = delete;

  // Executes `batch` in one transaction and fills every request's result;
  // callbacks are not run here. Returns true when the transaction committed.
  // A request whose own statement failed (and did not take the transaction
  // with it) gets kStorageError while the rest commit. When the transaction
  // fails as a whole (BEGIN or COMMIT refused, or an I/O error that rolled it
  // back), every request gets kStorageError and false is returned.
  bool run_in_writer(std::span<QueuedRequest> batch);

 private:
  int execute(CreateAccountRequest& r);
  int execute(FindByUsernameRequest& r);
  int execute(FindByIdRequest& r);
  int execute(GuestLoginRequest& r);
  int execute(AppendHistoryRequest& r);
  int execute(LoadHistoryRequest& r);
  int execute(SaveLeaderboardRequest& r);
  int execute(SaveLeaderboardRecordRequest& r);
  int execute(DeleteLeaderboardRecordRequest& r);
  int execute(LoadLeaderboardsRequest& r);
  int execute(ReadObjectsRequest& r) { return objects_.execute(r); }
  int execute(WriteObjectsRequest& r) { return objects_.execute(r, batch_time_unix_ms_); }
  int execute(DeleteObjectsRequest& r) { return objects_.execute(r); }
  int execute(ListObjectsRequest& r) { return objects_.execute(r); }

  // Runs a SELECT of one account row; `found` is left empty when no row matched.
  int select_account(Statement& stmt, std::optional<Account>& found);
  // Deletes all but the newest history_per_channel rows of every channel
  // appended to in this batch: one DELETE per channel per batch, not per insert.
  int trim_history();
  void fail_batch(std::span<QueuedRequest> batch);
  // At most one line a second: a full disk fails every batch, ~50 a second.
  void log_failure(int rc, std::string_view during);

  sqlite3* const db_;
  const uint32_t history_per_channel_;
  int64_t batch_time_unix_ms_ = 0;  // one wall-clock read per batch

  Statement begin_immediate_;
  Statement begin_deferred_;
  Statement commit_;
  Statement rollback_;
  Statement insert_account_;
  Statement select_account_by_username_;
  Statement select_account_by_id_;
  Statement select_id_by_device_;
  Statement insert_history_;
  Statement select_recent_history_;
  Statement trim_history_;
  Statement upsert_leaderboard_;
  Statement delete_old_leaderboard_records_;
  Statement upsert_leaderboard_record_;
  Statement delete_leaderboard_record_;
  Statement select_leaderboards_;
  Statement select_leaderboard_records_;
  ObjectRunner objects_;

  // Channels appended to in the current batch; the views point into the
  // batch's requests, which outlive the batch.
  std::vector<std::string_view> channels_appended_;

  std::chrono::steady_clock::time_point last_failure_log_{};
  uint64_t failure_logs_suppressed_ = 0;
};

}  // namespace citadel::store::sqlite
