#include "admin_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <stdexcept>

namespace citadel::test {

uint16_t pick_free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("bind 127.0.0.1:0 failed");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool start_with_admin(ServerOptions options, AdminServerProcess& out, std::string* why) {
  constexpr int kAttempts = 5;
  for (int attempt = 1; attempt <= kAttempts; ++attempt) {
    const uint16_t port = pick_free_port();
    ServerOptions o = options;
    o.extra_args.push_back("--admin-port");
    o.extra_args.push_back(std::to_string(port));
    auto server = std::make_unique<ServerProcess>(std::move(o));
    if (!server->start(why)) return false;
    // The binary starts the admin server before it writes the port file, so
    // its outcome is already in the output once start() returns.
    const std::string listening = "admin listening on 127.0.0.1:" + std::to_string(port);
    if (server->wait_for_output(listening, 2s)) {
      out.server = std::move(server);
      out.admin_port = port;
      return true;
    }
    const std::string output = server->output();
    if (output.find("admin: cannot listen") == std::string::npos) {
      if (why) *why = "the admin server did not report listening; output:\n" + output;
      return false;
    }
    // Taken between pick_free_port() and the server's bind: try another.
    // This one stops cleanly first: a fleet node has registered its id
    // (SIGTERM revokes its lease; a SIGKILL would leave the id held for a
    // TTL and the next attempt refused as a duplicate).
    server->stop(SIGTERM, 5s);
  }
  if (why) *why = "admin port in use on every attempt";
  return false;
}

}  // namespace citadel::test
