#include "app/recovery_metrics.h"

namespace citadel::app {

void write_recovery_metrics(ops::admin::MetricsWriter& out, const services::Services& services) {
  out.gauge("citadel_recovery_sessions_restored",
            "Sessions brought back from the recovery file at start.",
            static_cast<double>(services.sessions_restored()));
  out.gauge("citadel_recovery_rooms_restored", "Rooms brought back from their snapshots at start.",
            static_cast<double>(services.rooms_restored()));
  const store::RecoveryStore* recovery = services.recovery();
  if (recovery == nullptr) return;
  const store::RecoveryStats s = recovery->stats();
  out.counter("citadel_recovery_commits_total", "Transactions committed to the recovery file.",
              s.commits);
  out.counter("citadel_recovery_session_writes_total",
              "Session records written (put or erased) to the recovery file.", s.sessions_written);
  out.counter("citadel_recovery_room_snapshots_written_total",
              "Room snapshots committed to the recovery file (a newer snapshot of the same room "
              "replaces one still waiting).",
              s.room_snapshots_written);
  out.counter("citadel_recovery_write_failures_total",
              "Recovery-file transactions that failed (logged); their records are lost.",
              s.failures);
}

}  // namespace citadel::app
