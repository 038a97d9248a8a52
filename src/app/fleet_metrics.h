// The fleet membership's metric families for /metrics (listed in
// docs/operations.md); nothing without fleet.etcd.
#pragma once

#include "fleet/membership/membership.h"
#include "ops/admin/metrics_writer.h"

namespace citadel::app {

// Admin thread.
void write_fleet_metrics(ops::admin::MetricsWriter& out, const fleet::Membership& membership);

}  // namespace citadel::app
