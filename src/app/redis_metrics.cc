#include "app/redis_metrics.h"

namespace citadel::app {

void write_redis_metrics(ops::admin::MetricsWriter& out, const redis::RedisClientStats& s) {
  constexpr auto kRelaxed = std::memory_order_relaxed;
  out.gauge("citadel_redis_connected",
            "1 while the Redis connection (redis.url) is up and authenticated, else 0.",
            s.connected.load(kRelaxed) ? 1.0 : 0.0);
  out.counter("citadel_redis_connections_total",
              "Redis connections that came up (AUTH accepted, when a password is set).",
              s.connections.load(kRelaxed));
  out.counter("citadel_redis_connect_failures_total",
              "Redis connection attempts that failed (refused, timed out, or AUTH refused); "
              "each is retried with a backoff.",
              s.connect_failures.load(kRelaxed));
  out.counter("citadel_redis_auth_failures_total",
              "Redis connection attempts whose AUTH Redis refused (wrong user or password in "
              "redis.url).",
              s.auth_failures.load(kRelaxed));
}

}  // namespace citadel::app
