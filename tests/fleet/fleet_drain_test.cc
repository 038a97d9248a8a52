// Gateways that die or drain, and game nodes that drain, black box (issue
// 18, docs/fleet.md "A gateway that dies", "Draining"): real `citadel`
// processes (gateways sharing accounts in one real PostgreSQL and one token
// secret, game nodes), one real etcd, players on real sockets speaking only
// the client protocol. What must hold:
//   - a gateway killed with SIGKILL: the game node sees its link drop and
//     keeps its players' seats; a player that resumes on the other gateway
//     with its token is back in its room (Rejoined, the room's state, its
//     inputs acknowledged); a player that never comes back loses its seat
//     after the grace;
//   - a gateway told to drain (SIGTERM): it leaves the table (draining in
//     its record, /health 503), takes no new clients, tells each client to
//     reconnect to another live gateway (Reconnect, cmd 0x0106, with that
//     gateway's game address); a client that does resumes there, back in its
//     room; the gateway exits 0 once its last client has gone, before its
//     drain deadline;
//   - the same asked for on the admin port (POST /fleet/drain), with the C++
//     client library following the notice by itself and resuming;
//   - a game node told to drain (SIGTERM): marked draining in its record,
//     it gets no new room (join-or-create goes to the other game node), its
//     room plays on until it finishes, then it exits 0 before its deadline.
// Every wait polls an event with a deadline; nothing sleeps a fixed time to
// synchronise. Every process is stopped by PID (ServerProcess).
#include <flatbuffers/flatbuffers.h>
#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "admin_process.h"
#include "client/client.h"
#include "client/io_thread.h"
#include "etcd/etcd_server.h"
#include "fixture.h"
#include "fleet_players.h"
#include "http_client.h"
#include "postgres/postgres_server.h"
#include "protocol/arena_generated.h"
#include "protocol/auth_generated.h"
#include "protocol/commands.h"
#include "protocol/verified_payload.h"
#include "redis/redis_server.h"

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

struct Notice {
  msg::ReconnectReason reason = msg::ReconnectReason::Draining;
  std::string address;
  uint32_t deadline_ms = 0;
};

// The next Reconnect push (other frames skipped).
std::optional<Notice> next_reconnect(Player& p) {
  const auto f = next_of(p.client, cmd::kReconnect, 10s);
  if (!f) return std::nullopt;
  const auto* m = protocol::verified_root<msg::Reconnect>(f->payload);
  if (m == nullptr) return std::nullopt;
  Notice n;
  n.reason = m->reason();
  if (m->address()) n.address = m->address()->str();
  n.deadline_ms = m->deadline_ms();
  return n;
}

bool saw_locked_lost(const std::vector<client::SessionEventKind>& events) {
  return std::find(events.begin(), events.end(), client::SessionEventKind::kLost) != events.end();
}

class FleetDrain : public FleetTest {
 protected:
  void SetUp() override {
    FleetTest::SetUp();
    dir_ = std::filesystem::temp_directory_path() /
           ("citadel-drain-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // fleet.drain_timeout_ms: short by default, so a node stopped at the end
  // of a test with players still on it does not wait long for them.
  std::string base_yaml(const std::string& role, const std::string& id,
                        uint32_t drain_ms = 2000) const {
    return "server:\n  threads: 2\nfleet:\n  etcd: " + etcd_.client_url() + "\n  role: " + role +
           "\n  node_id: " + id +
           "\n  lease_ttl_ms: 2000\n  drain_timeout_ms: " + std::to_string(drain_ms) + "\n";
  }
  // `extra`: more YAML sections.
  AdminServerProcess start_game(const std::string& id, const std::string& extra = "",
                                uint32_t drain_ms = 2000) {
    return start(base_yaml("game", id, drain_ms) + extra);
  }
  // Gateways share accounts and the token secret: a token resumes on any.
  AdminServerProcess start_gateway(const std::string& id, uint32_t drain_ms = 2000) {
    return start(base_yaml("gateway", id, drain_ms) +
                 "store:\n  backend: postgres\n  postgres:\n    url: " + accounts_url_ +
                 "\nauth:\n  token_secret_file: " + (dir_ / "secret").string() + "\n");
  }
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
  // A drain sends A's clients to the gateways in A's table: B must be there.
  ASSERT_TRUE(lists_node(gw_a, "gw-b")) << gw_a.server->output();

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

TEST_F(FleetDrain, ADrainingGatewayTellsItsClientsWhereToGoAndExitsOnceTheyHaveGone) {
  auto game = start_game("game-1");
  auto gw_a = start_gateway("gw-a", 60000);
  auto gw_b = start_gateway("gw-b");
  ASSERT_TRUE(game.server && gw_a.server && gw_b.server);
  ASSERT_TRUE(linked(gw_a, 1)) << gw_a.server->output();
  ASSERT_TRUE(linked(gw_b, 1)) << gw_b.server->output();
  // A drain sends A's clients to the gateways in A's table: B must be there.
  ASSERT_TRUE(lists_node(gw_a, "gw-b")) << gw_a.server->output();

  Player alice = guest(gw_a.server->port(), "drain-alice");
  Player carol = guest(gw_a.server->port(), "drain-carol");
  Player bob = guest(gw_b.server->port(), "drain-bob");
  const RoomAnswer room = join(alice, 0, true);
  ASSERT_EQ(room.result, msg::RoomResult::Ok) << room.message;
  ASSERT_EQ(join(bob, room.room_id, false).result, msg::RoomResult::Ok);
  send_input(alice, 1);
  ASSERT_TRUE(sees_ack(bob, alice.user_id, 1));

  // SIGTERM: gateway A drains (the test waits for its exit below).
  ASSERT_EQ(::kill(gw_a.server->pid(), SIGTERM), 0);

  // Each of its clients is told to go to gateway B, the one other live
  // gateway, within the drain's deadline.
  const std::string b_address = "127.0.0.1:" + std::to_string(gw_b.server->port());
  for (Player* p : {&alice, &carol}) {
    const auto notice = next_reconnect(*p);
    ASSERT_TRUE(notice) << gw_a.server->output();
    EXPECT_EQ(notice->reason, msg::ReconnectReason::Draining);
    EXPECT_EQ(notice->address, b_address);
    EXPECT_EQ(notice->deadline_ms, 60000u);
  }
  // A leaves the table for placement (its record says draining, at once),
  // answers /health 503, takes no new clients, and says so in its metrics.
  EXPECT_TRUE(eventually(
      [&] {
        const auto r = http_get(gw_b.admin_port, "/fleet/nodes", {}, 2s);
        if (!r) return false;
        const auto at = r->body.find("\"id\":\"gw-a\"");
        return at != std::string::npos &&
               r->body.find("\"draining\":true", at) < r->body.find("\"id\":\"gw-b\"");
      },
      5s));
  const auto health = http_get(gw_a.admin_port, "/health", {}, 2s);
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 503);
  EXPECT_EQ(metric(gw_a.admin_port, "citadel_fleet_draining"), 1);
  EXPECT_EQ(metric(gw_a.admin_port, "citadel_fleet_clients_told_to_move_total"), 2);
  EXPECT_TRUE(eventually(
      [&] {
        TestClient probe;
        return !probe.connect(gw_a.server->port(), 500ms);
      },
      5s));

  // Alice follows: she resumes on B, back in her room, and plays on.
  const Resumed back = resume_on(alice, gw_b.server->port());
  ASSERT_EQ(back.result, msg::AuthResult::Ok) << back.message;
  ASSERT_TRUE(gets_room_event(alice, msg::RoomEventKind::Rejoined, room.room_id, 0))
      << gw_b.server->output() << game.server->output();
  EXPECT_TRUE(state_lists(alice, {alice.user_id, bob.user_id}));
  send_input(alice, 2);
  EXPECT_TRUE(sees_ack(bob, alice.user_id, 2));

  // Gateway A waits for Carol, its last client, then exits 0, long before
  // its deadline.
  EXPECT_TRUE(gw_a.server->running());
  carol.client.reset();
  const auto status = gw_a.server->wait_exit(15s);
  ASSERT_TRUE(status) << "still running after its last client left: " << gw_a.server->output();
  EXPECT_TRUE(status->exited && status->code == 0) << status->describe();
  EXPECT_TRUE(gw_a.server->wait_for_output("fleet: drained", 1s));
}

TEST_F(FleetDrain, AnAdminDrainMovesAClientLibraryUserToAnotherGatewayByItself) {
  auto game = start_game("game-1");
  auto gw_a = start_gateway("gw-a", 30000);
  auto gw_b = start_gateway("gw-b");
  ASSERT_TRUE(game.server && gw_a.server && gw_b.server);
  ASSERT_TRUE(linked(gw_a, 1)) << gw_a.server->output();
  ASSERT_TRUE(linked(gw_b, 1)) << gw_b.server->output();
  // A drain sends A's clients to the gateways in A's table: B must be there.
  ASSERT_TRUE(lists_node(gw_a, "gw-b")) << gw_a.server->output();

  // A player with the C++ client library, on gateway A, in a room.
  client::IoThread io;
  client::ClientOptions options;
  options.heartbeat_interval = 0ms;
  options.dead_after = 0ms;
  client::Client c(io.io(), options);
  std::mutex mutex;
  std::vector<client::SessionEventKind> sessions;
  std::vector<uint16_t> pushes;
  int connects = 0;
  std::string trail;  // every state and session event, for a failure's message
  io.call([&] {
    c.set_session_handler([&](const client::SessionEvent& e) {
      std::lock_guard lock(mutex);
      sessions.push_back(e.kind);
      trail +=
          "session " + std::string(client::to_string(e.kind)) + " " + std::string(e.message) + "\n";
    });
    c.set_push_handler([&](const protocol::FrameView& f) {
      std::lock_guard lock(mutex);
      pushes.push_back(f.cmd);
    });
    c.set_state_handler([&](const client::StateEvent& e) {
      std::lock_guard lock(mutex);
      trail +=
          "state " + std::string(client::to_string(e.state)) + " " + std::string(e.reason) + "\n";
      if (e.state == client::ClientState::kConnected) ++connects;
    });
    c.connect("127.0.0.1", gw_a.server->port());
  });
  ASSERT_TRUE(eventually(
      [&] {
        std::lock_guard lock(mutex);
        return connects == 1;
      },
      5s));
  io.call([&] { c.login_guest("library-player", [](const client::AuthOutcome&) {}); });
  const auto saw = [&](client::SessionEventKind kind) {
    std::lock_guard lock(mutex);
    return std::find(sessions.begin(), sessions.end(), kind) != sessions.end();
  };
  ASSERT_TRUE(eventually([&] { return saw(client::SessionEventKind::kLoggedIn); }, 5s));
  // A second player, on a plain socket that ignores the notice, keeps A
  // draining (not exited) until it leaves, so the second ask below reaches
  // a live admin port: with the library player alone, A may be gone by then.
  Player holder = guest(gw_a.server->port(), "drain-holder");
  EXPECT_EQ(metric(gw_a.admin_port, "citadel_connections_active"), 2);

  // The operator drains A on its admin port (POST only; a second ask says
  // it had started already).
  const auto wrong = http_get(gw_a.admin_port, "/fleet/drain", {}, 2s);
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 405);
  const auto drain = http_post(gw_a.admin_port, "/fleet/drain", "", 2s);
  ASSERT_TRUE(drain);
  EXPECT_EQ(drain->status, 202) << drain->body;
  EXPECT_NE(drain->body.find("\"started\":true"), std::string::npos) << drain->body;
  const auto again = http_post(gw_a.admin_port, "/fleet/drain", "", 2s);
  ASSERT_TRUE(again);
  EXPECT_NE(again->body.find("\"started\":false"), std::string::npos) << again->body;

  // The library follows the notice: it connects to B and resumes there.
  ASSERT_TRUE(eventually(
      [&] {
        return saw(client::SessionEventKind::kResumed) ||
               saw(client::SessionEventKind::kResyncRequired);
      },
      20s))  // a bound, not a wait: a resume across nodes asks etcd, slow on a loaded machine
      <<
      [&] {
        std::lock_guard lock(mutex);
        return trail;
      }()
      << "\ngateway A:\n"
      << gw_a.server->output() << "\ngateway B:\n"
      << gw_b.server->output();
  EXPECT_EQ(io.call([&] { return c.stats().moves; }), 1u);
  {
    std::lock_guard lock(mutex);
    EXPECT_NE(std::find(pushes.begin(), pushes.end(), cmd::kReconnect), pushes.end());
    EXPECT_FALSE(saw_locked_lost(sessions));
  }
  EXPECT_TRUE(
      eventually([&] { return metric(gw_b.admin_port, "citadel_connections_active") == 1; }, 5s));

  // Once the holder leaves too, A is drained and exits 0 (the admin's ask
  // stops the node as SIGTERM would).
  EXPECT_TRUE(gw_a.server->running());
  holder.client.reset();
  const auto status = gw_a.server->wait_exit(15s);
  ASSERT_TRUE(status) << gw_a.server->output();
  EXPECT_TRUE(status->exited && status->code == 0) << status->describe();
  io.call([&] { c.close(); });
  io.stop();
}

TEST_F(FleetDrain, ADrainingGameNodeGetsNoNewRoomsAndExitsOnceItsRoomsFinish) {
  const std::string quick_rooms = "rooms:\n  arena:\n    empty_ttl_ms: 200\n";
  auto game1 = start_game("game-1", quick_rooms, 30000);
  auto game2 = start_game("game-2", quick_rooms);
  auto gw = start_gateway("gw-a");
  ASSERT_TRUE(game1.server && game2.server && gw.server);
  ASSERT_TRUE(linked(gw, 2)) << gw.server->output();

  // A room on game-1 (the tie goes to the smaller id), one player; then a
  // room on game-2 with two: by load alone, the next room would be
  // game-1's.
  Player p1 = guest(gw.server->port(), "game-drain-1");
  const RoomAnswer first = join(p1, 0, true);
  ASSERT_EQ(first.result, msg::RoomResult::Ok) << first.message;
  ASSERT_EQ(metric(game1.admin_port, "citadel_rooms_open"), 1);
  ASSERT_TRUE(eventually([&] { return seen_room_players(gw.admin_port, "game-1") == 1; }, 5s));
  Player p3 = guest(gw.server->port(), "game-drain-3");
  Player p4 = guest(gw.server->port(), "game-drain-4");
  const RoomAnswer busy = join(p3, 0, true);
  ASSERT_EQ(busy.result, msg::RoomResult::Ok) << busy.message;
  ASSERT_EQ(join(p4, busy.room_id, false).result, msg::RoomResult::Ok);
  ASSERT_EQ(metric(game2.admin_port, "citadel_rooms_open"), 1);
  ASSERT_TRUE(eventually([&] { return seen_room_players(gw.admin_port, "game-2") == 2; }, 5s));

  ASSERT_EQ(::kill(game1.server->pid(), SIGTERM), 0);
  // The gateway sees game-1 draining (its record, written at once).
  ASSERT_TRUE(eventually(
      [&] {
        const auto r = http_get(gw.admin_port, "/fleet/nodes", {}, 2s);
        if (!r) return false;
        const auto at = r->body.find("\"id\":\"game-1\"");
        return at != std::string::npos &&
               r->body.find("\"draining\":true", at) < r->body.find("\"id\":\"game-2\"");
      },
      5s))
      << game1.server->output();
  EXPECT_EQ(metric(game1.admin_port, "citadel_fleet_draining"), 1);

  // No new room there: a create goes to game-2, the busier node.
  Player p2 = guest(gw.server->port(), "game-drain-2");
  const RoomAnswer second = join(p2, 0, true);
  ASSERT_EQ(second.result, msg::RoomResult::Ok) << second.message;
  EXPECT_NE(second.room_id, first.room_id);
  EXPECT_EQ(metric(game2.admin_port, "citadel_rooms_open"), 2);
  EXPECT_EQ(metric(game1.admin_port, "citadel_rooms_open"), 1);

  // game-1's room plays on.
  send_input(p1, 1);
  EXPECT_TRUE(sees_ack(p1, p1.user_id, 1));
  EXPECT_TRUE(game1.server->running());

  // Its last player leaves, the room ends: game-1 is drained and exits 0,
  // long before its 30 s deadline.
  const auto left_at = Clock::now();
  ASSERT_EQ(leave(p1).result, msg::RoomResult::Ok);
  const auto status = game1.server->wait_exit(15s);
  ASSERT_TRUE(status) << game1.server->output();
  EXPECT_TRUE(status->exited && status->code == 0) << status->describe();
  EXPECT_LT(Clock::now() - left_at, 10s);
  EXPECT_TRUE(game1.server->wait_for_output("fleet: drained", 1s));
}

// A game node whose drain deadline passes with a room still open hands it
// over: the room is fenced, its state saved to Redis at that moment and its
// owner record released; another game node takes it over from that state
// and its players, connected to their gateway throughout, are back in it
// there, with every input acknowledged before the deadline still applied
// (the periodic snapshot here is far apart: only the hand-over's has them)
// and no RoomEvent Closed from the node that left.
TEST_F(FleetDrain, ARoomStillOpenAtTheDrainDeadlineIsHandedToAnotherGameNode) {
  RedisServer redis;
  const std::string snapshots =
      "redis:\n  url: " + redis.url() + "\nrecovery:\n  snapshot_every_ticks: 100000\n";
  auto game1 = start_game("game-1", snapshots, 1500);
  auto game2 = start_game("game-2", snapshots);
  auto gw = start_gateway("gw-a");
  ASSERT_TRUE(game1.server && game2.server && gw.server);
  ASSERT_TRUE(linked(gw, 2)) << gw.server->output();
  Player p1 = guest(gw.server->port(), "deadline-1");
  Player p2 = guest(gw.server->port(), "deadline-2");
  const RoomAnswer room = join(p1, 0, true);  // on game-1 (the tie's smaller id)
  ASSERT_EQ(room.result, msg::RoomResult::Ok) << room.message;
  ASSERT_EQ(metric(game1.admin_port, "citadel_rooms_open"), 1);
  ASSERT_EQ(join(p2, room.room_id, false).result, msg::RoomResult::Ok);
  for (uint32_t seq = 1; seq <= 4; ++seq) send_input(p1, seq);
  ASSERT_TRUE(sees_ack(p2, p1.user_id, 4));

  // Drained with the room still open: the deadline passes, the node exits.
  ASSERT_EQ(::kill(game1.server->pid(), SIGTERM), 0);
  const auto status = game1.server->wait_exit(15s);
  ASSERT_TRUE(status) << game1.server->output();
  EXPECT_TRUE(status->exited && status->code == 0) << status->describe();
  EXPECT_TRUE(game1.server->wait_for_output("1 handed over to another game node", 1s))
      << game1.server->output();

  // Both players, who never reconnected, are back in the room on game-2;
  // neither was told it closed.
  const auto rejoined_without_closed = [&](Player& p) {
    const auto deadline = Clock::now() + 10s;
    while (Clock::now() < deadline) {
      const auto f = next_of(p.client, cmd::kRoomEvent, 10s);
      if (!f) return false;
      const auto* e = protocol::verified_root<msg::RoomEvent>(f->payload);
      if (e == nullptr || e->room_id() != room.room_id) continue;
      if (e->kind() == msg::RoomEventKind::Closed) {
        ADD_FAILURE() << "RoomEvent Closed from the node that handed the room over";
        return false;
      }
      if (e->kind() == msg::RoomEventKind::Rejoined) return true;
    }
    return false;
  };
  ASSERT_TRUE(rejoined_without_closed(p1)) << game2.server->output();
  ASSERT_TRUE(rejoined_without_closed(p2));
  // The state game-2 restored is the one at the deadline: input 4 applied,
  // once.
  const auto ack_after_rejoin = [&](Player& watcher, uint64_t user) -> int64_t {
    const auto deadline = Clock::now() + 5s;
    while (Clock::now() < deadline) {
      const auto f = next_of(watcher.client, cmd::kArenaState, 5s);
      if (!f) return -1;
      const auto* s = protocol::verified_root<msg::ArenaState>(f->payload);
      if (s == nullptr || s->players() == nullptr) continue;
      for (const auto* pl : *s->players()) {
        if (pl->user_id() == user) return pl->ack();
      }
    }
    return -1;
  };
  EXPECT_EQ(ack_after_rejoin(p2, p1.user_id), 4);
  send_input(p1, 5);
  EXPECT_TRUE(sees_ack(p2, p1.user_id, 5));
  EXPECT_EQ(metric(game2.admin_port, "citadel_rooms_open"), 1);
}

}  // namespace
}  // namespace citadel::test
