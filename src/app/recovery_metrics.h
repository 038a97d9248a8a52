// Crash recovery's metric families for /metrics (listed in
// docs/operations.md): what the recovery file took in, and what the start
// brought back from it.
#pragma once

#include "ops/admin/metrics_writer.h"
#include "services/services.h"

namespace citadel::app {

void write_recovery_metrics(ops::admin::MetricsWriter& out, const services::Services& services);

}  // namespace citadel::app
