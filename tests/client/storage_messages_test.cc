// storage_messages.h: every request the library encodes is read back with the
// generated FlatBuffers code (as the server reads it), StorageReplies built
// the way the server builds them decode field for field, and payloads that
// are not StorageReplies (garbage, truncated, empty) are refused.
#include "client/storage_messages.h"

#include <gtest/gtest.h>

#include <flatbuffers/flatbuffers.h>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "protocol/storage_generated.h"
#include "protocol/verified_payload.h"
#include "read_back.h"

namespace citadel::client {
namespace {

namespace proto = citadel::protocol;

using test::field_text;
using test::finished_bytes;
using test::ReadBack;

// A StorageReply as the server writes it: two objects, versions, a cursor.
std::vector<uint8_t> full_reply() {
  flatbuffers::FlatBufferBuilder b;
  std::vector<flatbuffers::Offset<msg::StorageObject>> objects = {
      msg::CreateStorageObjectDirect(b, "saves", "slot1", 42, R"({"level":3})", 1, 2, 1,
                                     1764750000000, 1764750000001),
      msg::CreateStorageObjectDirect(b, "saves", "slot2", 42, "{}", 9, 1, 0, 5, 6)};
  const std::vector<uint64_t> versions = {1, 4};
  b.Finish(msg::CreateStorageReplyDirect(b, 77, msg::StorageResult::Ok, "ok", -1, &objects,
                                         &versions, "s1.cursor"));
  return finished_bytes(b);
}

TEST(StorageMessages, ReadIsReadBackAsTheServerReadsIt) {
  const std::vector<StorageObjectId> ids = {{"saves", "slot1", 0}, {"profiles", "me", 99}};
  const auto payload = encode_storage_read(4000000000u, ids);
  const ReadBack<msg::StorageRead> m(payload);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->request_id(), 4000000000u);
  ASSERT_EQ(m->objects()->size(), 2u);
  EXPECT_EQ(field_text(m->objects()->Get(0)->collection()), "saves");
  EXPECT_EQ(field_text(m->objects()->Get(0)->key()), "slot1");
  EXPECT_EQ(m->objects()->Get(0)->user_id(), 0u);
  EXPECT_EQ(field_text(m->objects()->Get(1)->collection()), "profiles");
  EXPECT_EQ(m->objects()->Get(1)->user_id(), 99u);
}

TEST(StorageMessages, WriteCarriesConditionsAndPermissions) {
  std::vector<StorageWriteItem> items(3);
  items[0] = {"saves", "slot1", R"({"level":4})", 7, false, 2, 1};
  items[1] = {"saves",
              "slot2",
              "{}",
              0,
              true,
              storage_permission::kReadOwner,
              storage_permission::kWriteServerOnly};
  items[2].collection = "c";
  items[2].key = "k";
  items[2].value = R"({"a":"\u00e9"})";  // defaults: no condition, owner read and write
  const ReadBack<msg::StorageWrite> m(encode_storage_write(5, items));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->request_id(), 5u);
  ASSERT_EQ(m->objects()->size(), 3u);
  const auto* a = m->objects()->Get(0);
  EXPECT_EQ(field_text(a->value()), R"({"level":4})");
  EXPECT_EQ(a->version(), 7u);
  EXPECT_FALSE(a->if_absent());
  EXPECT_EQ(a->permission_read(), 2);
  EXPECT_EQ(a->permission_write(), 1);
  const auto* b = m->objects()->Get(1);
  EXPECT_EQ(b->version(), 0u);
  EXPECT_TRUE(b->if_absent());
  EXPECT_EQ(b->permission_write(), 0);
  const auto* c = m->objects()->Get(2);
  EXPECT_EQ(field_text(c->value()), R"({"a":"\u00e9"})");
  EXPECT_EQ(c->permission_read(), 1);
  EXPECT_EQ(c->permission_write(), 1);
}

TEST(StorageMessages, DeleteAndList) {
  const std::vector<StorageDeleteItem> items = {{"saves", "slot1", 3}, {"saves", "slot2", 0}};
  const ReadBack<msg::StorageDelete> d(encode_storage_delete(6, items));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->request_id(), 6u);
  ASSERT_EQ(d->objects()->size(), 2u);
  EXPECT_EQ(field_text(d->objects()->Get(0)->key()), "slot1");
  EXPECT_EQ(d->objects()->Get(0)->version(), 3u);
  EXPECT_EQ(d->objects()->Get(1)->version(), 0u);

  StorageListRequest first{"saves", 0, 2, std::nullopt};
  const ReadBack<msg::StorageList> l1(encode_storage_list(7, first));
  ASSERT_TRUE(l1.ok());
  EXPECT_EQ(l1->request_id(), 7u);
  EXPECT_EQ(field_text(l1->collection()), "saves");
  EXPECT_EQ(l1->user_id(), 0u);
  EXPECT_EQ(l1->limit(), 2u);
  EXPECT_EQ(l1->cursor(), nullptr) << "the first page sends no cursor";

  StorageListRequest next{"saves", 42, 0, std::string("s1.abc")};
  const ReadBack<msg::StorageList> l2(encode_storage_list(8, next));
  ASSERT_TRUE(l2.ok());
  EXPECT_EQ(l2->user_id(), 42u);
  EXPECT_EQ(field_text(l2->cursor()), "s1.abc");
}

TEST(StorageMessages, ReplyDecodesFieldForField) {
  const auto reply = decode_storage_reply(full_reply());
  ASSERT_TRUE(reply.has_value());
  EXPECT_TRUE(reply->ok());
  EXPECT_EQ(reply->request_id, 77u);
  EXPECT_EQ(reply->message, "ok");
  EXPECT_EQ(reply->failed_index, -1);
  ASSERT_EQ(reply->objects.size(), 2u);
  const StorageObject want{"saves", "slot1",       42,           R"({"level":3})", 1, 2,
                           1,       1764750000000, 1764750000001};
  EXPECT_EQ(reply->objects[0], want);
  EXPECT_EQ(reply->objects[1].key, "slot2");
  EXPECT_EQ(reply->objects[1].version, 9u);
  EXPECT_EQ(reply->objects[1].permission_write, 0);
  EXPECT_EQ(reply->versions, (std::vector<uint64_t>{1, 4}));
  EXPECT_EQ(reply->cursor, std::optional<std::string>("s1.cursor"));
}

TEST(StorageMessages, RefusalAndLastPage) {
  flatbuffers::FlatBufferBuilder b;
  b.Finish(msg::CreateStorageReplyDirect(b, 2, msg::StorageResult::VersionConflict,
                                         "a version or if_absent condition failed", 1));
  const auto reply = decode_storage_reply(finished_bytes(b));
  ASSERT_TRUE(reply.has_value());
  EXPECT_FALSE(reply->ok());
  EXPECT_EQ(reply->result, storage_result::kVersionConflict);
  EXPECT_EQ(reply->failed_index, 1);
  EXPECT_TRUE(reply->objects.empty());
  EXPECT_FALSE(reply->cursor.has_value()) << "no cursor on the last page";
}

// A StorageReply made by hand whose `versions` elements sit 4 bytes off
// their 8-byte alignment: the verifier accepts it (it checks the vector's
// length field only), so the decoder must not read them in place (UBSan
// reports a misaligned load in the asan flavour). Found by
// client_messages_fuzz.
TEST(StorageMessages, VersionsOffTheirAlignmentAreCopiedSafely) {
  std::vector<uint8_t> b(52, 0);
  const auto put32 = [&](std::size_t at, uint32_t v) { std::memcpy(&b[at], &v, 4); };
  const auto put16 = [&](std::size_t at, uint16_t v) { std::memcpy(&b[at], &v, 2); };
  put32(0, 20);  // root: the table at 20
  // vtable at 4: 16 bytes, a table of 8, only field 5 (versions) present, at +4
  put16(4, 16);
  put16(6, 8);
  put16(18, 4);
  put32(20, 16);  // the table's vtable is 16 bytes before it
  put32(24, 8);   // versions: the vector at 24 + 8 = 32
  put32(32, 2);   // two elements, at 36 and 44: 4 bytes off 8-byte alignment
  const uint64_t first = 0x0102030405060708u, second = 5;
  std::memcpy(&b[36], &first, 8);
  std::memcpy(&b[44], &second, 8);
  const auto reply = decode_storage_reply(b);
  ASSERT_TRUE(reply.has_value()) << "the verifier takes it";
  EXPECT_EQ(reply->versions, (std::vector<uint64_t>{first, second}));
  EXPECT_TRUE(reply->objects.empty());
}

TEST(StorageMessages, ResultNamesAreTheSchemas) {
  EXPECT_EQ(storage_result_name(storage_result::kOk), "Ok");
  EXPECT_EQ(storage_result_name(storage_result::kInvalidRequest), "InvalidRequest");
  EXPECT_EQ(storage_result_name(storage_result::kVersionConflict), "VersionConflict");
  EXPECT_EQ(storage_result_name(storage_result::kPermissionDenied), "PermissionDenied");
  EXPECT_EQ(storage_result_name(storage_result::kBadCursor), "BadCursor");
  EXPECT_EQ(storage_result_name(storage_result::kInternalError), "InternalError");
  EXPECT_EQ(storage_result_name(static_cast<uint16_t>(msg::StorageResult::MAX)), "InternalError");
  EXPECT_EQ(storage_result_name(12), "");
  EXPECT_EQ(storage_result_name(65535), "");
  // The constants are the schema's numbers.
  EXPECT_EQ(storage_result::kStoreUnavailable,
            static_cast<uint16_t>(msg::StorageResult::StoreUnavailable));
  EXPECT_EQ(storage_result::kTooManyObjects,
            static_cast<uint16_t>(msg::StorageResult::TooManyObjects));
}

TEST(StorageMessages, MalformedPayloadsAreRefused) {
  EXPECT_FALSE(decode_storage_reply({}).has_value());
  const std::vector<uint8_t> garbage = {0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04};
  EXPECT_FALSE(decode_storage_reply(garbage).has_value());
  const std::vector<uint8_t> whole = full_reply();
  const auto intact = decode_storage_reply(whole);
  ASSERT_TRUE(intact.has_value());
  std::size_t refused = 0;
  for (std::size_t n = 0; n < whole.size(); ++n) {
    const std::vector<uint8_t> cut(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(n));
    // Refused, or (when only trailing alignment padding was cut) the very
    // same reply: never a partly read one.
    const auto reply = decode_storage_reply(cut);
    if (reply) {
      EXPECT_EQ(*reply, *intact) << "cut at " << n << " of " << whole.size();
    } else {
      ++refused;
    }
  }
  EXPECT_GE(refused, whole.size() - 8) << "all but the padding";
  // Any one byte changed: refused, or read within the buffer (ASan and
  // UBSan builds check that no byte outside it is touched).
  for (std::size_t i = 0; i < whole.size(); ++i) {
    for (const uint8_t v : {uint8_t{0x00}, uint8_t{0x7f}, uint8_t{0xff}}) {
      std::vector<uint8_t> changed = whole;
      changed[i] = v;
      (void)decode_storage_reply(changed);
    }
  }
  // An offset that points outside the buffer.
  std::vector<uint8_t> bad = whole;
  bad[0] = 0xff;
  bad[1] = 0xff;
  EXPECT_FALSE(decode_storage_reply(bad).has_value());
}

}  // namespace
}  // namespace citadel::client
