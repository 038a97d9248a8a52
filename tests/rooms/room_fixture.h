// Rooms end to end: the ServiceTest fixture (a real Server with its
// Services, real sockets) plus helpers to speak the room messages.
#pragma once

#include <flatbuffers/flatbuffers.h>

#include "protocol/arena_generated.h"
#include "protocol/lockstep_generated.h"
#include "protocol/rooms_generated.h"
#include "service_fixture.h"

namespace citadel {

class RoomTest : public ServiceTest {
 protected:
  struct Player {
    TestClient client;
    uint64_t id = 0;
    std::string token;
  };

  Player login(const std::string& device) {
    auto [client, reply] = guest_login("device-" + device);
    return {std::move(client), reply.user_id, reply.token};
  }

  static test::Bytes join_msg(std::string_view type, uint64_t room_id = 0, bool create = false,
                              uint32_t last_frame = 0, uint32_t rid = 1) {
    flatbuffers::FlatBufferBuilder fbb;
    const auto t = fbb.CreateString(type.data(), type.size());
    fbb.Finish(msg::CreateRoomJoin(fbb, rid, t, room_id, create, last_frame));
    return finish(fbb);
  }
  static test::Bytes leave_msg(uint32_t rid = 2) {
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(msg::CreateRoomLeave(fbb, rid));
    return finish(fbb);
  }
  static test::Bytes find_msg(std::string_view type, std::string_view mode, int32_t skill) {
    flatbuffers::FlatBufferBuilder fbb;
    const auto t = fbb.CreateString(type.data(), type.size());
    const auto m = fbb.CreateString(mode.data(), mode.size());
    fbb.Finish(msg::CreateMatchFind(fbb, 3, t, m, skill));
    return finish(fbb);
  }
  static test::Bytes cancel_msg() {
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(msg::CreateMatchCancel(fbb, 4));
    return finish(fbb);
  }
  static test::Bytes arena_input(uint32_t seq, float dx, float dy) {
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(msg::CreateArenaInput(fbb, seq, dx, dy));
    return finish(fbb);
  }
  static test::Bytes lockstep_input(std::string_view data) {
    flatbuffers::FlatBufferBuilder fbb;
    const auto d = fbb.CreateVector(reinterpret_cast<const uint8_t*>(data.data()), data.size());
    fbb.Finish(msg::CreateLockstepInput(fbb, d));
    return finish(fbb);
  }

  // Reads until a frame with cmd `want` (others skipped); empty frame on timeout.
  static test::Frame read_until(TestClient& c, uint16_t want, std::chrono::milliseconds t = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + t;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto r = c.read_frame(t);
      if (r.status != ReadStatus::kFrame) break;
      if (r.frame.cmd == want) return r.frame;
    }
    ADD_FAILURE() << "no frame with cmd " << want;
    return {};
  }
  template <class T>
  static const T* as(const test::Frame& f) {
    return protocol::verified_root<T>(f.payload);
  }

  // Sends a room request and returns the RoomReply (skipping pushes).
  struct RoomAnswer {
    msg::RoomResult result = msg::RoomResult::InternalError;
    uint64_t room_id = 0;
    std::size_t members = 0;
    std::string message;
  };
  static RoomAnswer request(Player& p, uint16_t c, const test::Bytes& payload) {
    EXPECT_TRUE(p.client.send_frame(c, payload));
    const auto f = read_until(p.client, cmd::kRoomReply);
    RoomAnswer a;
    if (const auto* m = as<msg::RoomReply>(f)) {
      a.result = m->result();
      a.room_id = m->room_id();
      a.members = m->members() ? m->members()->size() : 0;
      a.message = m->message() ? m->message()->str() : "";
    }
    return a;
  }
  // Reads ArenaStates until `pred(state)` holds.
  template <class Pred>
  static bool arena_until(TestClient& c, Pred pred, std::chrono::milliseconds t = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + t;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto r = c.read_frame(t);
      if (r.status != ReadStatus::kFrame) return false;
      if (r.frame.cmd != cmd::kArenaState) continue;
      const auto* s = as<msg::ArenaState>(r.frame);
      if (s != nullptr && pred(*s)) return true;
    }
    return false;
  }
  static const msg::ArenaPlayer* find_player(const msg::ArenaState& s, uint64_t user_id) {
    if (s.players() == nullptr) return nullptr;
    for (const auto* p : *s.players()) {
      if (p->user_id() == user_id) return p;
    }
    return nullptr;
  }
};

}  // namespace citadel
