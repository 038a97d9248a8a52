#include "fleet/game/room_snapshots.h"

#include <spdlog/spdlog.h>

namespace citadel::fleet {

RoomSnapshots::RoomSnapshots(net::EventLoop& service_loop, redis::RedisUrl url, std::string cluster,
                             EpochOf epoch_of)
    : loop_(service_loop), cluster_(std::move(cluster)), epoch_of_(std::move(epoch_of)) {
  // The client connects as it is made: on its loop.
  loop_.post([this, alive = alive_, url = std::move(url)] {
    if (!*alive) return;
    client_ = std::make_unique<redis::RedisClient>(loop_, url);
    snapshots::RedisSnapshotStore::Options options;
    options.cluster = cluster_;
    // A live room rewrites its snapshot every few ticks; one left behind
    // (a node that died with nobody to take its room) goes within the hour.
    options.expire_after = std::chrono::hours(1);
    store_ = std::make_unique<snapshots::RedisSnapshotStore>(*client_, options);
  });
}

RoomSnapshots::~RoomSnapshots() {
  *alive_ = false;
  store_.reset();
  client_.reset();
}

void RoomSnapshots::put_room(store::RoomRecord room) {
  loop_.post([this, alive = alive_, room = std::move(room)] {
    if (*alive) write_now_in_loop(room, nullptr);
  });
}

void RoomSnapshots::write_now_in_loop(const store::RoomRecord& room,
                                      std::function<void(bool stored)> done) {
  const int64_t epoch = store_ ? epoch_of_(room.room_id) : 0;
  if (epoch == 0) {
    if (store_) counters_.unclaimed.add();  // written once the claim lands
    if (done) done(false);
    return;
  }
  store_->write(
      epoch, room, [this, alive = alive_, id = room.room_id, done = std::move(done)](auto outcome) {
        if (!*alive) return;
        using S = snapshots::RedisSnapshotStore::WriteOutcome::Status;
        if (outcome.status == S::kStored) {
          counters_.stored.add();
        } else if (outcome.status == S::kStale) {
          counters_.stale.add();  // a later owner's: this node must not own it any more
          spdlog::warn("fleet: room {}'s snapshot refused: a later owner (epoch {}) holds it", id,
                       outcome.held_epoch);
        } else {
          counters_.failed.add();
        }
        if (done) done(outcome.status == S::kStored);
      });
}

void RoomSnapshots::erase_in_loop(uint64_t room_id, int64_t epoch, std::function<void()> then) {
  if (!store_) return then();
  store_->erase(room_id, epoch, [this, alive = alive_, then = std::move(then)](auto outcome) {
    if (*alive && outcome.status == snapshots::RedisSnapshotStore::EraseOutcome::Status::kErased) {
      counters_.erased.add();
    }
    then();
  });
}

void RoomSnapshots::erase_room(uint64_t room_id) {
  loop_.post([this, alive = alive_, room_id] {
    if (!*alive || !store_) return;
    const int64_t epoch = epoch_of_(room_id);
    if (epoch == 0) return;
    store_->erase(room_id, epoch, [this, alive](auto outcome) {
      if (!*alive) return;
      if (outcome.status == snapshots::RedisSnapshotStore::EraseOutcome::Status::kErased) {
        counters_.erased.add();
      }
    });
  });
}

}  // namespace citadel::fleet
