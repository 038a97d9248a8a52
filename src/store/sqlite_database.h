// Opening the SQLite database: PRAGMAs and the schema (created, or migrated
// forward, under a `schema_version` table).
#pragma once

#include "store/sqlite_config.h"
#include "store/sqlite_handle.h"
#include "store/store_open_error.h"

namespace citadel::store {

// The schema this build writes; open_sqlite_database migrates older files up to it.
inline constexpr int kSqliteSchemaVersion = 3;

// Opens (creating when absent) the database at config.path for reading and
// writing, applies the PRAGMAs, and brings the schema to kSqliteSchemaVersion.
// The returned connection has no mutex of its own (SQLITE_OPEN_NOMUTEX): use
// it from one thread at a time. Throws StoreOpenError.
//
// Durability: journal_mode=WAL with synchronous=NORMAL. A commit appends to
// the WAL without fsync; the WAL is fsynced at checkpoints. A crash of the
// process loses nothing committed; a power loss or OS crash may lose the last
// transactions committed before it, but never corrupts the file. That is the
// price of not paying one fsync per login.
SqliteDb open_sqlite_database(const SqliteConfig& config);

}  // namespace citadel::store
