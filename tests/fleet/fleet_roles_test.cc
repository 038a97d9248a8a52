// Gateways and game nodes, black box (issue 18, docs/fleet.md "Gateways and
// game nodes"): real `citadel` processes, gateways (fleet.role gateway,
// sharing accounts in one real PostgreSQL) and game nodes (fleet.role
// game), one real etcd, players on real sockets speaking only the client
// protocol. What must hold: a gateway links to every game node in the
// table; a player on either gateway logs in and plays in a room on a game
// node; members on two gateways share one room and see each other's inputs
// applied; matchmaking from both gateways meets in one queue; leaving frees
// the seat (an input then gets ERROR not_in_room from the gateway); a
// player's dropped connection and resume bring it back to its room. Every
// wait polls with a deadline; nothing sleeps a fixed time to synchronise.
#include <flatbuffers/flatbuffers.h>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <functional>
#include <string>
#include <thread>

#include "admin_process.h"
#include "etcd/etcd_server.h"
#include "fixture.h"
#include "fleet_players.h"
#include "http_client.h"
#include "postgres/postgres_server.h"
#include "protocol/arena_generated.h"
#include "protocol/auth_generated.h"
#include "protocol/commands.h"
#include "protocol/rooms_generated.h"
#include "protocol/verified_payload.h"
#include "redis/redis_server.h"

namespace citadel::test {
namespace {

namespace cmd = protocol::cmd;

class FleetRoles : public FleetTest {};

// A node whose port is taken cannot start: it says so and exits 1 at once,
// whatever its role (a gateway hung here, waiting on loops that never ran).
TEST_F(FleetRoles, ANodeWhosePortIsTakenExitsAtOnceWhateverItsRole) {
  const int taken = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(::bind(taken, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(taken, 1), 0);
  ::getsockname(taken, reinterpret_cast<sockaddr*>(&a), &len);
  const std::string port = std::to_string(ntohs(a.sin_port));
  for (const std::string role : {"gateway", "game"}) {
    TempFile config(base_yaml(role, "taken-" + role));
    const RunResult r = run_server_to_completion(
        {"--config", config.path(), "--host", "127.0.0.1", "--port", port}, 10s);
    ASSERT_TRUE(r.status) << role << " still running 10 s after it could not bind";
    EXPECT_TRUE(r.status->exited && r.status->code == 1) << role << ": " << r.status->describe();
    EXPECT_NE((r.stdout_text + r.stderr_text).find("Address already in use"), std::string::npos)
        << r.stdout_text << r.stderr_text;
  }
  ::close(taken);
}

TEST_F(FleetRoles, PlayersOnTwoGatewaysShareARoomOnAGameNode) {
  auto game = start_game("game-1");
  auto gw_a = start_gateway("gw-a");
  auto gw_b = start_gateway("gw-b");
  ASSERT_TRUE(game.server && gw_a.server && gw_b.server);
  ASSERT_TRUE(linked(gw_a, 1)) << gw_a.server->output();
  ASSERT_TRUE(linked(gw_b, 1)) << gw_b.server->output();
  EXPECT_TRUE(
      eventually([&] { return metric(game.admin_port, "citadel_fleet_links_open") == 4; }, 5s));

  Player alice = guest(gw_a.server->port(), "alice-device");
  Player bob = guest(gw_b.server->port(), "bob-device");
  ASSERT_NE(alice.user_id, 0u);
  ASSERT_NE(bob.user_id, 0u);
  ASSERT_NE(alice.user_id, bob.user_id);  // one account store behind both gateways

  const RoomAnswer created = join(alice, 0, true);
  ASSERT_EQ(created.result, msg::RoomResult::Ok) << created.message;
  const RoomAnswer joined = join(bob, created.room_id, false);
  ASSERT_EQ(joined.result, msg::RoomResult::Ok) << joined.message;
  EXPECT_EQ(joined.room_id, created.room_id);

  // Alice's inputs, through gateway A and the game node, applied and seen
  // by Bob through gateway B; and the other way round.
  for (uint32_t seq = 1; seq <= 5; ++seq) send_input(alice, seq);
  EXPECT_TRUE(sees_ack(bob, alice.user_id, 5));
  EXPECT_TRUE(sees_ack(alice, alice.user_id, 5));
  for (uint32_t seq = 1; seq <= 3; ++seq) send_input(bob, seq);
  EXPECT_TRUE(sees_ack(alice, bob.user_id, 3));

  // The game node holds the room and both players; the gateways none.
  EXPECT_TRUE(
      eventually([&] { return metric(game.admin_port, "citadel_fleet_remote_players") == 2; }, 5s));
  EXPECT_EQ(metric(gw_a.admin_port, "citadel_rooms_open"), 0);
  EXPECT_GT(metric(gw_a.admin_port, "citadel_fleet_forwarded_frames_total"), 5);

  // Leaving frees the seat: an input then is refused by the gateway itself.
  const RoomAnswer left = leave(alice);
  EXPECT_EQ(left.result, msg::RoomResult::Ok) << left.message;
  send_input(alice, 6);
  const auto error = next_of(alice.client, cmd::kError);
  ASSERT_TRUE(error);
  EXPECT_EQ(protocol::load_be16(error->payload.data()),
            static_cast<uint16_t>(protocol::ErrorCode::kNotInRoom));
  // A second leave: the game node answers NotInRoom.
  EXPECT_EQ(leave(alice).result, msg::RoomResult::NotInRoom);

  // Every node stops cleanly on SIGTERM: links closed, lease revoked, exit 0.
  for (auto* node : {&gw_a, &gw_b, &game}) {
    const auto status = node->server->stop(SIGTERM, 10s);
    ASSERT_TRUE(status) << "still running 10 s after SIGTERM: " << node->server->output();
    EXPECT_TRUE(status->exited && status->code == 0) << node->server->output();
  }
}

TEST_F(FleetRoles, APlayerWhoseConnectionDropsResumesIntoItsRoomOnTheGameNode) {
  auto game = start_game("game-1");
  auto gw = start_gateway("gw-a");
  ASSERT_TRUE(game.server && gw.server);
  ASSERT_TRUE(linked(gw, 1)) << gw.server->output();
  Player alice = guest(gw.server->port(), "alice-device");
  Player bob = guest(gw.server->port(), "bob-device");
  const RoomAnswer room = join(alice, 0, true);
  ASSERT_EQ(room.result, msg::RoomResult::Ok) << room.message;
  ASSERT_EQ(join(bob, room.room_id, false).result, msg::RoomResult::Ok);

  // Alice's connection drops: Bob sees her seat wait, as on one node.
  alice.client.reset();
  EXPECT_TRUE(
      gets_room_event(bob, msg::RoomEventKind::PlayerDisconnected, room.room_id, alice.user_id));

  // She resumes on a new connection: the gateway tells the game node, whose
  // room puts her back.
  ASSERT_TRUE(alice.client.connect(gw.server->port()));
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(msg::CreateResume(fbb, 9, fbb.CreateString(alice.token), 0));
  ASSERT_TRUE(alice.client.send_frame(cmd::kResume, finish(fbb)));
  const auto reply = next_of(alice.client, cmd::kAuthReply);
  ASSERT_TRUE(reply);
  const auto* auth = protocol::verified_root<msg::AuthReply>(reply->payload);
  ASSERT_TRUE(auth != nullptr && auth->result() == msg::AuthResult::Ok);
  EXPECT_TRUE(gets_room_event(alice, msg::RoomEventKind::Rejoined, room.room_id, 0));
  EXPECT_TRUE(
      gets_room_event(bob, msg::RoomEventKind::PlayerReconnected, room.room_id, alice.user_id));
  send_input(alice, 1);
  EXPECT_TRUE(sees_ack(bob, alice.user_id, 1));
}

TEST_F(FleetRoles, WithTwoGameNodesBothGatewaysMeetInOneRoomAndOneQueue) {
  auto game1 = start_game("game-1");
  auto game2 = start_game("game-2");
  auto gw_a = start_gateway("gw-a");
  auto gw_b = start_gateway("gw-b");
  ASSERT_TRUE(game1.server && game2.server && gw_a.server && gw_b.server);
  ASSERT_TRUE(linked(gw_a, 2)) << gw_a.server->output();
  ASSERT_TRUE(linked(gw_b, 2)) << gw_b.server->output();

  // Join-or-create from both gateways: the same least-loaded node (the
  // same load figures from etcd, ties by id), so the same room.
  Player p1 = guest(gw_a.server->port(), "player-one");
  Player p2 = guest(gw_b.server->port(), "player-two");
  const RoomAnswer r1 = join(p1, 0, false);
  const RoomAnswer r2 = join(p2, 0, false);
  ASSERT_EQ(r1.result, msg::RoomResult::Ok) << r1.message;
  ASSERT_EQ(r2.result, msg::RoomResult::Ok) << r2.message;
  EXPECT_EQ(r1.room_id, r2.room_id);
  send_input(p2, 1);
  EXPECT_TRUE(sees_ack(p1, p2.user_id, 1));

  // Matchmaking (arena: groups of 2): one ticket through each gateway. The
  // queue for a room type is on one game node whatever the gateway, so the
  // two meet and get one room.
  Player m1 = guest(gw_a.server->port(), "matcher-one");
  Player m2 = guest(gw_b.server->port(), "matcher-two");
  for (Player* p : {&m1, &m2}) {
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(
        msg::CreateMatchFind(fbb, 4, fbb.CreateString("arena"), fbb.CreateString("duel"), 0));
    ASSERT_TRUE(p->client.send_frame(cmd::kMatchFind, finish(fbb)));
    const RoomAnswer queued = read_room_reply(p->client);
    ASSERT_EQ(queued.result, msg::RoomResult::Ok) << queued.message;
  }
  uint64_t rooms[2] = {0, 0};
  for (int i = 0; i < 2; ++i) {
    const auto f = next_of((i == 0 ? m1 : m2).client, cmd::kMatchResult);
    ASSERT_TRUE(f) << "no MatchResult";
    const auto* m = protocol::verified_root<msg::MatchResult>(f->payload);
    ASSERT_TRUE(m != nullptr);
    EXPECT_EQ(m->result(), msg::RoomResult::Ok);
    rooms[i] = m->room_id();
  }
  EXPECT_NE(rooms[0], 0u);
  EXPECT_EQ(rooms[0], rooms[1]);
  // Seated by the match: their inputs reach the room through their gateways.
  send_input(m1, 1);
  EXPECT_TRUE(sees_ack(m2, m1.user_id, 1));
  EXPECT_EQ(metric(game1.admin_port, "citadel_rooms_open") +
                metric(game2.admin_port, "citadel_rooms_open"),
            2);
}

// The load figure gateway `admin_port` sees for `node` (room_players), -1
// if it does not see the node.
TEST_F(FleetRoles, AJoinByIdReachesTheRoomsOwnerWhicheverGameNodeItIsOn) {
  auto game1 = start_game("game-1");
  auto game2 = start_game("game-2");
  auto gw_a = start_gateway("gw-a");
  auto gw_b = start_gateway("gw-b");
  ASSERT_TRUE(game1.server && game2.server && gw_a.server && gw_b.server);
  ASSERT_TRUE(linked(gw_a, 2)) << gw_a.server->output();
  ASSERT_TRUE(linked(gw_b, 2)) << gw_b.server->output();

  // A room on each game node: the first on game-1 (a tie goes to the
  // smaller id), the second, once the gateway sees game-1's load, on game-2.
  Player p1 = guest(gw_a.server->port(), "owner-one");
  const RoomAnswer r1 = join(p1, 0, true);
  ASSERT_EQ(r1.result, msg::RoomResult::Ok) << r1.message;
  ASSERT_TRUE(eventually([&] { return seen_room_players(gw_a.admin_port, "game-1") >= 1; }, 5s));
  Player p3 = guest(gw_a.server->port(), "owner-three");
  const RoomAnswer r2 = join(p3, 0, true);
  ASSERT_EQ(r2.result, msg::RoomResult::Ok) << r2.message;
  EXPECT_EQ(metric(game1.admin_port, "citadel_rooms_open"), 1);
  EXPECT_EQ(metric(game2.admin_port, "citadel_rooms_open"), 1);
  // Each game node holds its room's owner record in etcd.
  EXPECT_TRUE(eventually(
      [&] {
        return metric(game1.admin_port, "citadel_fleet_rooms_owned") == 1 &&
               metric(game2.admin_port, "citadel_fleet_rooms_owned") == 1;
      },
      5s));

  // From the other gateway, by id: each join reaches its room's owner,
  // whatever the load figures say.
  Player p2 = guest(gw_b.server->port(), "joiner-two");
  Player p4 = guest(gw_b.server->port(), "joiner-four");
  ASSERT_TRUE(eventually([&] { return seen_room_players(gw_b.admin_port, "game-2") >= 1; }, 5s));
  // (game-2's room first: with one player on each node, the load alone
  // would pick game-1, the smaller id.)
  const RoomAnswer j4 = join(p4, r2.room_id, false);
  EXPECT_EQ(j4.result, msg::RoomResult::Ok) << j4.message;
  const RoomAnswer j2 = join(p2, r1.room_id, false);
  EXPECT_EQ(j2.result, msg::RoomResult::Ok) << j2.message;
  send_input(p4, 1);
  EXPECT_TRUE(sees_ack(p3, p4.user_id, 1));
  send_input(p2, 1);
  EXPECT_TRUE(sees_ack(p1, p2.user_id, 1));

  // An id nobody holds: some node answers NoSuchRoom.
  Player p5 = guest(gw_b.server->port(), "joiner-five");
  EXPECT_EQ(join(p5, 12345, false).result, msg::RoomResult::NoSuchRoom);
}

TEST_F(FleetRoles, AGameNodeKeepsItsRoomsSnapshotInRedisFencedByTheOwnerRecord) {
  RedisServer redis;
  auto game = start(base_yaml("game", "game-1") + "redis:\n  url: " + redis.url() +
                    "\nrecovery:\n  snapshot_every_ticks: 5\nrooms:\n  arena:\n"
                    "    empty_ttl_ms: 200\n");
  auto gw = start_gateway("gw-a");
  ASSERT_TRUE(game.server && gw.server);
  ASSERT_TRUE(linked(gw, 1)) << gw.server->output();
  Player p = guest(gw.server->port(), "snapshot-player");
  const RoomAnswer room = join(p, 0, true);
  ASSERT_EQ(room.result, msg::RoomResult::Ok) << room.message;
  send_input(p, 1);
  ASSERT_TRUE(sees_ack(p, p.user_id, 1));

  // The snapshot is in Redis under the owner record's epoch, with the
  // player's seat, and keeps being rewritten as the room ticks.
  const std::string key = "citadel:room:" + std::to_string(room.room_id) + ":snapshot";
  ASSERT_TRUE(eventually(
      [&] {
        return redis.command({"EXISTS", key}) == "1";
      },
      5s))
      << game.server->output();
  EXPECT_GT(std::stoll(redis.command({"HGET", key, "epoch"})), 0);
  EXPECT_EQ(redis.command({"HGET", key, "type"}), "arena");
  const uint64_t tick = std::stoull(redis.command({"HGET", key, "tick"}));
  EXPECT_TRUE(eventually(
      [&] {
        return std::stoull(redis.command({"HGET", key, "tick"})) > tick;
      },
      5s));
  EXPECT_TRUE(eventually(
      [&] {
        const auto r = http_get(game.admin_port, "/metrics", {}, 2s);
        return r && r->body.find("citadel_fleet_room_snapshots_total{result=\"stored\"}") !=
                        std::string::npos;
      },
      5s));

  // The room empties and closes: its snapshot goes, then its record.
  ASSERT_EQ(leave(p).result, msg::RoomResult::Ok);
  EXPECT_TRUE(eventually([&] { return redis.command({"EXISTS", key}) == "0"; }, 5s));
  EXPECT_TRUE(
      eventually([&] { return metric(game.admin_port, "citadel_fleet_rooms_owned") == 0; }, 5s));
  EXPECT_EQ(metric(game.admin_port, "citadel_rooms_open"), 0);
}

}  // namespace
}  // namespace citadel::test
