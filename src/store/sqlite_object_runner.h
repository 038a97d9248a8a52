// The storage-object requests on the SQLite writer connection, inside the
// batch's transaction (sqlite_batch_runner.h). A write or delete batch runs
// under its own SAVEPOINT, so a failed condition undoes that batch's items
// alone while the rest of the transaction goes on. Writer thread only.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>

#include "store/sqlite_handle.h"
#include "store/store_requests.h"

namespace citadel::store::sqlite {

class ObjectRunner {
 public:
  // Prepares the statements; throws SqliteError when one does not compile.
  explicit ObjectRunner(sqlite3* db);

  // Each returns SQLITE_OK (the result filled in) or the SQLite error that
  // failed the request; `now_ms` stamps created/updated times.
  int execute(ReadObjectsRequest& r);
  int execute(WriteObjectsRequest& r, int64_t now_ms);
  int execute(DeleteObjectsRequest& r);
  int execute(ListObjectsRequest& r);

 private:
  struct Current {
    int64_t version = 0;
    uint8_t write = 0;
  };
  // The stored object's version and write permission, if it exists.
  int current(const ObjectId& id, std::optional<Current>& found);
  // Undoes the savepoint's work (a refusal) or keeps it.
  int end_savepoint(bool keep);
  StorageObject object_from(Statement& s) const;

  sqlite3* const db_;
  Statement savepoint_;
  Statement rollback_to_;
  Statement release_;
  Statement select_one_;
  Statement select_current_;
  Statement upsert_;
  Statement delete_;
  Statement list_;
};

}  // namespace citadel::store::sqlite
