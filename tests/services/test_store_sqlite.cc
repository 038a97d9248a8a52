#include "test_store.h"

namespace citadel {

void use_test_store(services::ServicesConfig& config, const std::filesystem::path& dir) {
  config.store.backend = store::StoreBackend::kSqlite;
  config.store.sqlite.path = (dir / "citadel.db").string();
}

}  // namespace citadel
