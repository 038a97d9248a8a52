// The arena demo (room type "arena"), kept exactly to its published rules
// because it is used to compare servers: up to 16 players on a 1000 x 1000
// field; inputs {seq, dx, dy} at 20 Hz; each 20 Hz tick applies every
// player's latest input (x += dx * 5, y += dy * 5, clamped to the field)
// and records ack = that input's seq; every tick each player receives x, y
// and ack of the players that changed (a snapshot when it joins).
#pragma once

#include <flatbuffers/flatbuffers.h>

#include <cstdint>
#include <vector>

#include "protocol/arena_generated.h"
#include "rooms/room_logic.h"
#include "rooms/room_type.h"

namespace citadel::rooms {

class ArenaRoom final : public TypedRoomLogic<msg::ArenaInput> {
 public:
  static constexpr float kFieldSize = 1000;
  static constexpr float kSpeed = 5;

  std::string on_join(RoomContext& ctx, const Player& player) override;
  void on_leave(RoomContext& ctx, const Player& player) override;
  void on_input(RoomContext& ctx, const Player& player, const msg::ArenaInput& input) override;
  void on_tick(RoomContext& ctx) override;
  void on_sync(RoomContext& ctx, const Player& player, uint32_t last_frame) override;
  // Crash recovery: every avatar (position, latest input, ack).
  bool save_state(std::vector<uint8_t>& out) override;
  bool restore_state(RoomContext& ctx, std::span<const uint8_t> state) override;

 private:
  struct Avatar {
    uint64_t user_id = 0;
    float x = kFieldSize / 2, y = kFieldSize / 2;
    float dx = 0, dy = 0;     // the latest input
    uint32_t latest_seq = 0;  // its seq
    uint32_t ack = 0;         // the seq applied by the last tick
    bool changed = true;      // since the last tick's message
  };
  Avatar* find(uint64_t user_id);
  // Encodes an ArenaState of every avatar (snapshot) or of the changed ones.
  std::span<const uint8_t> encode(RoomContext& ctx, bool snapshot);

  std::vector<Avatar> avatars_;  // at most 16: a linear scan beats hashing
  std::vector<uint64_t> left_;   // since the last tick
  flatbuffers::FlatBufferBuilder fbb_{1024};
  std::vector<msg::ArenaPlayer> scratch_;
};

RoomType arena_room_type(RoomTypeOptions options = {});

}  // namespace citadel::rooms
