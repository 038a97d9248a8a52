// Player storage objects on every backend: versions, conditions, atomic
// batches, permissions as stored, lists in key order with pages.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "store_test_support.h"
#include "test_database.h"

namespace citadel::store::test {
namespace {

class StoreObjects : public StoreTest {};

ObjectWrite put(std::string collection, std::string key, int64_t owner, std::string value) {
  ObjectWrite w;
  w.id = {std::move(collection), std::move(key), owner};
  w.value = std::move(value);
  return w;
}

ObjectWriteResult write(ObjectStore& s, std::vector<ObjectWrite> writes) {
  return await_result<ObjectWriteResult>(
      [&](auto done) { s.write_objects(std::move(writes), std::move(done)); });
}
ObjectReadResult read(ObjectStore& s, std::vector<ObjectId> ids) {
  return await_result<ObjectReadResult>(
      [&](auto done) { s.read_objects(std::move(ids), std::move(done)); });
}
ObjectWriteResult erase(ObjectStore& s, std::vector<ObjectDelete> deletes) {
  return await_result<ObjectWriteResult>(
      [&](auto done) { s.delete_objects(std::move(deletes), std::move(done)); });
}
ObjectListResult list(ObjectStore& s, ObjectListQuery q) {
  return await_result<ObjectListResult>(
      [&](auto done) { s.list_objects(std::move(q), std::move(done)); });
}

TEST_F(StoreObjects, WriteThenReadReturnsEveryField) {
  Store& store = open();
  ObjectWrite w = put("saves", "slot1", 7, R"({"level":3})");
  w.read = kReadPublic;
  w.write = kWriteNone;
  const auto written = write(store, {w});
  ASSERT_TRUE(written.ok()) << to_string(written.error);
  EXPECT_EQ(written.value.refusal, ObjectRefusal::kNone);
  EXPECT_EQ(written.value.versions, std::vector<int64_t>{1});

  const auto r =
      read(store, {{"saves", "slot1", 7}, {"saves", "missing", 7}, {"saves", "slot1", 8}});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.value.size(), 1u);
  const StorageObject& o = r.value[0];
  EXPECT_EQ(o.collection, "saves");
  EXPECT_EQ(o.key, "slot1");
  EXPECT_EQ(o.owner_id, 7);
  EXPECT_EQ(o.value, R"({"level":3})");
  EXPECT_EQ(o.version, 1);
  EXPECT_EQ(o.read, kReadPublic);
  EXPECT_EQ(o.write, kWriteNone);
  EXPECT_GT(o.created_at_unix_ms, 1'600'000'000'000);
  EXPECT_EQ(o.created_at_unix_ms, o.updated_at_unix_ms);
}

TEST_F(StoreObjects, EveryWriteRaisesTheVersionAndKeepsTheCreationTime) {
  Store& store = open();
  ASSERT_TRUE(write(store, {put("c", "k", 1, "{}")}).ok());
  const auto second = write(store, {put("c", "k", 1, R"({"a":1})")});
  EXPECT_EQ(second.value.versions, std::vector<int64_t>{2});
  const auto third = write(store, {put("c", "k", 1, R"({"a":2})")});
  EXPECT_EQ(third.value.versions, std::vector<int64_t>{3});
  const auto r = read(store, {{"c", "k", 1}});
  ASSERT_EQ(r.value.size(), 1u);
  EXPECT_EQ(r.value[0].value, R"({"a":2})");
  EXPECT_LE(r.value[0].created_at_unix_ms, r.value[0].updated_at_unix_ms);
}

TEST_F(StoreObjects, StaleVersionIsAConflictAndChangesNothing) {
  Store& store = open();
  ASSERT_TRUE(write(store, {put("c", "k", 1, R"({"v":1})")}).ok());
  ASSERT_TRUE(write(store, {put("c", "k", 1, R"({"v":2})")}).ok());
  ObjectWrite stale = put("c", "k", 1, R"({"v":"stale"})");
  stale.condition = ObjectCondition::kVersion;
  stale.version = 1;
  const auto refused = write(store, {stale});
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused.value.refusal, ObjectRefusal::kVersionConflict);
  EXPECT_EQ(refused.value.failed_index, 0u);
  EXPECT_EQ(read(store, {{"c", "k", 1}}).value.at(0).value, R"({"v":2})");

  stale.version = 2;
  const auto ok = write(store, {stale});
  EXPECT_EQ(ok.value.refusal, ObjectRefusal::kNone);
  EXPECT_EQ(ok.value.versions, std::vector<int64_t>{3});
  // A version condition on a missing object is a conflict too.
  ObjectWrite missing = put("c", "nothing-here", 1, "{}");
  missing.condition = ObjectCondition::kVersion;
  missing.version = 1;
  EXPECT_EQ(write(store, {missing}).value.refusal, ObjectRefusal::kVersionConflict);
}

TEST_F(StoreObjects, IfAbsentWritesOnceThenConflicts) {
  Store& store = open();
  ObjectWrite w = put("c", "k", 1, R"({"first":true})");
  w.condition = ObjectCondition::kAbsent;
  EXPECT_EQ(write(store, {w}).value.versions, std::vector<int64_t>{1});
  w.value = R"({"first":false})";
  EXPECT_EQ(write(store, {w}).value.refusal, ObjectRefusal::kVersionConflict);
  EXPECT_EQ(read(store, {{"c", "k", 1}}).value.at(0).value, R"({"first":true})");
}

TEST_F(StoreObjects, ABatchWithOneFailingConditionWritesNothing) {
  Store& store = open();
  ASSERT_TRUE(write(store, {put("c", "exists", 1, R"({"old":1})")}).ok());
  ObjectWrite clash = put("c", "exists", 1, R"({"new":1})");
  clash.condition = ObjectCondition::kAbsent;
  const auto r =
      write(store, {put("c", "a", 1, "{}"), put("c", "b", 1, "{}"), clash, put("c", "d", 1, "{}")});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value.refusal, ObjectRefusal::kVersionConflict);
  EXPECT_EQ(r.value.failed_index, 2u);
  EXPECT_TRUE(r.value.versions.empty());
  EXPECT_TRUE(read(store, {{"c", "a", 1}, {"c", "b", 1}, {"c", "d", 1}}).value.empty());
  EXPECT_EQ(read(store, {{"c", "exists", 1}}).value.at(0).value, R"({"old":1})");
  EXPECT_EQ(db_->query_int("SELECT count(*) FROM storage_objects"), 1);
}

TEST_F(StoreObjects, ABatchCommitsEveryItemWithItsOwnVersion) {
  Store& store = open();
  ASSERT_TRUE(write(store, {put("c", "b", 1, "{}")}).ok());
  const auto r =
      write(store, {put("c", "a", 1, "{}"), put("c", "b", 1, "{}"), put("other", "a", 2, "{}")});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value.versions, (std::vector<int64_t>{1, 2, 1}));
  EXPECT_EQ(db_->query_int("SELECT count(*) FROM storage_objects"), 3);
}

TEST_F(StoreObjects, RequireWritableRefusesAServerOnlyObject) {
  Store& store = open();
  ObjectWrite server = put("c", "k", 1, R"({"by":"server"})");
  server.write = kWriteNone;
  ASSERT_TRUE(write(store, {server}).ok());
  ObjectWrite client = put("c", "k", 1, R"({"by":"client"})");
  client.require_writable = true;
  const auto r = write(store, {put("c", "fine", 1, "{}"), client});
  EXPECT_EQ(r.value.refusal, ObjectRefusal::kPermissionDenied);
  EXPECT_EQ(r.value.failed_index, 1u);
  EXPECT_TRUE(read(store, {{"c", "fine", 1}}).value.empty());
  ObjectDelete del{{"c", "k", 1}, 0, true};
  EXPECT_EQ(erase(store, {del}).value.refusal, ObjectRefusal::kPermissionDenied);
  // The server itself may still write and delete it.
  EXPECT_EQ(write(store, {server}).value.versions, std::vector<int64_t>{2});
  del.require_writable = false;
  EXPECT_EQ(erase(store, {del}).value.refusal, ObjectRefusal::kNone);
  EXPECT_TRUE(read(store, {{"c", "k", 1}}).value.empty());
}

TEST_F(StoreObjects, DeleteWithAVersionDeletesOnlyThatVersion) {
  Store& store = open();
  ASSERT_TRUE(write(store, {put("c", "k", 1, "{}")}).ok());
  ASSERT_TRUE(write(store, {put("c", "k", 1, "{}")}).ok());  // version 2
  EXPECT_EQ(erase(store, {{{"c", "k", 1}, 1, false}}).value.refusal,
            ObjectRefusal::kVersionConflict);
  EXPECT_EQ(read(store, {{"c", "k", 1}}).value.size(), 1u);
  EXPECT_EQ(erase(store, {{{"c", "k", 1}, 2, false}}).value.refusal, ObjectRefusal::kNone);
  EXPECT_TRUE(read(store, {{"c", "k", 1}}).value.empty());
  // Without a version a missing object is fine; with one it is a conflict.
  EXPECT_EQ(erase(store, {{{"c", "k", 1}, 0, false}}).value.refusal, ObjectRefusal::kNone);
  EXPECT_EQ(erase(store, {{{"c", "k", 1}, 3, false}}).value.refusal,
            ObjectRefusal::kVersionConflict);
}

TEST_F(StoreObjects, ADeleteBatchIsAllOrNothing) {
  Store& store = open();
  ASSERT_TRUE(write(store, {put("c", "a", 1, "{}"), put("c", "b", 1, "{}")}).ok());
  const auto r = erase(store, {{{"c", "a", 1}, 0, false}, {{"c", "b", 1}, 9, false}});
  EXPECT_EQ(r.value.refusal, ObjectRefusal::kVersionConflict);
  EXPECT_EQ(r.value.failed_index, 1u);
  EXPECT_EQ(read(store, {{"c", "a", 1}, {"c", "b", 1}}).value.size(), 2u);
}

TEST_F(StoreObjects, ListPagesThroughKeysInByteOrder) {
  Store& store = open();
  std::vector<ObjectWrite> writes;
  for (int i = 0; i < 25; ++i) writes.push_back(put("inv", fmt::format("item-{:02}", i), 5, "{}"));
  writes.push_back(put("inv", "B-upper", 5, "{}"));  // 'B' < 'i' in bytes
  writes.push_back(put("other", "x", 5, "{}"));
  writes.push_back(put("inv", "item-99", 6, "{}"));
  ASSERT_TRUE(write(store, writes).ok());

  std::vector<std::string> keys;
  ObjectListQuery q{5, "inv", "", 10, kReadNone};
  for (int page = 0; page < 10; ++page) {
    const auto r = list(store, q);
    ASSERT_TRUE(r.ok());
    for (const auto& o : r.value.objects) {
      EXPECT_EQ(o.owner_id, 5);
      EXPECT_EQ(o.collection, "inv");
      keys.push_back(o.key);
    }
    if (!r.value.more) break;
    EXPECT_EQ(r.value.objects.size(), 10u);
    q.after_key = r.value.objects.back().key;
  }
  ASSERT_EQ(keys.size(), 26u);
  EXPECT_EQ(keys.front(), "B-upper");
  EXPECT_EQ(keys[1], "item-00");
  EXPECT_EQ(keys.back(), "item-24");
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
}

TEST_F(StoreObjects, ListFiltersByReadPermission) {
  Store& store = open();
  ObjectWrite hidden = put("c", "a-hidden", 1, "{}");
  hidden.read = kReadNone;
  ObjectWrite own = put("c", "b-own", 1, "{}");
  own.read = kReadOwner;
  ObjectWrite pub = put("c", "c-public", 1, "{}");
  pub.read = kReadPublic;
  ASSERT_TRUE(write(store, {hidden, own, pub}).ok());
  EXPECT_EQ(list(store, {1, "c", "", 10, kReadNone}).value.objects.size(), 3u);
  EXPECT_EQ(list(store, {1, "c", "", 10, kReadOwner}).value.objects.size(), 2u);
  const auto r = list(store, {1, "c", "", 10, kReadPublic});
  ASSERT_EQ(r.value.objects.size(), 1u);
  EXPECT_EQ(r.value.objects[0].key, "c-public");
  EXPECT_FALSE(r.value.more);
}

TEST_F(StoreObjects, BadInputIsRefusedInlineWithoutQueueing) {
  Store& store = open();
  EXPECT_EQ(write(store, {}).error, StoreError::kInvalidArgument);
  EXPECT_EQ(write(store, {put("c", "k", 1, "[1,2]")}).error, StoreError::kInvalidArgument);
  EXPECT_EQ(write(store, {put("c", "k", 1, "{\"a\":")}).error, StoreError::kInvalidArgument);
  EXPECT_EQ(write(store, {put("bad name", "k", 1, "{}")}).error, StoreError::kInvalidArgument);
  EXPECT_EQ(write(store, {put("c", std::string(129, 'k'), 1, "{}")}).error,
            StoreError::kInvalidArgument);
  EXPECT_EQ(write(store, {put("c", "k", 1, "{}"), put("c", "k", 1, "{}")}).error,
            StoreError::kInvalidArgument);
  ObjectWrite bad_perm = put("c", "k", 1, "{}");
  bad_perm.read = 3;
  EXPECT_EQ(write(store, {bad_perm}).error, StoreError::kInvalidArgument);
  EXPECT_EQ(read(store, {{"", "k", 1}}).error, StoreError::kInvalidArgument);
  EXPECT_EQ(list(store, {1, "c", "", 0, kReadNone}).error, StoreError::kInvalidArgument);
  EXPECT_EQ(db_->query_int("SELECT count(*) FROM storage_objects"), 0);
}

TEST_F(StoreObjects, ValuesKeepTheirExactBytesAndSurviveReopening) {
  Store& store = open();
  const std::string value = R"({"name":"Zoë \u00e9\\ \"q\"","n":[1,2.5e10,null],"nested":{}})";
  ASSERT_TRUE(write(store, {put("c", "k", 1, value)}).ok());
  close();
  Store& again = open();
  const auto r = read(again, {{"c", "k", 1}});
  ASSERT_EQ(r.value.size(), 1u);
  EXPECT_EQ(r.value[0].value, value);
  EXPECT_EQ(r.value[0].version, 1);
}

}  // namespace
}  // namespace citadel::store::test
