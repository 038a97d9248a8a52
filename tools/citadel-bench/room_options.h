// Command-line settings of the room scenarios (arena, lockstep), with their
// units and defaults. main.cc parses them (room_commands.cc); the scenarios
// take them as given.
#pragma once

#include <cstdint>
#include <string>

#include "options.h"

namespace citadel::bench {

enum class RoomGame : uint8_t {
  kArena,     // ArenaInput {seq, dx, dy}; ArenaState acks the seq
  kLockstep,  // LockstepInput {data}; LockstepFrame bundles the inputs
};

// arena / lockstep: `connections` players connect (at --connect-rate, which
// paces the joins too), log in as new guests, join-or-create a room of
// `room_type`, and send inputs at `input_hz` each until the run ends.
struct RoomLoadOptions {
  CommonOptions common;
  RoomGame game = RoomGame::kArena;
  std::string room_type = "arena";
  double input_hz = 20;  // per player
  double warmup_s = 2;   // after every player is in, run but not measured
  // --join-storm: connect and log in first; then every player sends RoomJoin
  // within join_window_s (evenly spread); a join not answered within
  // join_timeout_s of the window's end counts as timed out.
  bool join_storm = false;
  double join_window_s = 1;
  double join_timeout_s = 10;
  int server_pid = 0;  // 0: do not read the server's CPU time and memory
};

}  // namespace citadel::bench
