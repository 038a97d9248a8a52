#include "postgres/postgres_server.h"
#include "test_store.h"

namespace citadel {

// PostgreSQL with write-behind for storage objects: the local file in the
// test's temp dir, flushed every few milliseconds.
void use_test_store(services::ServicesConfig& config, const std::filesystem::path& dir) {
  config.store.backend = store::StoreBackend::kPostgres;
  config.store.postgres.url = test::PostgresServer::shared().create_database();
  config.store.write_behind.enabled = true;
  config.store.write_behind.path = (dir / "writebehind.db").string();
  config.store.write_behind.flush_interval_ms = 5;
}

}  // namespace citadel
