// Encoders for the messages every room type shares (schemas/rooms.fbs).
// Each returns a whole frame, ready to be shared by many output queues.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "net/output_queue.h"
#include "protocol/rooms_generated.h"
#include "rooms/room_logic.h"

namespace citadel::rooms {

struct RoomInfo {
  uint64_t room_id = 0;
  std::string_view room_type;
  uint32_t tick_hz = 0;
  uint32_t max_players = 0;
};

net::SharedBytes encode_room_reply(uint32_t request_id, msg::RoomResult result,
                                   std::string_view message, const RoomInfo& room = {},
                                   std::span<const Player* const> members = {});
net::SharedBytes encode_room_event(msg::RoomEventKind kind, uint64_t room_id, const Player* who,
                                   std::string_view reason = {});
net::SharedBytes encode_match_result(msg::RoomResult result, std::string_view message,
                                     uint32_t waited_ms, const RoomInfo& room = {},
                                     std::span<const Player* const> members = {});

}  // namespace citadel::rooms
