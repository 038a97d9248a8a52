#include "postgres/postgres_server.h"
#include "test_store.h"

namespace citadel {

void use_test_store(services::ServicesConfig& config, const std::filesystem::path&) {
  config.store.backend = store::StoreBackend::kPostgres;
  config.store.postgres.url = test::PostgresServer::shared().create_database();
}

}  // namespace citadel
