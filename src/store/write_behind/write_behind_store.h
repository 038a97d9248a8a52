// Write-behind for player storage objects on the PostgreSQL backend
// (store.write_behind.enabled). A decorator over PostgresStore: accounts,
// chat history and leaderboards go straight to it; storage objects go
// through a local durable copy first.
//
//   write/delete ──▶ LocalLog (SQLite, one thread): check the conditions
//                    against the local copy, apply, append to the outbox,
//                    COMMIT (fsync) ──▶ acknowledged
//                         │ committed entries, by owner_id % writers
//                         ▼
//                    PgFlusher × writers (own connections): every
//                    flush_interval_ms or max_batch entries, one statement
//                    applies a shard's batch if each object still holds the
//                    version it was based on; else a conflict, kept in
//                    citadel_write_behind_conflicts, never written over
//                         │ settled seqs
//                         ▼
//                    LocalLog removes them from the outbox
//
// Reads come from the local copy when the object is there (the hot path),
// else from PostgreSQL (and the rows are kept locally). A write of an object
// the local copy does not know fetches it from PostgreSQL first, so its
// condition is checked against the real version. Lists read PostgreSQL's
// page and lay the local writes not yet flushed over it (read-your-writes). On start a non-empty
// outbox is replayed. While PostgreSQL is away the outbox grows up to max_pending, then writes are
// refused with kBacklogFull; flushing resumes by itself when it returns.
//
// Thread contract: account_store.h. Callbacks run on the local log's thread
// or the PostgreSQL store's thread, never the caller's.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "store/postgres/postgres_config.h"
#include "store/postgres/postgres_store.h"
#include "store/store.h"
#include "store/write_behind/local_log.h"
#include "store/write_behind/pg_flusher.h"
#include "store/write_behind/write_behind_config.h"

namespace citadel::store {

class WriteBehindStore final : public Store {
 public:
  // Opens the PostgreSQL store, creates the write-behind tables, opens the
  // local file and starts the writers, which replay what the outbox holds.
  // Throws StoreOpenError, std::invalid_argument (a setting out of range).
  WriteBehindStore(const PostgresConfig& pg, const WriteBehindConfig& wb);
  ~WriteBehindStore() override;  // shutdown()

  // AccountStore, ChatHistoryStore, LeaderboardStore: PostgresStore's.
  void create_account(std::string username, std::string password_hash, std::string device_id,
                      CreateAccountCallback done) override;
  void find_by_username(std::string username, FindAccountCallback done) override;
  void find_by_id(int64_t account_id, FindAccountCallback done) override;
  void find_or_create_guest(std::string device_id, GuestLoginCallback done) override;
  bool append(std::string channel, int64_t sender_id, std::string sender_name, std::string text,
              int64_t sent_at_unix_ms, AppendCallback done = {}) override;
  void load_recent(std::string channel, uint32_t limit, HistoryCallback done) override;
  void save_leaderboard(LeaderboardBoardRow board, LeaderboardStore::WriteCallback done) override;
  void save_leaderboard_record(LeaderboardRecordRow record,
                               LeaderboardStore::WriteCallback done) override;
  void delete_leaderboard_record(std::string board_id, int64_t period_start_unix_ms,
                                 int64_t user_id, LeaderboardStore::WriteCallback done) override;
  void load_leaderboards(LoadCallback done) override;

  // ObjectStore, as described above. Invalid input completes inline with
  // kInvalidArgument, as in QueuedStore.
  void read_objects(std::vector<ObjectId> ids, ReadCallback done) override;
  void write_objects(std::vector<ObjectWrite> writes, ObjectStore::WriteCallback done) override;
  void delete_objects(std::vector<ObjectDelete> deletes, ObjectStore::WriteCallback done) override;
  void list_objects(ObjectListQuery query, ListCallback done) override;

  // Refuses new calls, completes what was accepted, gives every writer one
  // last flush attempt (what fails stays in the outbox for the next start),
  // and joins the threads.
  void shutdown() override;
  StoreStats stats() const override;
  std::string_view backend() const override { return pg_->backend(); }

 private:
  void write_round(std::vector<ObjectWrite> writes, std::vector<StorageObject> hydrated,
                   std::vector<ObjectId> absent, bool second, ObjectStore::WriteCallback done);
  void delete_round(std::vector<ObjectDelete> deletes, std::vector<StorageObject> hydrated,
                    std::vector<ObjectId> absent, bool second, ObjectStore::WriteCallback done);
  bool closing() const { return closing_.load(std::memory_order_acquire); }

  const WriteBehindConfig config_;
  std::unique_ptr<PostgresStore> pg_;
  std::unique_ptr<wb::LocalLog> local_;
  std::vector<std::unique_ptr<wb::PgFlusher>> flushers_;
  std::atomic<bool> closing_{false};
  bool shut_down_ = false;
};

}  // namespace citadel::store
