#include "game_messages.h"

#include <array>
#include <cstring>

#include "protocol/arena_generated.h"
#include "protocol/lockstep_generated.h"
#include "protocol/rooms_generated.h"
#include "protocol/verified_payload.h"

namespace citadel::bench {

std::span<const uint8_t> GameEncoder::finished() {
  return {fbb_.GetBufferPointer(), fbb_.GetSize()};
}

std::span<const uint8_t> GameEncoder::room_join(uint32_t request_id, std::string_view room_type) {
  fbb_.Clear();
  const auto type = fbb_.CreateString(room_type.data(), room_type.size());
  fbb_.Finish(msg::CreateRoomJoin(fbb_, request_id, type, /*room_id=*/0, /*create=*/false,
                                  /*last_frame=*/0));
  return finished();
}

std::span<const uint8_t> GameEncoder::arena_input(uint32_t seq, float dx, float dy) {
  fbb_.Clear();
  fbb_.Finish(msg::CreateArenaInput(fbb_, seq, dx, dy));
  return finished();
}

std::span<const uint8_t> GameEncoder::lockstep_input(uint32_t seq) {
  std::array<uint8_t, 8> data{};
  for (int i = 0; i < 4; ++i) data[i] = static_cast<uint8_t>(seq >> (8 * i));
  fbb_.Clear();
  const auto bytes = fbb_.CreateVector(data.data(), data.size());
  fbb_.Finish(msg::CreateLockstepInput(fbb_, bytes));
  return finished();
}

std::optional<RoomReplyFields> decode_room_reply(std::span<const uint8_t> payload) {
  const auto* m = protocol::verified_root<msg::RoomReply>(payload);
  if (m == nullptr) return std::nullopt;
  return RoomReplyFields{m->request_id(), static_cast<uint16_t>(m->result()), m->room_id(),
                         m->tick_hz()};
}

std::optional<RoomEventFields> decode_room_event(std::span<const uint8_t> payload) {
  const auto* m = protocol::verified_root<msg::RoomEvent>(payload);
  if (m == nullptr) return std::nullopt;
  return RoomEventFields{static_cast<uint8_t>(m->kind()), m->room_id()};
}

std::optional<ArenaStateFields> decode_arena_state(std::span<const uint8_t> payload,
                                                   uint64_t own_user_id) {
  const auto* m = protocol::verified_root<msg::ArenaState>(payload);
  if (m == nullptr) return std::nullopt;
  ArenaStateFields f{m->tick(), m->snapshot(), std::nullopt};
  if (const auto* players = m->players()) {
    for (const msg::ArenaPlayer* p : *players) {
      if (p->user_id() == own_user_id) {
        f.own_ack = p->ack();
        break;
      }
    }
  }
  return f;
}

std::optional<LockstepFrameFields> decode_lockstep_frame(std::span<const uint8_t> payload,
                                                         uint64_t own_user_id) {
  const auto* m = protocol::verified_root<msg::LockstepFrame>(payload);
  if (m == nullptr) return std::nullopt;
  LockstepFrameFields f{m->frame(), std::nullopt};
  if (const auto* inputs = m->inputs()) {
    for (const msg::PlayerInput* in : *inputs) {
      if (in->user_id() != own_user_id || in->data() == nullptr || in->data()->size() < 4) {
        continue;
      }
      uint32_t seq = 0;
      for (int i = 0; i < 4; ++i) seq |= uint32_t{in->data()->Get(i)} << (8 * i);
      if (!f.own_seq || seq > *f.own_seq) f.own_seq = seq;
    }
  }
  return f;
}

std::string_view room_result_name(uint16_t result) {
  const char* name = msg::EnumNameRoomResult(static_cast<msg::RoomResult>(result));
  return *name != '\0' ? std::string_view(name) : std::string_view("unknown");
}

}  // namespace citadel::bench
