// Room code on player storage (RoomContext::storage(), room_storage.h): a
// room saves a match result with server rights, reads it back on its own
// thread, and clients then see the object with the permissions the room set.
#include <cstring>
#include <memory>
#include <string>

#include "protocol/lockstep_generated.h"
#include "protocol/storage_generated.h"
#include "room_fixture.h"
#include "rooms/room_type.h"

namespace citadel {
namespace {

constexpr uint16_t kSaverInput = 0x1200;   // the test room's input (LockstepInput)
constexpr uint16_t kSaverResult = 0x1201;  // the room tells a player what it read back

// On every join: saves {"room": id, "player": user} as the player's object
// "matches/room-<id>" (public read, server-only write), then reads it back
// and sends the player the value it read, from the completion (which runs
// on the room's thread with the room's context).
class SaverRoom final : public rooms::TypedRoomLogic<msg::LockstepInput> {
 public:
  std::string on_join(rooms::RoomContext& ctx, const rooms::Player& player) override {
    const auto user = static_cast<int64_t>(player.user_id);
    const std::string key = "room-" + std::to_string(ctx.room_id());
    store::ObjectWrite result;
    result.id = {"matches", key, user};
    result.value = R"({"room":)" + std::to_string(ctx.room_id()) + R"(,"player":)" +
                   std::to_string(user) + "}";
    result.read = store::kReadPublic;
    result.write = store::kWriteNone;  // no client may change a result
    result.condition = store::ObjectCondition::kAbsent;
    ctx.storage().write({result}, [user, key](rooms::RoomContext& ctx, store::ObjectWriteResult w) {
      if (!w.ok() || w.value.refusal != store::ObjectRefusal::kNone) {
        return ctx.close("could not save the result");
      }
      ctx.storage().read({{"matches", key, user}}, [user](rooms::RoomContext& ctx,
                                                          store::ObjectReadResult r) {
        for (const rooms::Player* p : ctx.players()) {
          if (static_cast<int64_t>(p->user_id) != user) continue;
          const std::string value = r.ok() && r.value.size() == 1 ? r.value[0].value : "missing";
          ctx.send(*p, kSaverResult,
                   {reinterpret_cast<const uint8_t*>(value.data()), value.size()});
        }
      });
    });
    return {};
  }
  void on_input(rooms::RoomContext&, const rooms::Player&, const msg::LockstepInput&) override {}
  void on_tick(rooms::RoomContext&) override {}
};

class RoomStorageTest : public RoomTest {};

TEST_F(RoomStorageTest, ARoomSavesAResultThatClientsCanReadButNotChange) {
  extra_room_types_.push_back(
      rooms::make_room_type<SaverRoom>("saver", kSaverInput, rooms::RoomTypeOptions{}));
  start();
  Player a = login("saver-a");
  const auto joined = request(a, cmd::kRoomJoin, join_msg("saver"));
  ASSERT_EQ(joined.result, msg::RoomResult::Ok) << joined.message;
  const std::string expected =
      R"({"room":)" + std::to_string(joined.room_id) + R"(,"player":)" + std::to_string(a.id) + "}";
  const auto f = read_until(a.client, kSaverResult);
  EXPECT_EQ(std::string(f.payload.begin(), f.payload.end()), expected);

  // The client reads it as its own object, with the room's permissions.
  const std::string key = "room-" + std::to_string(joined.room_id);
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<msg::StorageObjectId>> ids = {
      msg::CreateStorageObjectIdDirect(fbb, "matches", key.c_str(), 0)};
  fbb.Finish(msg::CreateStorageRead(fbb, 1, fbb.CreateVector(ids)));
  ASSERT_TRUE(a.client.send_frame(cmd::kStorageRead, {fbb.GetBufferPointer(), fbb.GetSize()}));
  const auto read_frame = read_until(a.client, cmd::kStorageReply);
  const auto* read = protocol::verified_root<msg::StorageReply>(read_frame.payload);
  ASSERT_NE(read, nullptr);
  ASSERT_EQ(read->result(), msg::StorageResult::Ok);
  ASSERT_EQ(read->objects()->size(), 1u);
  EXPECT_EQ(read->objects()->Get(0)->value()->str(), expected);
  EXPECT_EQ(read->objects()->Get(0)->permission_write(), 0);

  // ... and cannot change it.
  fbb.Clear();
  std::vector<flatbuffers::Offset<msg::StorageWriteItem>> items = {
      msg::CreateStorageWriteItemDirect(fbb, "matches", key.c_str(), R"({"won":true})")};
  fbb.Finish(msg::CreateStorageWrite(fbb, 2, fbb.CreateVector(items)));
  ASSERT_TRUE(a.client.send_frame(cmd::kStorageWrite, {fbb.GetBufferPointer(), fbb.GetSize()}));
  const auto write_frame = read_until(a.client, cmd::kStorageReply);
  const auto* write = protocol::verified_root<msg::StorageReply>(write_frame.payload);
  ASSERT_NE(write, nullptr);
  EXPECT_EQ(write->result(), msg::StorageResult::PermissionDenied);
}

}  // namespace
}  // namespace citadel
