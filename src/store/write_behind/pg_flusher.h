// One write-behind writer: a thread with its own PostgreSQL connection that
// flushes one shard of the outbox (the objects of owners with
// owner_id % writers == shard) in batched transactions, in outbox order.
//
// Each flush is one statement (one implicit transaction): every item is
// applied only if PostgreSQL holds the version it was based on; an item that
// does not is a conflict, recorded in citadel_write_behind_conflicts and
// never written over. The same statement records the shard's last flushed
// sequence number in citadel_write_behind_offsets, so entries replayed after
// a crash (flushed, but not yet removed from the local outbox) are skipped.
//
// Thread contract: enqueue() from the local log's thread; stats getters from
// any thread; the report callback runs on this writer's thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "store/postgres/pg_handle.h"
#include "store/postgres/postgres_config.h"
#include "store/write_behind/outbox_entry.h"
#include "store/write_behind/write_behind_config.h"

namespace citadel::store::wb {

// What one flush did, handed to the local log to clean its outbox.
struct FlushReport {
  std::vector<int64_t> seqs;  // every entry the flush settled (applied, skipped or conflicted)
  struct Conflict {
    ObjectId id;
    int64_t last_seq = 0;  // the last entry of the object in this flush
  };
  std::vector<Conflict> conflicts;
};

// Creates the write-behind tables in PostgreSQL when absent (one transaction
// under an advisory lock, so nodes starting together do not race). Throws
// StoreOpenError.
void create_write_behind_tables(const PostgresConfig& config);

class PgFlusher {
 public:
  using ReportCallback = std::function<void(FlushReport)>;

  PgFlusher(uint32_t shard, PostgresConfig pg, const WriteBehindConfig& wb, std::string log_id,
            ReportCallback report);
  ~PgFlusher();  // stop(false)
  PgFlusher(const PgFlusher&) = delete;
  PgFlusher& operator=(const PgFlusher&) = delete;

  // Local log thread: entries committed to the outbox, in seq order.
  void enqueue(std::vector<OutboxEntry> entries);
  // Ends the thread. With final_flush, what is queued gets one more attempt
  // first (no wait for the interval); whatever fails stays in the local
  // outbox for the next start. Idempotent.
  void stop(bool final_flush);

  // Any thread.
  uint64_t flushed() const { return flushed_.load(std::memory_order_relaxed); }
  uint64_t batches() const { return batches_.load(std::memory_order_relaxed); }
  uint64_t conflicts() const { return conflicts_.load(std::memory_order_relaxed); }
  uint64_t failures() const { return failures_.load(std::memory_order_relaxed); }
  bool connected() const { return connected_.load(std::memory_order_relaxed); }
  // When the oldest entry not yet flushed was queued; nullopt when none waits.
  std::optional<std::chrono::steady_clock::time_point> oldest_pending() const;

 private:
  void run();
  bool take_batch();  // false: stopping with nothing (more) to do
  bool flush_in_flight();
  PGconn* connection();
  void drop_connection(const std::string& why);
  void wait_retry();

  const uint32_t shard_;
  const PostgresConfig pg_;
  const WriteBehindConfig wb_;
  const std::string log_id_;
  const ReportCallback report_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<OutboxEntry> queue_;                                         // guarded by mutex_
  bool stopping_ = false;                                                 // guarded by mutex_
  bool final_flush_ = false;                                              // guarded by mutex_
  std::optional<std::chrono::steady_clock::time_point> in_flight_since_;  // guarded by mutex_

  // Writer thread only.
  std::vector<OutboxEntry> in_flight_;
  pg::Conn conn_;
  int64_t applied_seq_ = -1;  // -1: not read yet on this connection
  std::chrono::steady_clock::time_point next_connect_{};
  std::chrono::steady_clock::time_point last_log_{};

  std::atomic<uint64_t> flushed_{0};
  std::atomic<uint64_t> batches_{0};
  std::atomic<uint64_t> conflicts_{0};
  std::atomic<uint64_t> failures_{0};
  std::atomic<bool> connected_{false};

  std::thread thread_;
};

}  // namespace citadel::store::wb
