// Arena scenario (issues 4 and 9): `connections` players of the arena demo
// connect, log in as new guests and join-or-create "arena" rooms (16 a
// room, filled in order), then each sends ArenaInput {seq, dx, dy} at
// --input-hz (a random walk) while its room pushes ArenaState every tick.
// Measured in the window after --warmup: input-to-ack latency (from the
// send of seq to the first state whose own ack >= seq), states per player
// per second, each room's observed tick rate, and with --server-pid the
// server's CPU per 1,000 players and memory per player.
//
// --join-storm: connect and log in everyone first, then fire every RoomJoin
// within --join-window seconds; reports joins Ok, refusals by RoomResult,
// timeouts and the time from the first join sent to the last reply; the
// players then play for --duration as above.
#pragma once

#include <netinet/in.h>

#include <cstdio>

#include "room_options.h"

namespace citadel::bench {

// Prints the summary on stderr and one JSON line on stdout (scenario
// "arena"). Returns the exit code: 0 the run completed, 2 no connection.
int run_arena(const RoomLoadOptions& options, const sockaddr_in& server, std::FILE* csv);

}  // namespace citadel::bench
