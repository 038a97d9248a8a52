#include "fleet/game/owned_rooms.h"

#include <spdlog/spdlog.h>

#include <random>

namespace citadel::fleet {

uint64_t random_room_id() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  uint64_t id = 0;
  while (id == 0) id = engine() >> 2;
  return id;
}

OwnedRooms::OwnedRooms(etcd::EtcdClient& client, std::string cluster, std::string node_id)
    : claims_(client, std::move(cluster)), node_id_(std::move(node_id)) {}

OwnedRooms::~OwnedRooms() {
  *alive_ = false;
}

void OwnedRooms::opened(uint64_t room_id, const std::string& type) {
  if (auto it = rooms_.find(room_id); it != rooms_.end() && it->second.epoch != 0) {
    return;  // taken over: claimed already
  }
  rooms_[room_id] = Room{type, 0, 0, false};
  claim(room_id);
}

void OwnedRooms::take_over(uint64_t room_id, const std::string& type,
                           std::function<void(int64_t)> done) {
  if (lease_ == 0 || rooms_.contains(room_id)) return done(0);
  const int64_t lease = lease_;
  claims_.claim(ownership::OwnerRecord{room_id, node_id_, type}, lease,
                [this, alive = alive_, room_id, type, lease, done = std::move(done)](auto result) {
                  if (!*alive) return;
                  if (!result || !result->won || rooms_.contains(room_id)) return done(0);
                  const int64_t epoch = result->holder->epoch;
                  rooms_[room_id] = Room{type, epoch, lease, false};
                  counters_.owned.add();
                  counters_.taken_over.add();
                  done(epoch);
                });
}

std::vector<uint64_t> OwnedRooms::held() const {
  std::vector<uint64_t> ids;
  for (const auto& [id, room] : rooms_) {
    if (room.epoch != 0 && room.lease == lease_ && lease_ != 0) ids.push_back(id);
  }
  return ids;
}

int64_t OwnedRooms::epoch_of(uint64_t room_id) const {
  auto it = rooms_.find(room_id);
  return it == rooms_.end() ? 0 : it->second.epoch;
}

void OwnedRooms::closed(uint64_t room_id, BeforeRelease before_release) {
  auto it = rooms_.find(room_id);
  if (it == rooms_.end()) return;
  const int64_t epoch = it->second.epoch;
  rooms_.erase(it);
  if (epoch == 0) return;  // never held (or a claim in flight: released when it lands)
  counters_.owned.sub();
  auto release = [this, alive = alive_, room_id, epoch] {
    if (!*alive) return;
    claims_.release(room_id, epoch, [this, alive, room_id](auto result) {
      if (!*alive) return;
      if (result && result->done) counters_.released.add();
      if (!result) {
        // The record goes with the lease anyway; a failed release only
        // leaves it until then.
        spdlog::warn("fleet: room {}'s owner record not released: {}", room_id,
                     result.error().message);
      }
    });
  };
  if (before_release) {
    before_release(epoch, std::move(release));
  } else {
    release();
  }
}

void OwnedRooms::set_lease(int64_t lease) {
  lease_ = lease;
  if (lease == 0) return;
  std::vector<uint64_t> ids;
  for (const auto& [id, room] : rooms_) {
    if (room.lease != lease && !room.in_flight) ids.push_back(id);
  }
  for (const uint64_t id : ids) {
    if (rooms_.at(id).epoch != 0) {
      move_to_lease(id);
    } else {
      claim(id);
    }
  }
}

void OwnedRooms::move_to_lease(uint64_t room_id) {
  Room& room = rooms_.at(room_id);
  room.in_flight = true;
  const int64_t lease = lease_;
  claims_.update(ownership::OwnerRecord{room_id, node_id_, room.type}, room.epoch, lease,
                 [this, alive = alive_, room_id, lease](auto result) {
                   if (!*alive) return;
                   auto it = rooms_.find(room_id);
                   if (it == rooms_.end()) return;  // closed meanwhile (released at its epoch)
                   Room& room = it->second;
                   room.in_flight = false;
                   if (!result) {
                     counters_.claim_failures.add();
                     spdlog::warn("fleet: room {}'s record not moved to lease {:x}: {}", room_id,
                                  lease, result.error().message);
                     return;  // tried again at the next registration
                   }
                   if (result->done) {
                     room.lease = lease;
                     if (observer_.held) observer_.held(room_id);
                     if (lease != lease_) set_lease(lease_);
                     return;
                   }
                   if (result->holder && result->holder->record.node_id != node_id_) {
                     return lose(room_id, result->holder->record.node_id);
                   }
                   // The record went with the old lease: claim it afresh.
                   counters_.owned.sub();
                   room.epoch = 0;
                   claim(room_id);
                 });
}

void OwnedRooms::lose(uint64_t room_id, const std::string& holder) {
  auto it = rooms_.find(room_id);
  if (it == rooms_.end()) return;
  if (it->second.epoch != 0) counters_.owned.sub();
  rooms_.erase(it);
  counters_.lost.add();
  spdlog::warn("fleet: room {} is held by {} now: closing this node's copy", room_id, holder);
  if (observer_.lost) observer_.lost(room_id);
}

void OwnedRooms::claim(uint64_t room_id) {
  auto it = rooms_.find(room_id);
  if (it == rooms_.end() || lease_ == 0 || it->second.in_flight) return;
  it->second.in_flight = true;
  const int64_t lease = lease_;
  ownership::OwnerRecord record{room_id, node_id_, it->second.type};
  claims_.claim(record, lease, [this, alive = alive_, room_id, lease](auto result) {
    if (!*alive) return;
    auto it = rooms_.find(room_id);
    if (!result) {
      counters_.claim_failures.add();
      spdlog::warn("fleet: room {} not claimed in etcd: {}", room_id, result.error().message);
      if (it != rooms_.end()) it->second.in_flight = false;
      return;  // claimed again when the node (re-)registers
    }
    if (!result->won) {
      counters_.claim_conflicts.add();
      if (it != rooms_.end()) it->second.in_flight = false;
      const std::string holder = result->holder ? result->holder->record.node_id : "";
      if (holder == node_id_) {
        // This node's own record on a lease it lost: it goes with that
        // lease (revoked, or expiring within the TTL); the next
        // registration claims again.
        spdlog::warn("fleet: room {}'s record is still on this node's old lease", room_id);
        return;
      }
      return lose(room_id, holder.empty() ? std::string("?") : holder);
    }
    counters_.claimed.add();
    if (it == rooms_.end()) {
      // Closed while the claim was in flight: give the record back.
      claims_.release(room_id, result->holder->epoch, [](auto) {});
      return;
    }
    it->second.in_flight = false;
    it->second.epoch = result->holder->epoch;
    it->second.lease = lease;
    counters_.owned.add();
    if (observer_.held) observer_.held(room_id);
    // The lease changed while the claim was in flight: claim on the new one.
    if (lease != lease_) set_lease(lease_);
  });
}

}  // namespace citadel::fleet
