#include "ops/admin/process_stats.h"

#include <sys/resource.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace citadel::ops::admin {
namespace {

// /proc/self/status: "VmRSS:	   12440 kB", "Threads:	3".
void read_status(ProcessStats& s) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const auto value_of = [&](std::string_view key) -> uint64_t {
    return std::strtoull(line.c_str() + key.size(), nullptr, 10);  // skips the blanks
  };
  while (std::getline(in, line)) {
    if (line.starts_with("VmRSS:")) s.resident_memory_bytes = value_of("VmRSS:") * 1024;
    if (line.starts_with("VmSize:")) s.virtual_memory_bytes = value_of("VmSize:") * 1024;
    if (line.starts_with("Threads:")) s.threads = value_of("Threads:");
  }
}

uint64_t count_open_fds() {
  std::error_code ec;
  uint64_t n = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    ++n;
  }
  return n > 0 ? n - 1 : 0;  // the iterator's own descriptor is listed too
}

}  // namespace

ProcessStats read_process_stats(CountOpenFds count) {
  ProcessStats s;
  read_status(s);
  if (count == CountOpenFds::kYes) s.open_fds = count_open_fds();
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) s.max_fds = rl.rlim_cur;
  rusage ru{};
  if (::getrusage(RUSAGE_SELF, &ru) == 0) {
    s.cpu_seconds = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                    static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  }
  return s;
}

}  // namespace citadel::ops::admin
