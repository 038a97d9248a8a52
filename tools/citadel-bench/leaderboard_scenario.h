// Leaderboard scenario (issue 17): N connections log in as new guests (one
// player each), then each keeps --depth LeaderboardSubmit requests in flight
// to one board, a random score per submit; after a warm-up, the replies of
// --duration seconds are counted by result and their round trips measured.
#pragma once

#include <netinet/in.h>

#include <cstdio>

#include "options.h"

namespace citadel::bench {

// Runs the scenario and prints its report. Returns the process exit code:
// 0 the run completed, 2 no connection could be opened.
int run_leaderboard(const LeaderboardOptions& options, const sockaddr_in& server, std::FILE* csv);

}  // namespace citadel::bench
