// A real etcd for tests: Debian's etcd-server 3.4 (installed by
// scripts/install-deps.sh), a one-member cluster in a temp dir, client and
// peer URLs on free 127.0.0.1 ports. Never a mock: the fleet's etcd client
// (src/fleet/etcd) is tested against it, through the v3 JSON gateway that
// etcd serves on its client port.
//
// Tuned to be ready fast: a 10 ms heartbeat and a 100 ms election timeout,
// so the lone member elects itself in a fraction of a second. etcd 3.4 has
// no --unsafe-no-fsync (3.5 added it), so writes still fsync into the temp
// dir.
//
// The child dies with the test process (PDEATHSIG) and is stopped by PID
// (SIGTERM) when destroyed. stop() and start() restart it on the same ports
// with the same data dir, so keys and revisions survive (what a watch that
// resumes after a restart needs).
//
// Links nothing but the standard library: the readiness check is a plain
// HTTP GET /health over a blocking loopback socket.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>

namespace citadel::test {

class EtcdServer {
 public:
  // Starts the server, waiting until GET /health says {"health":"true"}.
  // Throws std::runtime_error (with the server's log) when it cannot.
  EtcdServer();
  ~EtcdServer();
  EtcdServer(const EtcdServer&) = delete;
  EtcdServer& operator=(const EtcdServer&) = delete;

  // SIGTERM, waiting for the process to exit. Idempotent.
  void stop();
  // Starts the stopped server again on the same ports and data.
  void start();
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  uint16_t client_port() const { return client_port_; }
  uint16_t peer_port() const { return peer_port_; }
  // http://127.0.0.1:CLIENT_PORT
  std::string client_url() const;
  // The last few KiB of the server's output, for failure messages.
  std::string log_tail() const;

 private:
  bool try_start();  // false when a port was taken meanwhile
  bool healthy() const;
  void wait_exit(int timeout_ms);

  std::filesystem::path dir_;
  uint16_t client_port_ = 0;
  uint16_t peer_port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace citadel::test
