// The example room type of docs/rooms.md, compiled and tested here so the
// guide stays true: players add to one shared total; every tick in which it
// changed, everyone gets the new total; a newcomer gets it on joining.
#pragma once

#include <flatbuffers/flatbuffers.h>

#include "counter_generated.h"  // flatc output for counter.fbs
#include "rooms/room_logic.h"
#include "rooms/room_type.h"

namespace example {

inline constexpr uint16_t kAdd = 0x1000;    // the game's own cmd ids:
inline constexpr uint16_t kTotal = 0x1001;  // 0x1000 and up are free for games

class CounterRoom final : public citadel::rooms::TypedRoomLogic<Add> {
 public:
  using RoomContext = citadel::rooms::RoomContext;
  using Player = citadel::rooms::Player;

  std::string on_join(RoomContext&, const Player&) override {
    return total_ >= 1000 ? "this game is over" : "";  // non-empty: refused, with this reason
  }

  // Runs where the input arrives, before it is queued (it must not touch
  // room state): a refusal reaches the sender as ERROR 8 with this text.
  static std::string_view check_input(const Add& add) {
    return add.amount() < 1 || add.amount() > 10 ? "amount: 1 to 10" : "";
  }

  void on_input(RoomContext&, const Player&, const Add& add) override {
    total_ += add.amount();  // checked: 1 to 10
    changed_ = true;
  }

  void on_tick(RoomContext& ctx) override {
    if (!changed_) return;
    changed_ = false;
    ctx.broadcast(kTotal, encode(ctx));  // encoded once, shared by every member
  }

  void on_sync(RoomContext& ctx, const Player& player, uint32_t) override {
    ctx.send(player, kTotal, encode(ctx));
  }

 private:
  std::span<const uint8_t> encode(RoomContext& ctx) {
    fbb_.Clear();
    fbb_.Finish(CreateTotal(fbb_, total_, static_cast<uint32_t>(ctx.tick())));
    return {fbb_.GetBufferPointer(), fbb_.GetSize()};
  }

  int64_t total_ = 0;
  bool changed_ = false;
  flatbuffers::FlatBufferBuilder fbb_;
};

// Registered by name, with its input cmd and options.
inline citadel::rooms::RoomType counter_room_type() {
  citadel::rooms::RoomTypeOptions options;
  options.tick_hz = 10;
  options.max_players = 4;
  return citadel::rooms::make_room_type<CounterRoom>("counter", kAdd, options);
}

}  // namespace example
