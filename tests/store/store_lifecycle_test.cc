// A store as a whole, on every backend: durability across reopen, shutdown,
// group commit, the bounded queue, and a lock held past the wait timeout.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "store_test_support.h"
#include "test_database.h"

namespace citadel::store::test {
namespace {

class StoreLifecycle : public StoreTest {};

TEST_F(StoreLifecycle, DataSurvivesCloseAndReopen) {
  int64_t named_id = 0;
  int64_t guest_id = 0;
  {
    Store& store = open();
    named_id = create(store, "Grace", "hash-g", "").value;
    guest_id = guest(store, "device-g").value.account_id;
    store.append("lobby", named_id, "Grace", "before restart", 42);
    close();  // the destructor commits the queued append
  }
  Store& store = open();
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
  // Ids keep growing across restarts (never reused).
  const auto next = guest(store, "device-new");
  EXPECT_GT(next.value.account_id, std::max(named_id, guest_id));
}

TEST_F(StoreLifecycle, DestructorCompletesEveryQueuedRequest) {
  constexpr int kRequests = 2000;
  std::atomic<int> ok{0};
  std::atomic<int> completed{0};
  {
    Store& store = open();
    for (int i = 0; i < kRequests; ++i) {
      store.find_or_create_guest(numbered("device-", i), [&](GuestLoginResult r) {
        if (r.ok()) ++ok;
        ++completed;
      });
    }
    close();  // no wait: destruction itself must drain
  }
  EXPECT_EQ(completed.load(), kRequests);
  EXPECT_EQ(ok.load(), kRequests);
  EXPECT_EQ(db_->query_int("SELECT count(*) FROM accounts"), kRequests);
}

TEST_F(StoreLifecycle, ShutdownCompletesTheQueueJoinsTheWriterAndRefusesLaterCalls) {
  constexpr int kRequests = 500;
  std::atomic<int> completed{0};
  Store& store = open();
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
  EXPECT_EQ(db_->query_int("SELECT count(*) FROM accounts"), kRequests);
}

TEST_F(StoreLifecycle, ManyRequestsShareOneTransaction) {
  TestStoreOptions options;
  options.max_batch = 100;
  Store& store = open(options);
  ASSERT_TRUE(guest(store, "warm-up").ok());
  const auto before = store.stats();

  // Hold the write lock from outside so the requests pile up in the queue.
  auto blocker = db_->block_writes();
  CompletionCounter done;
  for (int i = 0; i < 500; ++i) {
    store.find_or_create_guest(numbered("device-", i), [&](GuestLoginResult r) {
      EXPECT_TRUE(r.ok());
      done.add();
    });
  }
  blocker->release();
  ASSERT_TRUE(done.wait_for_count(500));

  const auto after = store.stats();
  const uint64_t commits = after.transactions_committed - before.transactions_committed;
  // 500 requests; whatever the writer grabbed before blocking, the rest go
  // in chunks of max_batch: at most a handful of commits, not 500.
  EXPECT_LE(commits, 10u);
  EXPECT_EQ(after.largest_batch, 100u);
  EXPECT_EQ(after.transactions_failed, 0u);
}

TEST_F(StoreLifecycle, GroupCommitWindowRunsALoneRequestAtOnceAndCoalescesTheNext) {
  using Clock = std::chrono::steady_clock;
  TestStoreOptions options;
  options.group_commit_window_us = 400'000;
  Store& store = open(options);

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

TEST_F(StoreLifecycle, FullQueueRefusesAtOnceWithOverloaded) {
  TestStoreOptions options;
  options.queue_capacity = 4;
  Store& store = open(options);

  auto blocker = db_->block_writes();  // the writer's transaction now waits
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
  EXPECT_EQ(stats.queue_capacity, 4u);
  EXPECT_EQ(done.count(), 0u);

  blocker->release();
  ASSERT_TRUE(done.wait_for_count(4));
  EXPECT_EQ(ok.load(), 4);
  // Room again once the queue drained.
  EXPECT_TRUE(guest(store, "device-after").ok());
}

TEST_F(StoreLifecycle, ACompletionMaySubmitAgainIntoAFullQueue) {
  // Capacity one: the request being completed was the only one. Its place
  // must be free by the time its callback runs, or a caller that chains
  // requests (login, then load) is refused with nothing outstanding.
  TestStoreOptions options;
  options.queue_capacity = 1;
  Store& store = open(options);
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

TEST_F(StoreLifecycle, ARequestStaysOutstandingUntilItsCallbackHasRun) {
  // Its queue place is free before its callback runs (above), but whoever
  // waits for the store to be idle (a drain, a test harness) must still see
  // it until the callback has returned.
  Store& store = open();
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

TEST_F(StoreLifecycle, LockHeldPastTheWaitTimeoutFailsTheBatchThenRecovers) {
  TestStoreOptions options;
  options.lock_wait_ms = 50;
  Store& store = open(options);

  auto blocker = db_->block_writes();
  const auto failed = guest(store, "device-1");
  EXPECT_EQ(failed.error, StoreError::kStorageError);
  EXPECT_EQ(store.stats().transactions_failed, 1u);
  EXPECT_EQ(store.stats().requests_failed, 1u);
  blocker->release();

  const auto retried = guest(store, "device-1");
  ASSERT_TRUE(retried.ok());
  EXPECT_TRUE(retried.value.created);  // the failed attempt left nothing behind
}

TEST_F(StoreLifecycle, LatencyIsCountedForEveryRequest) {
  Store& store = open();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(guest(store, numbered("device-", i)).ok());
  const auto stats = store.stats();
  uint64_t observed = 0;
  for (const uint64_t n : stats.request_latency.counts) observed += n;
  EXPECT_EQ(observed, 5u);
  EXPECT_GT(stats.request_latency.sum_ns, 0u);
  EXPECT_EQ(store.backend(), test_backend_name());
}

TEST_F(StoreLifecycle, ZeroBatchOrCapacityIsRejected) {
  TestStoreOptions options;
  options.max_batch = 0;
  EXPECT_THROW(db_->open(options), std::invalid_argument);
  options.max_batch = 10;
  options.queue_capacity = 0;
  EXPECT_THROW(db_->open(options), std::invalid_argument);
}

}  // namespace
}  // namespace citadel::store::test
