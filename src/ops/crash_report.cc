#include "ops/crash_report.h"

#include <execinfo.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <csignal>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <stdexcept>
#include <system_error>

namespace citadel::ops {
namespace {

// Read by the handler; written once at install (before any thread that
// could crash reads it through a signal).
std::array<char, 512> g_directory{};
std::array<char, 64> g_version{};
std::atomic<bool> g_installed{false};

thread_local const char* t_room_type = nullptr;
thread_local const char* t_code_version = nullptr;
thread_local uint64_t t_room_id = 0;

constexpr std::array<int, 5> kSignals = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};

const char* signal_name(int sig) {
  switch (sig) {
    case SIGSEGV:
      return "SIGSEGV";
    case SIGBUS:
      return "SIGBUS";
    case SIGFPE:
      return "SIGFPE";
    case SIGILL:
      return "SIGILL";
    case SIGABRT:
      return "SIGABRT";
    default:
      return "signal";
  }
}

// A fixed buffer filled without allocating (snprintf is not
// async-signal-safe).
class Text {
 public:
  void add(const char* s) {
    while (s != nullptr && *s != '\0' && len_ < buf_.size()) buf_[len_++] = *s++;
  }
  void add(uint64_t v) {
    char digits[24];
    int n = 0;
    do {
      digits[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    while (n > 0 && len_ < buf_.size()) buf_[len_++] = digits[--n];
  }
  const char* c_str() {
    buf_[len_ < buf_.size() ? len_ : buf_.size() - 1] = '\0';
    return buf_.data();
  }
  void write_to(int fd) const {
    std::size_t at = 0;
    while (at < len_) {
      const ssize_t n = ::write(fd, buf_.data() + at, len_ - at);
      if (n <= 0) return;
      at += static_cast<std::size_t>(n);
    }
  }

 private:
  std::array<char, 1024> buf_{};
  std::size_t len_ = 0;
};

void on_fatal_signal(int sig) {
  const int saved_errno = errno;
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  const uint64_t pid = static_cast<uint64_t>(::getpid());
  const uint64_t tid = static_cast<uint64_t>(::syscall(SYS_gettid));

  Text path;
  path.add(g_directory.data());
  path.add("/crash-");
  path.add(static_cast<uint64_t>(now.tv_sec));
  path.add("-");
  path.add(pid);
  path.add("-");
  path.add(tid);
  path.add(".txt");
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

  char thread_name[17] = {};
  ::prctl(PR_GET_NAME, thread_name, 0, 0, 0);
  Text head;
  head.add("citadel crash report\nversion: ");
  head.add(g_version.data());
  head.add("\nsignal: ");
  head.add(static_cast<uint64_t>(sig));
  head.add(" (");
  head.add(signal_name(sig));
  head.add(")\nunix_time: ");
  head.add(static_cast<uint64_t>(now.tv_sec));
  head.add("\npid: ");
  head.add(pid);
  head.add("\nthread: ");
  head.add(thread_name);
  head.add(" (tid ");
  head.add(tid);
  head.add(")\nroom: ");
  if (t_room_type != nullptr) {
    head.add(t_room_type);
    head.add(" ");
    head.add(t_room_id);
    if (t_code_version != nullptr) {
      head.add("\ncode: ");  // "builtin", or the plugin version the room runs
      head.add(t_code_version);
    }
  } else {
    head.add("none");
  }
  head.add("\nbacktrace (addr2line -e <binary> resolves what has no name):\n");

  void* frames[64];
  const int depth = ::backtrace(frames, 64);
  if (fd >= 0) {
    head.write_to(fd);
    ::backtrace_symbols_fd(frames, depth, fd);
    ::close(fd);
  }
  Text note;
  note.add("citadel: fatal signal ");
  note.add(static_cast<uint64_t>(sig));
  note.add(" (");
  note.add(signal_name(sig));
  note.add(fd >= 0 ? "); crash report written to " : "); no crash report (cannot create ");
  note.add(path.c_str());
  note.add(fd >= 0 ? "\n" : ")\n");
  note.write_to(STDERR_FILENO);

  // Die of the same signal, with the default action (a core dump where
  // allowed). The signal is blocked while this handler runs, so it is
  // delivered as soon as the handler returns.
  ::signal(sig, SIG_DFL);
  errno = saved_errno;
  ::raise(sig);
}

}  // namespace

void install_crash_reporter(const std::string& directory, const std::string& version) {
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) {
    throw std::runtime_error("crash.directory " + directory + ": " + ec.message());
  }
  const std::string absolute = std::filesystem::absolute(directory, ec).string();
  if (ec || absolute.size() >= g_directory.size() - 64) {
    throw std::runtime_error("crash.directory " + directory + ": path too long");
  }
  if (g_installed.exchange(true)) return;
  std::memcpy(g_directory.data(), absolute.data(), absolute.size());
  std::strncpy(g_version.data(), version.c_str(), g_version.size() - 1);
  // The first backtrace() loads libgcc's unwinder, which allocates: do it
  // now, not in the handler.
  void* warm[4];
  ::backtrace(warm, 4);
  struct sigaction action {};
  action.sa_handler = on_fatal_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESETHAND;
  for (const int sig : kSignals) ::sigaction(sig, &action, nullptr);
}

CrashReportFound find_crash_reports(const std::string& directory) {
  CrashReportFound found;
  std::error_code ec;
  std::filesystem::file_time_type newest{};
  for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with("crash-") || !name.ends_with(".txt")) continue;
    ++found.count;
    const auto when = entry.last_write_time(ec);
    if (found.newest.empty() || when > newest) {
      newest = when;
      found.newest = entry.path().string();
    }
  }
  return found;
}

CrashContextScope::CrashContextScope(const char* room_type, uint64_t room_id,
                                     const char* code_version)
    : previous_type_(t_room_type), previous_id_(t_room_id), previous_version_(t_code_version) {
  t_room_type = room_type;
  t_room_id = room_id;
  t_code_version = code_version;
}

CrashContextScope::~CrashContextScope() {
  t_room_type = previous_type_;
  t_room_id = previous_id_;
  t_code_version = previous_version_;
}

}  // namespace citadel::ops
