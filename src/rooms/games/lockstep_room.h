// Lockstep frame sync (room type "lockstep"): the server runs no game
// simulation. Each tick closes a frame: the inputs players sent during it,
// in arrival order, go to everyone as one LockstepFrame, encoded once. The
// room keeps the last `history_frames` frames, so a player who reconnects
// can ask (RoomJoin with last_frame) for every frame after the one it saw.
//
// That catch-up (up to the whole history: megabytes) goes out in pages of
// ctx.page_bytes(), one page a tick, so it never fills the player's output
// queue past the cap. Until it reaches the live frame, a player catching up
// gets no live frames (they are in the history it is being paged): every
// player sees every frame once, in order. A player back after a resume gets
// nothing until it says which frame it saw last (RoomJoin with last_frame):
// live frames sent before that would arrive ahead of the ones it missed.
#pragma once

#include <flatbuffers/flatbuffers.h>

#include <cstdint>
#include <deque>
#include <string_view>
#include <vector>

#include "net/output_queue.h"
#include "protocol/lockstep_generated.h"
#include "rooms/room_logic.h"
#include "rooms/room_type.h"

namespace citadel::rooms {

class LockstepRoom final : public TypedRoomLogic<msg::LockstepInput> {
 public:
  static constexpr std::size_t kMaxInputBytes = 256;
  // A frame's inputs, each counted with more than its encoding adds (table,
  // offset, vector length, padding), stay under this many bytes: a frame
  // stays within the 64 KiB payload clients accept. Inputs past it in one
  // frame are ignored (one player could otherwise fill a frame that every
  // client in the room refuses).
  static constexpr std::size_t kMaxFrameBytes = 60 * 1024;
  static constexpr std::size_t kInputOverheadBytes = 40;
  // The history keeps two minutes of frames at 30 Hz, and at most this
  // many bytes of them (~270 full frames).
  static constexpr std::size_t kHistoryFrames = 30 * 120;
  static constexpr std::size_t kHistoryBytes = 16 * 1024 * 1024;

  // On the connection's loop, before the input is queued: longer data is
  // refused with ERROR 8.
  static std::string_view check_input(const msg::LockstepInput& input) {
    return input.data() != nullptr && input.data()->size() > kMaxInputBytes
               ? "data: at most 256 bytes"
               : "";
  }
  void on_input(RoomContext& ctx, const Player& player, const msg::LockstepInput& input) override;
  void on_tick(RoomContext& ctx) override;
  void on_leave(RoomContext& ctx, const Player& player) override;
  void on_sync(RoomContext& ctx, const Player& player, uint32_t last_frame) override;
  // After a resume the client says which frame it saw last (RoomJoin);
  // until then it gets no frames.
  void on_reconnect(RoomContext& ctx, const Player& player) override;
  // Crash recovery: the frame count only. The frames themselves are not
  // saved (up to 16 MiB, every few ticks): after a restart the room goes on
  // from a frame past every one sent before, and a client asking for older
  // frames sees the jump and starts over, as when they have aged out.
  bool save_state(std::vector<uint8_t>& out) override;
  bool restore_state(RoomContext& ctx, std::span<const uint8_t> state) override;

 private:
  struct PendingInput {
    uint64_t user_id;
    std::vector<uint8_t> data;
  };
  struct CatchUp {
    uint64_t user_id;
    uint32_t next_frame;         // the next frame to send this player
    bool awaiting_sync = false;  // resumed, has not asked for its frames yet
  };
  // Sends the player the next page of its catch-up. True when it has caught up.
  bool send_page(RoomContext& ctx, const Player& player, CatchUp& c);
  uint32_t oldest_frame() const { return frame_ - static_cast<uint32_t>(history_.size()) + 1; }

  std::vector<CatchUp> catching_up_;  // players being paged the history
  std::vector<const Player*> live_;   // the others, this tick (reused)
  std::vector<PendingInput> pending_;
  std::size_t pending_count_ = 0;         // entries of pending_ in use (their buffers are reused)
  std::size_t pending_bytes_ = 0;         // their data plus kInputOverheadBytes each
  std::deque<net::SharedBytes> history_;  // history_.back() is frame frame_
  std::size_t history_bytes_ = 0;
  uint32_t frame_ = 0;
  uint64_t frame_tick_ = 0;  // ctx.tick() when frame_ was closed (it is one frame a tick)
  flatbuffers::FlatBufferBuilder fbb_{1024};
  std::vector<flatbuffers::Offset<msg::PlayerInput>> offsets_;  // reused every tick
};

RoomType lockstep_room_type(RoomTypeOptions options = {});

}  // namespace citadel::rooms
