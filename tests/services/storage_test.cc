// Player storage end to end: StorageRead/Write/Delete/List over real sockets
// against a real Server with its Services, on the suite's store (SQLite in
// auth_test, the real PostgreSQL in auth_pg_test).
#include <string>
#include <vector>

#include "protocol/storage_generated.h"
#include "service_fixture.h"

namespace citadel {
namespace {

using msg::StorageResult;

struct Item {
  std::string collection, key, value;
  uint64_t version = 0;
  bool if_absent = false;
  uint8_t read = 1, write = 1;
};

struct StorageReplyView {
  StorageResult result{};
  std::string message, cursor;
  int32_t failed_index = -1;
  uint32_t request_id = 0;
  std::vector<uint64_t> versions;
  struct Object {
    std::string collection, key, value;
    uint64_t user_id = 0, version = 0;
    uint8_t read = 0, write = 0;
  };
  std::vector<Object> objects;
};

class StorageTest : public ServiceTest {
 protected:
  static test::Bytes write_msg(const std::vector<Item>& items, uint32_t rid = 7) {
    flatbuffers::FlatBufferBuilder fbb;
    std::vector<flatbuffers::Offset<msg::StorageWriteItem>> v;
    for (const Item& i : items) {
      v.push_back(msg::CreateStorageWriteItemDirect(fbb, i.collection.c_str(), i.key.c_str(),
                                                    i.value.c_str(), i.version, i.if_absent, i.read,
                                                    i.write));
    }
    fbb.Finish(msg::CreateStorageWrite(fbb, rid, fbb.CreateVector(v)));
    return finish(fbb);
  }
  struct Id {
    std::string collection, key;
    uint64_t user_id = 0;
  };
  static test::Bytes read_msg(const std::vector<Id>& ids, uint32_t rid = 8) {
    flatbuffers::FlatBufferBuilder fbb;
    std::vector<flatbuffers::Offset<msg::StorageObjectId>> v;
    for (const Id& i : ids) {
      v.push_back(
          msg::CreateStorageObjectIdDirect(fbb, i.collection.c_str(), i.key.c_str(), i.user_id));
    }
    fbb.Finish(msg::CreateStorageRead(fbb, rid, fbb.CreateVector(v)));
    return finish(fbb);
  }
  static test::Bytes delete_msg(const std::vector<std::pair<std::string, uint64_t>>& keys,
                                uint32_t rid = 9) {
    flatbuffers::FlatBufferBuilder fbb;
    std::vector<flatbuffers::Offset<msg::StorageDeleteItem>> v;
    for (const auto& [key, version] : keys) {
      v.push_back(msg::CreateStorageDeleteItemDirect(fbb, "saves", key.c_str(), version));
    }
    fbb.Finish(msg::CreateStorageDelete(fbb, rid, fbb.CreateVector(v)));
    return finish(fbb);
  }
  static test::Bytes list_msg(std::string_view collection, uint64_t user_id, uint32_t limit,
                              std::string_view cursor, uint32_t rid = 10) {
    flatbuffers::FlatBufferBuilder fbb;
    const auto c = fbb.CreateString(collection.data(), collection.size());
    const auto cur = cursor.empty() ? flatbuffers::Offset<flatbuffers::String>()
                                    : fbb.CreateString(cursor.data(), cursor.size());
    fbb.Finish(msg::CreateStorageList(fbb, rid, c, user_id, limit, cur));
    return finish(fbb);
  }

  static StorageReplyView storage_call(TestClient& c, uint16_t request_cmd,
                                       const test::Bytes& payload) {
    StorageReplyView out;
    if (!c.send_frame(request_cmd, payload)) {
      ADD_FAILURE() << "send failed";
      return out;
    }
    const auto r = c.read_frame(10s);
    if (r.status != ReadStatus::kFrame || r.frame.cmd != cmd::kStorageReply) {
      ADD_FAILURE() << "expected a StorageReply, got " << r.describe();
      return out;
    }
    const auto* m = protocol::verified_root<msg::StorageReply>(r.frame.payload);
    if (m == nullptr) {
      ADD_FAILURE() << "StorageReply does not verify";
      return out;
    }
    out.result = m->result();
    out.request_id = m->request_id();
    out.failed_index = m->failed_index();
    if (m->message()) out.message = m->message()->str();
    if (m->cursor()) out.cursor = m->cursor()->str();
    if (m->versions()) out.versions.assign(m->versions()->begin(), m->versions()->end());
    if (m->objects()) {
      for (const auto* o : *m->objects()) {
        out.objects.push_back({o->collection()->str(), o->key()->str(), o->value()->str(),
                               o->user_id(), o->version(), o->permission_read(),
                               o->permission_write()});
      }
    }
    return out;
  }
  StorageReplyView write(TestClient& c, const std::vector<Item>& items) {
    return storage_call(c, cmd::kStorageWrite, write_msg(items));
  }
  StorageReplyView read(TestClient& c, const std::vector<Id>& ids) {
    return storage_call(c, cmd::kStorageRead, read_msg(ids));
  }
};

TEST_F(StorageTest, StorageBeforeLoginIsRefusedWithError9) {
  start();
  TestClient c = connect();
  ASSERT_TRUE(c.send_frame(cmd::kStorageWrite, write_msg({{"saves", "a", "{}"}})));
  const auto r = c.read_frame(5s);
  ASSERT_EQ(r.status, ReadStatus::kFrame);
  EXPECT_EQ(r.frame.error_code(), static_cast<uint16_t>(protocol::ErrorCode::kNotAuthenticated));
  EXPECT_TRUE(c.ping()) << "the connection stays open";
}

TEST_F(StorageTest, WriteThenReadOwnObject) {
  start();
  auto [c, me] = guest_login("storage-device-1");
  const auto w = write(c, {{"saves", "slot1", R"({"level":3})"}});
  ASSERT_EQ(w.result, StorageResult::Ok) << w.message;
  EXPECT_EQ(w.request_id, 7u);
  EXPECT_EQ(w.versions, std::vector<uint64_t>{1});
  const auto r = read(c, {{"saves", "slot1", 0}, {"saves", "missing", 0}});
  ASSERT_EQ(r.result, StorageResult::Ok) << r.message;
  EXPECT_EQ(r.request_id, 8u);
  ASSERT_EQ(r.objects.size(), 1u);
  EXPECT_EQ(r.objects[0].value, R"({"level":3})");
  EXPECT_EQ(r.objects[0].user_id, me.user_id);
  EXPECT_EQ(r.objects[0].version, 1u);
  EXPECT_EQ(r.objects[0].read, 1);
  EXPECT_EQ(r.objects[0].write, 1);
}

TEST_F(StorageTest, OthersSeeOnlyPublicObjects) {
  start();
  auto [alice, a] = guest_login("storage-device-alice");
  auto [bob, b] = guest_login("storage-device-bob");
  Item priv{"profile", "private", R"({"secret":1})"};
  Item pub{"profile", "public", R"({"name":"alice"})"};
  pub.read = 2;
  Item hidden{"profile", "server-only", R"({"flag":1})"};
  hidden.read = 0;
  ASSERT_EQ(write(alice, {priv, pub, hidden}).result, StorageResult::Ok);

  const auto seen = read(bob, {{"profile", "private", a.user_id},
                               {"profile", "public", a.user_id},
                               {"profile", "server-only", a.user_id}});
  ASSERT_EQ(seen.result, StorageResult::Ok);
  ASSERT_EQ(seen.objects.size(), 1u);
  EXPECT_EQ(seen.objects[0].key, "public");
  // The owner sees its own, but not what is server-only.
  const auto own = read(
      alice, {{"profile", "private", 0}, {"profile", "public", 0}, {"profile", "server-only", 0}});
  ASSERT_EQ(own.objects.size(), 2u);
  // Lists follow the same rules.
  const auto bob_lists =
      storage_call(bob, cmd::kStorageList, list_msg("profile", a.user_id, 10, ""));
  ASSERT_EQ(bob_lists.result, StorageResult::Ok);
  ASSERT_EQ(bob_lists.objects.size(), 1u);
  EXPECT_EQ(bob_lists.objects[0].key, "public");
  const auto alice_lists = storage_call(alice, cmd::kStorageList, list_msg("profile", 0, 10, ""));
  EXPECT_EQ(alice_lists.objects.size(), 2u);
  // Bob writes his own object under the same key; Alice's stays.
  ASSERT_EQ(write(bob, {{"profile", "public", R"({"name":"bob"})"}}).result, StorageResult::Ok);
  EXPECT_EQ(read(bob, {{"profile", "public", a.user_id}}).objects.at(0).value,
            R"({"name":"alice"})");
}

TEST_F(StorageTest, StaleVersionAndIfAbsentConflict) {
  start();
  auto [c, me] = guest_login("storage-device-2");
  ASSERT_EQ(write(c, {{"saves", "k", R"({"v":1})"}}).versions, std::vector<uint64_t>{1});
  ASSERT_EQ(write(c, {{"saves", "k", R"({"v":2})"}}).versions, std::vector<uint64_t>{2});
  Item stale{"saves", "k", R"({"v":"stale"})", 1};
  const auto conflict = write(c, {stale});
  EXPECT_EQ(conflict.result, StorageResult::VersionConflict);
  EXPECT_EQ(conflict.failed_index, 0);
  Item absent{"saves", "k", R"({"v":"new"})"};
  absent.if_absent = true;
  EXPECT_EQ(write(c, {absent}).result, StorageResult::VersionConflict);
  EXPECT_EQ(read(c, {{"saves", "k"}}).objects.at(0).value, R"({"v":2})");
  Item current{"saves", "k", R"({"v":3})", 2};
  EXPECT_EQ(write(c, {current}).versions, std::vector<uint64_t>{3});
}

TEST_F(StorageTest, ABatchIsAllOrNothing) {
  start();
  auto [c, me] = guest_login("storage-device-3");
  ASSERT_EQ(write(c, {{"saves", "exists", "{}"}}).result, StorageResult::Ok);
  Item clash{"saves", "exists", R"({"x":1})"};
  clash.if_absent = true;
  const auto r = write(c, {{"saves", "a", "{}"}, clash, {"saves", "b", "{}"}});
  EXPECT_EQ(r.result, StorageResult::VersionConflict);
  EXPECT_EQ(r.failed_index, 1);
  EXPECT_TRUE(r.versions.empty());
  EXPECT_TRUE(read(c, {{"saves", "a"}, {"saves", "b"}}).objects.empty());
  const auto ok = write(c, {{"saves", "a", "{}"}, {"saves", "b", "{}"}, {"saves", "exists", "{}"}});
  EXPECT_EQ(ok.versions, (std::vector<uint64_t>{1, 1, 2}));
}

TEST_F(StorageTest, ServerOnlyObjectCannotBeWrittenOrDeletedAgain) {
  start();
  auto [c, me] = guest_login("storage-device-4");
  Item locked{"saves", "locked", R"({"final":true})"};
  locked.write = 0;
  ASSERT_EQ(write(c, {locked}).result, StorageResult::Ok);
  const auto again = write(c, {{"saves", "locked", R"({"final":false})"}});
  EXPECT_EQ(again.result, StorageResult::PermissionDenied);
  const auto del = storage_call(c, cmd::kStorageDelete, delete_msg({{"locked", 0}}));
  EXPECT_EQ(del.result, StorageResult::PermissionDenied);
  EXPECT_EQ(read(c, {{"saves", "locked"}}).objects.at(0).value, R"({"final":true})");
}

TEST_F(StorageTest, DeleteWithVersion) {
  start();
  auto [c, me] = guest_login("storage-device-5");
  ASSERT_EQ(write(c, {{"saves", "k", "{}"}}).result, StorageResult::Ok);
  ASSERT_EQ(write(c, {{"saves", "k", "{}"}}).result, StorageResult::Ok);  // version 2
  const auto stale = storage_call(c, cmd::kStorageDelete, delete_msg({{"k", 1}}));
  EXPECT_EQ(stale.result, StorageResult::VersionConflict);
  EXPECT_EQ(stale.request_id, 9u);
  EXPECT_EQ(read(c, {{"saves", "k"}}).objects.size(), 1u);
  EXPECT_EQ(storage_call(c, cmd::kStorageDelete, delete_msg({{"k", 2}})).result, StorageResult::Ok);
  EXPECT_TRUE(read(c, {{"saves", "k"}}).objects.empty());
}

TEST_F(StorageTest, ListPagesWithCursorAndRefusesBadCursors) {
  start();
  auto [c, me] = guest_login("storage-device-6");
  auto [other, o] = guest_login("storage-device-7");
  std::vector<Item> items;
  for (int i = 0; i < 25; ++i) items.push_back({"inv", fmt::format("item-{:02}", i), "{}"});
  ASSERT_EQ(write(c, items).result, StorageResult::Ok);

  std::vector<std::string> keys;
  std::string cursor, first_cursor;
  for (int page = 0; page < 5; ++page) {
    const auto r = storage_call(c, cmd::kStorageList, list_msg("inv", 0, 10, cursor));
    ASSERT_EQ(r.result, StorageResult::Ok) << r.message;
    for (const auto& obj : r.objects) keys.push_back(obj.key);
    cursor = r.cursor;
    if (page == 0) first_cursor = cursor;
    if (cursor.empty()) break;
  }
  ASSERT_EQ(keys.size(), 25u);
  for (int i = 0; i < 25; ++i) EXPECT_EQ(keys[i], fmt::format("item-{:02}", i));

  // Garbage, an edited cursor, and a cursor from another list: BadCursor.
  ASSERT_FALSE(first_cursor.empty());
  std::string edited = first_cursor;
  edited[4] = edited[4] == 'A' ? 'B' : 'A';
  for (const std::string& bad : {std::string("garbage"), std::string("s1.."), edited}) {
    EXPECT_EQ(storage_call(c, cmd::kStorageList, list_msg("inv", 0, 10, bad)).result,
              StorageResult::BadCursor)
        << bad;
  }
  EXPECT_EQ(storage_call(c, cmd::kStorageList, list_msg("other", 0, 10, first_cursor)).result,
            StorageResult::BadCursor);
  EXPECT_EQ(storage_call(other, cmd::kStorageList, list_msg("inv", 0, 10, first_cursor)).result,
            StorageResult::BadCursor);
  // The same cursor still works for the list it came from.
  const auto second = storage_call(c, cmd::kStorageList, list_msg("inv", 0, 10, first_cursor));
  ASSERT_EQ(second.objects.size(), 10u);
  EXPECT_EQ(second.objects[0].key, "item-10");
  EXPECT_EQ(storage_call(c, cmd::kStorageList, list_msg("inv", 0, 101, "")).result,
            StorageResult::InvalidRequest);
}

TEST_F(StorageTest, RepliesStayWithinOneFrame) {
  start();
  auto [c, me] = guest_login("storage-device-9");
  const std::string big = "{\"s\":\"" + std::string(15000, 'v') + "\"}";
  ASSERT_EQ(write(c, {{"big", "a", big}, {"big", "b", big}, {"big", "c", big}}).result,
            StorageResult::Ok);
  ASSERT_EQ(write(c, {{"big", "d", big}, {"big", "e", big}}).result, StorageResult::Ok);
  // Five values of 15 KB do not fit one 64 KiB reply: a read is refused ...
  const auto r = read(c, {{"big", "a"}, {"big", "b"}, {"big", "c"}, {"big", "d"}, {"big", "e"}});
  EXPECT_EQ(r.result, StorageResult::TooManyObjects);
  // ... and a list page ends early, with a cursor to the rest.
  const auto first = storage_call(c, cmd::kStorageList, list_msg("big", 0, 10, ""));
  ASSERT_EQ(first.result, StorageResult::Ok);
  ASSERT_EQ(first.objects.size(), 4u);
  ASSERT_FALSE(first.cursor.empty());
  const auto second = storage_call(c, cmd::kStorageList, list_msg("big", 0, 10, first.cursor));
  ASSERT_EQ(second.objects.size(), 1u);
  EXPECT_EQ(second.objects[0].key, "e");
  EXPECT_TRUE(second.cursor.empty());
}

TEST_F(StorageTest, BadInputGetsASpecificResultAndTheServerKeepsServing) {
  storage_.max_value_bytes = 64;
  storage_.max_objects_per_batch = 3;
  start();
  auto [c, me] = guest_login("storage-device-8");
  const auto big = write(
      c, {{"saves", "ok", "{}"}, {"saves", "big", "{\"a\":\"" + std::string(80, 'x') + "\"}"}});
  EXPECT_EQ(big.result, StorageResult::ValueTooLarge);
  EXPECT_EQ(big.failed_index, 1);
  EXPECT_EQ(write(c, {{"saves", "k", "{\"a\":"}}).result, StorageResult::InvalidJson);
  EXPECT_EQ(write(c, {{"saves", "k", "[1,2]"}}).result, StorageResult::InvalidJson);
  EXPECT_EQ(write(c, {{"saves", "k", "{\"a\":NaN}"}}).result, StorageResult::InvalidJson);
  EXPECT_EQ(write(c, {{"bad collection", "k", "{}"}}).result, StorageResult::InvalidCollection);
  EXPECT_EQ(write(c, {{"saves", std::string(129, 'k'), "{}"}}).result, StorageResult::InvalidKey);
  EXPECT_EQ(write(c, {{"saves", "", "{}"}}).result, StorageResult::InvalidKey);
  EXPECT_EQ(write(c, {{"saves", "a", "{}"}, {"saves", "a", "{}"}}).result,
            StorageResult::InvalidRequest);
  EXPECT_EQ(write(c, {}).result, StorageResult::InvalidRequest);
  Item bad_perm{"saves", "k", "{}"};
  bad_perm.read = 3;
  EXPECT_EQ(write(c, {bad_perm}).result, StorageResult::InvalidRequest);
  EXPECT_EQ(
      write(c, {{"s", "a", "{}"}, {"s", "b", "{}"}, {"s", "c", "{}"}, {"s", "d", "{}"}}).result,
      StorageResult::TooManyObjects);
  EXPECT_EQ(read(c, {{"saves", "k\n"}}).result, StorageResult::InvalidKey);
  // Nothing of that was stored, and the connection still works.
  EXPECT_TRUE(read(c, {{"saves", "ok"}, {"saves", "big"}, {"saves", "k"}}).objects.empty());
  EXPECT_EQ(write(c, {{"saves", "ok", "{}"}}).result, StorageResult::Ok);
  EXPECT_TRUE(c.ping());
}

}  // namespace
}  // namespace citadel
