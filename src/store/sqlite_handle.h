// RAII for SQLite handles: a connection and prepared statements, each in a
// unique_ptr with its own deleter, plus the few typed helpers the store uses.
// Not thread-safe: a connection and its statements belong to one thread.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace citadel::store {

// A failed SQLite call, with the (extended) result code.
class SqliteError : public std::runtime_error {
 public:
  SqliteError(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

struct SqliteCloser {
  // close_v2: if a statement were still alive the close is deferred to its
  // finalize instead of failing with SQLITE_BUSY and leaking the handle.
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
using SqliteDb = std::unique_ptr<sqlite3, SqliteCloser>;

struct SqliteFinalizer {
  void operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }
};

// SQLITE_DONE from step() is success for a statement that returns no row.
inline int done_or_error(int rc) {
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

// Runs SQL without results (PRAGMA, DDL, BEGIN/COMMIT). Throws SqliteError.
void exec_sql(sqlite3* db, const char* sql);

// A prepared statement, compiled once and reused (prepare_v3 with
// SQLITE_PREPARE_PERSISTENT tells SQLite it lives long).
class Statement {
 public:
  Statement() = default;
  // Throws SqliteError naming the SQL when it does not compile.
  Statement(sqlite3* db, std::string_view sql);

  // Text is bound without a copy (SQLITE_STATIC): the caller's string must
  // live until the statement is reset, which StatementScope guarantees.
  void bind_int64(int index, int64_t value);
  void bind_text(int index, std::string_view value);
  // Empty strings are stored as NULL, so UNIQUE columns allow many "absent" values.
  void bind_text_or_null(int index, std::string_view value);
  // Bytes, bound without a copy like text.
  void bind_blob(int index, std::span<const uint8_t> value);

  // SQLITE_ROW, SQLITE_DONE, or an error code.
  int step();
  int64_t column_int64(int index) const;
  // NULL reads as "".
  std::string column_text(int index) const;
  // NULL reads as no bytes.
  std::vector<uint8_t> column_blob(int index) const;

  // Ends the statement's current run and drops its bindings (no dangling
  // pointers to the caller's strings, no read snapshot held open).
  void reset();

  sqlite3_stmt* get() const { return stmt_.get(); }

 private:
  std::unique_ptr<sqlite3_stmt, SqliteFinalizer> stmt_;
};

// Resets a statement when the scope ends, on every path out.
class StatementScope {
 public:
  explicit StatementScope(Statement& stmt) : stmt_(stmt) {}
  ~StatementScope() { stmt_.reset(); }
  StatementScope(const StatementScope&) = delete;
  StatementScope& operator=(const StatementScope&) = delete;
  Statement* operator->() { return &stmt_; }
  Statement& operator*() { return stmt_; }

 private:
  Statement& stmt_;
};

}  // namespace citadel::store
