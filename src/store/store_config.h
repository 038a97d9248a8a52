// Which backend holds accounts and chat history, and its settings. Wired into
// the YAML config by ops (store.backend, store.path, store.postgres.*).
#pragma once

#include <optional>
#include <string_view>

#include "store/postgres/postgres_config.h"
#include "store/sqlite_config.h"
#include "store/write_behind/write_behind_config.h"

namespace citadel::store {

enum class StoreBackend {
  kSqlite,    // embedded, one file, one node: the default, needs no service
  kPostgres,  // a PostgreSQL server that several nodes share
};

struct StoreConfig {
  StoreBackend backend = StoreBackend::kSqlite;
  SqliteConfig sqlite;      // used when backend is kSqlite
  PostgresConfig postgres;  // used when backend is kPostgres
  // Storage objects acknowledged locally and flushed to PostgreSQL later
  // (kPostgres only; src/store/write_behind/write_behind_store.h).
  WriteBehindConfig write_behind;
};

// "sqlite" / "postgres", the config file's spelling.
std::string_view to_string(StoreBackend backend);
std::optional<StoreBackend> parse_store_backend(std::string_view name);

}  // namespace citadel::store
