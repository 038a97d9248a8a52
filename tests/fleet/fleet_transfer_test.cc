// Player transfer, black box (issue 18, docs/fleet.md "Player transfer"):
// real `citadel` processes (two gateways on one real PostgreSQL, two game
// nodes with the arena's transfer demo on, rooms.arena_transfer_east), one
// real etcd, players on real sockets speaking only the client protocol. A
// player walks east in a room on game-1, sending an input every 20 ms;
// reaching the east edge moves it to an arena on game-2 while its inputs
// keep coming. What must hold: it stays connected on its gateway, gets
// RoomEvent Transferred naming a room on game-2 and that room's snapshot
// with itself at the west edge at the same height, its ack (the last seq
// applied) never steps back and reaches the last seq it sent, the other
// member of the old room sees it leave, and the nodes count one transfer.
// (That no input is applied twice or lost in the middle is shown where the
// room can tell: fleet_transfer_loop_test, with a room that echoes every
// input it applies; the arena applies each tick's latest input only.)
#include <gtest/gtest.h>

#include <csignal>
#include <string>

#include "admin_process.h"
#include "etcd/etcd_server.h"
#include "fixture.h"
#include "fleet_players.h"
#include "http_client.h"
#include "postgres/postgres_server.h"
#include "protocol/arena_generated.h"
#include "protocol/commands.h"
#include "protocol/verified_payload.h"

namespace citadel::test {
namespace {

namespace cmd = protocol::cmd;

// Game nodes with the arena's east-edge transfer on.
class FleetTransfer : public FleetTest {
 protected:
  AdminServerProcess start_game(const std::string& id) {
    return FleetTest::start_game(id, "rooms:\n  arena_transfer_east: true\n");
  }
};

TEST_F(FleetTransfer, APlayerWalkingOffTheEastEdgeMovesToAnArenaOnTheOtherNodeUnderInput) {
  auto game1 = start_game("game-1");
  auto game2 = start_game("game-2");
  auto gw_a = start_gateway("gw-a");
  auto gw_b = start_gateway("gw-b");
  ASSERT_TRUE(game1.server && game2.server && gw_a.server && gw_b.server);
  ASSERT_TRUE(linked(gw_a, 2)) << gw_a.server->output();
  ASSERT_TRUE(linked(gw_b, 2)) << gw_b.server->output();

  Player a = guest(gw_a.server->port(), "transfer-a");
  const RoomAnswer room = join(a, 0, true);  // on game-1 (the tie's smaller id)
  ASSERT_EQ(room.result, msg::RoomResult::Ok) << room.message;
  ASSERT_EQ(metric(game1.admin_port, "citadel_rooms_open"), 1);
  Player b = guest(gw_b.server->port(), "transfer-b");
  ASSERT_EQ(join(b, room.room_id, false).result, msg::RoomResult::Ok);

  // An input every 20 ms (the room ticks every 50), east: from x = 500 the
  // edge is 100 ticks away. Then 40 more inputs in the new room.
  uint32_t seq = 0, last_ack = 0, after = 0;
  uint64_t moved_to = 0;
  bool snapshot_seen = false, went_back = false;
  float x_after = -1, y_after = -1;
  auto next_send = Clock::now();
  const auto deadline = Clock::now() + 30s;
  while (Clock::now() < deadline) {
    if (Clock::now() >= next_send && after < 40) {
      send_input(a, ++seq);
      if (moved_to != 0) ++after;
      next_send += 20ms;
    }
    const auto r = a.client.read_frame(5ms);
    if (r.status == ReadStatus::kTimeout) continue;
    ASSERT_EQ(r.status, ReadStatus::kFrame) << "the player's connection closed";
    if (r.frame.cmd == cmd::kRoomEvent) {
      const auto* e = protocol::verified_root<msg::RoomEvent>(r.frame.payload);
      ASSERT_NE(e, nullptr);
      ASSERT_NE(e->kind(), msg::RoomEventKind::Closed) << e->reason()->str();
      if (e->kind() == msg::RoomEventKind::Transferred) {
        moved_to = e->room_id();
        EXPECT_EQ(e->reason()->str(), "arena");
        EXPECT_EQ(e->user_id(), a.user_id);
      }
    } else if (r.frame.cmd == cmd::kArenaState) {
      const auto* s = protocol::verified_root<msg::ArenaState>(r.frame.payload);
      ASSERT_NE(s, nullptr);
      if (s->players() == nullptr) continue;
      for (const auto* p : *s->players()) {
        if (p->user_id() != a.user_id) continue;
        went_back = went_back || p->ack() < last_ack;
        last_ack = std::max(last_ack, p->ack());
        if (moved_to != 0 && !snapshot_seen && s->snapshot()) {
          snapshot_seen = true;
          x_after = p->x();
          y_after = p->y();
        }
      }
    } else if (r.frame.cmd == cmd::kError) {
      FAIL() << "ERROR " << r.frame.error_code() << ": " << r.frame.error_text();
    }
    if (after >= 40 && last_ack == seq) break;
  }
  ASSERT_NE(moved_to, 0u) << game1.server->output() << gw_a.server->output();
  EXPECT_NE(moved_to, room.room_id);
  EXPECT_FALSE(went_back) << "an ack stepped back";
  EXPECT_EQ(last_ack, seq) << "the last input sent was never applied";
  // The new room's snapshot: at the west edge, at the same height.
  EXPECT_TRUE(snapshot_seen);
  EXPECT_LE(x_after, 2 * 5.0f);
  EXPECT_EQ(y_after, 500.0f);

  // The new room is on game-2; the old room's other member saw the leave.
  EXPECT_EQ(metric(game2.admin_port, "citadel_rooms_open"), 1);
  EXPECT_EQ(metric(game2.admin_port, "citadel_room_players"), 1);
  EXPECT_EQ(metric(game1.admin_port, "citadel_room_transfers_total"), 1);
  EXPECT_EQ(metric(game1.admin_port, "citadel_fleet_transfers_out_total"), 1);
  EXPECT_EQ(metric(game2.admin_port, "citadel_fleet_transfers_in_total"), 1);
  EXPECT_EQ(metric(gw_a.admin_port, "citadel_fleet_transfers_total"), 1);
  EXPECT_EQ(metric(gw_a.admin_port, "citadel_fleet_transfers_failed_total"), 0);
  EXPECT_TRUE(gets_room_event(b, msg::RoomEventKind::PlayerLeft, room.room_id, a.user_id));
  // Still on its gateway: answered there, and in the new room by id.
  EXPECT_TRUE(a.client.ping());
  Player late = guest(gw_b.server->port(), "transfer-late");
  EXPECT_EQ(join(late, moved_to, false).result, msg::RoomResult::Ok);

  for (auto* node : {&gw_a, &gw_b, &game1, &game2}) {
    const auto status = node->server->stop(SIGTERM, 10s);
    ASSERT_TRUE(status) << "still running 10 s after SIGTERM: " << node->server->output();
    EXPECT_TRUE(status->exited && status->code == 0) << node->server->output();
  }
}

}  // namespace
}  // namespace citadel::test
