#include "fleet_players.h"

#include <gtest/gtest.h>

#include <thread>

#include "fixture.h"
#include "http_client.h"
#include "postgres/postgres_server.h"
#include "protocol/arena_generated.h"
#include "protocol/auth_generated.h"
#include "protocol/commands.h"
#include "protocol/verified_payload.h"
#include "server_process.h"

namespace citadel::test {

namespace cmd = protocol::cmd;

Bytes finish(flatbuffers::FlatBufferBuilder& fbb) {
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

// The next frame of type `want`; frames of other types are skipped (and
// kept in `skipped` when given).
std::optional<Frame> next_of(TestClient& c, uint16_t want, std::chrono::milliseconds limit,
                             std::vector<Frame>* skipped) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    const ReadResult r = c.read_frame(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
    if (r.status != ReadStatus::kFrame) return std::nullopt;
    if (r.frame.cmd == want) return r.frame;
    if (skipped) skipped->push_back(r.frame);
  }
  return std::nullopt;
}

Player guest(uint16_t port, const std::string& device) {
  Player p;
  EXPECT_TRUE(p.client.connect(port));
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(msg::CreateGuestLogin(fbb, 1, fbb.CreateString(device)));
  EXPECT_TRUE(p.client.send_frame(cmd::kGuestLogin, finish(fbb)));
  const auto f = next_of(p.client, cmd::kAuthReply);
  if (!f) {
    ADD_FAILURE() << "no AuthReply";
    return p;
  }
  const auto* m = protocol::verified_root<msg::AuthReply>(f->payload);
  EXPECT_TRUE(m != nullptr && m->result() == msg::AuthResult::Ok);
  if (m != nullptr) {
    p.user_id = m->user_id();
    if (m->token()) p.token = m->token()->str();
  }
  return p;
}

RoomAnswer read_room_reply(TestClient& c) {
  RoomAnswer a;
  const auto f = next_of(c, cmd::kRoomReply);
  if (!f) {
    a.message = "no RoomReply";
    return a;
  }
  const auto* m = protocol::verified_root<msg::RoomReply>(f->payload);
  if (m == nullptr) return a;
  a.result = m->result();
  a.room_id = m->room_id();
  if (m->message()) a.message = m->message()->str();
  return a;
}

RoomAnswer join(Player& p, uint64_t room_id, bool create) {
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(msg::CreateRoomJoin(fbb, 2, fbb.CreateString("arena"), room_id, create, 0));
  EXPECT_TRUE(p.client.send_frame(cmd::kRoomJoin, finish(fbb)));
  return read_room_reply(p.client);
}

RoomAnswer leave(Player& p) {
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(msg::CreateRoomLeave(fbb, 3));
  EXPECT_TRUE(p.client.send_frame(cmd::kRoomLeave, finish(fbb)));
  return read_room_reply(p.client);
}

void send_input(Player& p, uint32_t seq) {
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(msg::CreateArenaInput(fbb, seq, 1.0f, 0.0f));
  EXPECT_TRUE(p.client.send_frame(cmd::kArenaInput, finish(fbb)));
}

// Reads ArenaState frames until one shows `user` with ack >= seq.
bool sees_ack(Player& watcher, uint64_t user, uint32_t seq) {
  const auto deadline = Clock::now() + 10s;
  while (Clock::now() < deadline) {
    const auto f = next_of(watcher.client, cmd::kArenaState, 10s);
    if (!f) return false;
    const auto* s = protocol::verified_root<msg::ArenaState>(f->payload);
    if (s == nullptr || s->players() == nullptr) continue;
    for (const auto* pl : *s->players()) {
      if (pl->user_id() == user && pl->ack() >= seq) return true;
    }
  }
  return false;
}

// The next RoomEvent of `kind` for the client (others skipped).
bool gets_room_event(Player& p, msg::RoomEventKind kind, uint64_t room_id, uint64_t user_id) {
  const auto deadline = Clock::now() + 10s;
  while (Clock::now() < deadline) {
    const auto f = next_of(p.client, cmd::kRoomEvent, 10s);
    if (!f) return false;
    const auto* e = protocol::verified_root<msg::RoomEvent>(f->payload);
    if (e != nullptr && e->kind() == kind && e->room_id() == room_id &&
        (user_id == 0 || e->user_id() == user_id)) {
      return true;
    }
  }
  return false;
}

int64_t seen_room_players(uint16_t admin_port, const std::string& node) {
  const auto r = http_get(admin_port, "/fleet/nodes", {}, 2s);
  if (!r || r->status != 200) return -1;
  const std::string needle = "\"id\":\"" + node + "\"";
  const auto at = r->body.find(needle);
  if (at == std::string::npos) return -1;
  const auto players = r->body.find("\"room_players\":", at);
  if (players == std::string::npos) return -1;
  return std::stoll(r->body.substr(players + 15));
}

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

void FleetTest::SetUp() {
  accounts_url_ = PostgresServer::shared().create_database();
}

std::string FleetTest::base_yaml(const std::string& role, const std::string& id) const {
  return "server:\n  threads: 2\nfleet:\n  etcd: " + etcd_.client_url() + "\n  role: " + role +
         "\n  node_id: " + id + "\n  lease_ttl_ms: 2000\n  drain_timeout_ms: 2000\n";
}

AdminServerProcess FleetTest::start_game(const std::string& id, const std::string& extra) {
  return start(base_yaml("game", id) + extra);
}

AdminServerProcess FleetTest::start_gateway(const std::string& id) {
  return start(base_yaml("gateway", id) +
               "store:\n  backend: postgres\n  postgres:\n    url: " + accounts_url_ + "\n");
}

AdminServerProcess FleetTest::start(const std::string& yaml) {
  ServerOptions o;
  o.config_yaml = yaml;
  AdminServerProcess node;
  std::string why;
  EXPECT_TRUE(start_with_admin(o, node, &why)) << why;
  return node;
}

bool FleetTest::lists_node(const AdminServerProcess& node, const std::string& id) {
  return eventually(
      [&] {
        const auto r = http_get(node.admin_port, "/fleet/nodes", {}, 2s);
        return r && r->status == 200 && r->body.find("\"id\":\"" + id + "\"") != std::string::npos;
      },
      10s);
}

bool FleetTest::linked(const AdminServerProcess& gateway, int games) {
  return eventually(
      [&] { return metric(gateway.admin_port, "citadel_fleet_links_open") == 2 * games; }, 10s);
}

}  // namespace citadel::test
