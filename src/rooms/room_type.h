// A room type: its name, its limits and how to make a RoomLogic for it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "protocol/finite_fields.h"
#include "protocol/verified_payload.h"
#include "rooms/room_code.h"
#include "rooms/room_logic.h"

namespace citadel::rooms {

struct RoomTypeOptions {
  uint32_t tick_hz = 20;  // 1 to 120
  uint32_t max_players = 16;
  std::chrono::milliseconds empty_ttl{30'000};  // an empty room lives this long
  // Inputs waiting for the next tick, by count and by bytes (each input
  // padded to 8): more are dropped and counted. Each player may use a fair
  // share of both: the cap divided by the players in the room.
  uint32_t input_queue = 1024;
  uint64_t input_queue_bytes = 64 * 1024;
  // Matchmaking: groups of match_size players whose skills lie within a
  // window that starts at match_initial_window and widens by
  // match_widen_per_second while they wait, for at most match_timeout.
  uint32_t match_size = 2;
  uint32_t match_initial_window = 100;
  uint32_t match_widen_per_second = 50;
  std::chrono::milliseconds match_timeout{30'000};
};

struct RoomType {
  std::string name;
  RoomTypeOptions options;
  uint16_t input_cmd = 0;  // the cmd players send inputs with
  std::function<std::unique_ptr<RoomLogic>()> make;
  // Checks one input on the connection's loop, before it is queued for the
  // room: an empty string accepts it; anything else refuses it with ERROR 8
  // (bad_payload) and this text, and the room never sees it. It must at
  // least run the FlatBuffers verifier and refuse non-finite numbers
  // (protocol::first_non_finite_field); make_room_type does both.
  std::function<std::string(std::span<const uint8_t>)> check_input;
  // The code new rooms get. add_type makes it from make and check_input
  // when unset; a plugin swap replaces it (service loop only).
  std::shared_ptr<const RoomCode> code;
  // A plugin's type: its code can be swapped, so connection loops never read
  // `code` (inputs are checked by the code of the room they go to).
  bool swappable = false;
};

// The code of a type compiled into the server: its make and check_input.
inline std::shared_ptr<const RoomCode> builtin_code(const RoomType& type) {
  auto code = std::make_shared<RoomCode>();
  code->version = "builtin";
  code->make = type.make;
  code->check_input = type.check_input;
  return code;
}

// Builds a RoomType for a TypedRoomLogic subclass `Logic`. Every input is
// checked before the room sees it:
//   1. the FlatBuffers verifier for Logic::Input;
//   2. every float and double in it must be finite (no NaN, no infinity):
//      the schema must be compiled with flatc --reflect-names;
//   3. if Logic declares `static std::string_view check_input(const Input&)`,
//      it runs last: return "" to accept, or the reason to refuse (value
//      ranges, sizes). It runs on a connection's thread, not the room's:
//      it must not touch room state.

template <class Logic>
RoomType make_room_type(std::string name, uint16_t input_cmd, RoomTypeOptions options) {
  using Input = typename Logic::Input;
  RoomType t;
  t.name = std::move(name);
  t.options = options;
  t.input_cmd = input_cmd;
  t.make = [] { return std::make_unique<Logic>(); };
  t.check_input = [](std::span<const uint8_t> payload) -> std::string {
    // Aligned once (a misaligned payload is copied to this thread's
    // scratch); the verifier and the float walk read the same bytes.
    const auto bytes = protocol::aligned_payload(payload);
    const Input* input = protocol::verified_root<Input>(bytes);
    if (input == nullptr) return "payload is not a valid FlatBuffers message";
    std::string bad = protocol::first_non_finite_field<Input>(bytes);
    if (!bad.empty()) return bad + " is not a finite number";
    if constexpr (requires { Logic::check_input(*input); }) {
      return std::string(Logic::check_input(*input));
    }
    return {};
  };
  return t;
}

}  // namespace citadel::rooms
