// Settings of the PostgreSQL store. Wired into the YAML config by ops
// (store.postgres.*); defaults here are the ones the server uses.
#pragma once

#include <cstdint>
#include <string>

namespace citadel::store {

struct PostgresConfig {
  // A libpq connection URI, e.g. postgresql://citadel:secret@db.internal:5432/citadel.
  // Parameters libpq knows (sslmode, connect_timeout, application_name) may
  // be given in its query string.
  std::string url;
  // Requests per transaction, sent in one pipeline (one round trip).
  uint32_t max_batch = 1000;
  // Requests accepted but not yet completed; beyond it calls complete at once
  // with kOverloaded, and during an outage nothing piles up past it.
  uint32_t queue_capacity = 65536;
  // As SqliteConfig::group_commit_window_us. Shorter than SQLite's: a batch
  // costs one network round trip and one WAL flush on the server, and
  // several nodes share that server.
  uint32_t group_commit_window_us = 2000;
  // Chat messages kept per channel; older rows are deleted once per batch.
  uint32_t history_per_channel = 100;
  // Seconds a connection attempt may take (libpq connect_timeout), unless
  // the URL sets its own.
  uint32_t connect_timeout_s = 5;
  // After a failed connection attempt, requests fail at once with
  // kStorageError for this long before the next attempt.
  uint32_t reconnect_interval_ms = 1000;
  // A batch fails with kStorageError when it takes longer: the server ends
  // the statement itself (statement_timeout, set per session), and a server
  // or network that does not answer one second later costs the connection
  // (dropped, and opened anew with the next batch).
  uint32_t batch_timeout_ms = 10'000;
};

}  // namespace citadel::store
