#include "app/fleet_session_link.h"

#include "ops/admin/metrics_writer.h"

namespace citadel::app {

FleetSessionLink::FleetSessionLink(fleet::Membership& membership,
                                   services::SessionRegistry& registry, std::string cluster)
    : membership_(membership) {
  fleet::sessions::FleetSessions::Options options;
  options.cluster = std::move(cluster);
  options.node_id = membership.node_id();
  sessions_ = std::make_unique<fleet::sessions::FleetSessions>(
      membership.client_in_loop(), std::move(options),
      [&registry](uint64_t user_id, uint64_t session_id, bool by_resume) {
        registry.evict_in_loop(user_id, session_id, by_resume);
      },
      stats_);
  sessions_->set_lease(membership.is_member() ? membership.lease_in_loop() : 0);
  sessions_->start();
  registry.set_fleet_in_loop(*this);
}

void FleetSessionLink::started_in_loop(uint64_t user_id, uint64_t session_id,
                                       const std::string& username, bool fresh) {
  if (sessions_) sessions_->started(user_id, session_id, username, fresh);
}

void FleetSessionLink::when_recorded_in_loop(uint64_t user_id, uint64_t session_id,
                                             std::function<void()> f) {
  if (!sessions_) return f();
  sessions_->when_recorded(user_id, session_id, std::move(f));
}

void FleetSessionLink::ended_in_loop(uint64_t user_id, uint64_t session_id) {
  if (sessions_) sessions_->ended(user_id, session_id);
}

void FleetSessionLink::resolve_in_loop(uint64_t user_id, uint64_t session_id,
                                       const std::string& username, Resolved done) {
  using V = fleet::sessions::FleetSessions::Verdict;
  if (!sessions_) return done(Verdict::kUnavailable);
  sessions_->resolve(user_id, session_id, username, [done = std::move(done)](V v) {
    switch (v) {
      case V::kAdopt:
        return done(Verdict::kAdopt);
      case V::kReplaced:
        return done(Verdict::kReplaced);
      case V::kEnded:
        return done(Verdict::kEnded);
      case V::kUnavailable:
        return done(Verdict::kUnavailable);
    }
  });
}

void FleetSessionLink::on_membership_in_loop(bool member) {
  // A new lease after a loss: the records are written again on it.
  if (sessions_) sessions_->set_lease(member ? membership_.lease_in_loop() : 0);
}

}  // namespace citadel::app

namespace citadel::app {

void write_fleet_session_metrics(ops::admin::MetricsWriter& out,
                                 const fleet::sessions::FleetSessionStats& s) {
  out.gauge("citadel_fleet_session_local_users",
            "Users whose live session this node holds (and records in etcd).",
            static_cast<double>(s.local.load()));
  out.counter("citadel_fleet_session_records_written_total",
              "Session records this node wrote in etcd (logins, rewrites, resumes taken over).",
              s.records_written.load());
  out.counter("citadel_fleet_session_login_batches_total",
              "etcd transactions sent with fresh logins' session records (up to 64 each).",
              s.fresh_batches.load());
  out.counter("citadel_fleet_session_record_write_failures_total",
              "Session record writes that failed (etcd unreachable, lease gone); each is retried.",
              s.write_failures.load());
  out.counter("citadel_fleet_session_tombstones_total",
              "Sessions that ended here (logout, grace passed) and left a tombstone record.",
              s.tombstones.load());
  out.family("citadel_fleet_session_takeovers_total", ops::admin::MetricType::kCounter,
             "Local sessions ended because another node took the user, by how.");
  out.sample(s.evicted_by_login.load(), {{"by", "login"}});
  out.sample(s.evicted_by_resume.load(), {{"by", "resume"}});
  out.family("citadel_fleet_session_remote_resumes_total", ops::admin::MetricType::kCounter,
             "Resumes of sessions this node did not hold, by outcome.");
  out.sample(s.resumes_taken_over.load(), {{"result", "taken_over"}});
  out.sample(s.resumes_adopted.load(), {{"result", "adopted"}});
  out.sample(s.resumes_refused.load(), {{"result", "refused"}});
  out.sample(s.resumes_unavailable.load(), {{"result", "unavailable"}});
  out.counter("citadel_fleet_session_resume_rereads_total",
              "Remote resumes whose record write lost its compare (the record changed after "
              "the read, e.g. its holder's lease revoked) and read the record again.",
              s.resume_rereads.load());
}

}  // namespace citadel::app
