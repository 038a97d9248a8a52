// What a game programmer implements to add a room type: a RoomLogic, told
// about players joining and leaving, their inputs, and each tick. All calls
// for one room happen on one thread (the room's executor), one at a time, so
// room code needs no locks. Exceptions thrown from room code close that room
// alone; its players are told why and may join another.
//
// docs/rooms.md walks through a complete room type.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "net/output_queue.h"
#include "protocol/verified_payload.h"
#include "room_sdk/room_plugin.h"
#include "rooms/room_storage.h"
#include "rooms/score_sink.h"

namespace citadel::rooms {

// The same structs plugins see (room_sdk/room_plugin.h).
using Player = room_sdk::Player;
using TransferTarget = room_sdk::TransferTarget;
using Arrival = room_sdk::Arrival;
using room_sdk::kMaxHandoffBytes;

// What room code may do; passed to every callback. Valid only during it.
class RoomContext {
 public:
  virtual uint64_t room_id() const = 0;
  // Ticks run so far: the first on_tick sees 1.
  virtual uint64_t tick() const = 0;
  virtual std::chrono::nanoseconds tick_interval() const = 0;
  // Players in the room, in join order.
  virtual std::span<const Player* const> players() const = 0;

  // Sends to every connected player: the frame is encoded once and the same
  // bytes are queued for each of them.
  virtual void broadcast(uint16_t cmd, std::span<const uint8_t> payload) = 0;
  virtual void broadcast_frame(const net::SharedBytes& frame) = 0;  // an encoded frame
  virtual void send(const Player& to, uint16_t cmd, std::span<const uint8_t> payload) = 0;
  virtual void send_frame(const Player& to, const net::SharedBytes& frame) = 0;
  // The same encoded frame to some of the players (the connected ones).
  virtual void send_frame(std::span<const Player* const> to, const net::SharedBytes& frame) = 0;
  // Bytes room code may send one player in one tick on top of the room's
  // regular traffic: a quarter of limits.output_queue_bytes. A larger
  // transfer (a catch-up, a big snapshot) goes out in pages of this size,
  // one a tick, so it never pushes a client that reads past the output cap
  // (which would cut it as a slow consumer).
  virtual std::size_t page_bytes() const = 0;
  // Ends the room once the current callback returns; players get `reason`.
  virtual void close(std::string_view reason) = 0;
  // Moves `player` to another room once the current callback returns
  // (docs/rooms.md "Moving a player to another room"): on_leave runs here,
  // the others get PlayerLeft, and the target room's on_join sees the
  // player with arrival() holding target.handoff. Its inputs not applied
  // here yet follow it, in order, to a room of the same type. "" if
  // accepted, else why not; a target that refuses later leaves the player
  // in no room (told RoomEvent Closed).
  virtual std::string transfer(const Player& /*player*/, const TransferTarget& /*target*/) {
    return "this room cannot transfer players";
  }
  // During on_join: how the player arrives when a room transferred it
  // here (null for an ordinary join).
  virtual const Arrival* arrival() const { return nullptr; }
  // Leaderboards: record a player's score, e.g. at the end of a match
  // (docs/rooms.md). Without leaderboards every submission is refused.
  virtual ScoreSink& scores() { return no_scores(); }
  // Player storage objects with server rights (room_storage.h); completions
  // come back on this room's thread. Valid as long as the room.
  virtual RoomStorage& storage() = 0;

 protected:
  ~RoomContext() = default;
};

class RoomLogic {
 public:
  virtual ~RoomLogic() = default;

  virtual void on_create(RoomContext&) {}
  // Return an empty string to accept the player, or the reason to refuse.
  virtual std::string on_join(RoomContext&, const Player&) { return {}; }
  virtual void on_leave(RoomContext&, const Player&) {}
  // One input, already checked by the FlatBuffers verifier against the room
  // type's input table. Inputs queue up between ticks; they are handed over,
  // in arrival order, just before on_tick.
  virtual void on_input(RoomContext&, const Player&, std::span<const uint8_t> payload) = 0;
  virtual void on_tick(RoomContext&) = 0;
  // A player needs the whole state: after joining, after reconnecting, or
  // when asking again. `last_frame` is what the client says it last saw
  // (frame-sync rooms resend from there; state-sync rooms send a snapshot).
  virtual void on_sync(RoomContext&, const Player&, uint32_t /*last_frame*/) {}
  // The player is back on a new connection (session resume or a new login
  // within the grace period). By default it gets on_sync from frame 0; a
  // frame-sync room overrides this and waits for the client to say which
  // frame it last saw (RoomJoin with last_frame).
  virtual void on_reconnect(RoomContext& ctx, const Player& player) { on_sync(ctx, player, 0); }
  virtual void on_dispose(RoomContext&) {}
  // Moving a running room to a new version of its code (plugins only; see
  // room_sdk::Logic::save_state). False: this logic cannot.
  virtual bool save_state(std::vector<uint8_t>& /*out*/) { return false; }
  virtual bool restore_state(RoomContext&, std::span<const uint8_t> /*state*/) { return false; }
};

// RoomLogic for a room type whose input is a FlatBuffers table: on_input
// receives the table itself.
template <class InputTable>
class TypedRoomLogic : public RoomLogic {
 public:
  using Input = InputTable;
  virtual void on_input(RoomContext& ctx, const Player& player, const InputTable& input) = 0;

 private:
  void on_input(RoomContext& ctx, const Player& player, std::span<const uint8_t> payload) final {
    // The runtime verified these bytes and keeps them 8-byte aligned.
    on_input(ctx, player, *flatbuffers::GetRoot<InputTable>(payload.data()));
  }
};

}  // namespace citadel::rooms
