// A real Redis server for tests: Debian's redis-server 7 (installed by
// scripts/install-deps.sh), in a temp dir, listening on 127.0.0.1 on a free
// port, no persistence (--save '' --appendonly no). Never a mock: the Redis
// client and the Redis leaderboard backend are tested against it.
//
// The child dies with the test process (PDEATHSIG) and is stopped by PID
// (SIGTERM) when destroyed. stop() and start() restart it on the same port,
// empty (nothing is saved), for the reconnect tests. Redis runs as root
// without complaint, so no privileges are dropped.
//
// One server per test process (shared()); tests that restart it make their
// own. Links hiredis only (its blocking API, for ping and command()), so
// black-box suites may use it too.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace citadel::test {

class RedisServer {
 public:
  struct Options {
    // Appended to the command line, e.g. {"--requirepass", "pw"} or an ACL
    // user {"--user", "alice", "on", ">pw", "~*", "&*", "+@all"}.
    std::vector<std::string> extra_args;
    // How ping() and command() authenticate (AUTH [user] password) when
    // the server needs it; empty password: no AUTH.
    std::string auth_user;
    std::string auth_password;
  };

  // Starts the server, waiting until it answers PING. Throws
  // std::runtime_error (with the server's log) when it cannot.
  RedisServer() : RedisServer(Options{}) {}
  explicit RedisServer(Options options);
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // The process-wide server, started on first use (from the main thread:
  // PDEATHSIG follows the thread that forked), stopped at exit.
  static RedisServer& shared();

  // SIGTERM, waiting for the process to exit. Idempotent.
  void stop();
  // Starts the stopped server again on the same port (empty).
  void start();
  bool running() const { return pid_ > 0; }

  uint16_t port() const { return port_; }
  // redis://127.0.0.1:PORT/DB
  std::string url(int db = 0) const;
  // Runs one command with the blocking client (a fresh connection) and
  // returns the reply as text (integers in decimal, nil as "(nil)", an
  // array's elements joined by '\n'). Throws std::runtime_error on an error
  // reply or when the server cannot be reached.
  std::string command(const std::vector<std::string>& args, int db = 0) const;
  // FLUSHALL: every database emptied (between tests on the shared server).
  void flush_all() const;

 private:
  bool try_start();  // false when the port was taken meanwhile
  bool ping() const;
  void wait_exit(int timeout_ms);
  std::string log_tail() const;

  Options options_;
  std::filesystem::path dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace citadel::test
