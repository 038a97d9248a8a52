// A plugin's room logic as the room runtime sees it: every RoomLogic call
// goes to the plugin's room_sdk::Logic, with the room's RoomContext seen
// through room_sdk::Context. It holds the plugin's library, so the library
// stays loaded while any room runs its code.
#pragma once

#include <memory>

#include "rooms/plugins/plugin_library.h"
#include "rooms/room_code.h"
#include "rooms/room_logic.h"

namespace citadel::rooms {

// The code of one plugin version, for RoomType::code: rooms made from it
// hold `library`.
std::shared_ptr<const RoomCode> plugin_code(std::shared_ptr<const PluginLibrary> library);

}  // namespace citadel::rooms
