// Builds the one JSON object the bench prints on stdout, field by field, in
// the order given (scripts read it; humans diff it).
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace citadel::bench {

class JsonLine {
 public:
  // Any unsigned integer (a template, so uint32_t is not ambiguous with double).
  template <std::unsigned_integral T>
  JsonLine& add(std::string_view key, T value) {
    return add_unsigned(key, value);
  }
  // Fixed-point with `decimals` digits; non-finite values become null.
  JsonLine& add(std::string_view key, double value, int decimals = 1);
  JsonLine& add(std::string_view key, std::string_view value);
  // Named apart: a string literal would otherwise pick a bool overload.
  JsonLine& add_bool(std::string_view key, bool value);
  // null when empty.
  JsonLine& add(std::string_view key, std::optional<uint64_t> value);
  JsonLine& add_null(std::string_view key);
  // A value that is already JSON (a nested object such as {"ServerBusy":3});
  // the caller guarantees it is well formed.
  JsonLine& add_raw(std::string_view key, std::string_view json_value);

  // The finished object, without a newline.
  std::string str() const { return body_ + "}"; }

 private:
  void key(std::string_view k);
  JsonLine& add_unsigned(std::string_view key, uint64_t value);

  std::string body_ = "{";
};

// `text` as a JSON string literal, quotes included.
std::string json_quote(std::string_view text);

}  // namespace citadel::bench
