// citadel-cli's operator commands: requests to a server's admin HTTP port
// (not the game port), for scripts and terminals alike.
//
//   citadel-cli --admin 127.0.0.1:9101 plugins list
//   citadel-cli --admin 127.0.0.1:9101 plugins load /opt/game/libcounter-1.1.so
//   citadel-cli --admin 127.0.0.1:9101 plugins rollback counter
//   citadel-cli --admin 127.0.0.1:9101 config show | config reload
//   citadel-cli --admin 127.0.0.1:9101 conflicts list [LIMIT [AFTER_ID]]
//   citadel-cli --admin 127.0.0.1:9101 conflicts dismiss ID
//   citadel-cli --admin 127.0.0.1:9101 fleet | fleet nodes
#pragma once

#include <string>
#include <vector>

namespace citadel::cli {

struct AdminCommand {
  std::string method;  // GET, POST or DELETE
  std::string target;  // "/plugins/load"
  std::string body;
};

// The request for `words` (e.g. {"plugins", "load", "/x.so"}), or an empty
// method with the usage in *why.
AdminCommand parse_admin_command(const std::vector<std::string>& words, std::string* why);

struct AdminResult {
  unsigned status = 0;  // 0: no answer (then `body` says why)
  std::string body;
};

// Sends one request to host:port (bearer `token` if not empty) and waits
// at most timeout_ms for the answer.
AdminResult send_admin_request(const std::string& host_port, const std::string& token,
                               const AdminCommand& command, unsigned timeout_ms);

}  // namespace citadel::cli
