// The local log's SQLite connection and its prepared statements: the local
// copy of objects (storage_objects, through sqlite::ObjectRunner), the
// outbox, tombstones, and the queries the log runs on them. Each method is
// one statement (bound, stepped, reset) and returns SQLITE_OK or the error.
// The log's thread only (the constructor before it starts).
#pragma once

#include <sqlite3.h>

#include <string>
#include <utility>
#include <vector>

#include "store/object_store.h"
#include "store/sqlite_handle.h"
#include "store/sqlite_object_runner.h"
#include "store/write_behind/outbox_entry.h"

namespace citadel::store::wb {

class LocalDb {
 public:
  explicit LocalDb(SqliteDb db)
      : db_(std::move(db)),
        runner_(db_.get()),
        begin_(db_.get(), "BEGIN IMMEDIATE"),
        commit_(db_.get(), "COMMIT"),
        rollback_(db_.get(), "ROLLBACK"),
        savepoint_(db_.get(), "SAVEPOINT wb_job"),
        rollback_to_(db_.get(), "ROLLBACK TO wb_job"),
        release_(db_.get(), "RELEASE wb_job"),
        insert_outbox_(db_.get(),
                       "INSERT INTO wb_outbox (op, owner_id, collection, key, value, read_perm, "
                       "write_perm, base_version, version, updated_at_ms) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"),
        delete_outbox_(
            db_.get(),
            "DELETE FROM wb_outbox WHERE seq = ?1 RETURNING op, owner_id, collection, key"),
        later_entry_(db_.get(),
                     "SELECT 1 FROM wb_outbox WHERE owner_id = ?1 AND collection = ?2 AND key = ?3 "
                     "AND seq > ?4 LIMIT 1"),
        is_tombstone_(db_.get(),
                      "SELECT 1 FROM wb_tombstones WHERE owner_id = ?1 AND collection = ?2 AND "
                      "key = ?3"),
        add_tombstone_(db_.get(),
                       "INSERT OR IGNORE INTO wb_tombstones (owner_id, collection, key) "
                       "VALUES (?1, ?2, ?3)"),
        drop_tombstone_(db_.get(),
                        "DELETE FROM wb_tombstones WHERE owner_id = ?1 AND collection = ?2 AND "
                        "key = ?3"),
        evict_(db_.get(),
               "DELETE FROM storage_objects WHERE owner_id = ?1 AND collection = ?2 AND key = ?3"),
        // A row read from PostgreSQL never replaces one written here, nor
        // brings back one deleted here and not yet flushed.
        hydrate_(db_.get(),
                 "INSERT OR IGNORE INTO storage_objects (owner_id, collection, key, value, "
                 "version, read_perm, write_perm, created_at_ms, updated_at_ms) "
                 "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 WHERE NOT EXISTS (SELECT 1 FROM "
                 "wb_tombstones WHERE owner_id = ?1 AND collection = ?2 AND key = ?3)"),
        pending_keys_(db_.get(),
                      "SELECT DISTINCT key FROM wb_outbox WHERE owner_id = ?1 AND collection = ?2 "
                      "AND key > ?3 ORDER BY key") {}

  sqlite3* db() { return db_.get(); }

  int step(Statement& s) { return done_ok(StatementScope(s)->step()); }
  int begin() { return step(begin_); }
  int commit() { return step(commit_); }
  void rollback() { step(rollback_); }
  int savepoint() { return step(savepoint_); }
  // Undoes the job's work (keep == false) and ends the savepoint.
  int end_savepoint(bool keep) {
    if (!keep) {
      const int rc = step(rollback_to_);
      if (rc != SQLITE_OK) return rc;
    }
    return step(release_);
  }

  int bind_id_step(Statement& s, const ObjectId& id) {
    StatementScope scope(s);
    s.bind_int64(1, id.owner_id);
    s.bind_text(2, id.collection);
    s.bind_text(3, id.key);
    return done_ok(s.step());
  }
  bool exists(Statement& s, const ObjectId& id, int& rc) {
    StatementScope scope(s);
    s.bind_int64(1, id.owner_id);
    s.bind_text(2, id.collection);
    s.bind_text(3, id.key);
    const int r = s.step();
    if (r != SQLITE_ROW && r != SQLITE_DONE) rc = r;
    return r == SQLITE_ROW;
  }
  bool tombstoned(const ObjectId& id, int& rc) { return exists(is_tombstone_, id, rc); }
  bool later_entry(const ObjectId& id, int64_t seq, int& rc) {
    StatementScope scope(later_entry_);
    later_entry_.bind_int64(1, id.owner_id);
    later_entry_.bind_text(2, id.collection);
    later_entry_.bind_text(3, id.key);
    later_entry_.bind_int64(4, seq);
    const int r = later_entry_.step();
    if (r != SQLITE_ROW && r != SQLITE_DONE) rc = r;
    return r == SQLITE_ROW;
  }
  int add_tombstone(const ObjectId& id) { return bind_id_step(add_tombstone_, id); }
  int drop_tombstone(const ObjectId& id) { return bind_id_step(drop_tombstone_, id); }
  int evict(const ObjectId& id) {
    const int rc = bind_id_step(evict_, id);
    return rc != SQLITE_OK ? rc : drop_tombstone(id);
  }

  int hydrate(const StorageObject& o) {
    StatementScope scope(hydrate_);
    hydrate_.bind_int64(1, o.owner_id);
    hydrate_.bind_text(2, o.collection);
    hydrate_.bind_text(3, o.key);
    hydrate_.bind_text(4, o.value);
    hydrate_.bind_int64(5, o.version);
    hydrate_.bind_int64(6, o.read);
    hydrate_.bind_int64(7, o.write);
    hydrate_.bind_int64(8, o.created_at_unix_ms);
    hydrate_.bind_int64(9, o.updated_at_unix_ms);
    return done_ok(hydrate_.step());
  }

  // Appends the entry to the outbox and sets its seq.
  int append(OutboxEntry& e) {
    StatementScope scope(insert_outbox_);
    insert_outbox_.bind_int64(1, static_cast<int64_t>(e.op));
    insert_outbox_.bind_int64(2, e.id.owner_id);
    insert_outbox_.bind_text(3, e.id.collection);
    insert_outbox_.bind_text(4, e.id.key);
    if (e.op == OutboxOp::kUpsert) {
      insert_outbox_.bind_text(5, e.value);
    } else {
      insert_outbox_.bind_text_or_null(5, "");
    }
    insert_outbox_.bind_int64(6, e.read);
    insert_outbox_.bind_int64(7, e.write);
    insert_outbox_.bind_int64(8, e.base_version);
    insert_outbox_.bind_int64(9, e.version);
    insert_outbox_.bind_int64(10, e.updated_at_unix_ms);
    const int rc = done_ok(insert_outbox_.step());
    if (rc == SQLITE_OK) e.seq = sqlite3_last_insert_rowid(db_.get());
    return rc;
  }

  // Removes a flushed entry; `deleted` and `id` say what it was.
  int remove(int64_t seq, bool& found, bool& was_delete, ObjectId& id) {
    StatementScope scope(delete_outbox_);
    delete_outbox_.bind_int64(1, seq);
    const int r = delete_outbox_.step();
    found = r == SQLITE_ROW;
    if (found) {
      was_delete = delete_outbox_.column_int64(0) == static_cast<int64_t>(OutboxOp::kDelete);
      id = {delete_outbox_.column_text(2), delete_outbox_.column_text(3),
            delete_outbox_.column_int64(1)};
      while (delete_outbox_.step() == SQLITE_ROW) {
      }
      return SQLITE_OK;
    }
    return done_ok(r);
  }

  // Keys of (owner, collection) past after_key with outbox entries, by key.
  int pending_keys(const ObjectListQuery& q, std::vector<std::string>& keys) {
    StatementScope scope(pending_keys_);
    pending_keys_.bind_int64(1, q.owner_id);
    pending_keys_.bind_text(2, q.collection);
    pending_keys_.bind_text(3, q.after_key);
    int r = 0;
    while ((r = pending_keys_.step()) == SQLITE_ROW) keys.push_back(pending_keys_.column_text(0));
    return done_ok(r);
  }

  sqlite::ObjectRunner& runner() { return runner_; }

 private:
  SqliteDb db_;
  sqlite::ObjectRunner runner_;
  Statement begin_, commit_, rollback_, savepoint_, rollback_to_, release_;
  Statement insert_outbox_, delete_outbox_, later_entry_, is_tombstone_, add_tombstone_,
      drop_tombstone_, evict_, hydrate_, pending_keys_;

  static int done_ok(int rc) { return rc == SQLITE_DONE ? SQLITE_OK : rc; }
};

}  // namespace citadel::store::wb
