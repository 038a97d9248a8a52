// The `redis.url` setting: redis://[[user]:password@]host[:port][/db].
// Parsed and checked at start. The user and password are percent-decoded
// (a ':' '@' or '/' in a password is written %3A %40 %2F). rediss:// (TLS)
// is refused: Debian 12's hiredis (0.14) has no TLS (docs/operations.md,
// "Redis over TLS", says how to reach a remote Redis safely instead).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace citadel::redis {

struct RedisUrl {
  std::string host;      // a name or an IPv4 address, as hiredis resolves it
  uint16_t port = 6379;  // 1..65535; 6379 when the URL gives none
  int db = 0;            // 0..15 (Redis's default databases)
  // AUTH on every connection when password is set: `AUTH password`, or
  // `AUTH user password` (an ACL user, Redis 6+) when user is set too.
  std::string user;
  std::string password;  // empty: no AUTH

  bool operator==(const RedisUrl&) const = default;
};

// nullopt with `error` set (why) for anything but
// redis://[[user]:password@]host[:port][/db]. The error never holds the
// password.
std::optional<RedisUrl> parse_redis_url(std::string_view text, std::string* error = nullptr);

// The URL with its password replaced by "***", for logs and messages.
std::string redacted_redis_url(std::string_view text);

}  // namespace citadel::redis
