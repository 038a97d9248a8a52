// The `redis.url` setting: redis://host:port[/db]. Parsed and checked at
// start; nothing else (no password, no TLS, no query) is accepted yet.
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

  bool operator==(const RedisUrl&) const = default;
};

// nullopt with `error` set (why) for anything but redis://host[:port][/db].
std::optional<RedisUrl> parse_redis_url(std::string_view text, std::string* error = nullptr);

}  // namespace citadel::redis
