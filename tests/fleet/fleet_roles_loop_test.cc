// A gateway and a game node in one process (issue 18), for ThreadSanitizer:
// two real Servers with their Services and their fleet roles
// (app/fleet_role.cc, as the binary composes them), linked over loopback
// node links, with players on real sockets. No etcd: the test hands the
// gateway the fleet table a membership would. What crosses threads here:
// the gateway's loops forwarding and receiving on their own links, the
// game node's link loops dispatching into rooms on other loops, seat
// changes from the game node's service loop, session hooks from the
// gateway's service loop, and the tables behind their mutexes.
#include <flatbuffers/flatbuffers.h>
#include <gtest/gtest.h>

#include <sodium.h>

#include <filesystem>
#include <thread>

#include "app/fleet_role.h"
#include "protocol/arena_generated.h"
#include "protocol/auth_generated.h"
#include "protocol/commands.h"
#include "protocol/rooms_generated.h"
#include "protocol/verified_payload.h"
#include "server/builtin_handlers.h"
#include "server/server.h"
#include "services/services.h"
#include "test_client.h"

namespace citadel {
namespace {

using namespace std::chrono_literals;
using test::Bytes;
using test::Frame;
using test::ReadStatus;
using test::TestClient;
namespace cmd = protocol::cmd;

Bytes finish(flatbuffers::FlatBufferBuilder& fbb) {
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

std::optional<Frame> next_of(TestClient& c, uint16_t want) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto r = c.read_frame(10s);
    if (r.status != ReadStatus::kFrame) return std::nullopt;
    if (r.frame.cmd == want) return r.frame;
  }
  return std::nullopt;
}

// One node: a Server on port 0, its Services on SQLite in `dir`, its role.
struct TestNode {
  ops::Config config;
  std::unique_ptr<server::Server> server;
  std::unique_ptr<services::Services> services;
  std::unique_ptr<app::FleetRole> role;

  TestNode(const std::string& role_name, const std::string& id, const std::filesystem::path& dir) {
    config.server.host = "127.0.0.1";
    config.server.port = 0;
    config.server.threads = 2;
    config.limits.max_connections_per_ip = 0;
    config.log.level = "warn";
    config.fleet.etcd = "http://127.0.0.1:9";  // a role needs one; this test never dials it
    config.fleet.role = role_name;
    server = std::make_unique<server::Server>(config);
    server::register_builtin_handlers(server->router());
    services::ServicesConfig sc;
    sc.store.backend = store::StoreBackend::kSqlite;
    sc.store.sqlite.path = (dir / (id + ".db")).string();
    sc.token_secret_file = (dir / "secret").string();  // one secret for both
    sc.hasher.ops_limit = crypto_pwhash_OPSLIMIT_MIN;
    sc.hasher.mem_limit_bytes = crypto_pwhash_MEMLIMIT_MIN;
    sc.session.grace = 5s;
    sc.rooms_here = !app::is_gateway(config);
    services = std::make_unique<services::Services>(*server, sc);
    role = std::make_unique<app::FleetRole>(config, id, *server, *services);
    server->start();
  }
  ~TestNode() {
    role->stop();
    server->stop();
    services->shutdown();
  }
};

class FleetRolesLoop : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("citadel-roles-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    game_ = std::make_unique<TestNode>("game", "game-1", dir_);
    const uint16_t link_port = game_->role->start();
    gateway_ = std::make_unique<TestNode>("gateway", "gw-1", dir_);
    // The table a membership would hand the gateway.
    fleet::FleetTable table;
    fleet::FleetEntry entry;
    entry.record.id = "game-1";
    entry.record.role = "game";
    entry.record.link_address = "127.0.0.1:" + std::to_string(link_port);
    table["game-1"] = entry;
    gateway_->server->service_loop().post([this, table] { gateway_->role->on_table(table); });
  }
  void TearDown() override {
    gateway_.reset();
    game_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  struct Player {
    TestClient client;
    uint64_t user_id = 0;
    std::string token;
  };
  Player login(const std::string& device) {
    Player p;
    EXPECT_TRUE(p.client.connect(gateway_->server->port()));
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(msg::CreateGuestLogin(fbb, 1, fbb.CreateString(device)));
    EXPECT_TRUE(p.client.send_frame(cmd::kGuestLogin, finish(fbb)));
    const auto f = next_of(p.client, cmd::kAuthReply);
    EXPECT_TRUE(f);
    if (!f) return p;
    const auto* m = protocol::verified_root<msg::AuthReply>(f->payload);
    EXPECT_TRUE(m && m->result() == msg::AuthResult::Ok);
    if (m) {
      p.user_id = m->user_id();
      p.token = m->token() ? m->token()->str() : "";
    }
    return p;
  }
  // RoomJoin until the gateway's links are up (before, it answers
  // InternalError: no game node is available).
  msg::RoomResult join(Player& p, uint64_t room_id, bool create, uint64_t* joined = nullptr) {
    for (int attempt = 0; attempt < 250; ++attempt) {
      flatbuffers::FlatBufferBuilder fbb;
      fbb.Finish(msg::CreateRoomJoin(fbb, 2, fbb.CreateString("arena"), room_id, create, 0));
      EXPECT_TRUE(p.client.send_frame(cmd::kRoomJoin, finish(fbb)));
      const auto f = next_of(p.client, cmd::kRoomReply);
      if (!f) return msg::RoomResult::InternalError;
      const auto* m = protocol::verified_root<msg::RoomReply>(f->payload);
      if (m == nullptr) return msg::RoomResult::InternalError;
      if (m->result() != msg::RoomResult::InternalError) {
        if (joined) *joined = m->room_id();
        return m->result();
      }
      std::this_thread::sleep_for(20ms);
    }
    return msg::RoomResult::InternalError;
  }
  void input(Player& p, uint32_t seq) {
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(msg::CreateArenaInput(fbb, seq, 0.5f, -0.5f));
    EXPECT_TRUE(p.client.send_frame(cmd::kArenaInput, finish(fbb)));
  }
  bool sees_ack(Player& watcher, uint64_t user, uint32_t seq) {
    for (int i = 0; i < 400; ++i) {
      const auto f = next_of(watcher.client, cmd::kArenaState);
      if (!f) return false;
      const auto* s = protocol::verified_root<msg::ArenaState>(f->payload);
      if (s == nullptr || s->players() == nullptr) continue;
      for (const auto* pl : *s->players()) {
        if (pl->user_id() == user && pl->ack() >= seq) return true;
      }
    }
    return false;
  }

  std::filesystem::path dir_;
  std::unique_ptr<TestNode> game_, gateway_;
};

TEST_F(FleetRolesLoop, PlayersThroughTheGatewayPlayInARoomOnTheGameNode) {
  Player a = login("device-aaaa");
  Player b = login("device-bbbb");
  uint64_t room = 0;
  ASSERT_EQ(join(a, 0, true, &room), msg::RoomResult::Ok);
  ASSERT_EQ(join(b, room, false), msg::RoomResult::Ok);
  for (uint32_t seq = 1; seq <= 20; ++seq) {
    input(a, seq);
    input(b, seq);
  }
  EXPECT_TRUE(sees_ack(b, a.user_id, 20));
  EXPECT_TRUE(sees_ack(a, b.user_id, 20));
  EXPECT_EQ(gateway_->services->rooms().stats().rooms_open, 0u);
  EXPECT_EQ(game_->services->rooms().stats().rooms_open, 1u);

  // A drops and resumes: back in the room, her inputs applied again.
  a.client.reset();
  ASSERT_TRUE(a.client.connect(gateway_->server->port()));
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(msg::CreateResume(fbb, 5, fbb.CreateString(a.token), 0));
  ASSERT_TRUE(a.client.send_frame(cmd::kResume, finish(fbb)));
  ASSERT_TRUE(next_of(a.client, cmd::kAuthReply));
  // Inputs count once the room has her back (as on one node: an input
  // before Rejoined finds no room yet).
  bool rejoined = false;
  while (!rejoined) {
    const auto f = next_of(a.client, cmd::kRoomEvent);
    ASSERT_TRUE(f) << "no RoomEvent Rejoined";
    const auto* e = protocol::verified_root<msg::RoomEvent>(f->payload);
    rejoined = e && e->kind() == msg::RoomEventKind::Rejoined && e->room_id() == room;
  }
  input(a, 21);
  EXPECT_TRUE(sees_ack(b, a.user_id, 21));

  // B logs out: the game node's room lets the seat go (the session ended).
  flatbuffers::FlatBufferBuilder out;
  out.Finish(msg::CreateLogout(out, 6));
  ASSERT_TRUE(b.client.send_frame(cmd::kLogout, finish(out)));
  ASSERT_TRUE(next_of(b.client, cmd::kAuthReply));
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (game_->services->rooms().stats().players != 1 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(game_->services->rooms().stats().players, 1u);
}

}  // namespace
}  // namespace citadel
