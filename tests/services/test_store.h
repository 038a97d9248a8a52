// The store the service tests run on. The same test sources build twice:
// auth_test links test_store_sqlite.cc (a SQLite file in the test's temp
// dir), auth_pg_test links test_store_postgres.cc (a fresh database per test
// on the process's real PostgreSQL server, tests/support/postgres).
#pragma once

#include <filesystem>

#include "services/services.h"

namespace citadel {

void use_test_store(services::ServicesConfig& config, const std::filesystem::path& dir);

}  // namespace citadel
