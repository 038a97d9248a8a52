// The arena demo (room type "arena"), kept exactly to its published rules
// because it is used to compare servers: up to 16 players on a 1000 x 1000
// field; inputs {seq, dx, dy} at 20 Hz; each 20 Hz tick applies every
// player's latest input (x += dx * 5, y += dy * 5, clamped to the field)
// and records ack = that input's seq; every tick each player receives x, y
// and ack of the players that changed (a snapshot when it joins).
//
// The transfer demo (rooms.arena_transfer_east, off by default so the
// benchmarks' bots that walk east stay put): an avatar that walks into the
// east edge is handed to another arena room (in a fleet, on another game
// node when there is one) and enters it at the west edge, at the same
// height, with the same latest input and ack (docs/rooms.md).
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
  // The hand-off to the neighbouring arena: y, dx, dy, latest seq, ack.
  static constexpr std::size_t kHandoffBytes = 3 * 4 + 2 * 4;

  explicit ArenaRoom(bool transfer_east = false) : transfer_east_(transfer_east) {}

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
  const bool transfer_east_;
  flatbuffers::FlatBufferBuilder fbb_{1024};
  std::vector<msg::ArenaPlayer> scratch_;
};

// transfer_east: the transfer demo (rooms.arena_transfer_east).
RoomType arena_room_type(RoomTypeOptions options = {}, bool transfer_east = false);

}  // namespace citadel::rooms
