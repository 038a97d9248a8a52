// One acknowledged write waiting for PostgreSQL, and the pure logic of
// turning a shard's entries into one flush: sharding by owner and merging
// several writes to one object into one item. No I/O, no threads: unit tested
// on its own (tests/store/write_behind_batch_test.cc).
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "store/object_store.h"

namespace citadel::store::wb {

enum class OutboxOp : uint8_t { kUpsert = 1, kDelete = 2 };

struct OutboxEntry {
  int64_t seq = 0;  // the local outbox's order; every shard flushes in it
  OutboxOp op = OutboxOp::kUpsert;
  ObjectId id;
  std::string value;  // kUpsert
  uint8_t read = kReadOwner;
  uint8_t write = kWriteOwner;
  // The version PostgreSQL must hold for this entry to apply: 0 means the
  // object must be absent. version: what it holds afterwards (0 for a delete).
  int64_t base_version = 0;
  int64_t version = 0;
  int64_t updated_at_unix_ms = 0;
  std::chrono::steady_clock::time_point queued_at{};  // for the flush lag
};

// The writer (0 .. writers-1) that flushes an owner's objects.
inline uint32_t shard_of(int64_t owner_id, uint32_t writers) {
  return static_cast<uint32_t>(static_cast<uint64_t>(owner_id) % writers);
}

// One object's net change within a flush: the first entry's base version
// and the last entry's state. Several writes to one object in one batch are
// one row in PostgreSQL (they could not be applied one by one in one
// statement anyway), and the version check still covers the whole chain.
struct FlushItem {
  OutboxEntry net;        // seq: the last merged entry's
  int64_t first_seq = 0;  // the first merged entry's
  uint32_t merged = 1;    // entries folded into this item
};

// Entries in seq order (one shard's); those with seq <= applied_seq are
// already in PostgreSQL (a replay after a crash between the flush and the
// outbox cleanup) and are skipped. Items keep the order of each object's
// first entry.
std::vector<FlushItem> merge_for_flush(std::span<const OutboxEntry> entries, int64_t applied_seq);

}  // namespace citadel::store::wb
