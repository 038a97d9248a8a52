// Starts the real server with its admin HTTP server on a free port. Admin
// port 0 means "disabled" to the binary, so the test picks the port: it
// binds 127.0.0.1:0, reads the port, closes, and passes --admin-port. Another
// process may take the port in between; the server then logs that the admin
// port is in use, and the start is retried with a new port.
#pragma once

#include <memory>
#include <string>

#include "server_process.h"

namespace citadel::test {

// A port that was free a moment ago on 127.0.0.1.
uint16_t pick_free_port();

struct AdminServerProcess {
  std::unique_ptr<ServerProcess> server;
  uint16_t admin_port = 0;
};

// Starts the server with `options` plus --admin-port. False (with the
// server's output in *why) if it does not start or its admin server does not
// come up after a few attempts.
bool start_with_admin(ServerOptions options, AdminServerProcess& out, std::string* why);

}  // namespace citadel::test
