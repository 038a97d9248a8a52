#include "store/sqlite_handle.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace citadel::store {

void exec_sql(sqlite3* db, const char* sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &message);
  // sqlite3_exec allocates the message; own it at once so no path leaks it.
  std::unique_ptr<char, decltype(&sqlite3_free)> owned(message, &sqlite3_free);
  if (rc != SQLITE_OK) {
    throw SqliteError(rc,
                      fmt::format("{} (in: {})", owned ? owned.get() : sqlite3_errstr(rc), sql));
  }
}

Statement::Statement(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  stmt_.reset(raw);
  if (rc != SQLITE_OK) {
    throw SqliteError(rc, fmt::format("{} (preparing: {})", sqlite3_errmsg(db), sql));
  }
}

void Statement::bind_int64(int index, int64_t value) {
  sqlite3_bind_int64(stmt_.get(), index, value);
}

void Statement::bind_text(int index, std::string_view value) {
  // Inputs are bounded far below 2 GiB by the protocol; clamp rather than wrap.
  const auto size =
      static_cast<int>(std::min<std::size_t>(value.size(), std::numeric_limits<int>::max()));
  sqlite3_bind_text(stmt_.get(), index, value.data(), size, SQLITE_STATIC);
}

void Statement::bind_text_or_null(int index, std::string_view value) {
  if (value.empty()) {
    sqlite3_bind_null(stmt_.get(), index);
  } else {
    bind_text(index, value);
  }
}

void Statement::bind_blob(int index, std::span<const uint8_t> value) {
  const auto size =
      static_cast<int>(std::min<std::size_t>(value.size(), std::numeric_limits<int>::max()));
  // A zero-length blob with a null pointer would bind NULL; "" keeps it a blob.
  sqlite3_bind_blob(stmt_.get(), index, value.empty() ? "" : static_cast<const void*>(value.data()),
                    size, SQLITE_STATIC);
}

int Statement::step() {
  return sqlite3_step(stmt_.get());
}

int64_t Statement::column_int64(int index) const {
  return sqlite3_column_int64(stmt_.get(), index);
}

std::string Statement::column_text(int index) const {
  const auto* text = sqlite3_column_text(stmt_.get(), index);
  if (text == nullptr) return {};
  const int size = sqlite3_column_bytes(stmt_.get(), index);
  return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size));
}

std::vector<uint8_t> Statement::column_blob(int index) const {
  const auto* bytes = static_cast<const uint8_t*>(sqlite3_column_blob(stmt_.get(), index));
  if (bytes == nullptr) return {};
  const int size = sqlite3_column_bytes(stmt_.get(), index);
  return std::vector<uint8_t>(bytes, bytes + size);
}

void Statement::reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

}  // namespace citadel::store
