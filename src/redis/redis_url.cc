#include "redis/redis_url.h"

#include <charconv>

namespace citadel::redis {
namespace {

std::optional<RedisUrl> fail(std::string* error, std::string why) {
  if (error != nullptr) *error = std::move(why);
  return std::nullopt;
}

bool parse_number(std::string_view text, long max, long& out) {
  if (text.empty() || text.size() > 5) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && out >= 0 && out <= max;
}

}  // namespace

std::optional<RedisUrl> parse_redis_url(std::string_view text, std::string* error) {
  constexpr std::string_view kScheme = "redis://";
  if (!text.starts_with(kScheme)) return fail(error, "must start with redis://");
  std::string_view rest = text.substr(kScheme.size());
  std::string_view path;
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    path = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  RedisUrl url;
  std::string_view host = rest;
  if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    long port = 0;
    if (!parse_number(rest.substr(colon + 1), 65535, port) || port == 0) {
      return fail(error, "the port must be 1 to 65535");
    }
    url.port = static_cast<uint16_t>(port);
  }
  if (host.empty()) return fail(error, "no host");
  for (char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == '_';
    if (!ok) return fail(error, "the host may hold letters, digits, '.', '-' and '_' only");
  }
  url.host = std::string(host);
  if (!path.empty()) {
    long db = 0;
    if (!parse_number(path, 15, db)) return fail(error, "the database must be 0 to 15");
    url.db = static_cast<int>(db);
  }
  return url;
}

}  // namespace citadel::redis
