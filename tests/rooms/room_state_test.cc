// The built-in room types' saved states (RoomLogic::save_state and
// restore_state, used by crash recovery): a restored room is the room that
// was saved, and a damaged state is refused rather than half-read.
#include <gtest/gtest.h>

#include <cstring>

#include "fake_room_context.h"
#include "protocol/arena_generated.h"
#include "protocol/commands.h"
#include "protocol/lockstep_generated.h"
#include "rooms/games/arena_room.h"
#include "rooms/games/lockstep_room.h"

namespace citadel::rooms {
namespace {

using fakes::FakeContext;

std::vector<uint8_t> arena_input(uint32_t seq, float dx, float dy) {
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(msg::CreateArenaInput(fbb, seq, dx, dy));
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

TEST(ArenaState, ARestoredArenaHasEveryAvatarWhereItWas) {
  FakeContext ctx({7, 9});
  ArenaRoom before;
  for (std::size_t i = 0; i < 2; ++i) ASSERT_EQ(before.on_join(ctx, ctx.player(i)), "");
  RoomLogic& logic = before;
  const auto input = arena_input(3, 1.0f, -0.5f);
  logic.on_input(ctx, ctx.player(0), input);
  ctx.tick_ = 1;
  before.on_tick(ctx);
  std::vector<uint8_t> state;
  ASSERT_TRUE(before.save_state(state));

  ArenaRoom after;
  ctx.tick_ = 40;
  ASSERT_TRUE(after.restore_state(ctx, state));
  after.on_sync(ctx, ctx.player(1), 0);
  const auto* s = ctx.last<msg::ArenaState>(9);
  EXPECT_TRUE(s->snapshot());
  ASSERT_EQ(s->players()->size(), 2u);
  const auto* a = s->players()->Get(0);
  EXPECT_EQ(a->user_id(), 7u);
  EXPECT_FLOAT_EQ(a->x(), 505.0f);
  EXPECT_FLOAT_EQ(a->y(), 497.5f);
  EXPECT_EQ(a->ack(), 3u);
  // The latest input goes on applying, and an older seq is still stale.
  after.on_tick(ctx);
  const auto stale = arena_input(2, -1.0f, 0);
  static_cast<RoomLogic&>(after).on_input(ctx, ctx.player(0), stale);
  after.on_tick(ctx);
  after.on_sync(ctx, ctx.player(1), 0);
  EXPECT_FLOAT_EQ(ctx.last<msg::ArenaState>(9)->players()->Get(0)->x(), 515.0f);
}

// The transfer demo (rooms.arena_transfer_east): off, an avatar stays at
// the east edge; on, it is handed to another arena, which takes it in at
// the west edge with the same height, input and ack.
TEST(ArenaState, WalkingIntoTheEastEdgeMovesTheAvatarOnOnlyWhenAskedTo) {
  for (const bool east : {false, true}) {
    FakeContext ctx({7});
    ArenaRoom room(east);
    ASSERT_EQ(room.on_join(ctx, ctx.player(0)), "");
    const auto input = arena_input(4, 1.0f, 0.0f);
    static_cast<RoomLogic&>(room).on_input(ctx, ctx.player(0), input);
    for (int tick = 1; tick <= 100; ++tick) {  // 500 -> 1000 at 5 a tick
      ctx.tick_ = static_cast<uint64_t>(tick);
      room.on_tick(ctx);
    }
    if (!east) {
      EXPECT_TRUE(ctx.transfers.empty());
      continue;
    }
    ASSERT_EQ(ctx.transfers.size(), 1u);
    const auto& [user, target] = ctx.transfers.front();
    EXPECT_EQ(user, 7u);
    EXPECT_EQ(target.room_type, "arena");
    EXPECT_EQ(target.room_id, 0u);
    EXPECT_TRUE(target.elsewhere);
    ASSERT_EQ(target.handoff.size(), ArenaRoom::kHandoffBytes);

    FakeContext next({7});
    const Arrival arrival{99, "arena", target.handoff};
    next.arriving = &arrival;
    ArenaRoom west(true);
    ASSERT_EQ(west.on_join(next, next.player(0)), "");
    west.on_sync(next, next.player(0), 0);
    const auto* a = next.last<msg::ArenaState>(7)->players()->Get(0);
    EXPECT_FLOAT_EQ(a->x(), 0.0f);
    EXPECT_FLOAT_EQ(a->y(), 500.0f);
    EXPECT_EQ(a->ack(), 4u);
    // An older seq is stale there too; the latest input keeps walking.
    static_cast<RoomLogic&>(west).on_input(next, next.player(0), arena_input(3, -1.0f, 0));
    west.on_tick(next);
    west.on_sync(next, next.player(0), 0);
    EXPECT_FLOAT_EQ(next.last<msg::ArenaState>(7)->players()->Get(0)->x(), 5.0f);
    // A hand-off that does not read as one is a plain join: the middle.
    FakeContext odd({8});
    const std::vector<uint8_t> junk{1, 2, 3};
    const Arrival bad{99, "arena", junk};
    odd.arriving = &bad;
    ArenaRoom plain(true);
    ASSERT_EQ(plain.on_join(odd, odd.player(0)), "");
    plain.on_sync(odd, odd.player(0), 0);
    EXPECT_FLOAT_EQ(odd.last<msg::ArenaState>(8)->players()->Get(0)->x(), 500.0f);
  }
}

TEST(ArenaState, ADamagedOrOutOfRangeStateIsRefused) {
  FakeContext ctx({7});
  ArenaRoom room;
  ASSERT_EQ(room.on_join(ctx, ctx.player(0)), "");
  std::vector<uint8_t> state;
  ASSERT_TRUE(room.save_state(state));
  ArenaRoom other;
  EXPECT_FALSE(other.restore_state(ctx, std::span(state).first(state.size() - 1)));
  EXPECT_FALSE(other.restore_state(ctx, {}));
  auto bad = state;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::memcpy(bad.data() + 4 + 8, &nan, sizeof nan);  // x
  EXPECT_FALSE(other.restore_state(ctx, bad));
  bad = state;
  const float far = 5000;
  std::memcpy(bad.data() + 4 + 12, &far, sizeof far);  // y off the field
  EXPECT_FALSE(other.restore_state(ctx, bad));
  EXPECT_TRUE(other.restore_state(ctx, state));
}

TEST(ArenaState, PlayersWithoutASavedAvatarStartInTheMiddle) {
  FakeContext saved({7});
  ArenaRoom room;
  ASSERT_EQ(room.on_join(saved, saved.player(0)), "");
  std::vector<uint8_t> state;
  ASSERT_TRUE(room.save_state(state));
  FakeContext now({7, 8});  // 8 had joined after the snapshot
  ArenaRoom restored;
  ASSERT_TRUE(restored.restore_state(now, state));
  restored.on_sync(now, now.player(1), 0);
  EXPECT_EQ(now.last<msg::ArenaState>(8)->players()->size(), 2u);
}

TEST(LockstepState, FramesGoOnFromTheSavedFramePlusTheTicksMissed) {
  FakeContext ctx({7});
  LockstepRoom room;
  for (ctx.tick_ = 1; ctx.tick_ <= 5; ++ctx.tick_) room.on_tick(ctx);
  EXPECT_EQ(ctx.last<msg::LockstepFrame>(7)->frame(), 5u);
  std::vector<uint8_t> state;
  ASSERT_TRUE(room.save_state(state));

  FakeContext later({7});
  later.tick_ = 5 + 30;  // the runtime counts the time down as ticks run
  LockstepRoom restored;
  ASSERT_TRUE(restored.restore_state(later, state));
  // The player is away until it says which frame it saw (RoomJoin).
  ++later.tick_;
  restored.on_tick(later);
  EXPECT_FALSE(later.sent.contains(7));
  restored.on_sync(later, later.player(0), 5);
  EXPECT_EQ(later.last<msg::LockstepFrame>(7)->frame(), 36u);
  EXPECT_FALSE(LockstepRoom().restore_state(later, std::span(state).first(3)));
}

}  // namespace
}  // namespace citadel::rooms
