// What a room's input path refuses before any room code runs: non-finite
// numbers (NaN, infinities) in any float, over-long lockstep inputs. Each
// gets ERROR 8 for that client alone, changes nothing in the room, and the
// connection stays open.
#include <cmath>
#include <limits>

#include "room_fixture.h"

namespace citadel {
namespace {

using R = msg::RoomResult;
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// Reads frames until an ERROR; returns it (cmd 0 if none came).
test::Frame read_error(TestClient& c) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto r = c.read_frame(5s);
    if (r.status != ReadStatus::kFrame) break;
    if (r.frame.cmd == cmd::kError) return r.frame;
  }
  return {};
}

TEST_F(RoomTest, ArenaRefusesNonFiniteInputsWithError8AndKeepsThePlayersState) {
  start();
  Player a = login("nan-a");
  ASSERT_EQ(request(a, cmd::kRoomJoin, join_msg("arena")).result, R::Ok);
  ASSERT_TRUE(a.client.send_frame(cmd::kArenaInput, arena_input(1, 1, 0)));
  ASSERT_TRUE(arena_until(a.client, [&](const msg::ArenaState& s) {
    const auto* me = find_player(s, a.id);
    return me && me->ack() == 1;
  }));
  // NaN, +inf and -inf, in either field: each refused, naming the field.
  const std::pair<float, float> bad[] = {{kNaN, 0}, {0, kNaN}, {kInf, 0}, {0, -kInf}};
  uint32_t seq = 2;
  for (const auto& [dx, dy] : bad) {
    ASSERT_TRUE(a.client.send_frame(cmd::kArenaInput, arena_input(seq++, dx, dy)));
    const auto error = read_error(a.client);
    ASSERT_EQ(error.error_code(), static_cast<uint16_t>(protocol::ErrorCode::kBadPayload))
        << error.describe();
    EXPECT_NE(error.error_text().find(dx != dx || std::isinf(dx) ? "dx" : "dy"), std::string::npos)
        << error.error_text();
    EXPECT_NE(error.error_text().find("not a finite number"), std::string::npos);
  }
  // The refused inputs changed nothing: the next valid one (any seq above
  // the last accepted) is applied, and everyone sees finite numbers.
  ASSERT_TRUE(a.client.send_frame(cmd::kArenaInput, arena_input(3, 0, 1)));
  ASSERT_TRUE(arena_until(a.client, [&](const msg::ArenaState& s) {
    const auto* me = find_player(s, a.id);
    return me && me->ack() == 3;
  }));
  Player b = login("nan-b");
  ASSERT_EQ(request(b, cmd::kRoomJoin, join_msg("arena")).result, R::Ok);
  ASSERT_TRUE(arena_until(b.client, [&](const msg::ArenaState& s) {
    const auto* other = find_player(s, a.id);
    if (!s.snapshot() || other == nullptr) return false;
    EXPECT_TRUE(std::isfinite(other->x()) && std::isfinite(other->y()));
    EXPECT_GT(other->x(), 500);
    EXPECT_GT(other->y(), 500);
    return true;
  }));
  // Still connected and served (ArenaStates keep coming, so read past them).
  ASSERT_TRUE(a.client.send_frame(cmd::kPing, std::string_view("still here")));
  EXPECT_EQ(read_until(a.client, cmd::kPong).cmd, cmd::kPong);
}

TEST_F(RoomTest, LockstepRefusesInputsOver256BytesWithError8) {
  lockstep_.max_players = 1;
  lockstep_.match_size = 1;
  start();
  Player a = login("long-a");
  ASSERT_EQ(request(a, cmd::kRoomJoin, join_msg("lockstep")).result, R::Ok);
  ASSERT_TRUE(a.client.send_frame(cmd::kLockstepInput, lockstep_input(std::string(257, 'x'))));
  const auto error = read_error(a.client);
  ASSERT_EQ(error.error_code(), static_cast<uint16_t>(protocol::ErrorCode::kBadPayload))
      << error.describe();
  EXPECT_NE(error.error_text().find("256"), std::string::npos) << error.error_text();
  // 256 bytes exactly is fine, and reaches the next frame.
  ASSERT_TRUE(a.client.send_frame(cmd::kLockstepInput, lockstep_input(std::string(256, 'y'))));
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  bool seen = false;
  while (!seen && std::chrono::steady_clock::now() < deadline) {
    const auto f = read_until(a.client, cmd::kLockstepFrame);
    const auto* frame = as<msg::LockstepFrame>(f);
    ASSERT_NE(frame, nullptr);
    if (frame->inputs() == nullptr || frame->inputs()->size() == 0) continue;
    ASSERT_EQ(frame->inputs()->size(), 1u);  // the long one never got in
    EXPECT_EQ(frame->inputs()->Get(0)->data()->size(), 256u);
    seen = true;
  }
  EXPECT_TRUE(seen);
}

TEST_F(RoomTest, AFloodOfLargeInputsFillsOnlyTheFloodersShareOfTheByteCap) {
  lockstep_.tick_hz = 2;
  lockstep_.max_players = 2;
  lockstep_.input_queue_bytes = 4096;  // a fair share: 2048 bytes a player a tick
  start();
  Player a = login("flood-big-a"), b = login("flood-big-b");
  ASSERT_EQ(request(a, cmd::kRoomJoin, join_msg("lockstep")).result, R::Ok);
  ASSERT_EQ(request(b, cmd::kRoomJoin, join_msg("lockstep")).result, R::Ok);
  // a sends 100 inputs of 256 bytes (25 KiB) as fast as it can; b sends one.
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(a.client.send_frame(cmd::kLockstepInput, lockstep_input(std::string(256, 'a'))));
  }
  ASSERT_TRUE(b.client.send_frame(cmd::kLockstepInput, lockstep_input("b's move")));
  // b's input gets into a frame; no frame carries more than the cap.
  bool b_seen = false;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!b_seen && std::chrono::steady_clock::now() < deadline) {
    const auto f = read_until(b.client, cmd::kLockstepFrame);
    const auto* frame = as<msg::LockstepFrame>(f);
    ASSERT_NE(frame, nullptr);
    if (frame->inputs() == nullptr) continue;
    std::size_t from_a = 0;
    for (const auto* in : *frame->inputs()) {
      if (in->user_id() == b.id) b_seen = true;
      if (in->user_id() == a.id) from_a += in->data()->size();
    }
    EXPECT_LE(from_a, 2048u) << "a got past its fair share";
  }
  EXPECT_TRUE(b_seen);
  const auto stats = services_->rooms().stats();
  EXPECT_GT(stats.inputs_dropped, 0u);
  EXPECT_GE(stats.input_bytes_dropped, stats.inputs_dropped * 256);
}

}  // namespace
}  // namespace citadel
