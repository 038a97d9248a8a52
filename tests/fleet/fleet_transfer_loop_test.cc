// Player transfer across game nodes, in one process (issue 18, docs/fleet.md
// "Player transfer"): a gateway and two game nodes, each a real Server with
// its Services and fleet role (app/fleet_role.cc, as the binary composes
// them), linked over loopback node links; the fleet table handed over by
// the test instead of etcd. A ledger room (tests/rooms/ledger_room.h)
// echoes every input it applies, naming its room, so the test sees each
// input applied exactly once and in order while the player moves from a
// room on game-1 to a room on game-2 with inputs in flight: queued in the
// old room, on its way to it, on the link, and held at the gateway. Also
// in the TSan stage: the gateway's loops, both nodes' link loops, room
// threads and service loops all take part.
#include <flatbuffers/flatbuffers.h>
#include <gtest/gtest.h>

#include <sodium.h>

#include <charconv>
#include <filesystem>
#include <optional>
#include <thread>

#include "app/fleet_role.h"
#include "ledger_room.h"
#include "protocol/auth_generated.h"
#include "protocol/commands.h"
#include "protocol/lockstep_generated.h"
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
using test::ReadStatus;
using test::TestClient;
namespace cmd = protocol::cmd;

Bytes finish(flatbuffers::FlatBufferBuilder& fbb) {
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

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
    sc.token_secret_file = (dir / "secret").string();
    sc.hasher.ops_limit = crypto_pwhash_OPSLIMIT_MIN;
    sc.hasher.mem_limit_bytes = crypto_pwhash_MEMLIMIT_MIN;
    sc.rooms_here = !app::is_gateway(config);
    sc.extra_room_types.push_back(test::ledger_room_type());
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

class FleetTransferLoop : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("citadel-transfer-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    game1_ = std::make_unique<TestNode>("game", "game-1", dir_);
    game2_ = std::make_unique<TestNode>("game", "game-2", dir_);
    const uint16_t port1 = game1_->role->start();
    const uint16_t port2 = game2_->role->start();
    gateway_ = std::make_unique<TestNode>("gateway", "gw-1", dir_);
    fleet::FleetTable table;
    for (const auto& [id, port] : {std::pair{"game-1", port1}, std::pair{"game-2", port2}}) {
      fleet::FleetEntry entry;
      entry.record.id = id;
      entry.record.role = "game";
      entry.record.link_address = "127.0.0.1:" + std::to_string(port);
      table[id] = entry;
    }
    gateway_->server->service_loop().post([this, table] { gateway_->role->on_table(table); });
  }
  void TearDown() override {
    gateway_.reset();
    game2_.reset();
    game1_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  TestClient login(const std::string& device) {
    TestClient c;
    EXPECT_TRUE(c.connect(gateway_->server->port()));
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(msg::CreateGuestLogin(fbb, 1, fbb.CreateString(device)));
    EXPECT_TRUE(c.send_frame(cmd::kGuestLogin, finish(fbb)));
    for (;;) {
      const auto r = c.read_frame(10s);
      EXPECT_EQ(r.status, ReadStatus::kFrame);
      if (r.status != ReadStatus::kFrame || r.frame.cmd == cmd::kAuthReply) break;
    }
    return c;
  }
  // RoomJoin (a new ledger room) until the gateway's links are up.
  uint64_t create_ledger(TestClient& c) {
    for (int attempt = 0; attempt < 250; ++attempt) {
      flatbuffers::FlatBufferBuilder fbb;
      fbb.Finish(msg::CreateRoomJoin(fbb, 2, fbb.CreateString("ledger"), 0, true, 0));
      EXPECT_TRUE(c.send_frame(cmd::kRoomJoin, finish(fbb)));
      for (;;) {
        const auto r = c.read_frame(10s);
        if (r.status != ReadStatus::kFrame) return 0;
        if (r.frame.cmd != cmd::kRoomReply) continue;
        const auto* m = protocol::verified_root<msg::RoomReply>(r.frame.payload);
        if (m != nullptr && m->result() == msg::RoomResult::Ok) return m->room_id();
        break;
      }
      std::this_thread::sleep_for(20ms);
    }
    return 0;
  }
  static Bytes ledger_input(const std::string& text) {
    flatbuffers::FlatBufferBuilder fbb;
    const auto d = fbb.CreateVector(reinterpret_cast<const uint8_t*>(text.data()), text.size());
    fbb.Finish(msg::CreateLockstepInput(fbb, d));
    return finish(fbb);
  }

  std::filesystem::path dir_;
  std::unique_ptr<TestNode> game1_, game2_, gateway_;
};

TEST_F(FleetTransferLoop, AMovedPlayersInputsAreEachAppliedOnceInOrderAcrossNodes) {
  TestClient a = login("transfer-a");
  // Both links up from every loop first, so "elsewhere" has a choice.
  ASSERT_TRUE(create_ledger(a) != 0);
  {
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(msg::CreateRoomLeave(fbb, 3));
    ASSERT_TRUE(a.send_frame(cmd::kRoomLeave, finish(fbb)));
    for (;;) {  // its answer
      const auto r = a.read_frame(10s);
      ASSERT_EQ(r.status, ReadStatus::kFrame);
      if (r.frame.cmd == cmd::kRoomReply) break;
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline &&
         (game1_->services->rooms().stats().players != 0 ||
          game2_->services->rooms().stats().players != 0)) {
    std::this_thread::sleep_for(10ms);
  }
  // The room to leave: on whichever node join-or-create picks.
  const uint64_t from = create_ledger(a);
  ASSERT_NE(from, 0u);
  TestNode* old_node = game1_->services->rooms().stats().players == 1 ? game1_.get() : game2_.get();
  TestNode* new_node = old_node == game1_.get() ? game2_.get() : game1_.get();

  constexpr uint32_t kInputs = 400, kAt = 150;
  for (uint32_t seq = 1; seq <= kInputs; ++seq) {
    const std::string text = std::to_string(seq) + (seq == kAt ? "T" : "");
    ASSERT_TRUE(a.send_frame(test::kLedgerInput, ledger_input(text)));
    if (seq % 10 == 0) std::this_thread::sleep_for(2ms);
  }
  std::vector<std::pair<uint64_t, uint32_t>> seen;  // room, seq
  uint64_t moved_to = 0;
  std::string arrived;
  const auto until = std::chrono::steady_clock::now() + 15s;
  while (seen.size() < kInputs && std::chrono::steady_clock::now() < until) {
    const auto r = a.read_frame(5s);
    ASSERT_EQ(r.status, ReadStatus::kFrame) << "after " << seen.size() << " inputs";
    const std::string text(reinterpret_cast<const char*>(r.frame.payload.data()),
                           r.frame.payload.size());
    if (r.frame.cmd == test::kLedgerApplied) {
      const auto space = text.find(' ');
      uint64_t room = 0;
      uint32_t seq = 0;
      std::from_chars(text.data(), text.data() + space, room);
      std::from_chars(text.data() + space + 1, text.data() + text.size(), seq);
      seen.emplace_back(room, seq);
    } else if (r.frame.cmd == test::kLedgerArrived) {
      arrived = text;
    } else if (r.frame.cmd == cmd::kRoomEvent) {
      const auto* e = protocol::verified_root<msg::RoomEvent>(r.frame.payload);
      ASSERT_NE(e, nullptr);
      ASSERT_NE(e->kind(), msg::RoomEventKind::Closed) << e->reason()->str();
      if (e->kind() == msg::RoomEventKind::Transferred) moved_to = e->room_id();
    } else if (r.frame.cmd == cmd::kError) {
      FAIL() << "an ERROR: " << text;
    }
  }
  ASSERT_EQ(seen.size(), kInputs);
  ASSERT_NE(moved_to, 0u);
  EXPECT_NE(moved_to, from);
  EXPECT_EQ(arrived, std::to_string(from) + " " + std::to_string(kAt) + "T");
  for (uint32_t i = 0; i < kInputs; ++i) {
    ASSERT_EQ(seen[i].second, i + 1) << "input " << i + 1 << " lost, repeated or reordered";
    EXPECT_EQ(seen[i].first, i + 1 <= kAt ? from : moved_to) << "input " << i + 1;
  }
  // The new room is on the other node; the old one counted the transfer.
  EXPECT_EQ(new_node->services->rooms().stats().players, 1u);
  EXPECT_EQ(old_node->services->rooms().stats().players, 0u);
  EXPECT_EQ(old_node->services->rooms().stats().transfers, 1u);
  // Still connected and answered on its gateway.
  EXPECT_TRUE(a.ping());
}

// A RoomLeave sent as soon as the room asked for the transfer (the player
// saw its input applied) reaches the gateway while the player is between
// nodes: it waits, and leaves the room the player arrives in, answered Ok
// after the Transferred event (or, when it beats the transfer to the old
// node's room service, ends the seat there first); the player ends in no
// room on either node.
TEST_F(FleetTransferLoop, ALeaveSentMidTransferLeavesTheRoomArrivedIn) {
  TestClient a = login("transfer-leave");
  ASSERT_NE(create_ledger(a), 0u);
  ASSERT_TRUE(a.send_frame(test::kLedgerInput, ledger_input("1T")));
  bool sent_leave = false, transferred = false;
  std::optional<msg::RoomResult> left;
  std::string trail;  // what the client read, for a failure's message
  const auto until = std::chrono::steady_clock::now() + 15s;
  while (!left && std::chrono::steady_clock::now() < until) {
    const auto r = a.read_frame(5s);
    ASSERT_EQ(r.status, ReadStatus::kFrame);
    trail += " cmd " + std::to_string(r.frame.cmd);
    if (r.frame.cmd == cmd::kRoomEvent) {
      if (const auto* e = protocol::verified_root<msg::RoomEvent>(r.frame.payload)) {
        trail += std::string(" (") + msg::EnumNameRoomEventKind(e->kind()) + ")";
      }
    }
    if (r.frame.cmd == test::kLedgerApplied && !sent_leave) {
      flatbuffers::FlatBufferBuilder fbb;
      fbb.Finish(msg::CreateRoomLeave(fbb, 9));
      ASSERT_TRUE(a.send_frame(cmd::kRoomLeave, finish(fbb)));
      sent_leave = true;
    } else if (r.frame.cmd == cmd::kRoomEvent) {
      const auto* e = protocol::verified_root<msg::RoomEvent>(r.frame.payload);
      ASSERT_NE(e, nullptr);
      ASSERT_NE(e->kind(), msg::RoomEventKind::Closed);
      if (e->kind() == msg::RoomEventKind::Transferred) transferred = true;
    } else if (r.frame.cmd == cmd::kRoomReply) {
      const auto* m = protocol::verified_root<msg::RoomReply>(r.frame.payload);
      ASSERT_NE(m, nullptr);
      if (m->request_id() == 9) left = m->result();
    }
  }
  ASSERT_TRUE(left.has_value()) << "the leave was never answered";
  EXPECT_EQ(*left, msg::RoomResult::Ok) << "read:" << trail;
  // Usually the leave reaches the gateway or the old node's room service
  // after the room's transfer did, and is answered after the Transferred
  // event. It may also reach the old node's service first (the room's
  // transfer is a task queued behind it there): the seat goes with the
  // leave, the transfer finds no seat and places the player nowhere, and
  // the reply comes without a Transferred event. Either way the player ends
  // in no room and is told Ok.
  const std::string order = transferred ? "left after the transfer; read:" : "left first; read:";
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline &&
         (game1_->services->rooms().stats().players != 0 ||
          game2_->services->rooms().stats().players != 0)) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(game1_->services->rooms().stats().players, 0u) << order << trail;
  EXPECT_EQ(game2_->services->rooms().stats().players, 0u) << order << trail;
  EXPECT_TRUE(a.ping());
}

}  // namespace
}  // namespace citadel
