#include "output.h"

#include "ops/json_escape.h"

namespace citadel::cli {

bool is_printable_ascii(std::string_view s) {
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7F) return false;
  }
  return true;
}

JsonLine::JsonLine(std::string_view event) {
  text_ = "{\"event\":";
  ops::append_json_quoted(text_, event);
}

void JsonLine::key(std::string_view k) {
  text_.push_back(',');
  ops::append_json_quoted(text_, k);
  text_.push_back(':');
}

JsonLine& JsonLine::str(std::string_view k, std::string_view value) {
  key(k);
  ops::append_json_quoted(text_, value);
  return *this;
}

JsonLine& JsonLine::num(std::string_view k, int64_t value) {
  key(k);
  text_ += std::to_string(value);
  return *this;
}

JsonLine& JsonLine::boolean(std::string_view k, bool value) {
  key(k);
  text_ += value ? "true" : "false";
  return *this;
}

JsonLine& JsonLine::raw(std::string_view k, std::string_view json) {
  key(k);
  text_.append(json);
  return *this;
}

void Output::event(const JsonLine& json, std::string_view human) {
  const std::string line = json_ ? json.text() : std::string(human);
  std::lock_guard lock(mutex_);
  std::fwrite(line.data(), 1, line.size(), stream_);
  std::fputc('\n', stream_);
  std::fflush(stream_);
}

void Output::prompt(std::string_view text) {
  if (json_) return;
  std::lock_guard lock(mutex_);
  std::fwrite(text.data(), 1, text.size(), stream_);
  std::fflush(stream_);
}

void Output::human_only(std::string_view text) {
  if (json_) return;
  std::lock_guard lock(mutex_);
  std::fwrite(text.data(), 1, text.size(), stream_);
  std::fputc('\n', stream_);
  std::fflush(stream_);
}

}  // namespace citadel::cli
