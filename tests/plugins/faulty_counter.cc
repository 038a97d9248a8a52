// The counter with a bug: every input throws. Same name and input cmd as
// the template's counter, so it swaps in for it; its rooms fault, and the
// automatic rollback must take the type back to the previous version.
#include <stdexcept>

#include "counter_generated.h"
#include "room_sdk/room_plugin.h"

namespace {

using citadel::room_sdk::Context;
using citadel::room_sdk::Player;

class FaultyCounter final : public citadel::room_sdk::TypedLogic<example::Add> {
 public:
  void on_input(Context&, const Player&, const example::Add&) override {
    throw std::runtime_error("faulty counter: this build throws on every input");
  }
  void on_tick(Context&) override {}
};

constexpr citadel::room_sdk::RoomDefaults kDefaults{
    .tick_hz = 10, .max_players = 4, .empty_ttl_ms = 30'000};

}  // namespace

CITADEL_ROOM_PLUGIN(FaultyCounter, "counter", COUNTER_VERSION, 0x1000, "", "example.Add", kDefaults)
