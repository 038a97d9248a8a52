// For the smoke tests: runs the real citadel-bench (bounded by timeout(1))
// and keeps the last JSON line it printed. stderr goes to the test's own
// output, which helps when a case fails.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace citadel::bench {

struct BenchRun {
  int exit_code = -1;
  std::string json;  // the last line that starts with '{'
};

inline BenchRun run_bench(const std::vector<std::string>& args, int timeout_s) {
  std::string cmd = "timeout -k 5 " + std::to_string(timeout_s) + " " CITADEL_BENCH_BIN;
  for (const std::string& a : args) cmd += " '" + a + "'";
  BenchRun run;
  std::FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return run;
  std::string out;
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), static_cast<int>(buf.size()), pipe) != nullptr) out += buf.data();
  const int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::size_t at = 0;
  while (at < out.size()) {
    const std::size_t end = out.find('\n', at);
    const std::string line = out.substr(at, end == std::string::npos ? end : end - at);
    if (line.starts_with("{")) run.json = line;
    if (end == std::string::npos) break;
    at = end + 1;
  }
  return run;
}

inline bool has(const std::string& json, const std::string& field) {
  return json.find(field) != std::string::npos;
}

// The number after "name": in a report's JSON line; -1 when it is not there.
inline double json_number(const std::string& json, const std::string& name) {
  const std::string key = "\"" + name + "\":";
  const std::size_t at = json.find(key);
  if (at == std::string::npos) return -1;
  return std::strtod(json.c_str() + at + key.size(), nullptr);
}

}  // namespace citadel::bench
