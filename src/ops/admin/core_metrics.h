// The metric families of the server core and the process, written on each
// scrape from counters the loops already keep (nothing is added to the
// message path). Every family here is listed in docs/operations.md.
#pragma once

#include "net/loop_stats.h"
#include "ops/admin/admin_sources.h"
#include "ops/admin/metrics_writer.h"
#include "ops/admin/process_stats.h"

namespace citadel::ops::admin {

void write_process_metrics(MetricsWriter& out, const AdminSources& sources,
                           const ProcessStats& process);
void write_core_metrics(MetricsWriter& out, const AdminSources& sources,
                        const net::StatsSnapshot& stats, bool draining);

}  // namespace citadel::ops::admin
