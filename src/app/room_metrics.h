// The rooms' metric families for /metrics (listed in docs/operations.md).
#pragma once

#include "ops/admin/metrics_writer.h"
#include "rooms/room_stats.h"

namespace citadel::app {

void write_room_metrics(ops::admin::MetricsWriter& out, const rooms::RoomStatsSnapshot& s);

}  // namespace citadel::app
