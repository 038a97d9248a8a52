#include "store/write_behind/local_log.h"

#include <fmt/format.h>
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>

#include "store/sqlite_database.h"
#include "store/store_open_error.h"
#include "store/store_requests.h"
#include "store/unix_ms.h"
#include "store/write_behind/local_db.h"

namespace citadel::store::wb {
namespace {

using Clock = std::chrono::steady_clock;

// Jobs accepted and not yet taken by the thread; past it calls are refused
// with kOverloaded (the outbox itself is bounded by max_pending).
constexpr std::size_t kMaxQueuedJobs = 65536;

// The write-behind tables, beside the embedded store's schema (which gives
// the local copy its storage_objects table and ObjectRunner its statements).
constexpr const char* kSchema = R"sql(
  CREATE TABLE IF NOT EXISTS wb_meta (log_id TEXT NOT NULL, writers INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS wb_outbox (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    op            INTEGER NOT NULL,
    owner_id      INTEGER NOT NULL,
    collection    TEXT NOT NULL,
    key           TEXT NOT NULL,
    value         TEXT,
    read_perm     INTEGER NOT NULL,
    write_perm    INTEGER NOT NULL,
    base_version  INTEGER NOT NULL,
    version       INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS wb_outbox_by_object ON wb_outbox (owner_id, collection, key, seq);
  CREATE TABLE IF NOT EXISTS wb_tombstones (
    owner_id INTEGER NOT NULL, collection TEXT NOT NULL, key TEXT NOT NULL,
    PRIMARY KEY (owner_id, collection, key)
  ) WITHOUT ROWID;
)sql";

std::string random_log_id() {
  std::random_device rd;
  return fmt::format("{:08x}{:08x}{:08x}{:08x}", rd(), rd(), rd(), rd());
}

}  // namespace

LocalLog::LocalLog(const WriteBehindConfig& config) : config_(config) {
  SqliteConfig sqlite;
  sqlite.path = config.path;
  SqliteDb db = open_sqlite_database(sqlite);
  try {
    // An acknowledged write survives a power loss too: one fsync per
    // transaction, shared by everything in it.
    exec_sql(db.get(), "PRAGMA synchronous=FULL");
    exec_sql(db.get(), kSchema);
    {
      Statement meta(db.get(), "SELECT log_id, writers FROM wb_meta");
      if (meta.step() == SQLITE_ROW) {
        log_id_ = meta.column_text(0);
        writers_ = static_cast<uint32_t>(meta.column_int64(1));
      }
    }
    Statement all(db.get(),
                  "SELECT seq, op, owner_id, collection, key, value, read_perm, write_perm, "
                  "base_version, version, updated_at_ms FROM wb_outbox ORDER BY seq");
    const auto now = Clock::now();
    while (all.step() == SQLITE_ROW) {
      OutboxEntry e;
      e.seq = all.column_int64(0);
      e.op = static_cast<OutboxOp>(all.column_int64(1));
      e.id = {all.column_text(3), all.column_text(4), all.column_int64(2)};
      e.value = all.column_text(5);
      e.read = static_cast<uint8_t>(all.column_int64(6));
      e.write = static_cast<uint8_t>(all.column_int64(7));
      e.base_version = all.column_int64(8);
      e.version = all.column_int64(9);
      e.updated_at_unix_ms = all.column_int64(10);
      e.queued_at = now;
      replay_.push_back(std::move(e));
    }
    if (log_id_.empty()) {
      log_id_ = random_log_id();
      writers_ = config.writers;
    } else if (writers_ != config.writers && !replay_.empty()) {
      // The offsets in PostgreSQL are per shard: entries written under one
      // sharding replay under it. The new count applies from the next start
      // with an empty outbox.
      spdlog::warn(
          "store: write-behind: {} entries pending from a run with {} writers; keeping {} "
          "writers until they are flushed",
          replay_.size(), writers_, writers_);
    } else {
      writers_ = config.writers;
    }
    exec_sql(db.get(), "DELETE FROM wb_meta");
    exec_sql(db.get(), fmt::format("INSERT INTO wb_meta (log_id, writers) VALUES ('{}', {})",
                                   log_id_, writers_)
                           .c_str());
    impl_ = std::make_unique<LocalDb>(std::move(db));
  } catch (const SqliteError& e) {
    throw StoreOpenError(fmt::format("write-behind: cannot use '{}': {}", config.path, e.what()));
  }
  pending_.store(replay_.size());
}

LocalLog::~LocalLog() {
  stop();
}

std::vector<OutboxEntry> LocalLog::take_replay() {
  return std::move(replay_);
}

void LocalLog::start(CommittedCallback committed) {
  committed_ = std::move(committed);
  thread_ = std::thread([this] { run(); });
}

void LocalLog::stop() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

bool LocalLog::push(Job& job) {
  {
    std::lock_guard lock(mutex_);
    if (closed_ || jobs_.size() >= kMaxQueuedJobs) {
      const StoreError error = closed_ ? StoreError::kShuttingDown : StoreError::kOverloaded;
      // Completed inline below, outside the lock.
      std::visit(
          [error](auto& j) {
            using T = std::decay_t<decltype(j)>;
            if constexpr (std::is_same_v<T, ReadJob> || std::is_same_v<T, ListJob>) {
              j.result.error = error;
            } else if constexpr (!std::is_same_v<T, HydrateJob>) {
              j.result.result.error = error;
            }
          },
          job);
    } else {
      jobs_.push_back(std::move(job));
      if (jobs_.size() == 1) wake_.notify_one();
      return true;
    }
  }
  std::visit(
      [](auto& j) {
        using T = std::decay_t<decltype(j)>;
        if constexpr (!std::is_same_v<T, HydrateJob>) {
          if (j.done) j.done(std::move(j.result));
        }
      },
      job);
  return false;
}

void LocalLog::submit_read(std::vector<ObjectId> ids, ReadDone done) {
  Job job = ReadJob{std::move(ids), std::move(done), {}};
  push(job);
}

void LocalLog::submit_write(std::vector<ObjectWrite> writes, std::vector<StorageObject> hydrated,
                            std::vector<ObjectId> absent, WriteDone done) {
  Job job =
      WriteJob{std::move(writes), std::move(hydrated), std::move(absent), std::move(done), {}};
  push(job);
}

void LocalLog::submit_delete(std::vector<ObjectDelete> deletes, std::vector<StorageObject> hydrated,
                             std::vector<ObjectId> absent, WriteDone done) {
  Job job =
      DeleteJob{std::move(deletes), std::move(hydrated), std::move(absent), std::move(done), {}};
  push(job);
}

void LocalLog::submit_list(ObjectListQuery query, ListDone done) {
  Job job = ListJob{std::move(query), std::move(done), {}};
  push(job);
}

void LocalLog::submit_hydrate(std::vector<StorageObject> rows) {
  Job job = HydrateJob{std::move(rows)};
  push(job);
}

void LocalLog::report_flushed(FlushReport report) {
  {
    std::lock_guard lock(mutex_);
    reports_.push_back(std::move(report));
  }
  wake_.notify_one();
}

void LocalLog::run() {
  pthread_setname_np(pthread_self(), "citadel-wblocal");
  std::vector<Job> jobs;
  std::vector<FlushReport> reports;
  std::vector<OutboxEntry> committed;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return closed_ || !jobs_.empty() || !reports_.empty(); });
      if (jobs_.empty() && reports_.empty()) return;  // closed and drained
      jobs.swap(jobs_);
      reports.swap(reports_);
    }
    run_group(jobs, reports, committed);
    if (!committed.empty() && committed_) committed_(std::move(committed));
    committed.clear();
    for (Job& job : jobs) {
      std::visit(
          [](auto& j) {
            using T = std::decay_t<decltype(j)>;
            if constexpr (!std::is_same_v<T, HydrateJob>) {
              if (j.done) j.done(std::move(j.result));
            }
          },
          job);
    }
    jobs.clear();
    reports.clear();
  }
}

namespace {

// The ids among `ids` with no row here: tombstoned (absent), listed in
// `absent` (PostgreSQL has none), or unknown.
template <class Impl>
std::vector<ObjectId> unknown_ids(Impl& impl, const std::vector<ObjectId>& ids,
                                  const std::vector<StorageObject>& found,
                                  const std::vector<ObjectId>& absent, int& rc) {
  std::vector<ObjectId> unknown;
  for (const ObjectId& id : ids) {
    const auto same = [&id](const ObjectId& other) {
      return other.owner_id == id.owner_id && other.collection == id.collection &&
             other.key == id.key;
    };
    const bool here = std::any_of(found.begin(), found.end(), [&id](const StorageObject& o) {
      return o.owner_id == id.owner_id && o.collection == id.collection && o.key == id.key;
    });
    if (here || std::any_of(absent.begin(), absent.end(), same)) continue;
    if (impl.tombstoned(id, rc)) continue;
    unknown.push_back(id);
  }
  return unknown;
}

}  // namespace

void LocalLog::run_group(std::vector<Job>& jobs, std::vector<FlushReport>& reports,
                         std::vector<OutboxEntry>& committed) {
  LocalDb& db = *impl_;
  const int64_t now_ms = unix_ms_now();
  const auto now = Clock::now();
  int rc = db.begin();
  uint64_t pending = pending_.load(std::memory_order_relaxed);
  uint64_t removed = 0;
  // Flushed entries first: they make room for the writes below.
  for (const FlushReport& report : reports) {
    if (rc != SQLITE_OK) break;
    for (int64_t seq : report.seqs) {
      bool found = false, was_delete = false;
      ObjectId id;
      rc = db.remove(seq, found, was_delete, id);
      if (rc != SQLITE_OK) break;
      if (!found) continue;
      ++removed;
      // The delete is in PostgreSQL now: the object is simply unknown here.
      if (was_delete && !db.later_entry(id, seq, rc)) rc = db.drop_tombstone(id);
      if (rc != SQLITE_OK) break;
    }
    // A conflicted object's copy here is not what PostgreSQL holds: drop it
    // (unless later writes of it still wait; their flush decides), so the
    // next read or write of it starts from PostgreSQL's.
    for (const FlushReport::Conflict& c : report.conflicts) {
      if (rc != SQLITE_OK) break;
      if (!db.later_entry(c.id, c.last_seq, rc) && rc == SQLITE_OK) rc = db.evict(c.id);
    }
  }
  if (rc == SQLITE_OK) pending -= std::min(pending, removed);

  for (Job& job : jobs) {
    if (rc != SQLITE_OK) break;
    std::visit(
        [&](auto& j) {
          using T = std::decay_t<decltype(j)>;
          if constexpr (std::is_same_v<T, HydrateJob>) {
            for (const StorageObject& o : j.rows) {
              if (rc == SQLITE_OK) rc = db.hydrate(o);
            }
          } else if constexpr (std::is_same_v<T, ListJob>) {
            std::vector<std::string> keys;
            rc = db.pending_keys(j.query, keys);
            if (rc != SQLITE_OK || keys.empty()) return;
            std::vector<ObjectId> ids;
            for (std::string& k : keys) ids.push_back({j.query.collection, k, j.query.owner_id});
            ReadObjectsRequest read{ids, {}, {}};
            rc = db.runner().execute(read);
            if (rc != SQLITE_OK) return;
            std::size_t next = 0;
            for (const ObjectId& id : ids) {
              auto& f = read.result.value;
              if (next < f.size() && f[next].key == id.key) {
                j.result.rows.push_back(std::move(f[next++]));
              } else {
                j.result.deleted_keys.push_back(id.key);
              }
            }
          } else if constexpr (std::is_same_v<T, ReadJob>) {
            ReadObjectsRequest read{j.ids, {}, {}};
            rc = db.runner().execute(read);
            if (rc != SQLITE_OK) return;
            std::size_t next = 0;
            for (const ObjectId& id : j.ids) {
              const std::vector<StorageObject>& f = read.result.value;
              if (next < f.size() && f[next].owner_id == id.owner_id &&
                  f[next].collection == id.collection && f[next].key == id.key) {
                j.result.states.push_back(LocalReadResult::State::kFound);
                j.result.found.push_back(std::move(read.result.value[next++]));
              } else if (db.tombstoned(id, rc)) {
                j.result.states.push_back(LocalReadResult::State::kAbsent);
              } else {
                j.result.states.push_back(LocalReadResult::State::kUnknown);
              }
            }
          } else {
            // A write or a delete: one savepoint, so a failure undoes the
            // job's own work only.
            constexpr bool kWrite = std::is_same_v<T, WriteJob>;
            ObjectWriteResult& result = j.result.result;
            rc = db.savepoint();
            if (rc != SQLITE_OK) return;
            for (const StorageObject& o : j.hydrated) {
              if (rc == SQLITE_OK) rc = db.hydrate(o);
            }
            std::vector<ObjectId> ids;
            if constexpr (kWrite) {
              for (const ObjectWrite& w : j.writes) ids.push_back(w.id);
            } else {
              for (const ObjectDelete& d : j.deletes) ids.push_back(d.id);
            }
            ReadObjectsRequest current{ids, {}, {}};
            if (rc == SQLITE_OK) rc = db.runner().execute(current);
            if (rc == SQLITE_OK) {
              j.result.unknown = unknown_ids(db, ids, current.result.value, j.absent, rc);
            }
            bool keep = rc == SQLITE_OK;
            if (keep && j.result.unknown.empty()) {
              if (pending + ids.size() > config_.max_pending) {
                result.error = StoreError::kBacklogFull;
                refusals_.fetch_add(1, std::memory_order_relaxed);
              } else {
                std::vector<OutboxEntry> entries;
                if constexpr (kWrite) {
                  WriteObjectsRequest req{j.writes, {}, {}};
                  rc = db.runner().execute(req, now_ms);
                  result = req.result;
                  if (rc == SQLITE_OK && result.value.refusal == ObjectRefusal::kNone) {
                    for (std::size_t i = 0; i < j.writes.size(); ++i) {
                      const ObjectWrite& w = j.writes[i];
                      const int64_t version = result.value.versions.at(i);
                      entries.push_back(OutboxEntry{0, OutboxOp::kUpsert, w.id, w.value, w.read,
                                                    w.write, version - 1, version, now_ms, now});
                    }
                  }
                } else {
                  DeleteObjectsRequest req{j.deletes, {}, {}};
                  rc = db.runner().execute(req);
                  result = req.result;
                  if (rc == SQLITE_OK && result.value.refusal == ObjectRefusal::kNone) {
                    for (const StorageObject& o : current.result.value) {
                      entries.push_back(OutboxEntry{0,
                                                    OutboxOp::kDelete,
                                                    {o.collection, o.key, o.owner_id},
                                                    {},
                                                    o.read,
                                                    o.write,
                                                    o.version,
                                                    0,
                                                    now_ms,
                                                    now});
                    }
                  }
                }
                for (OutboxEntry& e : entries) {
                  if (rc != SQLITE_OK) break;
                  rc = db.append(e);
                  if (rc == SQLITE_OK) {
                    rc = e.op == OutboxOp::kUpsert ? db.drop_tombstone(e.id)
                                                   : db.add_tombstone(e.id);
                  }
                }
                if (rc == SQLITE_OK) {
                  pending += entries.size();
                  for (OutboxEntry& e : entries) committed.push_back(std::move(e));
                }
              }
              keep = rc == SQLITE_OK;
            }
            if (!keep) {
              result = {};
              result.error = StoreError::kStorageError;
              j.result.unknown.clear();
              spdlog::error("store: write-behind: local write failed: {}", sqlite3_errmsg(db.db()));
            }
            if (!j.result.unknown.empty()) {
              if constexpr (kWrite) {
                j.result.writes = std::move(j.writes);
              } else {
                j.result.deletes = std::move(j.deletes);
              }
            }
            const int end = db.end_savepoint(keep);
            // The job failed alone; the group goes on unless the savepoint
            // itself could not end.
            rc = end;
          }
        },
        job);
  }
  if (rc == SQLITE_OK) rc = db.commit();
  if (rc == SQLITE_OK) {
    pending_.store(pending, std::memory_order_relaxed);
    commits_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  spdlog::error("store: write-behind: local transaction failed: {}", sqlite3_errmsg(db.db()));
  db.rollback();
  committed.clear();
  for (Job& job : jobs) {
    std::visit(
        [](auto& j) {
          using T = std::decay_t<decltype(j)>;
          if constexpr (std::is_same_v<T, ReadJob> || std::is_same_v<T, ListJob>) {
            j.result = {};
            j.result.error = StoreError::kStorageError;
          } else if constexpr (!std::is_same_v<T, HydrateJob>) {
            j.result = {};
            j.result.result.error = StoreError::kStorageError;
          }
        },
        job);
  }
  // The flushed entries stay in the outbox; try removing them again with the
  // next group.
  std::lock_guard lock(mutex_);
  for (FlushReport& r : reports) reports_.push_back(std::move(r));
}

}  // namespace citadel::store::wb
