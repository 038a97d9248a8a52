// Runs the real `citadel` binary as a child process for black-box tests.
//
// Each ServerProcess gets its own temp directory holding the YAML config, the
// port file and the captured stdout/stderr. The server is started with
//   --config FILE --host 127.0.0.1 --port 0 --port-file FILE --log-level debug
// and start() polls (bounded) until the port file holds a whole line. The
// destructor SIGKILLs the child by PID if it is still running, so a failing
// test never leaves a server behind; PR_SET_PDEATHSIG covers a crashing test.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace citadel::test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Path of the server under test (compile definition set by tests/CMakeLists.txt).
const char* server_binary();

// How a child ended: a normal exit (code) or a signal.
struct ExitStatus {
  bool exited = false;  // true: exited normally with `code`
  int code = -1;
  int signal = 0;  // set when killed by a signal
  std::string describe() const;
};

struct ServerOptions {
  // Written verbatim to the config file passed with --config.
  std::string config_yaml;
  // Appended after the standard flags (later flags win in most CLIs).
  std::vector<std::string> extra_args;
  std::chrono::milliseconds start_timeout = 10s;
};

class ServerProcess {
 public:
  explicit ServerProcess(ServerOptions options = {});
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Forks and execs the server, then waits for the port file. Returns false
  // (with a reason in *why, including the captured output) if the server
  // exits or does not bind within start_timeout. A bind to port 0 failing
  // with EADDRINUSE (no free ephemeral port on the machine) is retried.
  bool start(std::string* why);

  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  // The config file passed with --config (a test may rewrite it, then reload).
  const std::string& config_path() const { return config_path_; }
  bool running();

  // Sends `sig` (SIGTERM by default) and waits up to `timeout` for the exit.
  // nullopt if it is still running when the time is up.
  std::optional<ExitStatus> stop(int sig, std::chrono::milliseconds timeout);
  // Waits up to `timeout` for the child to exit on its own.
  std::optional<ExitStatus> wait_exit(std::chrono::milliseconds timeout);

  // Captured output so far.
  std::string stdout_text() const;
  std::string stderr_text() const;
  std::string output() const { return stdout_text() + stderr_text(); }
  // Polls the captured output (both streams) for `needle`, bounded.
  bool wait_for_output(std::string_view needle, std::chrono::milliseconds timeout) const;

  const std::string& dir() const { return dir_; }

 private:
  enum class StartResult { kBound, kFailed, kPortsExhausted };
  StartResult wait_for_port(Clock::time_point deadline, std::string* why);
  void kill_now();

  ServerOptions options_;
  std::string dir_;
  std::string config_path_, port_path_, stdout_path_, stderr_path_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::optional<ExitStatus> exit_;
};

// Runs the server binary with `args` to completion (for --print-config,
// --version, bad configs). Output is captured separately per stream.
struct RunResult {
  std::optional<ExitStatus> status;  // nullopt: timed out (and was killed)
  std::string stdout_text;
  std::string stderr_text;
};
RunResult run_server_to_completion(const std::vector<std::string>& args,
                                   std::chrono::milliseconds timeout = 10s);

// A temp file that is removed again on destruction.
class TempFile {
 public:
  explicit TempFile(std::string_view contents, std::string_view suffix = ".yaml");
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string read_file(const std::string& path);

}  // namespace citadel::test
