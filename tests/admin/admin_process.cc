#include "admin_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <random>
#include <stdexcept>

namespace citadel::test {

// A port free now, below the kernel's ephemeral range: the server binds it
// a moment later, and a port inside that range could meanwhile become the
// local end of some outgoing connection (of this machine's other tests).
uint16_t pick_free_port() {
  static thread_local std::mt19937 random{std::random_device{}()};
  int ephemeral_low = 32768;
  if (std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range"); range) range >> ephemeral_low;
  const int low = 10000, high = std::max(low + 1, std::min(ephemeral_low, 65536));
  for (int tries = 0; tries < 1000; ++tries) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error("socket failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port =
        htons(static_cast<uint16_t>(std::uniform_int_distribution<int>(low, high - 1)(random)));
    const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    if (bound) return ntohs(addr.sin_port);
  }
  throw std::runtime_error("no free port below the ephemeral range");
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
    // Taken between pick_free_port() and the server's bind: try another,
    // after a clean stop (a fleet node leaves etcd at once, so its id is
    // free again for the next attempt).
    server->stop(SIGTERM, 5s);
  }
  if (why) *why = "admin port in use on every attempt";
  return false;
}

}  // namespace citadel::test
