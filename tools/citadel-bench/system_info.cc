#include "system_info.h"

#include <netdb.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include <fmt/format.h>

namespace citadel::bench {

uint64_t raise_fd_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur == RLIM_INFINITY ? UINT64_MAX : static_cast<uint64_t>(limit.rlim_cur);
}

std::optional<sockaddr_in> resolve_ipv4(const std::string& host, uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0 || found == nullptr) {
    return std::nullopt;
  }
  const std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owner(found, &::freeaddrinfo);
  sockaddr_in addr{};
  std::memcpy(&addr, found->ai_addr, sizeof addr);
  addr.sin_port = htons(port);
  return addr;
}

std::optional<uint64_t> read_vm_rss_kb(int pid) {
  std::ifstream status(fmt::format("/proc/{}/status", pid));
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      uint64_t kb = 0;
      if (status >> kb) return kb;
      return std::nullopt;
    }
    status.ignore(4096, '\n');
  }
  return std::nullopt;
}

std::optional<double> read_cpu_seconds(int pid) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string stat;
  if (!std::getline(in, stat)) return std::nullopt;
  // The command name (field 2) may hold spaces and parentheses: skip past its last ')'.
  const std::size_t close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(close + 1));
  std::string skip;
  for (int field = 3; field <= 13; ++field) fields >> skip;  // state .. cmajflt
  uint64_t utime = 0, stime = 0;
  if (!(fields >> utime >> stime)) return std::nullopt;
  const long ticks = ::sysconf(_SC_CLK_TCK);
  return static_cast<double>(utime + stime) / static_cast<double>(ticks > 0 ? ticks : 100);
}

double own_cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(ru.ru_utime) + seconds(ru.ru_stime);
}

std::vector<std::optional<double>> read_cpu_seconds(const std::vector<int>& pids) {
  std::vector<std::optional<double>> out;
  out.reserve(pids.size());
  for (const int pid : pids) out.push_back(read_cpu_seconds(pid));
  return out;
}

std::vector<std::optional<double>> cpu_seconds_between(
    const std::vector<std::optional<double>>& before,
    const std::vector<std::optional<double>>& after) {
  std::vector<std::optional<double>> out(std::max(before.size(), after.size()));
  for (std::size_t i = 0; i < before.size() && i < after.size(); ++i) {
    if (before[i] && after[i]) out[i] = *after[i] - *before[i];
  }
  return out;
}

std::string cpu_seconds_json(const std::vector<std::optional<double>>& seconds) {
  std::string out = "[";
  for (std::size_t i = 0; i < seconds.size(); ++i) {
    if (i > 0) out += ',';
    out += seconds[i] ? fmt::format("{:.3f}", *seconds[i]) : std::string("null");
  }
  return out + "]";
}

}  // namespace citadel::bench
