#include "child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace citadel::client::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

ExitStatus decode(int st) {
  ExitStatus s;
  if (WIFEXITED(st)) {
    s.exited = true;
    s.code = WEXITSTATUS(st);
  } else if (WIFSIGNALED(st)) {
    s.signal = WTERMSIG(st);
  }
  return s;
}

std::optional<ExitStatus> wait_for(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    int st = 0;
    const pid_t r = ::waitpid(pid, &st, WNOHANG);
    if (r == pid) return decode(st);
    if (r < 0 && errno != EINTR) return ExitStatus{};
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(5ms);
  }
}

// Everything is prepared before fork(): the child only calls
// async-signal-safe functions, then execs.
struct Spawn {
  std::vector<std::string> argv_storage;
  std::vector<std::string> env_storage;
  std::vector<char*> argv;
  std::vector<char*> envp;

  Spawn(const std::string& path, const std::vector<std::string>& args,
        const std::vector<std::string>& env) {
    argv_storage.push_back(path);
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    for (auto& a : argv_storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string_view entry(*e);
      const std::string_view name = entry.substr(0, entry.find('='));
      bool replaced = false;
      for (const auto& o : env) replaced |= o.substr(0, o.find('=')) == name;
      if (!replaced) env_storage.emplace_back(entry);
    }
    env_storage.insert(env_storage.end(), env.begin(), env.end());
    for (auto& e : env_storage) envp.push_back(e.data());
    envp.push_back(nullptr);
  }

  // stdin/stdout/stderr: descriptors to dup2 into the child; cwd may be null.
  pid_t run(int in_fd, int out_fd, int err_fd, const char* cwd) {
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed: " + std::string(std::strerror(errno)));
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) _exit(126);
      ::dup2(in_fd, STDIN_FILENO);
      ::dup2(out_fd, STDOUT_FILENO);
      ::dup2(err_fd, STDERR_FILENO);
      ::close_range(3, ~0U, 0);
      if (cwd != nullptr && ::chdir(cwd) != 0) _exit(125);
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      ::signal(SIGPIPE, SIG_DFL);
      ::execve(argv[0], argv.data(), envp.data());
      _exit(127);
    }
    return pid;
  }
};

void read_available(int& fd, std::string& into) {
  char buf[4096];
  const ssize_t n = ::read(fd, buf, sizeof buf);
  if (n > 0) {
    into.append(buf, static_cast<std::size_t>(n));
  } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
    ::close(fd);
    fd = -1;
  }
}

std::string slurp(const std::string& path) {
  std::string out;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;)
    out.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return out;
}

}  // namespace

ProgramResult run_program(const std::string& path, const std::vector<std::string>& args,
                          std::string_view stdin_text, std::chrono::milliseconds timeout,
                          const std::vector<std::string>& env) {
  // A child that exits before reading all its stdin must not kill the test.
  ::signal(SIGPIPE, SIG_IGN);
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe2 failed");
  }
  Spawn spawn(path, args, env);
  const pid_t pid = spawn.run(in[0], out[1], err[1], nullptr);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  int in_fd = in[1], out_fd = out[0], err_fd = err[0];
  ::fcntl(in_fd, F_SETFL, O_NONBLOCK);

  ProgramResult result;
  std::size_t written = 0;
  if (stdin_text.empty()) {
    ::close(in_fd);
    in_fd = -1;
  }
  const auto deadline = Clock::now() + timeout;
  while (out_fd >= 0 || err_fd >= 0) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    pollfd fds[3] = {{in_fd, POLLOUT, 0}, {out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    if (::poll(fds, 3, static_cast<int>(left.count())) < 0 && errno != EINTR) break;
    if (in_fd >= 0 && (fds[0].revents & (POLLOUT | POLLERR | POLLHUP)) != 0) {
      const ssize_t n = ::write(in_fd, stdin_text.data() + written, stdin_text.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
      if (n < 0 && errno != EAGAIN && errno != EINTR) written = stdin_text.size();
      if (written == stdin_text.size()) {
        ::close(in_fd);
        in_fd = -1;
      }
    }
    if (out_fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      read_available(out_fd, result.out);
    }
    if (err_fd >= 0 && (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      read_available(err_fd, result.err);
    }
  }
  for (int fd : {in_fd, out_fd, err_fd}) {
    if (fd >= 0) ::close(fd);
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  result.status = wait_for(pid, std::max(left, std::chrono::milliseconds(100)));
  if (!result.status) {
    ::kill(pid, SIGKILL);  // by PID: the child this test started
    wait_for(pid, 5s);
  }
  return result;
}

FixedPortServer::FixedPortServer(uint16_t port) : port_(port) {
  std::string tmpl = "/tmp/citadel-client-it-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
}

FixedPortServer::~FixedPortServer() {
  if (pid_ > 0 && !exited_) {
    ::kill(pid_, SIGKILL);
    wait_for(pid_, 10s);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

bool FixedPortServer::start(std::chrono::milliseconds timeout, std::string* why) {
  const std::string port_file = dir_ + "/port";
  Spawn spawn(citadel::test::server_binary(),
              {"--host", "127.0.0.1", "--port", std::to_string(port_), "--port-file", port_file,
               "--log-level", "info"},
              {});
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    ::unlink(port_file.c_str());
    const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const int out_fd =
        ::open((dir_ + "/output.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    pid_ = spawn.run(null_fd, out_fd, out_fd, dir_.c_str());
    exited_ = false;
    ::close(null_fd);
    ::close(out_fd);
    for (;;) {
      const std::string text = slurp(port_file);
      if (!text.empty() && text.back() == '\n') return true;
      int st = 0;
      if (::waitpid(pid_, &st, WNOHANG) == pid_) {
        exited_ = true;
        break;
      }
      if (Clock::now() >= deadline) {
        if (why) *why = "no port file in time; output:\n" + output();
        return false;
      }
      std::this_thread::sleep_for(5ms);
    }
    // The server exited before binding: retry only a busy port.
    if (output().find("Address already in use") == std::string::npos) {
      if (why) *why = "server exited before binding; output:\n" + output();
      return false;
    }
    if (Clock::now() + 100ms >= deadline) {
      if (why) *why = "port " + std::to_string(port_) + " stayed in use; output:\n" + output();
      return false;
    }
    std::this_thread::sleep_for(100ms);
  }
}

std::optional<ExitStatus> FixedPortServer::stop(int sig, std::chrono::milliseconds timeout) {
  if (pid_ <= 0 || exited_) return std::nullopt;
  ::kill(pid_, sig);
  auto status = wait_for(pid_, timeout);
  exited_ = status.has_value();
  return status;
}

std::string FixedPortServer::output() const {
  return slurp(dir_ + "/output.log");
}

}  // namespace citadel::client::test
