// Storage scenario (issue 17): N connections log in as new guests (one player
// each), then each keeps --depth storage requests in flight on its own
// objects (StorageWrite of a ~100-byte JSON object, or StorageRead with
// --read-ratio); after a warm-up, the replies of --duration seconds are
// counted by kind and result and their round trips measured.
#pragma once

#include <netinet/in.h>

#include <cstdio>

#include "options.h"

namespace citadel::bench {

// Runs the scenario and prints its report. Returns the process exit code:
// 0 the run completed, 2 no connection could be opened.
int run_storage(const StorageOptions& options, const sockaddr_in& server, std::FILE* csv);

}  // namespace citadel::bench
