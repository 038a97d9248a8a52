// Echo scenario: N connections each keep `depth` requests (ECHO, or PING with
// --cmd ping) in flight; after connecting and a warm-up, replies received
// during `duration` are counted and their round trips measured.
#pragma once

#include <netinet/in.h>

#include <cstdio>

#include "options.h"

namespace citadel::bench {

// Runs the scenario and prints its report. Returns the process exit code:
// 0 the run completed, 2 no connection could be opened.
int run_echo(const EchoOptions& options, const sockaddr_in& server, std::FILE* csv);

}  // namespace citadel::bench
