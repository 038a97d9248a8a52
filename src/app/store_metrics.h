// The store's metric families for /metrics (listed in docs/operations.md),
// every sample labelled with the backend (sqlite, postgres).
#pragma once

#include <string_view>

#include "ops/admin/metrics_writer.h"
#include "store/store_stats.h"

namespace citadel::app {

void write_store_metrics(ops::admin::MetricsWriter& out, std::string_view backend,
                         const store::StoreStats& s);

}  // namespace citadel::app
