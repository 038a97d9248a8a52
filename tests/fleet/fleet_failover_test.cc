// Failover, black box (issue 18, docs/fleet.md "Failover"): real `citadel`
// processes (two gateways sharing accounts in one real PostgreSQL, two game
// nodes keeping their rooms' snapshots in one real redis-server), one real
// etcd, players on real sockets speaking only the client protocol. A game
// node is killed with SIGKILL: its lease runs out, the other game node
// claims its room by transaction and restores the room's last snapshot, and
// the gateways send the room's players there. What must hold: the players
// stay connected, see RoomEvent Rejoined and the restored room with both of
// them in it, their inputs are applied again; the other node's room never
// noticed; the room exists once (one owner record, one open room).
#include <flatbuffers/flatbuffers.h>
#include <gtest/gtest.h>

#include <csignal>
#include <string>

#include "admin_process.h"
#include "cut_proxy.h"
#include "etcd/etcd_server.h"
#include "fixture.h"
#include "fleet_players.h"
#include "http_client.h"
#include "postgres/postgres_server.h"
#include "protocol/arena_generated.h"
#include "protocol/commands.h"
#include "protocol/verified_payload.h"
#include "redis/redis_server.h"

namespace citadel::test {
namespace {

namespace cmd = protocol::cmd;

class FleetFailover : public FleetTest {
 protected:
  // Game nodes keep their rooms' snapshots in Redis; etcd_url: the node's
  // way to etcd ("": directly).
  AdminServerProcess start_game(const std::string& id, const std::string& etcd_url = "") {
    std::string yaml = base_yaml("game", id) + "redis:\n  url: " + redis_.url() +
                       "\nrecovery:\n  snapshot_every_ticks: 5\n";
    if (!etcd_url.empty()) {
      const auto at = yaml.find(etcd_.client_url());
      yaml.replace(at, etcd_.client_url().size(), etcd_url);
    }
    return start(yaml);
  }
  // Two game nodes and two gateways, every link up.
  struct Fleet {
    AdminServerProcess game1, game2, gw_a, gw_b;
  };
  bool start_fleet(Fleet& f, const std::string& game1_etcd = "") {
    f.game1 = start_game("game-1", game1_etcd);
    f.game2 = start_game("game-2");
    f.gw_a = start_gateway("gw-a");
    f.gw_b = start_gateway("gw-b");
    if (!f.game1.server || !f.game2.server || !f.gw_a.server || !f.gw_b.server) return false;
    EXPECT_TRUE(linked(f.gw_a, 2)) << f.gw_a.server->output();
    EXPECT_TRUE(linked(f.gw_b, 2)) << f.gw_b.server->output();
    return !::testing::Test::HasFailure();
  }
  uint64_t snapshot_tick(uint64_t room_id) {
    const std::string tick =
        redis_.command({"HGET", "citadel:room:" + std::to_string(room_id) + ":snapshot", "tick"});
    // No snapshot yet: an empty or nil reply.
    if (tick.empty() || tick.find_first_not_of("0123456789") != std::string::npos) return 0;
    return std::stoull(tick);
  }

  RedisServer redis_;
};

TEST_F(FleetFailover, AKilledGameNodesRoomComesBackOnTheOtherNodeWithItsPlayers) {
  Fleet f;
  ASSERT_TRUE(start_fleet(f));
  auto& [game1, game2, gw_a, gw_b] = f;

  // A room on each game node (the first on game-1, the tie's smaller id;
  // the second on game-2 once the gateway sees game-1's load), each with
  // one member on each gateway.
  Player a1 = guest(gw_a.server->port(), "failover-a1");
  const RoomAnswer doomed = join(a1, 0, true);
  ASSERT_EQ(doomed.result, msg::RoomResult::Ok) << doomed.message;
  ASSERT_TRUE(eventually([&] { return seen_room_players(gw_a.admin_port, "game-1") >= 1; }, 5s));
  Player a2 = guest(gw_a.server->port(), "failover-a2");
  const RoomAnswer safe = join(a2, 0, true);
  ASSERT_EQ(safe.result, msg::RoomResult::Ok) << safe.message;
  ASSERT_EQ(metric(game1.admin_port, "citadel_rooms_open"), 1);
  ASSERT_EQ(metric(game2.admin_port, "citadel_rooms_open"), 1);
  Player b1 = guest(gw_b.server->port(), "failover-b1");
  Player b2 = guest(gw_b.server->port(), "failover-b2");
  ASSERT_EQ(join(b1, doomed.room_id, false).result, msg::RoomResult::Ok);
  ASSERT_EQ(join(b2, safe.room_id, false).result, msg::RoomResult::Ok);
  for (uint32_t seq = 1; seq <= 3; ++seq) {
    send_input(a1, seq);
    send_input(b1, seq);
  }
  ASSERT_TRUE(sees_ack(a1, b1.user_id, 3));
  ASSERT_TRUE(sees_ack(b1, a1.user_id, 3));
  // A snapshot taken after both were seated and playing.
  const uint64_t tick = snapshot_tick(doomed.room_id);
  ASSERT_TRUE(eventually([&] { return snapshot_tick(doomed.room_id) > tick; }, 5s))
      << game1.server->output();

  // game-1 dies without a word.
  const auto killed_at = Clock::now();
  ASSERT_TRUE(game1.server->stop(SIGKILL, 5s));

  // Its room's players stay connected and are back in it on game-2.
  ASSERT_TRUE(gets_room_event(a1, msg::RoomEventKind::Rejoined, doomed.room_id, 0))
      << game2.server->output() << gw_a.server->output();
  const auto rejoined_after = Clock::now() - killed_at;
  EXPECT_TRUE(state_lists(a1, {a1.user_id, b1.user_id}));
  ASSERT_TRUE(gets_room_event(b1, msg::RoomEventKind::Rejoined, doomed.room_id, 0))
      << gw_b.server->output();
  std::printf("rejoined %lld ms after the kill (lease 2 s)\n",
              static_cast<long long>(
                  std::chrono::duration_cast<std::chrono::milliseconds>(rejoined_after).count()));
  // Lease (2 s) + the directory's settle + a claim and a Redis read: well
  // under the 10 s a gateway waits before giving a room up.
  EXPECT_LT(rejoined_after, 8s);

  // Their inputs are applied again, each seen by the other; and each was
  // told Rejoined once (the room moved once).
  send_input(a1, 10);
  send_input(b1, 10);
  EXPECT_TRUE(sees_ack(b1, a1.user_id, 10));
  EXPECT_TRUE(sees_ack(a1, b1.user_id, 10));
  for (Player* p : {&a1, &b1}) {
    std::vector<Frame> skipped;
    next_of(p->client, cmd::kChatMessage, 1s, &skipped);  // a second of what it gets
    int rejoined = 0;
    for (const Frame& f : skipped) {
      const auto* e =
          f.cmd == cmd::kRoomEvent ? protocol::verified_root<msg::RoomEvent>(f.payload) : nullptr;
      rejoined += e != nullptr && e->kind() == msg::RoomEventKind::Rejoined;
    }
    EXPECT_EQ(rejoined, 0) << "a second RoomEvent Rejoined";
  }
  // The other room went on as if nothing happened.
  send_input(a2, 1);
  EXPECT_TRUE(sees_ack(b2, a2.user_id, 1));

  // The room exists once: on game-2, which holds both owner records.
  EXPECT_EQ(metric(game2.admin_port, "citadel_rooms_open"), 2);
  EXPECT_TRUE(
      eventually([&] { return metric(game2.admin_port, "citadel_fleet_rooms_owned") == 2; }, 5s));
  EXPECT_EQ(metric(game2.admin_port, "citadel_fleet_room_takeovers_total{result=\"restored\"}"), 1);
  EXPECT_GE(metric(gw_a.admin_port, "citadel_fleet_seats_moved_total"), 1);
  EXPECT_GE(metric(gw_b.admin_port, "citadel_fleet_seats_moved_total"), 1);
  EXPECT_EQ(metric(gw_a.admin_port, "citadel_fleet_seats_lost_total"), 0);

  // A join by the room's id now reaches it on game-2.
  Player late = guest(gw_b.server->port(), "failover-late");
  const RoomAnswer j = join(late, doomed.room_id, false);
  EXPECT_EQ(j.result, msg::RoomResult::Ok) << j.message;

  for (auto* node : {&gw_a, &gw_b, &game2}) {
    const auto status = node->server->stop(SIGTERM, 10s);
    ASSERT_TRUE(status) << "still running 10 s after SIGTERM: " << node->server->output();
    EXPECT_TRUE(status->exited && status->code == 0) << node->server->output();
  }
}

// The partition: game-1 reaches etcd only through a proxy the test cuts.
// Its lease runs out in etcd (game-2 takes its room over, as after a kill);
// game-1 itself, still running and linked to nothing, must have stopped
// ticking that room by then. When it reaches etcd again, it finds the
// room's record held by game-2 and closes its own copy: the room is never
// live on two nodes, and players stay with game-2's.
TEST_F(FleetFailover, AGameNodeCutOffFromEtcdStopsItsRoomsAndDropsThemOnceTakenOver) {
  CutProxy to_etcd(etcd_.client_port());
  Fleet f;
  ASSERT_TRUE(start_fleet(f, "http://127.0.0.1:" + std::to_string(to_etcd.port())));
  auto& [game1, game2, gw_a, gw_b] = f;

  Player a1 = guest(gw_a.server->port(), "partition-a1");
  const RoomAnswer room = join(a1, 0, true);  // on game-1 (the tie's smaller id)
  ASSERT_EQ(room.result, msg::RoomResult::Ok) << room.message;
  ASSERT_EQ(metric(game1.admin_port, "citadel_rooms_open"), 1);
  Player b1 = guest(gw_b.server->port(), "partition-b1");
  ASSERT_EQ(join(b1, room.room_id, false).result, msg::RoomResult::Ok);
  send_input(a1, 1);
  send_input(b1, 1);
  ASSERT_TRUE(sees_ack(a1, b1.user_id, 1));
  const uint64_t tick = snapshot_tick(room.room_id);
  ASSERT_TRUE(eventually([&] { return snapshot_tick(room.room_id) > tick; }, 5s));
  ASSERT_TRUE(
      eventually([&] { return metric(game1.admin_port, "citadel_fleet_rooms_owned") == 1; }, 5s));
  EXPECT_EQ(metric(game1.admin_port, "citadel_fleet_rooms_fenced"), 0);

  to_etcd.cut();

  // game-1 fences its room within its lease's TTL ...
  ASSERT_TRUE(
      eventually([&] { return metric(game1.admin_port, "citadel_fleet_rooms_fenced") == 1; }, 5s))
      << game1.server->output();
  const double ticks = metric(game1.admin_port, "citadel_room_ticks_total");
  // ... the players are moved to game-2's copy ...
  ASSERT_TRUE(gets_room_event(a1, msg::RoomEventKind::Rejoined, room.room_id, 0))
      << game2.server->output() << gw_a.server->output();
  ASSERT_TRUE(gets_room_event(b1, msg::RoomEventKind::Rejoined, room.room_id, 0));
  send_input(a1, 10);
  EXPECT_TRUE(sees_ack(b1, a1.user_id, 10));
  // ... and game-1's copy did not tick once meanwhile.
  EXPECT_EQ(metric(game1.admin_port, "citadel_room_ticks_total"), ticks);
  EXPECT_EQ(metric(game1.admin_port, "citadel_rooms_open"), 1);  // fenced, not closed yet

  to_etcd.heal();

  // Back in the fleet, game-1 finds the record held by game-2: its copy
  // closes; game-2's room plays on and owns the record.
  EXPECT_TRUE(eventually([&] { return metric(game1.admin_port, "citadel_rooms_open") == 0; }, 10s))
      << game1.server->output();
  EXPECT_EQ(metric(game1.admin_port, "citadel_fleet_rooms_lost_total"), 1);
  EXPECT_EQ(metric(game1.admin_port, "citadel_fleet_rooms_fenced"), 0);
  EXPECT_EQ(metric(game1.admin_port, "citadel_fleet_rooms_owned"), 0);
  EXPECT_EQ(metric(game2.admin_port, "citadel_fleet_rooms_owned"), 1);
  send_input(b1, 20);
  EXPECT_TRUE(sees_ack(a1, b1.user_id, 20));
  EXPECT_GT(to_etcd.refused(), 0u);  // game-1 kept trying while cut off
}

}  // namespace
}  // namespace citadel::test
