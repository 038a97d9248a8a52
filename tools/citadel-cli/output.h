// What citadel-cli prints: each event as one line of text for a person, or,
// with --json, as one JSON object per line for a script. Events come from
// two threads (the command reader and the client's io thread); a mutex keeps
// lines whole.
#pragma once

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

namespace citadel::cli {

// Builds one JSON object: {"event":"pong","rtt_us":85,...}. Strings are
// escaped by ops/json_escape.h; bytes that are not valid UTF-8 become U+FFFD.
class JsonLine {
 public:
  explicit JsonLine(std::string_view event);
  JsonLine& str(std::string_view key, std::string_view value);
  JsonLine& num(std::string_view key, int64_t value);
  JsonLine& boolean(std::string_view key, bool value);
  JsonLine& raw(std::string_view key, std::string_view json);  // value already JSON
  std::string text() const { return text_ + "}"; }

 private:
  void key(std::string_view k);
  std::string text_;
};

// Printable ASCII only (so it can be shown as text beside the hex).
bool is_printable_ascii(std::string_view s);

class Output {
 public:
  Output(std::FILE* stream, bool json) : stream_(stream), json_(json) {}

  bool json() const { return json_; }
  // Prints `json` in --json mode, else `human`; one line, flushed.
  void event(const JsonLine& json, std::string_view human);
  // Prompt and help text: for people only, never in --json mode.
  void prompt(std::string_view text);
  void human_only(std::string_view text);

 private:
  std::mutex mutex_;
  std::FILE* stream_;
  bool json_;
};

}  // namespace citadel::cli
