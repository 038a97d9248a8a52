// A room type: its name, its limits and how to make a RoomLogic for it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "protocol/verified_payload.h"
#include "rooms/room_logic.h"

namespace citadel::rooms {

struct RoomTypeOptions {
  uint32_t tick_hz = 20;  // 1 to 120
  uint32_t max_players = 16;
  std::chrono::milliseconds empty_ttl{30'000};  // an empty room lives this long
  uint32_t input_queue = 1024;  // inputs waiting for the next tick; more are dropped
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
  // Runs the FlatBuffers verifier for the input table.
  std::function<bool(std::span<const uint8_t>)> verify_input;
};

// Builds a RoomType for a TypedRoomLogic subclass `Logic`.
template <class Logic>
RoomType make_room_type(std::string name, uint16_t input_cmd, RoomTypeOptions options) {
  RoomType t;
  t.name = std::move(name);
  t.options = options;
  t.input_cmd = input_cmd;
  t.make = [] { return std::make_unique<Logic>(); };
  t.verify_input = [](std::span<const uint8_t> payload) {
    return protocol::verified_root<typename Logic::Input>(payload) != nullptr;
  };
  return t;
}

}  // namespace citadel::rooms
