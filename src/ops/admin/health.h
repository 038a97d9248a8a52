// The /health document: one JSON object a load balancer or a Kubernetes probe
// can read. The HTTP status carries the verdict (200 serving, 503 draining,
// or, with a fleet configured, 503 not_member while the node is not a
// member); the body says why and gives the headline figures.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "net/loop_stats.h"
#include "ops/admin/process_stats.h"

namespace citadel::ops::admin {

struct HealthInputs {
  bool draining = false;
  // Set when a fleet is configured: whether this node is a member (its
  // record on a live lease). false makes the status "not_member" (503).
  std::optional<bool> fleet_member;
  std::string version;
  std::chrono::steady_clock::duration uptime{};
  net::StatsSnapshot stats;
  ProcessStats process;
};

// {"status":"serving","version":"0.1.0","uptime_seconds":12.345,
//  "connections_active":3,"connections_total":10,"frames_in":20,"frames_out":20,
//  "protocol_errors":0,"slow_consumers_dropped":0,"resident_memory_bytes":5550080,
//  "threads":4}
// With a fleet configured, "fleet_member":true|false is added at the end.
std::string health_json(const HealthInputs& in);
// What the status says: draining wins, then a missing membership.
bool health_ok(const HealthInputs& in);

}  // namespace citadel::ops::admin
