// The room messages the arena and lockstep scenarios speak (schemas in
// src/protocol/schemas/rooms.fbs, arena.fbs, lockstep.fbs): encoders that
// reuse one FlatBufferBuilder, and decoders that verify a payload before
// reading it and keep only what the bench measures. The per-tick decoders
// (ArenaState, LockstepFrame) run ~60,000 times a second at 3,000 players, so
// they copy nothing and look only for the receiving player's own entry.
#pragma once

#include <flatbuffers/flatbuffers.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace citadel::bench {

// Per worker thread. Each span is valid until the next call.
class GameEncoder {
 public:
  // Join-or-create (room_id 0, create false) of `room_type`.
  std::span<const uint8_t> room_join(uint32_t request_id, std::string_view room_type);
  std::span<const uint8_t> arena_input(uint32_t seq, float dx, float dy);
  // The bench's lockstep input: `seq` little-endian in the first 4 of 8 bytes,
  // so the frame that carries it can be matched to its send time.
  std::span<const uint8_t> lockstep_input(uint32_t seq);

 private:
  std::span<const uint8_t> finished();
  flatbuffers::FlatBufferBuilder fbb_{256};
};

struct RoomReplyFields {
  uint32_t request_id = 0;
  uint16_t result = 0;  // msg::RoomResult
  uint64_t room_id = 0;
  uint32_t tick_hz = 0;
};

struct ArenaStateFields {
  uint32_t tick = 0;
  bool snapshot = false;
  std::optional<uint32_t> own_ack;  // the receiving player's ack, if it is in the message
};

struct LockstepFrameFields {
  uint32_t frame = 0;
  // The highest seq of the receiving player's own inputs in this frame.
  std::optional<uint32_t> own_seq;
};

// nullopt: the payload is not a valid table of that type.
std::optional<RoomReplyFields> decode_room_reply(std::span<const uint8_t> payload);
struct RoomEventFields {
  uint8_t kind = 0;  // msg::RoomEventKind: 5 Rejoined
  uint64_t room_id = 0;
};
std::optional<RoomEventFields> decode_room_event(std::span<const uint8_t> payload);
std::optional<ArenaStateFields> decode_arena_state(std::span<const uint8_t> payload,
                                                   uint64_t own_user_id);
std::optional<LockstepFrameFields> decode_lockstep_frame(std::span<const uint8_t> payload,
                                                         uint64_t own_user_id);

// "Ok", "RoomFull", ...; "unknown" otherwise.
std::string_view room_result_name(uint16_t result);

}  // namespace citadel::bench
