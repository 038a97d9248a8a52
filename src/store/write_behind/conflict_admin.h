// What an operator does with write-behind conflicts (the rows pg_flusher.cc
// keeps in citadel_write_behind_conflicts): list them, a page at a time, and
// dismiss one once it has been dealt with. Rare calls from the admin port, so
// one thread of its own with one PostgreSQL connection (opened on first use,
// opened again after a failure): never a game loop's thread, never the
// writers' connections, whose flushes must not wait behind an operator.
//
// Thread contract: list() and dismiss() from any thread; `done` runs once,
// on this object's thread (or, for calls still queued at destruction, on
// the destroying thread, with an error).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "store/postgres/pg_handle.h"
#include "store/postgres/pg_io.h"
#include "store/postgres/postgres_config.h"

namespace citadel::store::wb {

// One kept write that lost: the local write (op, value, version, and the
// version it was based on) against what PostgreSQL held when it was flushed.
struct ConflictRow {
  int64_t id = 0;
  std::string log_id;  // the local log (node) that wrote it
  int64_t seq = 0;     // its place in that log's outbox
  int64_t owner_id = 0;
  std::string collection;
  std::string key;
  bool is_delete = false;
  std::optional<std::string> value;  // the write's JSON; none for a delete
  int64_t base_version = 0;          // the version the write was based on
  int64_t version = 0;               // the version it would have made
  int64_t found_version = 0;         // PostgreSQL's version then (0: absent)
  int64_t at_unix_ms = 0;            // when the flush found it
};

// A call's outcome: `error` empty on success.
struct ConflictPage {
  std::vector<ConflictRow> rows;  // ascending id, at most `limit`
  std::string error;
};
struct DismissOutcome {
  bool found = false;  // a row with that id was there (and is gone now)
  std::string error;
};

class ConflictAdmin {
 public:
  // Starts the thread; connects on the first call.
  explicit ConflictAdmin(PostgresConfig config);
  ~ConflictAdmin();  // stops the thread; queued calls complete with an error
  ConflictAdmin(const ConflictAdmin&) = delete;
  ConflictAdmin& operator=(const ConflictAdmin&) = delete;

  // Conflicts with id > after_id, oldest first, at most `limit` (1..1000).
  void list(int64_t after_id, uint32_t limit, std::function<void(ConflictPage)> done);
  // Deletes the conflict `id` (the operator resolved it).
  void dismiss(int64_t id, std::function<void(DismissOutcome)> done);

 private:
  // A queued call: runs with a connection, or with nullptr and why there is
  // none (connect failed, shutting down).
  using Job = std::function<void(PGconn* conn, const std::string& no_conn_error)>;
  void post(Job job);
  void run();
  PGconn* connection(std::string* error);
  pg::Deadline deadline() const;

  const PostgresConfig config_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  pg::Conn conn_;        // the thread's
  std::jthread thread_;  // last: starts once the members above exist
};

}  // namespace citadel::store::wb
