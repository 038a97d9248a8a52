// store_test's backend: SQLite files in a temp dir.
#include "store/sqlite_store.h"
#include "store_test_support.h"
#include "test_database.h"

namespace citadel::store::test {
namespace {

class SqliteBlocker final : public WriteBlocker {
 public:
  explicit SqliteBlocker(const std::string& path) : raw_(path) { raw_.exec("BEGIN EXCLUSIVE"); }
  ~SqliteBlocker() override { release(); }
  void release() override {
    if (held_) raw_.exec("ROLLBACK");
    held_ = false;
  }

 private:
  RawConnection raw_;
  bool held_ = true;
};

class SqliteTestDatabase final : public TestDatabase {
 public:
  std::unique_ptr<Store> open(const TestStoreOptions& o) override {
    SqliteConfig config = config_in(dir_);
    config.max_batch = o.max_batch;
    config.queue_capacity = o.queue_capacity;
    config.group_commit_window_us = o.group_commit_window_us;
    config.history_per_channel = o.history_per_channel;
    config.busy_timeout_ms = o.lock_wait_ms;
    return std::make_unique<SqliteStore>(config);
  }
  int64_t query_int(const std::string& sql) override {
    RawConnection raw(config_in(dir_).path);
    return raw.query_int(sql.c_str());
  }
  std::unique_ptr<WriteBlocker> block_writes() override {
    return std::make_unique<SqliteBlocker>(config_in(dir_).path);
  }

 private:
  TempDir dir_;
};

}  // namespace

std::unique_ptr<TestDatabase> make_test_database() {
  return std::make_unique<SqliteTestDatabase>();
}

std::string_view test_backend_name() {
  return "sqlite";
}

}  // namespace citadel::store::test
