#include "ops/admin/health.h"

#include <fmt/format.h>

#include "ops/logging.h"

namespace citadel::ops::admin {

std::string health_json(const HealthInputs& in) {
  spdlog::memory_buf_t out;
  auto it = std::back_inserter(out);
  fmt::format_to(it, "{{\"status\":\"{}\",\"version\":", in.draining ? "draining" : "serving");
  append_json_string(out, in.version);
  const double uptime_s = std::chrono::duration<double>(in.uptime).count();
  fmt::format_to(it,
                 ",\"uptime_seconds\":{:.3f},\"connections_active\":{},\"connections_total\":{},"
                 "\"frames_in\":{},\"frames_out\":{},\"protocol_errors\":{},"
                 "\"slow_consumers_dropped\":{},\"resident_memory_bytes\":{},\"threads\":{}}}\n",
                 uptime_s, in.stats.active_connections, in.stats.connections_opened,
                 in.stats.frames_in, in.stats.frames_out, in.stats.protocol_errors(),
                 in.stats.slow_consumer_disconnects, in.process.resident_memory_bytes,
                 in.process.threads);
  return fmt::to_string(out);
}

}  // namespace citadel::ops::admin
