// Boost.JSON, header-only (Debian ships no compiled library for it): this is
// the one translation unit of each test binary that compiles its sources.
#include <boost/json/src.hpp>

#include "tool_checks.h"

namespace citadel::test {

bool is_json_object(std::string_view text, std::string* why) {
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(text, ec);
  if (ec) {
    if (why) *why = ec.message();
    return false;
  }
  if (!v.is_object()) {
    if (why) *why = "not an object";
    return false;
  }
  return true;
}

std::optional<std::string> json_member(std::string_view text, std::string_view key) {
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const boost::json::value* m = v.as_object().if_contains(key);
  if (m == nullptr) return std::nullopt;
  if (m->is_string()) return std::string(m->as_string());
  return boost::json::serialize(*m);
}

}  // namespace citadel::test
