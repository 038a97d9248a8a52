// Settings of write-behind for player storage objects (store.write_behind.*).
// Only meaningful on the PostgreSQL backend; defaults here are the ones the
// server uses when nothing is configured.
#pragma once

#include <cstdint>
#include <string>

namespace citadel::store {

struct WriteBehindConfig {
  // Off by default: every object write is a PostgreSQL transaction
  // (write-through). On: writes are acknowledged once committed to the local
  // file below and reach PostgreSQL later, in batches.
  bool enabled = false;
  // The local durable copy: a SQLite file holding the objects this node has
  // read or written, and the outbox of writes not yet in PostgreSQL.
  // Created when absent; keep it across restarts (a non-empty outbox is
  // replayed on start).
  std::string path = "citadel-writebehind.db";
  // A pending write waits at most this long before its shard flushes it
  // (sooner once max_batch writes wait).
  uint32_t flush_interval_ms = 50;
  // Outbox entries per PostgreSQL transaction (one statement).
  uint32_t max_batch = 500;
  // PostgreSQL writer connections; objects are sharded by owner id, so one
  // object's writes always go through one writer, in order.
  uint32_t writers = 2;
  // Outbox entries (acknowledged, not yet in PostgreSQL) at most. Past it new
  // writes are refused with kBacklogFull: an outage fills the outbox up to
  // here and no further. Memory: each pending entry is held once in memory
  // too (value bytes plus ~150 bytes).
  uint32_t max_pending = 100'000;
};

}  // namespace citadel::store
