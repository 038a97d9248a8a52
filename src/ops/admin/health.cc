#include "ops/admin/health.h"

#include <fmt/format.h>

#include "ops/logging.h"

namespace citadel::ops::admin {

bool health_ok(const HealthInputs& in) {
  return !in.draining && in.fleet_member.value_or(true);
}

std::string health_json(const HealthInputs& in) {
  spdlog::memory_buf_t out;
  auto it = std::back_inserter(out);
  const char* status = in.draining                       ? "draining"
                       : !in.fleet_member.value_or(true) ? "not_member"
                                                         : "serving";
  fmt::format_to(it, "{{\"status\":\"{}\",\"version\":", status);
  append_json_string(out, in.version);
  const double uptime_s = std::chrono::duration<double>(in.uptime).count();
  fmt::format_to(it,
                 ",\"uptime_seconds\":{:.3f},\"connections_active\":{},\"connections_total\":{},"
                 "\"frames_in\":{},\"frames_out\":{},\"protocol_errors\":{},"
                 "\"slow_consumers_dropped\":{},\"resident_memory_bytes\":{},\"threads\":{}",
                 uptime_s, in.stats.active_connections, in.stats.connections_opened,
                 in.stats.frames_in, in.stats.frames_out, in.stats.protocol_errors(),
                 in.stats.slow_consumer_disconnects, in.process.resident_memory_bytes,
                 in.process.threads);
  if (in.fleet_member) fmt::format_to(it, ",\"fleet_member\":{}", *in.fleet_member);
  fmt::format_to(it, "}}\n");
  return fmt::to_string(out);
}

}  // namespace citadel::ops::admin
