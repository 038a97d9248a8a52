// The session registry's fleet sink over fleet/sessions (issue 18, docs/fleet.md
// "Sessions across the fleet"): what the registry says (a session started or
// ended here) becomes session records in etcd on the membership's lease, and
// what etcd says (a newer record elsewhere) ends local sessions. It lives in
// the app so that services know nothing of etcd and fleet/sessions nothing
// of services.
//
// Threads: constructed, used and destroyed on the service loop; stats() is
// read by the admin thread (atomics).
#pragma once

#include <memory>
#include <string>

#include "fleet/membership/membership.h"
#include "fleet/sessions/fleet_sessions.h"
#include "ops/admin/metrics_writer.h"
#include "services/session/fleet_session_sink.h"
#include "services/session/session_registry.h"

namespace citadel::app {

class FleetSessionLink final : public services::FleetSessionSink {
 public:
  // Service loop, after membership.start(): reads and watches the records,
  // writes on the current lease and follows the membership's changes, then
  // attaches itself to the registry.
  FleetSessionLink(fleet::Membership& membership, services::SessionRegistry& registry,
                   std::string cluster);

  void started_in_loop(uint64_t user_id, uint64_t session_id, const std::string& username,
                       bool fresh) override;
  void when_recorded_in_loop(uint64_t user_id, uint64_t session_id,
                             std::function<void()> f) override;
  void ended_in_loop(uint64_t user_id, uint64_t session_id) override;
  void resolve_in_loop(uint64_t user_id, uint64_t session_id, const std::string& username,
                       Resolved done) override;

  // The membership's on_change, on the loop thread.
  void on_membership_in_loop(bool member);
  // Before the membership stops (its client goes): stops reading and
  // writing. The counters stay readable.
  void shutdown_in_loop() { sessions_.reset(); }

  const fleet::sessions::FleetSessionStats& stats() const { return stats_; }

 private:
  fleet::Membership& membership_;
  fleet::sessions::FleetSessionStats stats_;
  std::unique_ptr<fleet::sessions::FleetSessions> sessions_;
};

// Its metric families for /metrics (docs/operations.md). Admin thread.
void write_fleet_session_metrics(ops::admin::MetricsWriter& out,
                                 const fleet::sessions::FleetSessionStats& stats);

}  // namespace citadel::app
