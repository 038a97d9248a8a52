// Gateways that die or drain, and game nodes that drain, black box (issue
// 18, docs/fleet.md "A gateway that dies", "Draining"): real `citadel`
// processes (gateways sharing accounts in one real PostgreSQL and one token
// secret, game nodes), one real etcd, players on real sockets speaking only
// the client protocol. What must hold:
//   - a gateway killed with SIGKILL: the game node sees its link drop and
//     keeps its players' seats; a player that resumes on the other gateway
//     with its token is back in its room (Rejoined, the room's state, its
//     inputs acknowledged); a player that never comes back loses its seat
//     after the grace.
// Every wait polls an event with a deadline; nothing sleeps a fixed time to
// synchronise. Every process is stopped by PID (ServerProcess).
#include <flatbuffers/flatbuffers.h>
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <string>

#include "admin_process.h"
#include "etcd/etcd_server.h"
#include "fixture.h"
#include "fleet_players.h"
#include "http_client.h"
#include "postgres/postgres_server.h"
#include "protocol/arena_generated.h"
#include "protocol/auth_generated.h"
#include "protocol/commands.h"
#include "protocol/verified_payload.h"

namespace citadel::test {
namespace {

namespace cmd = protocol::cmd;

struct Resumed {
  msg::AuthResult result = msg::AuthResult::InternalError;
  bool resumed = false;
  std::string message;
};

// Connects `p` to `port` and resumes its session with its token.
Resumed resume_on(Player& p, uint16_t port) {
  Resumed out;
  p.client.reset();
  if (!p.client.connect(port)) {
    out.message = "cannot connect";
    return out;
  }
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(msg::CreateResume(fbb, 9, fbb.CreateString(p.token), 0));
  if (!p.client.send_frame(cmd::kResume, finish(fbb))) return out;
  const auto f = next_of(p.client, cmd::kAuthReply);
  if (!f) {
    out.message = "no AuthReply";
    return out;
  }
  const auto* m = protocol::verified_root<msg::AuthReply>(f->payload);
  if (m == nullptr) return out;
  out.result = m->result();
  out.resumed = m->resumed();
  if (m->message()) out.message = m->message()->str();
  if (m->token()) p.token = m->token()->str();
  return out;
}

// The next ArenaState lists every one of `users`.
bool state_lists(Player& p, std::initializer_list<uint64_t> users) {
  const auto f = next_of(p.client, cmd::kArenaState, 5s);
  if (!f) return false;
  const auto* s = protocol::verified_root<msg::ArenaState>(f->payload);
  if (s == nullptr || s->players() == nullptr) return false;
  for (const uint64_t user : users) {
    bool found = false;
    for (const auto* pl : *s->players()) found = found || pl->user_id() == user;
    if (!found) return false;
  }
  return true;
}

class FleetDrain : public ::testing::Test {
 protected:
  void SetUp() override {
    accounts_url_ = PostgresServer::shared().create_database();
    dir_ = std::filesystem::temp_directory_path() /
           ("citadel-drain-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string base_yaml(const std::string& role, const std::string& id) const {
    return "server:\n  threads: 2\nfleet:\n  etcd: " + etcd_.client_url() + "\n  role: " + role +
           "\n  node_id: " + id + "\n  lease_ttl_ms: 2000\n";
  }
  // `extra`: more YAML sections (auth: ... is added to the secret's).
  AdminServerProcess start_game(const std::string& id, const std::string& extra = "") {
    return start(base_yaml("game", id) + extra);
  }
  // Gateways share accounts and the token secret: a token resumes on any.
  AdminServerProcess start_gateway(const std::string& id, const std::string& extra = "") {
    return start(base_yaml("gateway", id) +
                 "store:\n  backend: postgres\n  postgres:\n    url: " + accounts_url_ +
                 "\nauth:\n  token_secret_file: " + (dir_ / "secret").string() + "\n" + extra);
  }
  AdminServerProcess start(const std::string& yaml) {
    ServerOptions o;
    o.config_yaml = yaml;
    AdminServerProcess node;
    std::string why;
    EXPECT_TRUE(start_with_admin(o, node, &why)) << why;
    return node;
  }
  // Every loop (2) of the gateway has its link to each of `games` up.
  bool linked(const AdminServerProcess& gateway, int games) {
    return eventually(
        [&] { return metric(gateway.admin_port, "citadel_fleet_links_open") == 2 * games; }, 10s);
  }

  EtcdServer etcd_;
  std::string accounts_url_;
  std::filesystem::path dir_;
};

TEST_F(FleetDrain, AKilledGatewaysPlayersResumeOnAnotherGatewayBackInTheirRoom) {
  // The game node's grace for players whose gateway went: short, so the
  // player who never comes back loses its seat within the test.
  auto game = start_game("game-1", "auth:\n  session_grace_ms: 4000\n");
  auto gw_a = start_gateway("gw-a");
  auto gw_b = start_gateway("gw-b");
  ASSERT_TRUE(game.server && gw_a.server && gw_b.server);
  ASSERT_TRUE(linked(gw_a, 1)) << gw_a.server->output();
  ASSERT_TRUE(linked(gw_b, 1)) << gw_b.server->output();

  // Alice and Carol on gateway A, Bob on B, in one room on the game node.
  Player alice = guest(gw_a.server->port(), "kill-alice");
  Player carol = guest(gw_a.server->port(), "kill-carol");
  Player bob = guest(gw_b.server->port(), "kill-bob");
  const RoomAnswer room = join(alice, 0, true);
  ASSERT_EQ(room.result, msg::RoomResult::Ok) << room.message;
  ASSERT_EQ(join(bob, room.room_id, false).result, msg::RoomResult::Ok);
  ASSERT_EQ(join(carol, room.room_id, false).result, msg::RoomResult::Ok);
  send_input(alice, 1);
  ASSERT_TRUE(sees_ack(bob, alice.user_id, 1));

  // Gateway A dies without a word.
  const auto status = gw_a.server->stop(SIGKILL, 5s);
  ASSERT_TRUE(status && status->signal == SIGKILL);

  // The game node sees A's link drop: its players' seats wait for them.
  EXPECT_TRUE(
      gets_room_event(bob, msg::RoomEventKind::PlayerDisconnected, room.room_id, alice.user_id));
  EXPECT_TRUE(eventually(
      [&] { return metric(game.admin_port, "citadel_fleet_orphaned_players") == 2; }, 5s))
      << game.server->output();

  // Alice resumes on gateway B with her token (sessions are fleet-wide):
  // she is back in her room, with its state, and plays on.
  const Resumed back = resume_on(alice, gw_b.server->port());
  ASSERT_EQ(back.result, msg::AuthResult::Ok) << back.message;
  EXPECT_TRUE(back.resumed);
  ASSERT_TRUE(gets_room_event(alice, msg::RoomEventKind::Rejoined, room.room_id, 0))
      << gw_b.server->output() << game.server->output();
  EXPECT_TRUE(state_lists(alice, {alice.user_id, bob.user_id, carol.user_id}));
  EXPECT_TRUE(
      gets_room_event(bob, msg::RoomEventKind::PlayerReconnected, room.room_id, alice.user_id));
  for (uint32_t seq = 2; seq <= 4; ++seq) send_input(alice, seq);
  EXPECT_TRUE(sees_ack(alice, alice.user_id, 4));
  EXPECT_TRUE(sees_ack(bob, alice.user_id, 4));
  EXPECT_EQ(metric(game.admin_port, "citadel_fleet_orphaned_players"), 1);

  // Carol never comes back: after the grace her seat goes (Bob sees her
  // leave; the room keeps two seats).
  EXPECT_TRUE(eventually(
      [&] { return metric(game.admin_port, "citadel_fleet_orphans_ended_total") == 1; }, 10s))
      << game.server->output();
  EXPECT_TRUE(eventually([&] { return metric(game.admin_port, "citadel_room_players") == 2; }, 5s));
  EXPECT_EQ(metric(game.admin_port, "citadel_fleet_orphaned_players"), 0);

  for (auto* node : {&gw_b, &game}) {
    const auto stopped = node->server->stop(SIGTERM, 10s);
    ASSERT_TRUE(stopped) << "still running 10 s after SIGTERM: " << node->server->output();
    EXPECT_TRUE(stopped->exited && stopped->code == 0) << node->server->output();
  }
}

}  // namespace
}  // namespace citadel::test
