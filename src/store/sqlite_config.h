// Settings of the embedded SQLite store. Wired into the YAML config by ops;
// defaults here are the ones the server uses when nothing is configured.
#pragma once

#include <cstdint>
#include <string>

namespace citadel::store {

struct SqliteConfig {
  // The database file; created when absent. Its directory must be writable:
  // WAL mode keeps `<path>-wal` and `<path>-shm` beside it.
  std::string path = "citadel.db";
  // Requests per transaction (group commit). 1,000 keeps a transaction to a
  // few milliseconds, so a read queued behind a burst of writes waits little.
  uint32_t max_batch = 1000;
  // Requests accepted but not yet completed. Beyond it, calls complete at
  // once with kOverloaded: the store never grows without bound.
  uint32_t queue_capacity = 65536;
  // Group commit under load: while requests keep coming, the writer starts
  // at most one transaction per window, so 20,000 logins a second cost ~N
  // commits a second rather than thousands of tiny ones (each rewrites whole
  // pages into the WAL). A request after a quiet spell runs at once; the
  // window only delays requests that arrive behind a busy writer, by at most
  // this much. 0 turns the wait off. Measured in src/store/README.md.
  uint32_t group_commit_window_us = 5000;
  // Chat messages kept per channel; older rows are deleted once per batch.
  uint32_t history_per_channel = 100;
  // How long the writer waits for a lock held by another connection (a backup
  // tool, the sqlite3 shell) before the batch fails with kStorageError.
  uint32_t busy_timeout_ms = 5000;
};

}  // namespace citadel::store
