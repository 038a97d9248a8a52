#include "store/postgres/postgres_store.h"

#include <spdlog/spdlog.h>

#include <stdexcept>
#include <utility>

#include "store/postgres/pg_session.h"
#include "store/store_open_error.h"

namespace citadel::store {
namespace {

constexpr std::chrono::milliseconds kClientTimeoutMargin{1000};

QueueOptions queue_options_of(const PostgresConfig& config) {
  if (config.url.empty()) throw std::invalid_argument("postgres store: url must not be empty");
  return {config.max_batch, config.queue_capacity, config.group_commit_window_us,
          config.history_per_channel};
}

}  // namespace

PostgresStore::PostgresStore(PostgresConfig config)
    : QueuedStore("postgres", "citadel-pg", queue_options_of(config)),
      config_(std::move(config)),
      // The store's deadline trails the server's statement_timeout, so a
      // server that answers (with a timeout error) is heard before the
      // connection is given up on.
      runner_(config_.history_per_channel,
              std::chrono::milliseconds(config_.batch_timeout_ms) + kClientTimeoutMargin) {
  // At start a database that cannot be reached is a configuration problem:
  // say so and stop, rather than serve every login an error.
  try {
    conn_ = pg::open_session(config_);
  } catch (const pg::SessionError& e) {
    throw StoreOpenError(std::string("postgres store: cannot open the database: ") + e.what());
  }
  connects_ = 1;
  connected_ = true;
  start();
}

PostgresStore::~PostgresStore() {
  shutdown();  // the store thread uses conn_ and runner_ until it is joined
}

PGconn* PostgresStore::connection() {
  if (conn_) return conn_.get();
  const auto now = std::chrono::steady_clock::now();
  if (now < next_connect_) return nullptr;  // fail fast between attempts
  try {
    conn_ = pg::open_session(config_);
    bump(connects_);
    connected_.store(true, std::memory_order_relaxed);
    spdlog::info("store: postgres connection re-established");
    return conn_.get();
  } catch (const pg::SessionError& e) {
    bump(connection_failures_);
    next_connect_ =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(config_.reconnect_interval_ms);
    spdlog::error("store: postgres reconnect failed (next attempt in {} ms): {}",
                  config_.reconnect_interval_ms, e.what());
    return nullptr;
  }
}

void PostgresStore::drop_connection() {
  if (!conn_) return;
  // No PQcancel here: it connects without any timeout, and a network that
  // stopped answering would hang the store thread for minutes. A statement
  // still running on the server ends by statement_timeout (set per session
  // to batch_timeout_ms), and its transaction is rolled back when the
  // server finds the connection closed.
  conn_.reset();
  bump(connection_failures_);
  connected_.store(false, std::memory_order_relaxed);
  // The first reconnect is tried with the next batch, at once.
  next_connect_ = {};
}

bool PostgresStore::run_batch(std::span<QueuedRequest> batch) {
  PGconn* conn = connection();
  if (conn == nullptr) {
    for (QueuedRequest& q : batch) fail(q.request, StoreError::kStorageError);
    return false;
  }
  const auto outcome = runner_.run(conn, batch);
  if (outcome.connection_lost) {
    spdlog::error("store: postgres connection lost; reconnecting with the next batch");
    drop_connection();
  }
  return outcome.committed;
}

void PostgresStore::add_backend_stats(StoreStats& stats) const {
  stats.connects = connects_.load(std::memory_order_relaxed);
  stats.connection_failures = connection_failures_.load(std::memory_order_relaxed);
  stats.connected = connected_.load(std::memory_order_relaxed);
}

}  // namespace citadel::store
