// Room snapshots in Redis, fenced by the ownership epoch (issue 18): the
// game node that owns a room writes its snapshot here every N ticks, and
// the node that claims the room after its owner died restores from it.
//
// Each write carries the writer's epoch (the create_revision of its owner
// record in etcd, fleet/ownership/owner_record.h) and is one Lua script,
// so Redis itself refuses a write from an owner older than the snapshot's
// (a node that lost its lease and does not know it yet), and an older tick
// from the same owner; the refusal names what is held. A later owner's
// first write passes whatever tick it carries: it restored from the
// snapshot and goes on from there.
//
// Key: "<cluster>:room:<room id>:snapshot", a hash of the RoomRecord's
// fields (store/recovery/recovery_log.h: type, code_version, tick,
// saved_unix_ms, seats as recovery_codec's bytes, the logic's state) plus
// the epoch. With expire_after set, every write renews the key's expiry,
// so a room nobody writes any more (closed while its node was down, never
// claimed) does not stay forever.
//
// Loop thread only (the RedisClient's). Callbacks run there, once each;
// none runs after the store is destroyed.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "redis/redis_client.h"
#include "redis/redis_script.h"
#include "store/recovery/recovery_log.h"

namespace citadel::fleet::snapshots {

struct FencedSnapshot {
  int64_t epoch = 0;
  store::RoomRecord room;
};

class RedisSnapshotStore {
 public:
  struct Options {
    std::string cluster = "citadel";
    // 0: keys never expire.
    std::chrono::milliseconds expire_after{0};
  };

  struct WriteOutcome {
    enum class Status { kStored, kStale, kFailed };
    Status status = Status::kFailed;
    // What Redis holds after the call: this write's epoch and tick when
    // stored, else the snapshot that won.
    int64_t held_epoch = 0;
    uint64_t held_tick = 0;
    std::string error;  // kFailed: why (Redis away, an error reply)
  };
  struct ReadOutcome {
    std::optional<FencedSnapshot> snapshot;  // nullopt and no error: none held
    std::string error;                       // the read failed, or the snapshot is damaged
  };
  struct EraseOutcome {
    enum class Status { kErased, kStale, kFailed };  // kErased also when none was held
    Status status = Status::kFailed;
    std::string error;
  };

  struct Counters {
    uint64_t stored = 0;
    uint64_t stale = 0;  // writes refused for an older epoch or tick
    uint64_t failed = 0;
  };

  RedisSnapshotStore(redis::RedisClient& client, Options options);
  ~RedisSnapshotStore();
  RedisSnapshotStore(const RedisSnapshotStore&) = delete;
  RedisSnapshotStore& operator=(const RedisSnapshotStore&) = delete;

  void write(int64_t epoch, const store::RoomRecord& room, std::function<void(WriteOutcome)> done);
  void read(uint64_t room_id, std::function<void(ReadOutcome)> done);
  // Deletes the room's snapshot unless a later owner's (a larger epoch) is held.
  void erase(uint64_t room_id, int64_t epoch, std::function<void(EraseOutcome)> done);

  std::string key_of(uint64_t room_id) const;
  const Counters& counters() const { return counters_; }

 private:
  redis::RedisClient& client_;
  const Options options_;
  redis::RedisScript write_script_;
  redis::RedisScript erase_script_;
  Counters counters_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace citadel::fleet::snapshots
