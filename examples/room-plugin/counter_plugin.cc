// A room type as a plugin: the shared counter of docs/rooms.md, built as a
// shared library the server loads (rooms.plugins) and can swap while rooms
// run (docs/plugins.md). Copy this folder to start a game's own.
//
// Players add 1 to 10 to one shared total; every tick in which it changed,
// everyone gets the new total (with the plugin's version, so a client can
// see which code its room runs); a newcomer gets it on joining; once it
// reaches 1000 the room refuses newcomers.
#include <cstring>

#include "counter_generated.h"
#include "room_sdk/room_plugin.h"

#ifndef COUNTER_VERSION
#define COUNTER_VERSION "1.0.0"
#endif
#ifndef COUNTER_HANDS_OVER  // 1: a new version takes over open rooms (docs/plugins.md)
#define COUNTER_HANDS_OVER 1
#endif
#ifndef COUNTER_EMPTY_TTL_MS  // how long an empty room lives (the tests shorten it)
#define COUNTER_EMPTY_TTL_MS 30'000
#endif

namespace {

using citadel::room_sdk::Context;
using citadel::room_sdk::Player;
using example::Add;

constexpr uint16_t kAdd = 0x1000;    // the game's own cmd ids:
constexpr uint16_t kTotal = 0x1001;  // 0x1000 and up are free for games

class CounterRoom final : public citadel::room_sdk::TypedLogic<Add> {
 public:
  // When a new version of this plugin is swapped in, open rooms move to it
  // between two ticks, keeping their total (save_state, restore_state).
  static constexpr bool kHandsOverState = COUNTER_HANDS_OVER != 0;
  std::string on_join(Context&, const Player&) override {
    return total_ >= 1000 ? "this game is over" : "";  // non-empty: refused, with this reason
  }
  // Runs where the input arrives, before it is queued (it must not touch
  // room state): a refusal reaches the sender as ERROR 8 with this text.
  static std::string_view check_input(const Add& add) {
    return add.amount() < 1 || add.amount() > 10 ? "amount: 1 to 10" : "";
  }
  void on_input(Context&, const Player&, const Add& add) override {
    total_ += add.amount();  // checked: 1 to 10
    changed_ = true;
  }
  void on_tick(Context& ctx) override {
    if (!changed_) return;
    changed_ = false;
    ctx.broadcast(kTotal, encode(ctx));  // encoded once, shared by every member
  }
  void on_sync(Context& ctx, const Player& player, uint32_t) override {
    ctx.send(player, kTotal, encode(ctx));
  }
  // The state a new version takes over: the total, 8 bytes little-endian.
  // (A real game would version this format: the next version reads it.)
  bool save_state(std::vector<uint8_t>& out) override {
    out.resize(sizeof total_);
    std::memcpy(out.data(), &total_, sizeof total_);
    return true;
  }
  bool restore_state(Context&, std::span<const uint8_t> state) override {
    if (state.size() != sizeof total_) return false;
    std::memcpy(&total_, state.data(), sizeof total_);
    changed_ = true;  // everyone sees the new version's first Total next tick
    return true;
  }

 private:
  std::span<const uint8_t> encode(Context& ctx) {
    fbb_.Clear();
    fbb_.Finish(example::CreateTotal(fbb_, total_, static_cast<uint32_t>(ctx.tick()),
                                     fbb_.CreateString(COUNTER_VERSION)));
    return {fbb_.GetBufferPointer(), fbb_.GetSize()};
  }
  int64_t total_ = 0;
  bool changed_ = false;
  flatbuffers::FlatBufferBuilder fbb_;
};

constexpr citadel::room_sdk::RoomDefaults kDefaults{
    .tick_hz = 10, .max_players = 4, .empty_ttl_ms = COUNTER_EMPTY_TTL_MS};

}  // namespace

CITADEL_ROOM_PLUGIN(CounterRoom, "counter", COUNTER_VERSION, kAdd, "", "example.Add", kDefaults)
