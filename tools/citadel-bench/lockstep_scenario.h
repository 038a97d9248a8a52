// Lockstep scenario (issue 9): `connections` players join-or-create
// "lockstep" rooms (8 a room, filled in order, so 2,000 players joining at a
// steady pace make 250 full rooms); each sends a small LockstepInput (8
// bytes: its seq) at --input-hz while its room pushes a LockstepFrame every
// tick (30 Hz). Measured in the window after --warmup, per player: the
// interval between consecutive frame arrivals, reported as the jitter
// |interval - tick period| (p50/p99/max); missing or reordered frame
// numbers; the latency from an input's send to the frame that carries it;
// and with --server-pid the server's CPU per 1,000 players.
#pragma once

#include <netinet/in.h>

#include <cstdio>

#include "room_options.h"

namespace citadel::bench {

// Prints the summary on stderr and one JSON line on stdout (scenario
// "lockstep"). Returns the exit code: 0 the run completed, 2 no connection.
int run_lockstep(const RoomLoadOptions& options, const sockaddr_in& server, std::FILE* csv);

}  // namespace citadel::bench
