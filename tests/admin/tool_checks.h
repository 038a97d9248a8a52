// Checks of admin output by the real tools that will read it: promtool
// (Debian's prometheus package) for the metrics text, google-pprof (Debian's
// google-perftools) for CPU profiles, and a JSON parser for /health and JSON
// log lines. A missing tool makes its test skip, saying so.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace citadel::test {

struct ToolRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Path of `name` on PATH, or nullopt.
std::optional<std::string> find_tool(std::string_view name);
// Runs a shell command (bounded by `timeout`), capturing its output.
ToolRun run_tool(const std::string& command);

// `promtool check metrics` over `text`.
ToolRun promtool_check_metrics(const std::string& promtool, std::string_view text);

// Writes `bytes` to a new temp file; returns its path.
std::string write_temp_file(std::string_view bytes, std::string_view suffix);

// True if `text` is one valid JSON object; `why` gets the parser's complaint.
bool is_json_object(std::string_view text, std::string* why = nullptr);
// Member `key` of the JSON object `text` as text ("serving", "12"), or
// nullopt if the text is not an object or lacks the key.
std::optional<std::string> json_member(std::string_view text, std::string_view key);

}  // namespace citadel::test
