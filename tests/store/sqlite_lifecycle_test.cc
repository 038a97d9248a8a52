// SqliteStore as a whole: open errors, schema, durability across reopen,
// shutdown, group commit, and the bounded queue.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <future>
#include <string>
#include <thread>

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

TEST(SqliteLifecycle, DataSurvivesCloseAndReopen) {
  TempDir dir;
  const auto config = config_in(dir);
  int64_t named_id = 0;
  int64_t guest_id = 0;
  {
    SqliteStore store(config);
    named_id = create(store, "Grace", "hash-g", "").value;
    guest_id = guest(store, "device-g").value.account_id;
    store.append("lobby", named_id, "Grace", "before restart", 42);
  }  // the destructor commits the queued append
  SqliteStore store(config);
  const auto found = find_name(store, "grace");
  ASSERT_TRUE(found.value.has_value());
  EXPECT_EQ(found.value->id, named_id);
  EXPECT_EQ(found.value->password_hash, "hash-g");
  const auto again = guest(store, "device-g");
  EXPECT_FALSE(again.value.created);
  EXPECT_EQ(again.value.account_id, guest_id);
  const auto history = load(store, "lobby", 10);
  ASSERT_EQ(history.value.size(), 1u);
  EXPECT_EQ(history.value[0].text, "before restart");
  // Ids keep growing across restarts (AUTOINCREMENT: never reused).
  const auto next = guest(store, "device-new");
  EXPECT_GT(next.value.account_id, std::max(named_id, guest_id));
}

TEST(SqliteLifecycle, DestructorCompletesEveryQueuedRequest) {
  TempDir dir;
  const auto config = config_in(dir);
  constexpr int kRequests = 2000;
  std::atomic<int> ok{0};
  std::atomic<int> completed{0};
  {
    SqliteStore store(config);
    for (int i = 0; i < kRequests; ++i) {
      store.find_or_create_guest(numbered("device-", i), [&](GuestLoginResult r) {
        if (r.ok()) ++ok;
        ++completed;
      });
    }
  }  // no wait: destruction itself must drain
  EXPECT_EQ(completed.load(), kRequests);
  EXPECT_EQ(ok.load(), kRequests);
  RawConnection raw(config.path);
  EXPECT_EQ(raw.query_int("SELECT count(*) FROM accounts"), kRequests);
}

TEST(SqliteLifecycle, ShutdownCompletesTheQueueJoinsTheWriterAndRefusesLaterCalls) {
  TempDir dir;
  const auto config = config_in(dir);
  constexpr int kRequests = 500;
  std::atomic<int> completed{0};
  SqliteStore store(config);
  for (int i = 0; i < kRequests; ++i) {
    store.find_or_create_guest(numbered("device-", i),
                               [&](GuestLoginResult r) { completed += r.ok() ? 1 : 0; });
  }
  store.shutdown();
  // Every callback has run by now, on the writer, which has exited: whoever
  // the callbacks refer to may be destroyed after this line.
  EXPECT_EQ(completed.load(), kRequests);
  std::thread::id ran_on;
  StoreError error = StoreError::kOk;
  store.create_account("late", "hash", "", [&](CreateAccountResult r) {
    error = r.error;
    ran_on = std::this_thread::get_id();
  });
  EXPECT_EQ(error, StoreError::kShuttingDown);
  EXPECT_EQ(ran_on, std::this_thread::get_id()) << "a refused call completes inline";
  store.shutdown();  // idempotent
  RawConnection raw(config.path);
  EXPECT_EQ(raw.query_int("SELECT count(*) FROM accounts"), kRequests);
}

TEST(SqliteLifecycle, ManyRequestsShareOneTransaction) {
  TempDir dir;
  auto config = config_in(dir);
  config.max_batch = 100;
  SqliteStore store(config);
  ASSERT_TRUE(guest(store, "warm-up").ok());
  const auto before = store.stats();

  // Hold the write lock from outside so the requests pile up in the queue.
  RawConnection blocker(config.path);
  blocker.exec("BEGIN EXCLUSIVE");
  CompletionCounter done;
  for (int i = 0; i < 500; ++i) {
    store.find_or_create_guest(numbered("device-", i), [&](GuestLoginResult r) {
      EXPECT_TRUE(r.ok());
      done.add();
    });
  }
  blocker.exec("ROLLBACK");
  ASSERT_TRUE(done.wait_for_count(500));

  const auto after = store.stats();
  const uint64_t commits = after.transactions_committed - before.transactions_committed;
  // 500 requests; whatever the writer grabbed before blocking, the rest go
  // in chunks of max_batch: at most a handful of commits, not 500.
  EXPECT_LE(commits, 10u);
  EXPECT_EQ(after.largest_batch, 100u);
  EXPECT_EQ(after.transactions_failed, 0u);
}

TEST(SqliteLifecycle, GroupCommitWindowRunsALoneRequestAtOnceAndCoalescesTheNext) {
  using Clock = std::chrono::steady_clock;
  TempDir dir;
  auto config = config_in(dir);
  config.group_commit_window_us = 400'000;
  SqliteStore store(config);

  // After a quiet spell: no wait.
  const auto start = Clock::now();
  ASSERT_TRUE(guest(store, "first").ok());
  const auto lone = Clock::now() - start;
  EXPECT_LT(lone, 300ms);
  const auto before = store.stats();

  // Right behind it: held until the window since the last batch closes, then
  // all of them in one transaction.
  CompletionCounter done;
  for (int i = 0; i < 20; ++i) {
    store.find_or_create_guest(numbered("device-", i), [&](GuestLoginResult r) {
      EXPECT_TRUE(r.ok());
      done.add();
    });
  }
  ASSERT_TRUE(done.wait_for_count(20));
  EXPECT_GE(Clock::now() - start, 400ms);
  const auto after = store.stats();
  EXPECT_EQ(after.transactions_committed - before.transactions_committed, 1u);
  EXPECT_EQ(after.largest_batch, 20u);
}

TEST(SqliteLifecycle, FullQueueRefusesAtOnceWithOverloaded) {
  TempDir dir;
  auto config = config_in(dir);
  config.queue_capacity = 4;
  config.busy_timeout_ms = 30'000;  // the writer waits for the blocker, never gives up here
  SqliteStore store(config);

  RawConnection blocker(config.path);
  blocker.exec("BEGIN EXCLUSIVE");  // the writer's BEGIN IMMEDIATE now waits
  CompletionCounter done;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    store.find_or_create_guest(numbered("device-", i), [&](GuestLoginResult r) {
      if (r.ok()) ++ok;
      done.add();
    });
  }
  // Nothing can complete while the lock is held, so the queue is exactly full.
  bool refused_inline = false;
  StoreError refused_with = StoreError::kOk;
  store.find_or_create_guest("device-refused", [&](GuestLoginResult r) {
    refused_inline = true;
    refused_with = r.error;
  });
  EXPECT_TRUE(refused_inline);  // completed before the call returned
  EXPECT_EQ(refused_with, StoreError::kOverloaded);
  EXPECT_FALSE(store.append("lobby", 1, "a", "dropped", 1));
  const auto stats = store.stats();
  EXPECT_EQ(stats.overloaded_rejections, 2u);
  EXPECT_EQ(stats.history_appends_dropped, 1u);
  EXPECT_EQ(stats.queue_outstanding, 4u);
  EXPECT_EQ(done.count(), 0u);

  blocker.exec("ROLLBACK");
  ASSERT_TRUE(done.wait_for_count(4));
  EXPECT_EQ(ok.load(), 4);
  // Room again once the queue drained.
  EXPECT_TRUE(guest(store, "device-after").ok());
}

TEST(SqliteLifecycle, ACompletionMaySubmitAgainIntoAFullQueue) {
  // Capacity one: the request being completed was the only one. Its place
  // must be free by the time its callback runs, or a caller that chains
  // requests (login, then load) is refused with nothing outstanding.
  TempDir dir;
  auto config = config_in(dir);
  config.queue_capacity = 1;
  SqliteStore store(config);
  CompletionCounter done;
  StoreError chained = StoreError::kOk;
  store.find_or_create_guest("device-first", [&](GuestLoginResult first) {
    EXPECT_TRUE(first.ok());
    store.find_or_create_guest("device-second", [&](GuestLoginResult second) {
      chained = second.error;
      done.add();
    });
  });
  ASSERT_TRUE(done.wait_for_count(1));
  EXPECT_EQ(chained, StoreError::kOk);
  EXPECT_EQ(store.stats().overloaded_rejections, 0u);
}

TEST(SqliteLifecycle, ARequestStaysOutstandingUntilItsCallbackHasRun) {
  // Its queue place is free before its callback runs (above), but whoever
  // waits for the store to be idle (a drain, a test harness) must still see
  // it until the callback has returned.
  TempDir dir;
  SqliteStore store(config_in(dir));
  std::promise<void> in_callback;
  std::promise<void> may_return;
  auto returned = may_return.get_future().share();
  CompletionCounter done;
  store.find_or_create_guest("device-slow", [&](GuestLoginResult r) {
    EXPECT_TRUE(r.ok());
    in_callback.set_value();
    returned.wait();
    done.add();
  });
  in_callback.get_future().wait();
  EXPECT_EQ(store.stats().queue_outstanding, 1u);
  may_return.set_value();
  ASSERT_TRUE(done.wait_for_count(1));
  // done.add() ran inside the callback: the count drops right after it.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (store.stats().queue_outstanding != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  EXPECT_EQ(store.stats().queue_outstanding, 0u);
}

TEST(SqliteLifecycle, LockHeldPastBusyTimeoutFailsTheBatchThenRecovers) {
  TempDir dir;
  auto config = config_in(dir);
  config.busy_timeout_ms = 50;
  SqliteStore store(config);

  RawConnection blocker(config.path);
  blocker.exec("BEGIN EXCLUSIVE");
  const auto failed = guest(store, "device-1");
  EXPECT_EQ(failed.error, StoreError::kStorageError);
  EXPECT_EQ(store.stats().transactions_failed, 1u);
  blocker.exec("ROLLBACK");

  const auto retried = guest(store, "device-1");
  ASSERT_TRUE(retried.ok());
  EXPECT_TRUE(retried.value.created);  // the failed attempt left nothing behind
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

TEST(SqliteLifecycle, ZeroBatchOrCapacityIsRejected) {
  TempDir dir;
  auto config = config_in(dir);
  config.max_batch = 0;
  EXPECT_THROW(SqliteStore{config}, std::invalid_argument);
  config.max_batch = 10;
  config.queue_capacity = 0;
  EXPECT_THROW(SqliteStore{config}, std::invalid_argument);
}

}  // namespace
}  // namespace citadel::store::test
