// LockstepRoom's catch-up, driven directly with a recording RoomContext: a
// player asking for the whole history at the worst case the default config
// allows (every tick's input queue full: 64 KiB of inputs a frame, history
// at its byte cap) receives it in pages that never exceed a quarter of the
// output cap per tick, every frame once, in order, then the live frames.
#include <gtest/gtest.h>

#include <flatbuffers/flatbuffers.h>

#include <map>
#include <memory>
#include <stdexcept>
#include <vector>

#include "protocol/lockstep_generated.h"
#include "protocol/verified_payload.h"
#include "protocol/wire.h"
#include "rooms/games/lockstep_room.h"

namespace citadel::rooms {
namespace {

constexpr std::size_t kOutputQueueBytes = 1024 * 1024;  // limits.output_queue_bytes default
constexpr std::size_t kInputQueueBytes = 64 * 1024;     // rooms.lockstep.input_queue_bytes default

class RecordingContext final : public RoomContext {
 public:
  explicit RecordingContext(std::size_t players) {
    for (std::size_t i = 0; i < players; ++i) {
      players_.push_back(std::make_unique<Player>(Player{i + 1, "p", 100 + i}));
      view_.push_back(players_.back().get());
    }
  }
  uint64_t room_id() const override { return 1; }
  uint64_t tick() const override { return 0; }
  std::chrono::nanoseconds tick_interval() const override { return std::chrono::milliseconds(33); }
  std::span<const Player* const> players() const override { return view_; }
  void broadcast(uint16_t, std::span<const uint8_t>) override { ADD_FAILURE(); }
  void broadcast_frame(const net::SharedBytes& frame) override {
    for (const Player* p : view_) record(*p, frame);
  }
  void send(const Player&, uint16_t, std::span<const uint8_t>) override { ADD_FAILURE(); }
  void send_frame(const Player& to, const net::SharedBytes& frame) override { record(to, frame); }
  void send_frame(std::span<const Player* const> to, const net::SharedBytes& frame) override {
    for (const Player* p : to) record(*p, frame);
  }
  std::size_t page_bytes() const override { return kOutputQueueBytes / 4; }
  void close(std::string_view) override { ADD_FAILURE(); }
  rooms::RoomStorage& storage() override { throw std::logic_error("no storage in this test"); }

  const Player& player(std::size_t i) const { return *players_[i]; }
  // Frame numbers each user received, and bytes since the last take_bytes().
  std::map<uint64_t, std::vector<uint32_t>> frames;
  std::map<uint64_t, std::size_t> bytes;
  std::size_t take_bytes(uint64_t user) { return std::exchange(bytes[user], 0); }

 private:
  void record(const Player& to, const net::SharedBytes& frame) {
    const std::span<const uint8_t> payload(frame->data() + protocol::kHeaderBytes,
                                           frame->size() - protocol::kHeaderBytes);
    const auto* f = protocol::verified_root<msg::LockstepFrame>(payload);
    ASSERT_NE(f, nullptr);
    frames[to.user_id].push_back(f->frame());
    bytes[to.user_id] += frame->size();
  }
  std::vector<std::unique_ptr<Player>> players_;
  std::vector<const Player*> view_;
};

std::vector<uint8_t> input(std::size_t size) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<uint8_t> data(size, 0xAB);
  fbb.Finish(msg::CreateLockstepInput(fbb, fbb.CreateVector(data)));
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

TEST(LockstepCatchUp, TheWholeHistoryAtTheWorstCaseGoesOutInPagesUnderTheOutputCap) {
  constexpr std::size_t kPlayers = 8;
  RecordingContext ctx(kPlayers);
  LockstepRoom room;
  // Every tick: each player fills its fair share of the input queue with
  // 256-byte inputs (64 KiB / 8 players / 256 B = 32 inputs each).
  const auto big = input(LockstepRoom::kMaxInputBytes);
  const auto* table = flatbuffers::GetRoot<msg::LockstepInput>(big.data());
  const std::size_t per_player = kInputQueueBytes / kPlayers / LockstepRoom::kMaxInputBytes;
  std::size_t largest_frame = 0;
  for (uint32_t tick = 1; tick <= LockstepRoom::kHistoryFrames; ++tick) {
    for (std::size_t p = 0; p < kPlayers; ++p) {
      for (std::size_t i = 0; i < per_player; ++i) room.on_input(ctx, ctx.player(p), *table);
    }
    room.on_tick(ctx);
    largest_frame = std::max(largest_frame, ctx.take_bytes(1));
  }
  ctx.frames.clear();
  ctx.bytes.clear();
  // The worst case: every frame as large as the room lets it be.
  ASSERT_GT(largest_frame, LockstepRoom::kMaxFrameBytes * 9 / 10);
  // Player 2 reconnects and asks for everything after frame 0: megabytes.
  const Player& late = ctx.player(1);
  room.on_sync(ctx, late, 0);
  std::size_t page = ctx.take_bytes(late.user_id);
  EXPECT_LE(page, ctx.page_bytes());
  EXPECT_GT(page, 0u);
  std::size_t total = page, ticks = 0;
  // Then one page a tick (plus nothing live while it catches up) until the
  // live edge; no tick sends it more than a page.
  uint32_t live = LockstepRoom::kHistoryFrames;
  while (ctx.frames[late.user_id].back() < live && ticks < 1000) {
    room.on_tick(ctx);
    ++live;
    ++ticks;
    page = ctx.take_bytes(late.user_id);
    EXPECT_LE(page, ctx.page_bytes()) << "tick " << ticks;
    total += page;
  }
  EXPECT_GT(total, kOutputQueueBytes) << "the history is larger than one output queue";
  EXPECT_GE(total, LockstepRoom::kHistoryBytes / 2);
  // Every frame kept, once and in order, up to the live one; then live frames.
  const auto& got = ctx.frames[late.user_id];
  for (std::size_t i = 1; i < got.size(); ++i) ASSERT_EQ(got[i], got[i - 1] + 1) << i;
  EXPECT_EQ(got.back(), live);
  room.on_tick(ctx);
  EXPECT_EQ(ctx.frames[late.user_id].back(), live + 1);
  // The others never stopped getting one live frame a tick.
  const auto& other = ctx.frames[1];
  EXPECT_EQ(other.size(), ticks + 1);
  EXPECT_EQ(other.back(), live + 1);
}

TEST(LockstepCatchUp, AResumedPlayerGetsNoLiveFrameBeforeItsCatchUp) {
  // Back after a resume, the client asks (RoomJoin with last_frame) for the
  // frames it missed. Live frames sent before that request would arrive
  // ahead of them: out of order, then again in the catch-up.
  RecordingContext ctx(2);
  LockstepRoom room;
  const Player& back = ctx.player(1);
  for (int i = 0; i < 5; ++i) room.on_tick(ctx);  // it saw frames 1..5
  ctx.frames.clear();
  room.on_reconnect(ctx, back);
  for (int i = 0; i < 3; ++i) room.on_tick(ctx);  // frames 6..8, before it asks
  EXPECT_TRUE(ctx.frames[back.user_id].empty());
  EXPECT_EQ(ctx.frames[1], (std::vector<uint32_t>{6, 7, 8}));  // the other, live
  room.on_sync(ctx, back, 5);
  room.on_tick(ctx);
  EXPECT_EQ(ctx.frames[back.user_id], (std::vector<uint32_t>{6, 7, 8, 9}));
}

}  // namespace
}  // namespace citadel::rooms
