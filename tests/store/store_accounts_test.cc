// Accounts, on every backend: create, find, uniqueness, the guest path, and
// callers on several threads.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "store/unix_ms.h"
#include "store_test_support.h"
#include "test_database.h"

namespace citadel::store::test {
namespace {

class StoreAccounts : public StoreTest {};

TEST_F(StoreAccounts, CreatedAccountIsFoundByNameAndById) {
  Store& store = open();
  const int64_t before_ms = unix_ms_now();
  const auto created = create(store, "Alice", "$argon2id$v=19$hash", "device-a");
  const int64_t after_ms = unix_ms_now();
  ASSERT_TRUE(created.ok()) << to_string(created.error);
  EXPECT_GT(created.value, 0);

  const auto by_name = find_name(store, "Alice");
  ASSERT_TRUE(by_name.ok());
  ASSERT_TRUE(by_name.value.has_value());
  EXPECT_EQ(by_name.value->id, created.value);
  EXPECT_EQ(by_name.value->username, "Alice");
  EXPECT_EQ(by_name.value->password_hash, "$argon2id$v=19$hash");
  EXPECT_EQ(by_name.value->device_id, "device-a");
  EXPECT_GE(by_name.value->created_at_unix_ms, before_ms);
  EXPECT_LE(by_name.value->created_at_unix_ms, after_ms);

  const auto by_id = find_id(store, created.value);
  ASSERT_TRUE(by_id.ok());
  ASSERT_TRUE(by_id.value.has_value());
  EXPECT_EQ(by_id.value->username, "Alice");
}

TEST_F(StoreAccounts, UnknownNameAndIdAreNotFoundWithoutError) {
  Store& store = open();
  const auto by_name = find_name(store, "nobody");
  EXPECT_TRUE(by_name.ok());
  EXPECT_FALSE(by_name.value.has_value());
  const auto by_id = find_id(store, 12345);
  EXPECT_TRUE(by_id.ok());
  EXPECT_FALSE(by_id.value.has_value());
  const auto empty_name = find_name(store, "");
  EXPECT_TRUE(empty_name.ok());
  EXPECT_FALSE(empty_name.value.has_value());
}

TEST_F(StoreAccounts, UsernameIsUniqueIgnoringCase) {
  Store& store = open();
  const auto first = create(store, "Alice", "h1", "");
  ASSERT_TRUE(first.ok());
  const auto second = create(store, "aLICE", "h2", "");
  EXPECT_EQ(second.error, StoreError::kUsernameTaken);

  const auto found = find_name(store, "ALICE");
  ASSERT_TRUE(found.value.has_value());
  EXPECT_EQ(found.value->id, first.value);
  EXPECT_EQ(found.value->username, "Alice");  // stored as first written
  EXPECT_EQ(found.value->password_hash, "h1");
}

TEST_F(StoreAccounts, DeviceIdIsUnique) {
  Store& store = open();
  ASSERT_TRUE(create(store, "alice", "h", "device-1").ok());
  EXPECT_EQ(create(store, "bob", "h", "device-1").error, StoreError::kDeviceTaken);
  // When both clash, the username is reported.
  EXPECT_EQ(create(store, "ALICE", "h", "device-1").error, StoreError::kUsernameTaken);
  // A refused create leaves nothing behind.
  EXPECT_FALSE(find_name(store, "bob").value.has_value());
}

TEST_F(StoreAccounts, AccountNeedsAUsernameOrADevice) {
  Store& store = open();
  EXPECT_EQ(create(store, "", "hash", "").error, StoreError::kInvalidArgument);
  EXPECT_EQ(guest(store, "").error, StoreError::kInvalidArgument);
  // Many accounts may lack a username, or lack a device.
  EXPECT_TRUE(create(store, "", "", "device-1").ok());
  EXPECT_TRUE(create(store, "", "", "device-2").ok());
  EXPECT_TRUE(create(store, "carol", "h", "").ok());
  EXPECT_TRUE(create(store, "dave", "h", "").ok());
}

TEST_F(StoreAccounts, GuestFindOrCreateIsIdempotent) {
  Store& store = open();
  const auto first = guest(store, "device-xyz");
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first.value.created);
  const auto again = guest(store, "device-xyz");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again.value.created);
  EXPECT_EQ(again.value.account_id, first.value.account_id);

  const auto other = guest(store, "device-other");
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other.value.created);
  EXPECT_NE(other.value.account_id, first.value.account_id);

  const auto account = find_id(store, first.value.account_id);
  ASSERT_TRUE(account.value.has_value());
  EXPECT_EQ(account.value->device_id, "device-xyz");
  EXPECT_EQ(account.value->username, "");
  EXPECT_EQ(account.value->password_hash, "");
}

TEST_F(StoreAccounts, GuestPathFindsAnAccountCreatedWithThatDevice) {
  Store& store = open();
  const auto named = create(store, "erin", "h", "device-e");
  ASSERT_TRUE(named.ok());
  const auto login = guest(store, "device-e");
  ASSERT_TRUE(login.ok());
  EXPECT_FALSE(login.value.created);
  EXPECT_EQ(login.value.account_id, named.value);
}

TEST_F(StoreAccounts, ACallSeesEveryCallQueuedBeforeIt) {
  // No waiting between the calls: queue order is execution order.
  Store& store = open();
  CreateAccountResult created;
  store.create_account("frank", "h", "", [&](CreateAccountResult r) { created = r; });
  const auto found = find_name(store, "FRANK");  // completes after the create's callback
  ASSERT_TRUE(created.ok());
  ASSERT_TRUE(found.value.has_value());
  EXPECT_EQ(found.value->id, created.value);
}

TEST_F(StoreAccounts, CallbacksRunOnTheStoreThread) {
  Store& store = open();
  const auto caller = std::this_thread::get_id();
  std::mutex mutex;
  std::set<std::thread::id> seen;
  CompletionCounter done;
  for (int i = 0; i < 50; ++i) {
    store.find_or_create_guest(numbered("device-", i), [&](GuestLoginResult) {
      {
        std::lock_guard lock(mutex);
        seen.insert(std::this_thread::get_id());
      }
      done.add();
    });
  }
  ASSERT_TRUE(done.wait_for_count(50));
  std::lock_guard lock(mutex);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_NE(*seen.begin(), caller);
}

TEST_F(StoreAccounts, ConcurrentCallersGetOneAccountPerDeviceAndOneOwnerPerName) {
  Store& store = open();
  constexpr int kThreads = 4;
  constexpr int kDevices = 500;
  // Every thread logs in every device, in a different order, without waiting.
  std::mutex mutex;
  std::map<std::string, std::set<int64_t>> ids_by_device;
  int created = 0;
  int errors = 0;
  int name_winners = 0;
  int name_losers = 0;
  CompletionCounter done;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < kDevices; ++k) {
        const int i = (k * 7 + t * 131) % kDevices;  // 7 is coprime with 500: a permutation
        const std::string device = numbered("device-", i);
        store.find_or_create_guest(device, [&, device](GuestLoginResult r) {
          {
            std::lock_guard lock(mutex);
            if (!r.ok()) {
              ++errors;
            } else {
              ids_by_device[device].insert(r.value.account_id);
              created += r.value.created ? 1 : 0;
            }
          }
          done.add();
        });
      }
      store.create_account("TheName", numbered("h", t), "", [&](CreateAccountResult r) {
        {
          std::lock_guard lock(mutex);
          if (r.ok()) ++name_winners;
          if (r.error == StoreError::kUsernameTaken) ++name_losers;
        }
        done.add();
      });
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(done.wait_for_count(kThreads * (kDevices + 1)));

  std::lock_guard lock(mutex);
  EXPECT_EQ(errors, 0);
  EXPECT_EQ(created, kDevices);
  ASSERT_EQ(ids_by_device.size(), static_cast<std::size_t>(kDevices));
  std::set<int64_t> distinct;
  for (const auto& [device, ids] : ids_by_device) {
    EXPECT_EQ(ids.size(), 1u) << device << " got several accounts";
    distinct.insert(*ids.begin());
  }
  EXPECT_EQ(distinct.size(), static_cast<std::size_t>(kDevices));
  EXPECT_EQ(name_winners, 1);
  EXPECT_EQ(name_losers, kThreads - 1);
}

TEST_F(StoreAccounts, CallbackCapturesAreReleasedOnceItHasRun) {
  // Callers capture handles and buffers; the store must not keep them alive
  // until some later request comes along.
  Store& store = open();
  auto held = std::make_shared<int>(7);
  std::weak_ptr<int> watch = held;
  CompletionCounter done;
  store.find_or_create_guest("device-1",
                             [held = std::move(held), &done](GuestLoginResult) { done.add(); });
  ASSERT_TRUE(done.wait_for_count(1));
  const auto deadline = std::chrono::steady_clock::now() + kCallTimeout;
  while (!watch.expired() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);  // polling for the condition, bounded
  }
  EXPECT_TRUE(watch.expired());
}

TEST_F(StoreAccounts, ACallbackThatThrowsDoesNotStopTheStore) {
  Store& store = open();
  store.find_or_create_guest("device-1",
                             [](GuestLoginResult) { throw std::runtime_error("bug in a caller"); });
  const auto next = guest(store, "device-2");
  EXPECT_TRUE(next.ok());
  EXPECT_TRUE(next.value.created);
}

}  // namespace
}  // namespace citadel::store::test
