// One version of a room type's code: what makes its rooms' logic and checks
// their inputs. A built-in type has one for its whole life; a plugin type
// gets a new one on every swap (rooms/plugins/). Each room keeps the code it
// opened with, so running rooms finish on their version while new rooms get
// the new one, and a plugin library stays loaded exactly as long as some
// room or the type still holds its RoomCode.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

namespace citadel::rooms {

class RoomLogic;

// What the rooms on one version did: the rollback rule compares a new
// version's faults with its predecessor's. Rooms on any executor add to them
// (relaxed: counts, not ordering).
struct RoomCodeStats {
  std::atomic<uint64_t> rooms{0};     // rooms opened
  std::atomic<uint64_t> faults{0};    // rooms closed by an exception in their code
  std::atomic<uint64_t> ticks{0};     // ticks run
  std::atomic<uint64_t> overruns{0};  // ticks that took longer than the interval
};

struct RoomCode {
  std::string version;  // "builtin" for types compiled into the server
  std::function<std::unique_ptr<RoomLogic>()> make;
  // Runs on the connection's loop, before the input is queued for the room,
  // on 8-byte aligned bytes: "" accepts, anything else refuses with this
  // text. The room it is bound for holds this code, so the code (and its
  // library) outlive the call.
  std::function<std::string(std::span<const uint8_t>)> check_input;
  // Open rooms on other versions of the type move to this one when it is
  // swapped in (RoomLogic::save_state / restore_state).
  bool hands_over_state = false;
  // Shared so the registry can keep a version's counts after its code (and
  // library) are gone.
  std::shared_ptr<RoomCodeStats> stats = std::make_shared<RoomCodeStats>();
};

}  // namespace citadel::rooms
