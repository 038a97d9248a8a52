// Hold scenario: open many mostly idle connections at a paced rate, each
// sending a PING every `ping interval` (spread so they do not fire together),
// and hold them for `duration` once connecting is over. Measures what holding
// them costs the server (RSS per connection, with --server-pid) and whether
// it keeps answering (PONG round trips, disconnects).
#pragma once

#include <netinet/in.h>

#include <cstdio>

#include "options.h"

namespace citadel::bench {

// Runs the scenario and prints its report. Returns the process exit code:
// 0 the run completed, 2 no connection could be opened.
int run_hold(const HoldOptions& options, const sockaddr_in& server, std::FILE* csv);

}  // namespace citadel::bench
