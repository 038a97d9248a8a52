#include "rooms/room_messages.h"

#include <flatbuffers/flatbuffers.h>

#include <vector>

#include "protocol/commands.h"
#include "server/outbox.h"

namespace citadel::rooms {

namespace {

flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<msg::RoomMember>>> members_of(
    flatbuffers::FlatBufferBuilder& fbb, std::span<const Player* const> players) {
  if (players.empty()) return 0;
  std::vector<flatbuffers::Offset<msg::RoomMember>> out;
  out.reserve(players.size());
  for (const Player* p : players) {
    out.push_back(
        msg::CreateRoomMember(fbb, p->user_id, fbb.CreateString(p->username), p->connected()));
  }
  return fbb.CreateVector(out);
}

net::SharedBytes finish(uint16_t cmd, flatbuffers::FlatBufferBuilder& fbb) {
  return server::make_shared_frame(cmd, {fbb.GetBufferPointer(), fbb.GetSize()});
}

}  // namespace

net::SharedBytes encode_room_reply(uint32_t request_id, msg::RoomResult result,
                                   std::string_view message, const RoomInfo& room,
                                   std::span<const Player* const> members) {
  flatbuffers::FlatBufferBuilder fbb(256);
  const auto m = fbb.CreateString(message), t = fbb.CreateString(room.room_type);
  const auto list = members_of(fbb, members);
  fbb.Finish(msg::CreateRoomReply(fbb, request_id, result, m, room.room_id, t, room.tick_hz,
                                  room.max_players, list));
  return finish(protocol::cmd::kRoomReply, fbb);
}

net::SharedBytes encode_room_event(msg::RoomEventKind kind, uint64_t room_id, const Player* who,
                                   std::string_view reason) {
  flatbuffers::FlatBufferBuilder fbb(128);
  const auto name = who ? fbb.CreateString(who->username) : 0;
  const auto r = fbb.CreateString(reason);
  fbb.Finish(msg::CreateRoomEvent(fbb, kind, room_id, who ? who->user_id : 0, name, r));
  return finish(protocol::cmd::kRoomEvent, fbb);
}

net::SharedBytes encode_match_result(msg::RoomResult result, std::string_view message,
                                     uint32_t waited_ms, const RoomInfo& room,
                                     std::span<const Player* const> members) {
  flatbuffers::FlatBufferBuilder fbb(256);
  const auto m = fbb.CreateString(message), t = fbb.CreateString(room.room_type);
  const auto list = members_of(fbb, members);
  fbb.Finish(msg::CreateMatchResult(fbb, result, m, room.room_id, t, waited_ms, list, room.tick_hz,
                                    room.max_players));
  return finish(protocol::cmd::kMatchResult, fbb);
}

}  // namespace citadel::rooms
