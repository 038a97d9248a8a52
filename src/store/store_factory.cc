#include "store/store_factory.h"

#include <stdexcept>

#include "store/postgres/postgres_store.h"
#include "store/sqlite_store.h"
#include "store/write_behind/write_behind_store.h"

namespace citadel::store {

std::string_view to_string(StoreBackend backend) {
  switch (backend) {
    case StoreBackend::kSqlite:
      return "sqlite";
    case StoreBackend::kPostgres:
      return "postgres";
  }
  return "unknown";
}

std::optional<StoreBackend> parse_store_backend(std::string_view name) {
  if (name == "sqlite") return StoreBackend::kSqlite;
  if (name == "postgres") return StoreBackend::kPostgres;
  return std::nullopt;
}

std::unique_ptr<Store> open_store(const StoreConfig& config) {
  switch (config.backend) {
    case StoreBackend::kSqlite:
      if (config.write_behind.enabled) {
        throw std::invalid_argument(
            "store.write_behind.enabled needs store.backend: postgres (SQLite is local already)");
      }
      return std::make_unique<SqliteStore>(config.sqlite);
    case StoreBackend::kPostgres:
      if (config.write_behind.enabled) {
        return std::make_unique<WriteBehindStore>(config.postgres, config.write_behind);
      }
      return std::make_unique<PostgresStore>(config.postgres);
  }
  throw StoreOpenError("store: unknown backend");
}

}  // namespace citadel::store
