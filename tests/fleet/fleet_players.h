// Players of the fleet's black-box tests (fleet_roles_test,
// fleet_failover_test): real sockets speaking only the client protocol,
// against real gateways and game nodes, and the polls those tests wait on.
// Every wait has a deadline; none sleeps a fixed time to synchronise.
#pragma once

#include <flatbuffers/flatbuffers.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "admin_process.h"
#include "etcd/etcd_server.h"
#include "protocol/rooms_generated.h"
#include "support/deadline.h"
#include "test_client.h"

namespace citadel::test {

Bytes finish(flatbuffers::FlatBufferBuilder& fbb);
// The next frame of type `want`; frames of other types are skipped (and
// kept in `skipped` when given).
std::optional<Frame> next_of(TestClient& c, uint16_t want, std::chrono::milliseconds limit = 10s,
                             std::vector<Frame>* skipped = nullptr);

struct Player {
  TestClient client;
  uint64_t user_id = 0;
  std::string token;
};

// A new guest logged in on `port` (failures are test failures).
Player guest(uint16_t port, const std::string& device);

struct RoomAnswer {
  msg::RoomResult result = msg::RoomResult::InternalError;
  uint64_t room_id = 0;
  std::string message;
};
RoomAnswer read_room_reply(TestClient& c);
RoomAnswer join(Player& p, uint64_t room_id, bool create);  // an arena room
RoomAnswer leave(Player& p);
void send_input(Player& p, uint32_t seq);  // an arena input, moving east
// Reads ArenaState frames until one shows `user` with ack >= seq (10 s).
bool sees_ack(Player& watcher, uint64_t user, uint32_t seq);
// The next RoomEvent of `kind` for room_id (and user_id, unless 0); 10 s.
bool gets_room_event(Player& p, msg::RoomEventKind kind, uint64_t room_id, uint64_t user_id);
// The next ArenaState (5 s) lists every one of `users`.
bool state_lists(Player& p, std::initializer_list<uint64_t> users);
// A game node's room_players as a node's /fleet/nodes shows it, or -1.
int64_t seen_room_players(uint16_t admin_port, const std::string& node);

// A fleet's nodes for one test: a real etcd of its own, a fresh database
// in the shared real PostgreSQL for the gateways' accounts, real citadel
// processes (2 I/O threads each, a 2 s lease) with their admin ports.
class FleetTest : public ::testing::Test {
 protected:
  void SetUp() override;

  std::string base_yaml(const std::string& role, const std::string& id) const;
  // `extra`: more YAML appended (top-level sections).
  AdminServerProcess start_game(const std::string& id, const std::string& extra = "");
  AdminServerProcess start_gateway(const std::string& id);
  AdminServerProcess start(const std::string& yaml);
  // Every loop (2) of the gateway has its link to each of `games` up.
  static bool linked(const AdminServerProcess& gateway, int games);
  // The node's table (GET /fleet/nodes) lists node `id` (a node that just
  // registered reaches the others' tables by a watch event); 10 s.
  static bool lists_node(const AdminServerProcess& node, const std::string& id);

  EtcdServer etcd_;
  std::string accounts_url_;
};

}  // namespace citadel::test
