// A connection's route to its room (the table inputs use to find their room
// without leaving the connection's thread) dies with the connection, however
// the connection ends: a takeover by a newer login, a plain close, a leave.
#include "room_fixture.h"

namespace citadel {
namespace {

using R = msg::RoomResult;

// The routes gauge settles after the server has handled a close: waits
// (bounded) for it to read `want`.
bool routes_become(services::Services& services, uint64_t want) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (services.rooms().stats().routes == want) return true;
    std::this_thread::sleep_for(5ms);
  }
  return false;
}

TEST_F(RoomTest, ATakeoverLeavesNoRouteBehindForTheOldConnection) {
  start();
  Player a = login("route-a");
  ASSERT_EQ(request(a, cmd::kRoomJoin, join_msg("arena")).result, R::Ok);
  ASSERT_TRUE(routes_become(*services_, 1));
  // The same device logs in again on a new connection: it takes the session
  // over, the old connection gets ERROR 11 and closes, and the room follows
  // the player to the new connection.
  TestClient again = connect();
  const auto reply = call(again, cmd::kGuestLogin, guest("device-route-a"));
  ASSERT_TRUE(reply && reply->result == msg::AuthResult::Ok);
  ASSERT_EQ(reply->user_id, a.id);
  std::vector<test::Frame> last;
  ASSERT_TRUE(a.client.wait_closed(5s, &last));
  ASSERT_FALSE(last.empty());
  EXPECT_EQ(last.back().error_code(),
            static_cast<uint16_t>(protocol::ErrorCode::kLoggedInElsewhere));
  const auto back_frame = read_until(again, cmd::kRoomEvent);
  const auto* back = as<msg::RoomEvent>(back_frame);
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(back->kind(), msg::RoomEventKind::Rejoined);
  a.client.close();
  // One route: the new connection's. The old one's is gone with it.
  EXPECT_TRUE(routes_become(*services_, 1)) << services_->rooms().stats().routes;
  ASSERT_TRUE(again.send_frame(cmd::kArenaInput, arena_input(1, 1, 0)));
  ASSERT_TRUE(arena_until(again, [&](const msg::ArenaState& s) {
    const auto* me = find_player(s, a.id);
    return me && me->ack() == 1;
  }));
  // Leaving drops the last one; a plain close after a rejoin does too.
  Player now{std::move(again), a.id, reply->token};
  EXPECT_EQ(request(now, cmd::kRoomLeave, leave_msg()).result, R::Ok);
  EXPECT_TRUE(routes_become(*services_, 0));
  ASSERT_EQ(request(now, cmd::kRoomJoin, join_msg("arena")).result, R::Ok);
  EXPECT_TRUE(routes_become(*services_, 1));
  now.client.close();
  EXPECT_TRUE(routes_become(*services_, 0));
}

}  // namespace
}  // namespace citadel
