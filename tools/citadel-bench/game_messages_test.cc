// The bench's room messages against the schemas: what it encodes decodes
// with the generated code, and what the server sends decodes to the fields
// the scenarios use.
#include <gtest/gtest.h>

#include <vector>

#include "game_messages.h"
#include "protocol/arena_generated.h"
#include "protocol/lockstep_generated.h"
#include "protocol/rooms_generated.h"

namespace citadel::bench {
namespace {

std::span<const uint8_t> bytes(const flatbuffers::FlatBufferBuilder& fbb) {
  return {fbb.GetBufferPointer(), fbb.GetSize()};
}

TEST(GameMessages, EncodesJoinAndInputs) {
  GameEncoder enc;
  const auto join = enc.room_join(42, "arena");
  const auto* j = flatbuffers::GetRoot<msg::RoomJoin>(join.data());
  EXPECT_EQ(j->request_id(), 42u);
  EXPECT_EQ(j->room_type()->str(), "arena");
  EXPECT_EQ(j->room_id(), 0u);
  EXPECT_FALSE(j->create());

  const auto input = enc.arena_input(7, 0.5f, -1.0f);
  const auto* a = flatbuffers::GetRoot<msg::ArenaInput>(input.data());
  EXPECT_EQ(a->seq(), 7u);
  EXPECT_EQ(a->dx(), 0.5f);
  EXPECT_EQ(a->dy(), -1.0f);

  const auto lock = enc.lockstep_input(0x01020304);
  const auto* l = flatbuffers::GetRoot<msg::LockstepInput>(lock.data());
  ASSERT_EQ(l->data()->size(), 8u);
  EXPECT_EQ(l->data()->Get(0), 0x04);
  EXPECT_EQ(l->data()->Get(3), 0x01);
}

TEST(GameMessages, DecodesRoomReply) {
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(
      msg::CreateRoomReplyDirect(fbb, 5, msg::RoomResult::RoomFull, "full", 77, "arena", 20, 16));
  const auto r = decode_room_reply(bytes(fbb));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->request_id, 5u);
  EXPECT_EQ(r->result, static_cast<uint16_t>(msg::RoomResult::RoomFull));
  EXPECT_EQ(r->room_id, 77u);
  EXPECT_EQ(r->tick_hz, 20u);
  EXPECT_EQ(room_result_name(r->result), "RoomFull");
  EXPECT_EQ(room_result_name(999), "unknown");
  const std::vector<uint8_t> junk{1, 2, 3};
  EXPECT_FALSE(decode_room_reply(junk));
}

TEST(GameMessages, DecodesRoomEvent) {
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(
      msg::CreateRoomEventDirect(fbb, msg::RoomEventKind::Rejoined, 77, 9, "guest-9", "arena"));
  const auto e = decode_room_event(bytes(fbb));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, 5);
  EXPECT_EQ(e->room_id, 77u);
  const std::vector<uint8_t> junk{1, 2, 3};
  EXPECT_FALSE(decode_room_event(junk));
}

TEST(GameMessages, ArenaStateYieldsTickAndOnlyTheOwnAck) {
  flatbuffers::FlatBufferBuilder fbb;
  const std::vector<msg::ArenaPlayer> players{{10, 1, 2, 5}, {11, 3, 4, 9}};
  fbb.Finish(msg::CreateArenaStateDirect(fbb, 123, false, &players));
  const auto own = decode_arena_state(bytes(fbb), 11);
  ASSERT_TRUE(own);
  EXPECT_EQ(own->tick, 123u);
  EXPECT_FALSE(own->snapshot);
  ASSERT_TRUE(own->own_ack);
  EXPECT_EQ(*own->own_ack, 9u);
  const auto absent = decode_arena_state(bytes(fbb), 12);  // not changed this tick
  ASSERT_TRUE(absent);
  EXPECT_FALSE(absent->own_ack);
}

TEST(GameMessages, LockstepFrameYieldsFrameAndTheHighestOwnSeq) {
  GameEncoder enc;
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<msg::PlayerInput>> inputs;
  for (const auto& [user, seq] :
       std::vector<std::pair<uint64_t, uint32_t>>{{4, 8}, {3, 2}, {4, 9}}) {
    const auto in = enc.lockstep_input(seq);
    const auto* l = flatbuffers::GetRoot<msg::LockstepInput>(in.data());
    const std::vector<uint8_t> data(l->data()->begin(), l->data()->end());
    inputs.push_back(msg::CreatePlayerInputDirect(fbb, user, &data));
  }
  fbb.Finish(msg::CreateLockstepFrameDirect(fbb, 31, &inputs));
  const auto f = decode_lockstep_frame(bytes(fbb), 4);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->frame, 31u);
  ASSERT_TRUE(f->own_seq);
  EXPECT_EQ(*f->own_seq, 9u);
  EXPECT_FALSE(decode_lockstep_frame(bytes(fbb), 5)->own_seq);
}

}  // namespace
}  // namespace citadel::bench
