// The backend a store test runs against. The same test sources build into
// two suites: store_test links sqlite_test_database.cc (a file in a temp
// dir), store_pg_test links postgres_test_database.cc (a fresh database on
// the process's real PostgreSQL server). Tests get a database, open stores on
// it (again after closing, for durability), and look at it from outside.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "store/store.h"

namespace citadel::store::test {

// The settings both backends have.
struct TestStoreOptions {
  uint32_t max_batch = 1000;
  uint32_t queue_capacity = 65536;
  uint32_t group_commit_window_us = 5000;
  uint32_t history_per_channel = 100;
  // How long a batch waits for a lock another connection holds before it
  // fails (SQLite busy_timeout_ms, PostgreSQL batch_timeout_ms).
  uint32_t lock_wait_ms = 30'000;
};

// Holds the write lock on the accounts table from outside the store until
// release() or destruction, as another process would.
class WriteBlocker {
 public:
  virtual ~WriteBlocker() = default;
  virtual void release() = 0;
};

class TestDatabase {
 public:
  virtual ~TestDatabase() = default;
  virtual std::unique_ptr<Store> open(const TestStoreOptions& options = {}) = 0;
  // One integer from a query run on a separate connection.
  virtual int64_t query_int(const std::string& sql) = 0;
  virtual std::unique_ptr<WriteBlocker> block_writes() = 0;
};

// A fresh, empty database of this suite's backend.
std::unique_ptr<TestDatabase> make_test_database();
std::string_view test_backend_name();

}  // namespace citadel::store::test

#include <gtest/gtest.h>

namespace citadel::store::test {

// A fresh database per test; open() starts a store on it (closing the one
// before, which drains it). The store closes before the database goes.
class StoreTest : public ::testing::Test {
 protected:
  Store& open(const TestStoreOptions& options = {}) {
    store_.reset();
    store_ = db_->open(options);
    return *store_;
  }
  void close() { store_.reset(); }

  std::unique_ptr<TestDatabase> db_ = make_test_database();
  std::unique_ptr<Store> store_;
};

}  // namespace citadel::store::test
