#include "app/store_metrics.h"

#include <cstddef>

namespace citadel::app {
namespace {

// The store keeps its own histogram (it includes nothing of ops); the bounds
// must be the ones /metrics writes.
static_assert(store::LatencyHistogram::kBoundsNs == ops::DurationHistogram::kBoundsNs);

ops::DurationHistogram::Snapshot to_ops(const store::LatencyHistogram::Snapshot& s) {
  ops::DurationHistogram::Snapshot out;
  for (std::size_t i = 0; i < out.counts.size(); ++i) out.counts[i] = s.counts[i];
  out.sum_ns = s.sum_ns;
  return out;
}

}  // namespace

void write_store_metrics(ops::admin::MetricsWriter& out, std::string_view backend,
                         const store::StoreStats& s) {
  using ops::admin::MetricType;
  const ops::admin::Label label{"backend", backend};
  const auto counter = [&](std::string_view name, std::string_view help, uint64_t value) {
    out.family(name, MetricType::kCounter, help);
    out.sample(value, {label});
  };
  const auto gauge = [&](std::string_view name, std::string_view help, double value) {
    out.family(name, MetricType::kGauge, help);
    out.sample(value, {label});
  };
  gauge("citadel_store_queue_outstanding",
        "Store requests accepted and not yet completed (queue depth, callbacks included).",
        static_cast<double>(s.queue_outstanding));
  gauge("citadel_store_queue_capacity",
        "The bound on citadel_store_queue_outstanding; past it calls are refused.",
        static_cast<double>(s.queue_capacity));
  counter("citadel_store_requests_total", "Store requests completed (results ready).",
          s.requests_completed);
  counter("citadel_store_request_errors_total",
          "Store requests completed with a storage error (database failed or unreachable).",
          s.requests_failed);
  counter("citadel_store_overloaded_total", "Store calls refused because the queue was full.",
          s.overloaded_rejections);
  counter("citadel_store_history_appends_dropped_total",
          "Chat history appends not stored (queue full or store closing).",
          s.history_appends_dropped);
  counter("citadel_store_transactions_total",
          "Store transactions (batches) committed; requests_total / this is the mean batch size.",
          s.transactions_committed);
  counter("citadel_store_transactions_failed_total",
          "Store transactions that failed as a whole (every request in them got an error).",
          s.transactions_failed);
  gauge("citadel_store_largest_batch", "Requests in the largest store transaction so far.",
        static_cast<double>(s.largest_batch));
  counter("citadel_store_connects_total",
          "Connections the store opened to its database server (PostgreSQL; 0 for SQLite).",
          s.connects);
  counter("citadel_store_connection_failures_total",
          "Store connections lost plus connection attempts that failed.", s.connection_failures);
  gauge("citadel_store_connected",
        "1 while the store holds a usable database connection (always 1 for SQLite).",
        s.connected ? 1.0 : 0.0);
  if (s.write_behind.enabled) {
    const auto& w = s.write_behind;
    gauge("citadel_store_write_behind_pending",
          "Storage object writes acknowledged (in the local outbox) and not yet in PostgreSQL.",
          static_cast<double>(w.pending));
    gauge("citadel_store_write_behind_max_pending",
          "The bound on citadel_store_write_behind_pending; past it writes are refused.",
          static_cast<double>(w.max_pending));
    gauge("citadel_store_write_behind_flush_lag_seconds",
          "Age of the oldest acknowledged write not yet flushed to PostgreSQL (0 when none waits).",
          w.flush_lag_seconds);
    counter("citadel_store_write_behind_flushed_total",
            "Outbox entries settled in PostgreSQL (applied, or kept as conflicts).", w.flushed);
    counter("citadel_store_write_behind_batches_total",
            "Write-behind flush transactions committed.", w.batches);
    counter("citadel_store_write_behind_conflicts_total",
            "Flushed writes whose base version PostgreSQL did not hold: kept in "
            "citadel_write_behind_conflicts, not applied.",
            w.conflicts);
    counter("citadel_store_write_behind_refusals_total",
            "Storage writes refused because the write-behind outbox was full.", w.refusals);
    counter("citadel_store_write_behind_flush_failures_total",
            "Write-behind flush attempts and connects that failed (retried).", w.flush_failures);
  }
  out.family("citadel_store_request_seconds", MetricType::kHistogram,
             "Store request latency: from accepted to result ready (queue wait + transaction).");
  out.histogram_seconds(to_ops(s.request_latency), {label});
}

}  // namespace citadel::app
