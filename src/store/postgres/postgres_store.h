// The PostgreSQL store: the same accounts and chat history as SqliteStore,
// in a database several nodes share.
//
// One store thread ("citadel-pg") owns one connection. It takes batches from
// the same bounded queue as SqliteStore (QueuedStore) and runs each in one
// transaction, sent as one pipeline (pg_batch_runner.h). Every wait on the
// server is bounded (batch_timeout_ms), so no caller and no loop ever waits
// on PostgreSQL: a loop only queues, and hears back through its callback.
//
// Outage: when the connection drops (or a batch gets no answer) the batch fails
// with kStorageError and the connection is dropped. The next batch connects
// anew; while connecting fails, requests fail at once with kStorageError,
// with one attempt per reconnect_interval_ms. The queue bound holds
// throughout, so memory stays bounded however long the outage lasts.
//
// Thread contract: account_store.h, as for SqliteStore.
#pragma once

#include <atomic>
#include <chrono>
#include <span>

#include "store/postgres/pg_batch_runner.h"
#include "store/postgres/pg_handle.h"
#include "store/postgres/postgres_config.h"
#include "store/queued_store.h"

namespace citadel::store {

class PostgresStore final : public QueuedStore {
 public:
  // Connects, migrates the schema and starts the store thread. Throws
  // StoreOpenError (libpq's reason, which names host and port but not the
  // password) when the database cannot be used, and std::invalid_argument
  // when max_batch or queue_capacity is 0 or the URL is empty.
  explicit PostgresStore(PostgresConfig config);
  ~PostgresStore() override;  // shutdown(), then closes the connection

  const PostgresConfig& config() const { return config_; }

 private:
  bool run_batch(std::span<QueuedRequest> batch) override;
  void add_backend_stats(StoreStats& stats) const override;
  // Store thread: a usable connection, or null while the database is away.
  PGconn* connection();
  void drop_connection();

  const PostgresConfig config_;
  pg::Conn conn_;  // store thread (the constructor before it starts)
  pg::BatchRunner runner_;
  std::chrono::steady_clock::time_point next_connect_{};  // store thread

  std::atomic<uint64_t> connects_{0};             // store thread (constructor first)
  std::atomic<uint64_t> connection_failures_{0};  // store thread
  std::atomic<bool> connected_{false};            // store thread
};

}  // namespace citadel::store
