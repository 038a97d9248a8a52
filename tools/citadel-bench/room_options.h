// Command-line settings of the room scenarios (arena, lockstep), with their
// units and defaults. main.cc parses them (room_commands.cc); the scenarios
// take them as given.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

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
  // > 0: a worker wakes for inputs no sooner than this many microseconds
  // after its last wake-up, and then sends every input due by then, as a
  // bot on Node's 1 ms timers does (bench/colyseus/bots.js). It still wakes
  // for its sockets' input and at least every 10 ms. Each input is timed
  // from its own send, and its lag behind its due time is reported. 0: each
  // input at its own due time, to the microsecond (a wake-up per input when
  // the players' phases are spread: the load generator's own CPU).
  uint32_t input_step_us = 0;
  double warmup_s = 2;  // after every player is in, run but not measured
  // --join-storm: connect and log in first; then every player sends RoomJoin
  // within join_window_s (evenly spread); a join not answered within
  // join_timeout_s of the window's end counts as timed out.
  bool join_storm = false;
  double join_window_s = 1;
  double join_timeout_s = 10;
  int server_pid = 0;  // 0: do not read the server's CPU time and memory
  // --also-pid: more server processes (a fleet's gateway and game nodes)
  // whose CPU time is read over the same window, reported in this order.
  std::vector<int> also_pids;
  // --resume (arena): a player whose connection drops reconnects (backoff
  // with jitter, reconnect_backoff.h), sends Resume with its session token,
  // and counts as back at the first ArenaState after AuthReply Ok; the time
  // from its last ArenaState before the drop to that one is its gap. It gives
  // up resume_give_up_s after the drop.
  bool resume = false;
  double reconnect_base_ms = 100;
  double reconnect_max_ms = 1000;
  double resume_give_up_s = 30;
  // > 0: this many seconds into the window the bench drops every player's
  // connection itself (to try --resume without restarting the server).
  double drop_after_s = 0;
  // Non-empty: once the measured window is set, write "<start> <end>\n" there
  // (Unix time in seconds), so a script can act inside the window.
  std::string window_file;
};

}  // namespace citadel::bench
