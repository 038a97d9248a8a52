// Plugins the server must refuse, changing nothing: a factory that throws
// (BAD_FACTORY), an SDK version from the future (BAD_SDK), no entry point
// at all (NO_ENTRY_POINT).
#include <stdexcept>

#include "counter_generated.h"
#include "room_sdk/room_plugin.h"

namespace {

using citadel::room_sdk::Context;
using citadel::room_sdk::Player;

class Idle final : public citadel::room_sdk::TypedLogic<example::Add> {
 public:
#ifdef BAD_FACTORY
  Idle() {
    throw std::runtime_error("this factory always throws");
  }
#endif
  void on_input(Context&, const Player&, const example::Add&) override {}
  void on_tick(Context&) override {}
};

}  // namespace

#if defined(BAD_FACTORY)
CITADEL_ROOM_PLUGIN(Idle, "counter", COUNTER_VERSION, 0x1000, "", "example.Add",
                    citadel::room_sdk::RoomDefaults{})
#elif defined(BAD_SDK)
extern "C" __attribute__((visibility("default"))) const citadel::room_sdk::PluginInfo*
citadel_room_plugin() {
  static const citadel::room_sdk::PluginInfo info{
      citadel::room_sdk::kSdkVersion + 1,
      "counter",
      COUNTER_VERSION,
      0x1000,
      "",
      "example.Add",
      {},
      []() -> std::unique_ptr<citadel::room_sdk::Logic> { return std::make_unique<Idle>(); },
      &citadel::room_sdk::check_typed_input<Idle>,
      false,
  };
  return &info;
}
#else
extern "C" __attribute__((visibility("default"))) int not_a_room_plugin() {
  return 0;
}
#endif
