#include "json_line.h"

#include <cmath>

#include <fmt/format.h>

namespace citadel::bench {

std::string json_quote(std::string_view text) {
  std::string out = "\"";
  for (const char ch : text) {
    const auto u = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        // Server text is untrusted: control bytes must not break the line.
        if (u < 0x20) {
          out += fmt::format("\\u{:04x}", u);
        } else {
          out += ch;
        }
    }
  }
  out += '"';
  return out;
}

JsonLine& JsonLine::add_raw(std::string_view k, std::string_view json_value) {
  key(k);
  body_ += json_value;
  return *this;
}

void JsonLine::key(std::string_view k) {
  if (body_.size() > 1) body_ += ',';
  body_ += json_quote(k);
  body_ += ':';
}

JsonLine& JsonLine::add_unsigned(std::string_view k, uint64_t value) {
  key(k);
  body_ += fmt::format("{}", value);
  return *this;
}

JsonLine& JsonLine::add(std::string_view k, double value, int decimals) {
  key(k);
  body_ += std::isfinite(value) ? fmt::format("{:.{}f}", value, decimals) : "null";
  return *this;
}

JsonLine& JsonLine::add(std::string_view k, std::string_view value) {
  key(k);
  body_ += json_quote(value);
  return *this;
}

JsonLine& JsonLine::add_bool(std::string_view k, bool value) {
  key(k);
  body_ += value ? "true" : "false";
  return *this;
}

JsonLine& JsonLine::add(std::string_view k, std::optional<uint64_t> value) {
  key(k);
  body_ += value ? fmt::format("{}", *value) : "null";
  return *this;
}

}  // namespace citadel::bench

namespace citadel::bench {

JsonLine& JsonLine::add_null(std::string_view k) {
  key(k);
  body_ += "null";
  return *this;
}

}  // namespace citadel::bench
