#include "app/fleet_metrics.h"

namespace citadel::app {

void write_fleet_metrics(ops::admin::MetricsWriter& out, const fleet::Membership& membership) {
  const fleet::MembershipStats& s = membership.stats();
  out.gauge("citadel_fleet_member",
            "1 while this node's record is in etcd on a lease it renews (a fleet member), else 0.",
            s.member.load() ? 1.0 : 0.0);
  out.family("citadel_fleet_lease_renewals_total", ops::admin::MetricType::kCounter,
             "Renewals of this node's etcd lease, by result.");
  out.sample(s.renewals_ok.load(), {{"result", "ok"}});
  out.sample(s.renewals_failed.load(), {{"result", "failed"}});
  out.counter("citadel_fleet_registrations_total",
              "Times this node registered in the fleet (the first time and after each loss).",
              s.registrations.load());
  out.counter("citadel_fleet_registration_failures_total",
              "Registration attempts that failed (etcd unreachable, or the node id held by "
              "another live node); each is retried with a backoff.",
              s.registration_failures.load());
  out.counter("citadel_fleet_duplicate_id_total",
              "Registration attempts refused because another live node holds this node's id.",
              s.duplicates.load());
  out.counter("citadel_fleet_lease_losses_total",
              "Times this node stopped being a member (lease expired or revoked, not renewed in "
              "time, or its record taken away).",
              s.lease_losses.load());
  out.counter("citadel_fleet_record_updates_total",
              "Rewrites of this node's record with a new load figure.", s.record_updates.load());
  out.counter("citadel_fleet_malformed_records_total",
              "Records under the nodes prefix that were not node records (ignored).",
              s.malformed_records.load());
  out.family("citadel_fleet_nodes", ops::admin::MetricType::kGauge,
             "Live nodes this node sees in the fleet (itself included), by role.");
  for (const auto& [role, count] : membership.nodes_by_role()) {
    out.sample(count, {{"role", role}});
  }
}

}  // namespace citadel::app
