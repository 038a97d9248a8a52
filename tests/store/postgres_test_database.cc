// store_pg_test's backend: a fresh database per test on the process's real
// PostgreSQL server (tests/support/postgres).
#include "postgres/postgres_server.h"
#include "store/postgres/postgres_store.h"
#include "test_database.h"

namespace citadel::store::test {
namespace {

using citadel::test::PgSession;
using citadel::test::PostgresServer;

class PostgresBlocker final : public WriteBlocker {
 public:
  explicit PostgresBlocker(const std::string& url) : session_(url) {
    session_.exec("BEGIN");
    session_.exec("LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE");
  }
  ~PostgresBlocker() override { release(); }
  void release() override {
    if (held_) session_.exec("ROLLBACK");
    held_ = false;
  }

 private:
  PgSession session_;
  bool held_ = true;
};

class PostgresTestDatabase final : public TestDatabase {
 public:
  PostgresTestDatabase() : url_(PostgresServer::shared().create_database()) {}
  std::unique_ptr<Store> open(const TestStoreOptions& o) override {
    PostgresConfig config;
    config.url = url_;
    config.max_batch = o.max_batch;
    config.queue_capacity = o.queue_capacity;
    config.group_commit_window_us = o.group_commit_window_us;
    config.history_per_channel = o.history_per_channel;
    config.batch_timeout_ms = o.lock_wait_ms;
    config.reconnect_interval_ms = 100;
    return std::make_unique<PostgresStore>(config);
  }
  int64_t query_int(const std::string& sql) override {
    return citadel::test::pg_query_int(url_, sql);
  }
  std::unique_ptr<WriteBlocker> block_writes() override {
    return std::make_unique<PostgresBlocker>(url_);
  }

 private:
  std::string url_;
};

}  // namespace

std::unique_ptr<TestDatabase> make_test_database() {
  return std::make_unique<PostgresTestDatabase>();
}

std::string_view test_backend_name() {
  return "postgres";
}

}  // namespace citadel::store::test
