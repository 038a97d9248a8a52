// Login scenario (issue 8: at least 20,000 guest logins/s, and a storm of
// 10,000 new connections that all log in within 10 s).
//
// Persistent mode: `connections` connections stay open; each loops
// GuestLogin (a device id never used before, so every login creates an
// account) -> AuthReply Ok -> Logout + the next GuestLogin in one write.
// Measures logins/s and the login round trip over --duration after --warmup.
//
// Storm mode (--storm): `connections` new connections at --connect-rate, each
// logs in once on connect and then holds; measures how long until every one
// is logged in, what failed, and (with --server-pid) the server's memory per
// logged-in connection.
#pragma once

#include <netinet/in.h>

#include <cstdio>

#include "options.h"

namespace citadel::bench {

// Runs the scenario and prints its report. Returns the process exit code:
// 0 the run completed, 2 no connection could be opened.
int run_login(const LoginOptions& options, const sockaddr_in& server, std::FILE* csv);

}  // namespace citadel::bench
