#include "store/sqlite_database.h"

#include <fmt/format.h>

#include <array>
#include <string>

namespace citadel::store {
namespace {

// Migrations, in order: kMigrations[n] takes a file from version n to n + 1.
// Append new steps; never edit a released one.
constexpr std::array<const char*, kSqliteSchemaVersion> kMigrations = {
    // 0 -> 1: accounts and chat history.
    // accounts.id uses AUTOINCREMENT so an id is never reused, even after the
    // newest account is deleted: ids are referenced from elsewhere (sessions,
    // chat history, later friends). A NULL username or device_id means
    // "none", and UNIQUE allows any number of NULLs. COLLATE NOCASE makes
    // uniqueness and lookups case-insensitive for ASCII letters.
    R"sql(
      CREATE TABLE accounts (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        username      TEXT COLLATE NOCASE UNIQUE,
        password_hash TEXT,
        device_id     TEXT UNIQUE,
        created_at_ms INTEGER NOT NULL,
        CHECK (username IS NOT NULL OR device_id IS NOT NULL)
      );
      CREATE TABLE chat_history (
        id          INTEGER PRIMARY KEY,
        channel     TEXT NOT NULL,
        sender_id   INTEGER NOT NULL,
        sender_name TEXT NOT NULL,
        text        TEXT NOT NULL,
        sent_at_ms  INTEGER NOT NULL
      );
      CREATE INDEX chat_history_by_channel ON chat_history (channel, id);
    )sql",
    // 1 -> 2: leaderboards (src/store/leaderboard_store.h). One row per
    // board (settings and the bounds of its kept periods) and one per record
    // per kept period; a reset deletes the periods no longer kept.
    R"sql(
      CREATE TABLE leaderboard_boards (
        id                 TEXT PRIMARY KEY,
        sort_order         INTEGER NOT NULL,
        score_operator     INTEGER NOT NULL,
        reset_schedule     TEXT NOT NULL,
        max_metadata_bytes INTEGER NOT NULL,
        max_records        INTEGER NOT NULL,
        current_start_ms   INTEGER NOT NULL,
        has_previous       INTEGER NOT NULL,
        previous_start_ms  INTEGER NOT NULL,
        previous_end_ms    INTEGER NOT NULL
      );
      CREATE TABLE leaderboard_records (
        board_id        TEXT NOT NULL,
        period_start_ms INTEGER NOT NULL,
        user_id         INTEGER NOT NULL,
        username        TEXT NOT NULL,
        score           INTEGER NOT NULL,
        subscore        INTEGER NOT NULL,
        num_submissions INTEGER NOT NULL,
        metadata        TEXT NOT NULL,
        create_ms       INTEGER NOT NULL,
        update_ms       INTEGER NOT NULL,
        sequence        INTEGER NOT NULL,
        PRIMARY KEY (board_id, period_start_ms, user_id)
      );
    )sql",
    // 2 -> 3: player storage objects (object_store.h). The primary key leads
    // with the owner and collection, so a list walks it in key order;
    // WITHOUT ROWID keeps each object in that one b-tree. Keys compare as
    // bytes (BINARY), the order cursors rely on. No foreign key to
    // accounts: owner 0 is the server's.
    R"sql(
      CREATE TABLE storage_objects (
        owner_id      INTEGER NOT NULL,
        collection    TEXT NOT NULL,
        key           TEXT NOT NULL,
        value         TEXT NOT NULL,
        version       INTEGER NOT NULL,
        read_perm     INTEGER NOT NULL CHECK (read_perm BETWEEN 0 AND 2),
        write_perm    INTEGER NOT NULL CHECK (write_perm BETWEEN 0 AND 1),
        created_at_ms INTEGER NOT NULL,
        updated_at_ms INTEGER NOT NULL,
        PRIMARY KEY (owner_id, collection, key)
      ) WITHOUT ROWID;
    )sql",
};

// The WAL file is truncated back to this size after a checkpoint, so a burst
// of writes does not leave a large file behind.
constexpr int64_t kJournalSizeLimitBytes = 64 * 1024 * 1024;

// Rolls back unless commit() ran: an exception during migration leaves the
// file as it was.
class MigrationTransaction {
 public:
  explicit MigrationTransaction(sqlite3* db) : db_(db) { exec_sql(db_, "BEGIN IMMEDIATE"); }
  ~MigrationTransaction() {
    if (!committed_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  MigrationTransaction(const MigrationTransaction&) = delete;
  MigrationTransaction& operator=(const MigrationTransaction&) = delete;
  void commit() {
    exec_sql(db_, "COMMIT");
    committed_ = true;
  }

 private:
  sqlite3* db_;
  bool committed_ = false;
};

std::string query_text(sqlite3* db, std::string_view sql) {
  Statement stmt(db, sql);
  const int rc = stmt.step();
  if (rc != SQLITE_ROW) throw SqliteError(rc, fmt::format("{} (in: {})", sqlite3_errmsg(db), sql));
  return stmt.column_text(0);
}

void set_pragmas(sqlite3* db, const SqliteConfig& config) {
  sqlite3_busy_timeout(db, static_cast<int>(config.busy_timeout_ms));
  // The first statement reads the file header, so "not a database" shows here.
  const std::string mode = query_text(db, "PRAGMA journal_mode=WAL");
  // An in-memory database (":memory:") cannot use WAL and reports "memory".
  if (mode != "wal" && mode != "memory") {
    throw SqliteError(SQLITE_ERROR, fmt::format("journal_mode=WAL refused (mode is '{}')", mode));
  }
  exec_sql(db, "PRAGMA synchronous=NORMAL");
  exec_sql(db, "PRAGMA foreign_keys=ON");
  exec_sql(db, fmt::format("PRAGMA journal_size_limit={}", kJournalSizeLimitBytes).c_str());
}

// Creates the schema or migrates it forward, in one transaction so that two
// processes opening a fresh file at once cannot both create it.
void migrate(sqlite3* db) {
  MigrationTransaction txn(db);
  exec_sql(db, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
  const std::string found = query_text(db, "SELECT coalesce(max(version), 0) FROM schema_version");
  const int version = std::stoi(found);
  if (version > kSqliteSchemaVersion) {
    throw SqliteError(SQLITE_ERROR,
                      fmt::format("schema version {} is newer than this build supports ({})",
                                  version, kSqliteSchemaVersion));
  }
  if (version == kSqliteSchemaVersion) return;  // nothing to write; the guard rolls back
  for (int v = version; v < kSqliteSchemaVersion; ++v) exec_sql(db, kMigrations[v]);
  exec_sql(db, "DELETE FROM schema_version");
  exec_sql(db, fmt::format("INSERT INTO schema_version (version) VALUES ({})", kSqliteSchemaVersion)
                   .c_str());
  txn.commit();
}

}  // namespace

SqliteDb open_sqlite_database(const SqliteConfig& config) {
  const auto failure = [&](std::string_view reason) {
    return StoreOpenError(fmt::format("sqlite store: cannot open '{}': {}", config.path, reason));
  };
  sqlite3* raw = nullptr;
  const int flags =
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  const int rc = sqlite3_open_v2(config.path.c_str(), &raw, flags, nullptr);
  SqliteDb db(raw);  // owned even on failure: sqlite3_open_v2 allocates a handle to report it
  if (rc != SQLITE_OK) throw failure(db ? sqlite3_errmsg(db.get()) : sqlite3_errstr(rc));
  // SQLite silently falls back to read-only when the file is not writable;
  // every login would then fail later, so refuse now.
  if (sqlite3_db_readonly(db.get(), "main") == 1) throw failure("the file is read-only");
  try {
    set_pragmas(db.get(), config);
    migrate(db.get());
  } catch (const SqliteError& e) {
    throw failure(e.what());
  } catch (const std::exception& e) {
    throw failure(e.what());
  }
  return db;
}

}  // namespace citadel::store
