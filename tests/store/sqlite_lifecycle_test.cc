// What only SqliteStore has: the file (WAL mode, open errors naming the path)
// and its schema. The rest of the lifecycle runs on every backend
// (store_lifecycle_test.cc).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite_database.h"
#include "store_test_support.h"

namespace citadel::store::test {
namespace {

using ::testing::HasSubstr;

TEST(SqliteLifecycle, OpenCreatesSchemaVersionOneInWalMode) {
  TempDir dir;
  const auto config = config_in(dir);
  { SqliteStore store(config); }
  RawConnection raw(config.path);
  EXPECT_EQ(raw.query_int("SELECT version FROM schema_version"), kSqliteSchemaVersion);
  EXPECT_EQ(raw.query_int("SELECT count(*) FROM schema_version"), 1);
  EXPECT_EQ(raw.query_text("PRAGMA journal_mode"), "wal");  // persistent in the file
}

std::string open_error(const SqliteConfig& config) {
  try {
    SqliteStore store(config);
  } catch (const StoreOpenError& e) {
    return e.what();
  }
  return "no error";
}

TEST(SqliteLifecycle, UnusablePathsFailWithAnErrorNamingThePath) {
  TempDir dir;
  SqliteConfig missing_dir;
  missing_dir.path = dir.file("no-such-dir/citadel.db");
  EXPECT_THAT(open_error(missing_dir), HasSubstr(missing_dir.path));

  SqliteConfig a_directory;
  a_directory.path = dir.file("");
  EXPECT_THAT(open_error(a_directory), HasSubstr("cannot open"));

  SqliteConfig not_a_database;
  not_a_database.path = dir.file("notes.txt");
  {
    std::ofstream out(not_a_database.path);
    for (int i = 0; i < 200; ++i) out << "this is a text file, not a database\n";
  }
  const std::string message = open_error(not_a_database);
  EXPECT_THAT(message, HasSubstr(not_a_database.path));
  EXPECT_THAT(message, HasSubstr("not a database"));
}

// A file of schema version 1 (accounts and chat history, no storage
// objects) is migrated to version 2 on open, keeping its accounts.
TEST(SqliteLifecycle, AVersionOneFileGainsStorageObjectsAndKeepsItsAccounts) {
  TempDir dir;
  const auto config = config_in(dir);
  int64_t id = 0;
  {
    SqliteStore store(config);
    id = create(store, "old-timer", "hash", "").value;
  }
  {
    RawConnection raw(config.path);
    raw.exec("DROP TABLE storage_objects");
    raw.exec("DROP TABLE leaderboard_boards");
    raw.exec("DROP TABLE leaderboard_records");
    raw.exec("UPDATE schema_version SET version = 1");
  }
  SqliteStore store(config);
  EXPECT_EQ(find_name(store, "old-timer").value->id, id);
  ObjectWrite w;
  w.id = {"saves", "k", id};
  w.value = "{}";
  const auto written = await_result<ObjectWriteResult>(
      [&](auto done) { store.write_objects({w}, std::move(done)); });
  EXPECT_TRUE(written.ok());
  EXPECT_EQ(written.value.versions, std::vector<int64_t>{1});
  RawConnection raw(config.path);
  EXPECT_EQ(raw.query_int("SELECT version FROM schema_version"), 3);
}

TEST(SqliteLifecycle, NewerSchemaIsRefused) {
  TempDir dir;
  const auto config = config_in(dir);
  { SqliteStore store(config); }
  {
    RawConnection raw(config.path);
    raw.exec("UPDATE schema_version SET version = 99");
  }
  const std::string message = open_error(config);
  EXPECT_THAT(message, HasSubstr(config.path));
  EXPECT_THAT(message, HasSubstr("newer"));
}

}  // namespace
}  // namespace citadel::store::test
