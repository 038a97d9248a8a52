// The Redis connection's metric families for /metrics (listed in
// docs/operations.md); nothing without redis.url.
#pragma once

#include "ops/admin/metrics_writer.h"
#include "redis/redis_client.h"

namespace citadel::app {

void write_redis_metrics(ops::admin::MetricsWriter& out, const redis::RedisClientStats& s);

}  // namespace citadel::app
