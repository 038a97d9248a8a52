// Child processes for the black-box client tests: run a tool to completion
// with given stdin (citadel-cli, citadel-bench), or keep a server running on
// a port the test chooses (to restart it on the same port).
// Every wait is bounded; children are killed by PID and die with the test.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server_process.h"

namespace citadel::client::test {

using citadel::test::ExitStatus;

struct ProgramResult {
  std::optional<ExitStatus> status;  // nullopt: timed out (and was killed)
  std::string out;
  std::string err;
};

// Runs path with args, writes stdin_text to its stdin then closes it, and
// collects stdout and stderr until it exits or `timeout` passes. `env` holds
// NAME=VALUE entries that replace or add to the test's environment.
ProgramResult run_program(const std::string& path, const std::vector<std::string>& args,
                          std::string_view stdin_text, std::chrono::milliseconds timeout,
                          const std::vector<std::string>& env = {});

// The real server on a fixed port (ServerProcess always binds port 0).
class FixedPortServer {
 public:
  explicit FixedPortServer(uint16_t port);
  ~FixedPortServer();
  FixedPortServer(const FixedPortServer&) = delete;
  FixedPortServer& operator=(const FixedPortServer&) = delete;

  // Starts the server and waits for its port file. A start that fails with
  // "Address already in use" is retried until `timeout`.
  bool start(std::chrono::milliseconds timeout, std::string* why);
  std::optional<ExitStatus> stop(int sig, std::chrono::milliseconds timeout);
  std::string output() const;

 private:
  uint16_t port_;
  std::string dir_;
  pid_t pid_ = -1;
  bool exited_ = false;
};

}  // namespace citadel::client::test
