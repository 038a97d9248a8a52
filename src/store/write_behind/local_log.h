// The local half of write-behind: a SQLite file holding the objects this node
// has read or written (the hot copy), the outbox of acknowledged writes not
// yet in PostgreSQL, and tombstones for deletes not yet flushed. One thread
// ("citadel-wblocal") owns the connection; jobs are taken in groups and run
// in one transaction each (group commit), and callbacks run only after
// COMMIT: a write is acknowledged once it and its outbox row are on disk
// (synchronous=FULL: an fsync per transaction, shared by the group).
//
// An object is "known" locally when its row or its tombstone is here. A write
// or delete that names an unknown object cannot check its condition here: the
// job completes with the unknown ids instead, and the caller fetches them from
// PostgreSQL and runs the job again with them (hydration).
//
// Thread contract: submit_* from any thread, never blocking (a full queue
// refuses with kOverloaded inline); callbacks on this thread; report_flushed
// from the writers' threads.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "store/object_store.h"
#include "store/sqlite_handle.h"
#include "store/write_behind/outbox_entry.h"
#include "store/write_behind/pg_flusher.h"
#include "store/write_behind/write_behind_config.h"

namespace citadel::store::wb {

class LocalDb;

struct LocalReadResult {
  StoreError error = StoreError::kOk;
  // Per requested id, in request order: the object, absent (known to be
  // absent here: a pending delete), or unknown (ask PostgreSQL).
  enum class State : uint8_t { kFound, kAbsent, kUnknown };
  std::vector<State> states;
  std::vector<StorageObject> found;  // the kFound ones, in request order
};

struct LocalWriteResult {
  ObjectWriteResult result;
  std::vector<ObjectId> unknown;  // non-empty: hydrate these and run again
  // With unknown ids: the job's items, handed back for the second run.
  std::vector<ObjectWrite> writes;
  std::vector<ObjectDelete> deletes;
};

// What a list must lay over PostgreSQL's page: the objects of one owner and
// collection past a key whose writes are not flushed yet.
struct LocalListResult {
  StoreError error = StoreError::kOk;
  std::vector<StorageObject> rows;        // written here, by key
  std::vector<std::string> deleted_keys;  // deleted here
};

class LocalLog {
 public:
  using ReadDone = std::function<void(LocalReadResult)>;
  using WriteDone = std::function<void(LocalWriteResult)>;
  using ListDone = std::function<void(LocalListResult)>;
  // The entries just committed, in seq order: hand them to their writers.
  using CommittedCallback = std::function<void(std::vector<OutboxEntry>)>;

  // Opens (creating) the file; throws StoreOpenError naming the path.
  explicit LocalLog(const WriteBehindConfig& config);
  ~LocalLog();  // stop()
  LocalLog(const LocalLog&) = delete;
  LocalLog& operator=(const LocalLog&) = delete;

  const std::string& log_id() const { return log_id_; }
  // The writer count this log shards by: the configured one, unless the
  // outbox was non-empty at open (then the one it was written with).
  uint32_t writers() const { return writers_; }
  // The outbox as found at open (a replay), in seq order. Call once, before start().
  std::vector<OutboxEntry> take_replay();
  // Starts the thread; `committed` runs on it after each commit.
  void start(CommittedCallback committed);
  // Completes every job accepted, then ends the thread. Idempotent.
  void stop();

  // Any thread. `hydrated` are PostgreSQL's rows for ids an earlier run
  // reported unknown, `absent` the ones it does not have.
  void submit_read(std::vector<ObjectId> ids, ReadDone done);
  void submit_write(std::vector<ObjectWrite> writes, std::vector<StorageObject> hydrated,
                    std::vector<ObjectId> absent, WriteDone done);
  void submit_delete(std::vector<ObjectDelete> deletes, std::vector<StorageObject> hydrated,
                     std::vector<ObjectId> absent, WriteDone done);
  // The pending (unflushed) objects of `query`'s owner and collection past
  // its after_key.
  void submit_list(ObjectListQuery query, ListDone done);
  // Rows read from PostgreSQL, kept so the next write of them is local.
  // Fire and forget; dropped when the queue is full.
  void submit_hydrate(std::vector<StorageObject> rows);
  // A writer's thread: a flush settled these entries.
  void report_flushed(FlushReport report);

  // Any thread.
  uint64_t pending() const { return pending_.load(std::memory_order_relaxed); }
  uint64_t refusals() const { return refusals_.load(std::memory_order_relaxed); }
  uint64_t commits() const { return commits_.load(std::memory_order_relaxed); }

 private:
  struct ReadJob {
    std::vector<ObjectId> ids;
    ReadDone done;
    LocalReadResult result;
  };
  struct WriteJob {
    std::vector<ObjectWrite> writes;
    std::vector<StorageObject> hydrated;
    std::vector<ObjectId> absent;
    WriteDone done;
    LocalWriteResult result;
  };
  struct DeleteJob {
    std::vector<ObjectDelete> deletes;
    std::vector<StorageObject> hydrated;
    std::vector<ObjectId> absent;
    WriteDone done;
    LocalWriteResult result;
  };
  struct HydrateJob {
    std::vector<StorageObject> rows;
  };
  struct ListJob {
    ObjectListQuery query;
    ListDone done;
    LocalListResult result;
  };
  using Job = std::variant<ReadJob, WriteJob, DeleteJob, HydrateJob, ListJob>;

  bool push(Job& job);
  void run();
  void run_group(std::vector<Job>& jobs, std::vector<FlushReport>& reports,
                 std::vector<OutboxEntry>& committed);

  const WriteBehindConfig config_;
  std::string log_id_;
  uint32_t writers_ = 1;
  std::unique_ptr<LocalDb> impl_;  // the connection and statements: this thread only
  std::vector<OutboxEntry> replay_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Job> jobs_;             // guarded by mutex_
  std::vector<FlushReport> reports_;  // guarded by mutex_ (at most one per writer per flush)
  bool closed_ = false;               // guarded by mutex_

  std::atomic<uint64_t> pending_{0};   // outbox rows; written by this thread
  std::atomic<uint64_t> refusals_{0};  // writes refused with kBacklogFull
  std::atomic<uint64_t> commits_{0};
  CommittedCallback committed_;
  std::thread thread_;
};

}  // namespace citadel::store::wb
