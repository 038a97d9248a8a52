// What every store backend reports (on /metrics as citadel_store_*, labelled
// with the backend). Read from any thread; each value is exact on its own,
// the set is not one atomic snapshot.
#pragma once

#include <cstdint>

#include "store/latency_histogram.h"

namespace citadel::store {

struct StoreStats {
  uint64_t requests_completed = 0;  // results ready (counted before their callbacks run)
  uint64_t requests_failed = 0;     // of those, completed with kStorageError
  uint64_t transactions_committed = 0;
  uint64_t transactions_failed = 0;      // every request in them got kStorageError
  uint64_t overloaded_rejections = 0;    // calls refused because the queue was full
  uint64_t history_appends_dropped = 0;  // appends refused (queue full or closing)
  uint64_t largest_batch = 0;            // requests in the largest transaction so far
  uint64_t queue_outstanding = 0;        // gauge: accepted, not yet completed
  uint64_t queue_capacity = 0;           // the bound on queue_outstanding
  // Connections to a database server (PostgreSQL; always 0 for SQLite).
  uint64_t connects = 0;                       // connections opened, the first one included
  uint64_t connection_failures = 0;            // connects that failed plus connections lost
  bool connected = true;                       // gauge: the store thread holds a usable connection
  LatencyHistogram::Snapshot request_latency;  // from accepted to result ready
  // Write-behind (store.write_behind.enabled; all 0 without it).
  struct WriteBehind {
    bool enabled = false;
    uint64_t pending = 0;          // gauge: acknowledged writes not yet in PostgreSQL
    uint64_t max_pending = 0;      // the bound on pending
    uint64_t flushed = 0;          // outbox entries settled in PostgreSQL
    uint64_t batches = 0;          // flush transactions committed
    uint64_t conflicts = 0;        // flushed writes whose base version PostgreSQL did not hold
    uint64_t refusals = 0;         // writes refused with kBacklogFull
    uint64_t flush_failures = 0;   // flush attempts or connects that failed
    double flush_lag_seconds = 0;  // gauge: age of the oldest write not yet flushed
  } write_behind;
};

}  // namespace citadel::store
