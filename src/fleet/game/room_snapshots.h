// A game node's room snapshots in Redis (issue 18, docs/fleet.md "Room
// snapshots"): the rooms' snapshot port (store::RecoveryLog, which rooms
// already call every recovery.snapshot_every_ticks ticks and when they
// close) backed by RedisSnapshotStore, each write fenced by the epoch of the
// room's owner record in etcd. A room not claimed yet (no epoch) is not
// written; the next snapshot after the claim is. What another node restores
// when it takes a dead node's room over.
//
// Threads: put_room/erase_room from any thread (the rooms' executors) post
// to the service loop, where the Redis client, the epochs and the counters
// live. Sessions and id floors are a node-local file's business: ignored.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "fleet/snapshots/redis_snapshot_store.h"
#include "net/event_loop.h"
#include "net/loop_stats.h"
#include "redis/redis_url.h"
#include "store/recovery/recovery_log.h"

namespace citadel::fleet {

class RoomSnapshots final : public store::RecoveryLog {
 public:
  struct Counters {
    net::RelaxedCounter stored, stale, failed, unclaimed, erased;
  };
  // The epoch of a room's owner record held by this node (0: none); called
  // on the service loop.
  using EpochOf = std::function<int64_t(uint64_t room_id)>;

  RoomSnapshots(net::EventLoop& service_loop, redis::RedisUrl url, std::string cluster,
                EpochOf epoch_of);
  ~RoomSnapshots();
  RoomSnapshots(const RoomSnapshots&) = delete;
  RoomSnapshots& operator=(const RoomSnapshots&) = delete;

  // store::RecoveryLog (any thread).
  void write_sessions(std::vector<store::SessionRecord>, std::vector<uint64_t>) override {}
  void put_room(store::RoomRecord room) override;
  void erase_room(uint64_t room_id) override;
  void raise_floor(std::string_view, uint64_t) override {}

  // Service loop: erases the room's snapshot (fenced by `epoch`), then
  // calls `then` whatever the outcome (a room closing: its record goes
  // after its snapshot).
  void erase_in_loop(uint64_t room_id, int64_t epoch, std::function<void()> then);
  // Service loop: writes `room` now, fenced by its epoch, and tells `done`
  // whether Redis stored it (a hand-over releases the record only after).
  void write_now_in_loop(const store::RoomRecord& room, std::function<void(bool stored)> done);
  // Service loop: the snapshot store (null until the client is made, on
  // the loop's first turn after construction).
  snapshots::RedisSnapshotStore* store_in_loop() { return store_.get(); }
  const Counters& counters() const { return counters_; }

 private:
  net::EventLoop& loop_;
  const std::string cluster_;
  EpochOf epoch_of_;
  // Service loop.
  std::unique_ptr<redis::RedisClient> client_;
  std::unique_ptr<snapshots::RedisSnapshotStore> store_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  Counters counters_;
};

}  // namespace citadel::fleet
