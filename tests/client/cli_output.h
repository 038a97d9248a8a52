// Reading citadel-cli's --json output in tests: its lines, the lines of one
// event, and fields of a line. Deliberately naive (substring search): the
// CLI writes each object on one line with fields in a fixed order.
#pragma once

#include <sstream>
#include <string>
#include <vector>

namespace citadel::client::test {

// The citadel-cli binary under test (its path comes from CMake).
inline const std::string kCli = CITADEL_CLI_BIN;

inline std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The lines whose "event" is `event`.
inline std::vector<std::string> events(const std::string& out, const std::string& event) {
  std::vector<std::string> found;
  for (const std::string& l : lines(out)) {
    if (l.rfind("{\"event\":\"" + event + "\"", 0) == 0) found.push_back(l);
  }
  return found;
}

// The unsigned number after "key": in a JSON line, or -1.
inline long long number_field(const std::string& line, const std::string& key) {
  const std::string needle = "\"" + key + "\":";
  const std::size_t at = line.find(needle);
  if (at == std::string::npos) return -1;
  return std::stoll(line.substr(at + needle.size()));
}

// Whether the line has "key":"value" (a string field).
inline bool has_string(const std::string& line, const std::string& key, const std::string& value) {
  return line.find("\"" + key + "\":\"" + value + "\"") != std::string::npos;
}

}  // namespace citadel::client::test
