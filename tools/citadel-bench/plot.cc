#include "plot.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "net/unique_fd.h"

extern char** environ;

namespace citadel::bench {

using net::UniqueFd;
namespace {

// gnuplot's single-quoted strings take '' for a quote and nothing else special.
std::string gnuplot_quote(std::string_view s) {
  std::string out = "'";
  for (const char c : s) {
    out.push_back(c);
    if (c == '\'') out.push_back('\'');
  }
  out.push_back('\'');
  return out;
}

std::string make_script(const std::string& csv, const std::string& png, std::string_view title) {
  const std::string data = gnuplot_quote(csv);
  return fmt::format(
      "set terminal pngcairo size 1000,720 font 'sans,10'\n"
      "set output {png}\n"
      "set datafile separator ','\n"
      "set grid\n"
      "set key top left\n"
      "set multiplot layout 2,1 title {title}\n"
      "set ylabel 'requests/s'\n"
      "set yrange [0:*]\n"
      "plot {data} skip 1 using 1:3 with linespoints lw 2 pt 7 ps 0.5 title 'requests/s'\n"
      "set xlabel 'second'\n"
      "set ylabel 'latency (us)'\n"
      "plot {data} skip 1 using 1:4 with linespoints lw 2 pt 7 ps 0.5 title 'p50', \\\n"
      "     {data} skip 1 using 1:5 with linespoints lw 2 pt 7 ps 0.5 title 'p99'\n"
      "unset multiplot\n"
      "set output\n",
      fmt::arg("png", gnuplot_quote(png)), fmt::arg("title", gnuplot_quote(title)),
      fmt::arg("data", data));
}

// Waits for `pid` until `deadline`, reading its stderr pipe meanwhile (so a
// chatty child cannot block on a full pipe). Returns the exit status, or
// nullopt on timeout (the child is then killed).
std::optional<int> collect(pid_t pid, int err_fd, std::chrono::steady_clock::time_point deadline,
                           std::string& err_text) {
  constexpr std::size_t kMaxErrorBytes = 4096;  // enough to say what went wrong
  bool open = true;
  while (open) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{err_fd, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    char buf[1024];
    const ssize_t n = ::read(err_fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      open = false;
    } else if (err_text.size() < kMaxErrorBytes) {
      err_text.append(buf, static_cast<std::size_t>(n));
    }
  }
  int status = 0;
  if (open) {  // timed out: by PID, the child we started
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    return std::nullopt;
  }
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

}  // namespace

std::optional<std::string> find_gnuplot() {
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/usr/bin:/bin";
  while (!dirs.empty()) {
    const std::size_t colon = dirs.find(':');
    const std::string_view dir = dirs.substr(0, colon);
    dirs = colon == std::string_view::npos ? std::string_view() : dirs.substr(colon + 1);
    // An empty PATH entry means the current directory.
    const std::filesystem::path candidate =
        std::filesystem::path(dir.empty() ? std::string_view(".") : dir) / "gnuplot";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return std::nullopt;
}

std::string plot_csv(const std::string& gnuplot, const std::string& csv_path,
                     const std::string& png_path, std::string_view title,
                     std::chrono::seconds timeout) {
  // The script goes in on stdin; stderr comes back through a pipe.
  int script_pipe[2];
  int err_pipe[2];
  if (::pipe2(script_pipe, O_CLOEXEC) != 0) return fmt::format("pipe: {}", std::strerror(errno));
  UniqueFd script_read(script_pipe[0]), script_write(script_pipe[1]);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) return fmt::format("pipe: {}", std::strerror(errno));
  UniqueFd err_read(err_pipe[0]), err_write(err_pipe[1]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, script_read.get(), STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_write.get(), STDERR_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_write.get(), STDOUT_FILENO);
  std::vector<char*> argv = {const_cast<char*>(gnuplot.c_str()), nullptr};
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, gnuplot.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return fmt::format("cannot run {}: {}", gnuplot, std::strerror(rc));
  script_read.reset();
  err_write.reset();

  // A few hundred bytes: fits the pipe buffer, so this write does not block.
  const std::string script = make_script(csv_path, png_path, title);
  const ssize_t written = ::write(script_write.get(), script.data(), script.size());
  script_write.reset();  // EOF: gnuplot runs the script and exits

  std::string err_text;
  const std::optional<int> status =
      collect(pid, err_read.get(), std::chrono::steady_clock::now() + timeout, err_text);
  if (!status) return fmt::format("gnuplot did not finish within {} s", timeout.count());
  if (written != static_cast<ssize_t>(script.size())) return "could not send the script to gnuplot";
  if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
    return fmt::format("gnuplot failed (status {}): {}", *status, err_text);
  }
  if (::access(png_path.c_str(), F_OK) != 0) {
    return fmt::format("gnuplot wrote no {}: {}", png_path, err_text);
  }
  return "";
}

TempCsv::TempCsv() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl =
      std::string(base != nullptr && *base != 0 ? base : "/tmp") + "/citadel-bench-XXXXXX.csv";
  const int fd = ::mkstemps(tmpl.data(), 4);
  if (fd < 0)
    throw std::runtime_error("cannot create a temp CSV for --plot: " +
                             std::string(std::strerror(errno)));
  ::close(fd);
  path_ = tmpl;
}

TempCsv::~TempCsv() {
  ::unlink(path_.c_str());
}

}  // namespace citadel::bench
