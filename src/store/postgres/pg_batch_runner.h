// Runs one batch of store requests on a PostgreSQL connection: BEGIN, one
// statement per request, a trim per channel appended to, COMMIT, all sent as
// one pipeline (PQenterPipelineMode) and answered in one round trip.
//
// Why pipeline mode rather than one multi-statement string: every request
// keeps its own prepared statement with binary parameters (no SQL built from
// user text, no escaping), and every statement gets its own result, so each
// request's answer and error are known. Store thread only.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/store_requests.h"

namespace citadel::store::pg {

class BatchRunner {
 public:
  BatchRunner(uint32_t history_per_channel, std::chrono::milliseconds batch_timeout);

  struct Outcome {
    bool committed = false;        // every request not failed alone holds
    bool connection_lost = false;  // drop the connection (timeouts included)
  };

  // Executes `batch` in one transaction and fills every request's result;
  // callbacks are not run here. A request whose own statement failed (bad
  // text encoding, say) gets kStorageError and the batch runs again without
  // it, so one bad request does not fail a thousand logins. When the
  // transaction fails as a whole or the connection is lost, every remaining
  // request gets kStorageError (a write whose COMMIT was sent but not
  // answered may have committed: kStorageError means "not known to be done").
  Outcome run(PGconn* conn, std::span<QueuedRequest> batch);

 private:
  struct Command {
    enum class Kind { kBegin, kRequest, kTrim, kCommit } kind;
    std::size_t index = 0;  // kRequest: position in the batch
  };
  enum class Attempt { kCommitted, kRequestFailed, kBatchFailed, kConnectionLost };

  Attempt attempt(PGconn* conn, std::span<QueuedRequest> batch);
  // Sends the request's statement; false (with the result already set) when
  // it needs none.
  bool needs_command(Request& request) const;
  bool send(PGconn* conn, Request& request);
  void take_result(Request& request, const PGresult* result);
  Attempt lost_after(bool committed);
  bool rollback_if_failed(PGconn* conn, std::chrono::steady_clock::time_point deadline);
  void log_failure(std::string_view during, const std::string& message);

  const uint32_t history_per_channel_;
  const std::chrono::milliseconds batch_timeout_;
  int64_t batch_time_unix_ms_ = 0;  // one wall-clock read per batch

  std::vector<bool> excluded_;  // requests failed alone in this batch
  std::vector<Command> commands_;
  std::vector<std::string_view> channels_appended_;  // views into the batch's requests
  std::size_t failed_request_ = 0;                   // set with Attempt::kRequestFailed
  bool pipeline_broken_ = false;                     // committed, but the connection must go

  std::chrono::steady_clock::time_point last_failure_log_{};
  uint64_t failure_logs_suppressed_ = 0;
};

}  // namespace citadel::store::pg
