#include "server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>

#ifndef CITADEL_SERVER_BIN
#error "CITADEL_SERVER_BIN must be defined to the path of the citadel binary"
#endif

namespace citadel::test {
namespace {

// Poll interval for waits on the child; short so tests stay fast, but every
// wait is also bounded by a deadline.
constexpr auto kPollInterval = 5ms;

std::string make_temp_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/citadel-it-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed: " + std::string(std::strerror(errno)));
  }
  return tmpl;
}

void write_file(const std::string& path, std::string_view contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

ExitStatus decode_status(int st) {
  ExitStatus s;
  if (WIFEXITED(st)) {
    s.exited = true;
    s.code = WEXITSTATUS(st);
  } else if (WIFSIGNALED(st)) {
    s.signal = WTERMSIG(st);
  }
  return s;
}

// fork + exec with stdout/stderr redirected to files. Everything the child
// touches is prepared before fork(), so the child only makes async-signal-safe
// calls (the test process may have threads).
pid_t spawn(const std::vector<std::string>& args, const std::string& stdout_path,
            const std::string& stderr_path, const std::string& work_dir) {
  std::vector<char*> argv;
  std::string bin = server_binary();
  argv.push_back(bin.data());
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);

  const int out_fd = ::open(stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const int err_fd = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (out_fd < 0 || err_fd < 0 || null_fd < 0) {
    throw std::runtime_error("cannot open capture files in " + stdout_path);
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed: " + std::string(std::strerror(errno)));
  if (pid == 0) {
    // Die with the test process, whatever happens to it.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) _exit(126);
    ::dup2(null_fd, STDIN_FILENO);
    ::dup2(out_fd, STDOUT_FILENO);
    ::dup2(err_fd, STDERR_FILENO);
    ::close_range(3, ~0U, 0);  // no test sockets leak into the server
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    // The server keeps its database and token secret in its working
    // directory: one private directory per server, so parallel tests never share them.
    if (::chdir(work_dir.c_str()) != 0) _exit(125);
    ::execv(argv[0], argv.data());
    _exit(127);
  }
  ::close(out_fd);
  ::close(err_fd);
  ::close(null_fd);
  return pid;
}

std::optional<ExitStatus> wait_for(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    int st = 0;
    const pid_t r = ::waitpid(pid, &st, WNOHANG);
    if (r == pid) return decode_status(st);
    if (r < 0 && errno != EINTR) return ExitStatus{};  // not our child any more
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(kPollInterval);
  }
}

}  // namespace

const char* server_binary() {
  return CITADEL_SERVER_BIN;
}

std::string ExitStatus::describe() const {
  if (exited) return "exit code " + std::to_string(code);
  if (signal != 0)
    return "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
  return "unknown status";
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

ServerProcess::ServerProcess(ServerOptions options) : options_(std::move(options)) {
  dir_ = make_temp_dir();
  config_path_ = dir_ + "/citadel.yaml";
  port_path_ = dir_ + "/port";
  stdout_path_ = dir_ + "/stdout.log";
  stderr_path_ = dir_ + "/stderr.log";
}

ServerProcess::~ServerProcess() {
  kill_now();
  if (std::getenv("CITADEL_TEST_KEEP_TMP") == nullptr) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

void ServerProcess::kill_now() {
  if (pid_ > 0 && !exit_) {
    ::kill(pid_, SIGKILL);  // by PID only: never a process we did not start
    exit_ = wait_for(pid_, 10s);
  }
}

bool ServerProcess::start(std::string* why) {
  write_file(config_path_, options_.config_yaml);
  std::vector<std::string> args = {"--config", config_path_,  "--host",   "127.0.0.1",   "--port",
                                   "0",        "--port-file", port_path_, "--log-level", "debug"};
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());

  const auto deadline = Clock::now() + options_.start_timeout;
  for (int attempt = 1;; ++attempt) {
    ::unlink(port_path_.c_str());
    exit_.reset();
    pid_ = spawn(args, stdout_path_, stderr_path_, dir_);
    switch (wait_for_port(deadline, why)) {
      case StartResult::kBound:
        return true;
      case StartResult::kFailed:
        return false;
      case StartResult::kPortsExhausted:
        // Binding port 0 fails with EADDRINUSE only when the machine has no
        // free ephemeral port (e.g. a load generator left ~28k sockets in
        // TIME_WAIT). That is the machine, not the server: retry until the
        // start timeout, saying so.
        std::cout << "[server_process] attempt " << attempt
                  << ": bind to port 0 failed (ephemeral ports exhausted?); retrying\n";
        if (Clock::now() + 250ms >= deadline) {
          if (why)
            *why = "no free ephemeral port for --port 0 within the start timeout; output:\n" +
                   output();
          return false;
        }
        std::this_thread::sleep_for(250ms);
        break;
    }
  }
}

ServerProcess::StartResult ServerProcess::wait_for_port(Clock::time_point deadline,
                                                        std::string* why) {
  for (;;) {
    // The port file is complete once it ends with a newline.
    const std::string text = read_file(port_path_);
    if (!text.empty() && text.back() == '\n') {
      char* end = nullptr;
      const unsigned long p = std::strtoul(text.c_str(), &end, 10);
      if (p == 0 || p > 65535 || end == text.c_str()) {
        if (why) *why = "port file holds '" + text + "'";
        return StartResult::kFailed;
      }
      port_ = static_cast<uint16_t>(p);
      return StartResult::kBound;
    }
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      exit_ = decode_status(st);
      const std::string out = output();
      if (out.find("Address already in use") != std::string::npos)
        return StartResult::kPortsExhausted;
      if (why) *why = "server exited before binding (" + exit_->describe() + "); output:\n" + out;
      return StartResult::kFailed;
    }
    if (Clock::now() >= deadline) {
      if (why)
        *why = "no port file after " + std::to_string(options_.start_timeout.count()) +
               " ms; output:\n" + output();
      return StartResult::kFailed;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

bool ServerProcess::running() {
  if (pid_ <= 0 || exit_) return false;
  int st = 0;
  if (::waitpid(pid_, &st, WNOHANG) == pid_) {
    exit_ = decode_status(st);
    return false;
  }
  return true;
}

std::optional<ExitStatus> ServerProcess::stop(int sig, std::chrono::milliseconds timeout) {
  if (exit_) return exit_;
  if (pid_ <= 0) return std::nullopt;
  ::kill(pid_, sig);
  return wait_exit(timeout);
}

std::optional<ExitStatus> ServerProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (exit_) return exit_;
  if (pid_ <= 0) return std::nullopt;
  exit_ = wait_for(pid_, timeout);
  return exit_;
}

std::string ServerProcess::stdout_text() const {
  return read_file(stdout_path_);
}
std::string ServerProcess::stderr_text() const {
  return read_file(stderr_path_);
}

bool ServerProcess::wait_for_output(std::string_view needle,
                                    std::chrono::milliseconds timeout) const {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (output().find(needle) != std::string::npos) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(kPollInterval);
  }
}

RunResult run_server_to_completion(const std::vector<std::string>& args,
                                   std::chrono::milliseconds timeout) {
  const std::string dir = make_temp_dir();
  const std::string out_path = dir + "/stdout.log";
  const std::string err_path = dir + "/stderr.log";
  RunResult result;
  const pid_t pid = spawn(args, out_path, err_path, dir);
  result.status = wait_for(pid, timeout);
  if (!result.status) {
    ::kill(pid, SIGKILL);
    wait_for(pid, 10s);
  }
  result.stdout_text = read_file(out_path);
  result.stderr_text = read_file(err_path);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return result;
}

TempFile::TempFile(std::string_view contents, std::string_view suffix) {
  std::string tmpl = "/tmp/citadel-it-XXXXXX" + std::string(suffix);
  const int fd = ::mkstemps(tmpl.data(), static_cast<int>(suffix.size()));
  if (fd < 0) throw std::runtime_error("mkstemps failed: " + std::string(std::strerror(errno)));
  ::close(fd);
  path_ = tmpl;
  write_file(path_, contents);
}

TempFile::~TempFile() {
  ::unlink(path_.c_str());
}

}  // namespace citadel::test
