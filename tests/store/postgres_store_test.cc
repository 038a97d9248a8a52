// What only PostgresStore has: the server (schema in a shared database, open
// errors, an outage and the recovery after it, several nodes on one
// database) and the pipeline (a statement that fails alone). The ports'
// behaviour runs here too, from the shared test sources.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "postgres/postgres_server.h"
#include "store/postgres/pg_session.h"
#include "store/postgres/postgres_store.h"
#include "store/store_open_error.h"
#include "store_test_support.h"
#include "test_database.h"

namespace citadel::store::test {
namespace {

using citadel::test::pg_exec;
using citadel::test::pg_query_int;
using citadel::test::PostgresServer;
using ::testing::HasSubstr;

class PostgresStoreTest : public ::testing::Test {
 protected:
  PostgresConfig config() const {
    PostgresConfig c;
    c.url = url_;
    c.reconnect_interval_ms = 100;
    c.batch_timeout_ms = 5000;
    return c;
  }
  PostgresServer& server_ = PostgresServer::shared();
  std::string url_ = server_.create_database();
};

std::string open_error(const PostgresConfig& config) {
  try {
    PostgresStore store(config);
  } catch (const StoreOpenError& e) {
    return e.what();
  }
  return "no error";
}

TEST_F(PostgresStoreTest, OpenCreatesTheSchemaAtVersionOne) {
  { PostgresStore store(config()); }
  { PostgresStore again(config()); }  // a second open migrates nothing
  EXPECT_EQ(pg_query_int(url_, "SELECT version FROM citadel_schema_version"), pg::kSchemaVersion);
  EXPECT_EQ(pg_query_int(url_, "SELECT count(*) FROM citadel_schema_version"), 1);
  EXPECT_EQ(pg_query_int(url_, "SELECT count(*) FROM accounts"), 0);
}

// A database of schema version 1 (no leaderboards, no storage objects) is
// migrated to version 3 on connect, keeping its accounts.
TEST_F(PostgresStoreTest, AVersionOneDatabaseGainsStorageObjectsAndKeepsItsAccounts) {
  int64_t id = 0;
  {
    PostgresStore store(config());
    id = create(store, "old-timer", "hash", "").value;
  }
  pg_exec(url_,
          "DROP TABLE storage_objects, leaderboard_boards, leaderboard_records; "
          "UPDATE citadel_schema_version SET version = 1");
  PostgresStore store(config());
  EXPECT_EQ(find_name(store, "old-timer").value->id, id);
  ObjectWrite w;
  w.id = {"saves", "k", id};
  w.value = "{}";
  const auto written = await_result<ObjectWriteResult>(
      [&](auto done) { store.write_objects({w}, std::move(done)); });
  EXPECT_TRUE(written.ok());
  EXPECT_EQ(written.value.versions, std::vector<int64_t>{1});
  EXPECT_EQ(pg_query_int(url_, "SELECT version FROM citadel_schema_version"), 3);
}

TEST_F(PostgresStoreTest, NewerSchemaIsRefused) {
  { PostgresStore store(config()); }
  pg_exec(url_, "UPDATE citadel_schema_version SET version = 99");
  EXPECT_THAT(open_error(config()), HasSubstr("newer"));
}

TEST_F(PostgresStoreTest, UnreachableServerFailsToOpenNamingHostAndPort) {
  auto c = config();
  c.url = "postgresql://citadel@127.0.0.1:1/nothing";  // port 1: nobody listens
  const std::string message = open_error(c);
  EXPECT_THAT(message, HasSubstr("postgres store: cannot open"));
  EXPECT_THAT(message, HasSubstr("127.0.0.1"));
  EXPECT_THAT(message, HasSubstr("port 1"));
}

TEST_F(PostgresStoreTest, EmptyUrlIsRejected) {
  auto c = config();
  c.url.clear();
  EXPECT_THROW(PostgresStore{c}, std::invalid_argument);
}

TEST_F(PostgresStoreTest, AStatementThatFailsFailsAloneAndTheRestOfTheBatchCommits) {
  PostgresStore store(config());
  // Held, so that everything below lands in one batch.
  citadel::test::PgSession blocker(url_);
  blocker.exec("BEGIN");
  blocker.exec("LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE");
  CompletionCounter done;
  GuestLoginResult first, last;
  CreateAccountResult bad;
  store.find_or_create_guest("device-ok-1", [&](GuestLoginResult r) {
    first = r;
    done.add();
  });
  // Not UTF-8: the server refuses the text, in the middle of the batch.
  store.create_account("bad\xff\xfe", "h", "", [&](CreateAccountResult r) {
    bad = r;
    done.add();
  });
  store.find_or_create_guest("device-ok-2", [&](GuestLoginResult r) {
    last = r;
    done.add();
  });
  blocker.exec("ROLLBACK");
  ASSERT_TRUE(done.wait_for_count(3));
  EXPECT_EQ(bad.error, StoreError::kStorageError);
  EXPECT_TRUE(first.ok());
  EXPECT_TRUE(last.ok());
  EXPECT_EQ(pg_query_int(url_, "SELECT count(*) FROM accounts"), 2);
  const auto stats = store.stats();
  EXPECT_EQ(stats.requests_failed, 1u);
  EXPECT_EQ(stats.transactions_failed, 0u);
  EXPECT_EQ(stats.connection_failures, 0u);
}

TEST_F(PostgresStoreTest, TwoNodesOnOneDatabaseShareAccountsAndTheirUniqueness) {
  PostgresStore a(config());
  PostgresStore b(config());
  const auto alice = create(a, "Alice", "h", "device-a");
  ASSERT_TRUE(alice.ok());
  EXPECT_EQ(create(b, "ALICE", "h", "").error, StoreError::kUsernameTaken);
  EXPECT_EQ(create(b, "bob", "h", "device-a").error, StoreError::kDeviceTaken);
  const auto on_b = guest(b, "device-a");
  ASSERT_TRUE(on_b.ok());
  EXPECT_FALSE(on_b.value.created);
  EXPECT_EQ(on_b.value.account_id, alice.value);
  a.append("lobby", alice.value, "Alice", "from node a", 1);
  // Fire-and-forget on a: a later call on a completes after it committed.
  ASSERT_TRUE(find_id(a, alice.value).ok());
  const auto history = load(b, "lobby", 10);
  ASSERT_EQ(history.value.size(), 1u);
  EXPECT_EQ(history.value[0].text, "from node a");
}

TEST_F(PostgresStoreTest, AnOutageFailsRequestsQuicklyThenTheStoreRecoversByItself) {
  using Clock = std::chrono::steady_clock;
  PostgresStore store(config());
  const auto before = guest(store, "device-before");
  ASSERT_TRUE(before.ok());

  server_.stop();
  // Every call during the outage completes, with kStorageError, quickly:
  // the first finds the connection gone, the next ones find no server (or
  // fail fast between reconnect attempts).
  for (int i = 0; i < 5; ++i) {
    const auto start = Clock::now();
    const auto r = guest(store, numbered("device-during-", i));
    EXPECT_EQ(r.error, StoreError::kStorageError);
    EXPECT_LT(Clock::now() - start, 3s);
  }
  auto stats = store.stats();
  EXPECT_FALSE(stats.connected);
  EXPECT_GE(stats.connection_failures, 1u);

  server_.start();
  // Back by itself: the next attempt after reconnect_interval_ms connects.
  GuestLoginResult after;
  const auto deadline = Clock::now() + 10s;
  do {
    after = guest(store, "device-after");
    if (after.ok()) break;
    std::this_thread::sleep_for(50ms);  // polling for the recovery, bounded
  } while (Clock::now() < deadline);
  ASSERT_TRUE(after.ok()) << to_string(after.error);
  EXPECT_TRUE(after.value.created);
  stats = store.stats();
  EXPECT_TRUE(stats.connected);
  EXPECT_GE(stats.connects, 2u);
  // Nothing committed before the outage was lost.
  const auto again = guest(store, "device-before");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again.value.created);
  EXPECT_EQ(again.value.account_id, before.value.account_id);
}

}  // namespace
}  // namespace citadel::store::test
