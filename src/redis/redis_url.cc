#include "redis/redis_url.h"

#include <charconv>

#include "ops/percent_decode.h"

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

constexpr std::string_view kScheme = "redis://";
constexpr std::string_view kTlsScheme = "rediss://";

// Where the user info ends: the last '@' before the path (a password may
// hold a raw '@' that was not escaped; the host never does).
std::size_t userinfo_end(std::string_view rest) {
  return rest.substr(0, rest.find('/')).rfind('@');
}

}  // namespace

std::optional<RedisUrl> parse_redis_url(std::string_view text, std::string* error) {
  if (text.starts_with(kTlsScheme)) {
    return fail(error,
                "rediss:// (TLS) is not supported: this build's hiredis (0.14, Debian 12) has no "
                "TLS; reach a remote Redis through a local TLS tunnel or a private network (see "
                "docs/operations.md, \"Redis over TLS\")");
  }
  if (!text.starts_with(kScheme)) return fail(error, "must start with redis://");
  std::string_view rest = text.substr(kScheme.size());
  RedisUrl url;
  if (const auto at = userinfo_end(rest); at != std::string_view::npos) {
    const std::string_view info = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const auto colon = info.find(':');
    if (colon == std::string_view::npos) {
      return fail(error, "the user info must be [user]:password (a ':' before the password)");
    }
    auto user = ops::percent_decode(info.substr(0, colon));
    auto password = ops::percent_decode(info.substr(colon + 1));
    if (!user || !password) {
      return fail(error, "the user or password has a '%' not followed by two hex digits");
    }
    if (password->empty()) return fail(error, "the password is empty (leave out the user info)");
    url.user = std::move(*user);
    url.password = std::move(*password);
  }
  std::string_view path;
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    path = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
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

std::string redacted_redis_url(std::string_view text) {
  const std::size_t scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return std::string(text);
  const std::size_t start = scheme_end + 3;
  const std::string_view rest = text.substr(start);
  const auto at = userinfo_end(rest);
  if (at == std::string_view::npos) return std::string(text);
  const std::string_view info = rest.substr(0, at);
  const auto colon = info.find(':');
  // Without a ':' the whole user info may be a password (redis://secret@host).
  const std::string_view user = colon == std::string_view::npos ? "" : info.substr(0, colon);
  std::string out(text.substr(0, start));
  out += user;
  out += ":***@";
  out += rest.substr(at + 1);
  return out;
}

}  // namespace citadel::redis
