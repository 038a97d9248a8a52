#include "net/websocket/origin_check.h"

#include <algorithm>

#include "net/websocket/http_syntax.h"

namespace citadel::net::websocket {

namespace {

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// RFC 3986 scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
bool is_scheme(std::string_view s) {
  if (s.empty() || !is_alpha(s[0])) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.';
  });
}

bool is_port(std::string_view s) {
  if (s.empty() || s.size() > 5 || !std::all_of(s.begin(), s.end(), is_digit)) return false;
  return std::stoul(std::string(s)) <= 65535;
}

// A reg-name or IPv4 host: no delimiters, whitespace or control bytes.
bool is_plain_host(std::string_view s) {
  if (s.empty()) return false;
  return std::none_of(s.begin(), s.end(), [](char c) {
    const auto b = static_cast<unsigned char>(c);
    return b <= 0x20 || b == 0x7F || c == '/' || c == '?' || c == '#' || c == '@' || c == ':' ||
           c == '[' || c == ']' || c == '\\';
  });
}

bool is_ipv6_literal(std::string_view s) {
  if (s.size() < 4 || s.front() != '[' || s.back() != ']') return false;
  s = s.substr(1, s.size() - 2);
  return std::all_of(s.begin(), s.end(), [](char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
  });
}

}  // namespace

bool is_valid_origin_entry(std::string_view entry) {
  const std::size_t separator = entry.find("://");
  if (separator == std::string_view::npos || !is_scheme(entry.substr(0, separator))) return false;
  std::string_view authority = entry.substr(separator + 3);
  std::string_view host = authority;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return false;
    host = authority.substr(0, close + 1);
    if (!is_ipv6_literal(host)) return false;
    authority.remove_prefix(close + 1);
  } else {
    const std::size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (!is_plain_host(host)) return false;
    authority.remove_prefix(host.size());
  }
  if (authority.empty()) return true;
  return authority.front() == ':' && is_port(authority.substr(1));
}

bool origin_allowed(std::span<const std::string> allow_list,
                    std::optional<std::string_view> origin) {
  if (allow_list.empty()) return true;
  if (!origin) return false;
  return std::any_of(allow_list.begin(), allow_list.end(), [&](const std::string& entry) {
    return http::equals_ignore_case(entry, *origin);
  });
}

}  // namespace citadel::net::websocket
