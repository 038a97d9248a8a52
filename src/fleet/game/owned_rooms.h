// A game node's rooms in etcd (issue 18, docs/fleet.md "Room ownership"):
// each room this node opens is claimed by transaction under
// /<cluster>/rooms/<id> on the node's lease, so gateways route a join by id
// to its owner and, when the node dies or is cut off, the records vanish
// with the lease and the rooms are free to claim. A closed room's record is
// released (fenced by its epoch). After the node re-registers (a new
// lease: the old records went with the old one), every open room is claimed
// again.
//
// Thread: the service loop (the etcd client's completions run there, as
// RoomService's observer does). Room ids are drawn at random (random_room_id)
// so that two nodes never pick the same one in practice; a claim that finds
// the id held anyway is logged and counted, never forced.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "fleet/ownership/room_claims.h"
#include "net/loop_stats.h"

namespace citadel::fleet {

// A room id no other node will draw in practice: 62 random bits (never 0;
// the TypeScript SDK reads ids as bigint, so the size costs nothing).
uint64_t random_room_id();

class OwnedRooms {
 public:
  struct Counters {
    net::RelaxedCounter claimed, claim_conflicts, claim_failures, released;
    net::RelaxedCounter owned;       // rooms whose record is in etcd now (a gauge)
    net::RelaxedCounter taken_over;  // rooms claimed from a node that died
    net::RelaxedCounter lost;        // rooms another node held when this one looked again
  };

  OwnedRooms(etcd::EtcdClient& client, std::string cluster, std::string node_id);
  ~OwnedRooms();
  OwnedRooms(const OwnedRooms&) = delete;
  OwnedRooms& operator=(const OwnedRooms&) = delete;

  // The room observer's calls. `closed` forgets the room at once (its
  // epoch_of is 0 from then on, so no later snapshot is written), runs
  // `before_release(epoch, release)` if given (the snapshot's erase), and
  // releases the record when that calls `release`: a record never goes
  // before the snapshot it fences.
  using BeforeRelease = std::function<void(int64_t epoch, std::function<void()> release)>;
  void opened(uint64_t room_id, const std::string& type);
  void closed(uint64_t room_id, BeforeRelease before_release = nullptr);
  // The epoch of the room's record held by this node (0: none, or closing).
  int64_t epoch_of(uint64_t room_id) const;
  // Failover: claims a room whose owner is gone, for this node, on its
  // lease. `done(epoch)`: the epoch won, or 0 (another node was first, or
  // etcd failed). A won room is this node's from then on (opened() for it
  // claims nothing more).
  void take_over(uint64_t room_id, const std::string& type, std::function<void(int64_t)> done);
  int64_t lease() const { return lease_; }
  // The rooms whose record this node holds now (a hand-over's list).
  std::vector<uint64_t> held() const;
  // Membership changed: with a lease (a member), every room not on it is
  // moved to it (its record rewritten on the new lease if this node's hold
  // at its epoch still stands, claimed afresh if the record is gone);
  // without one, claims wait.
  void set_lease(int64_t lease);

  // What became of a room's record (fencing, docs/fleet.md): `held` once
  // its record names this node on the current lease (a claim won, or moved
  // to a new lease); `lost` when another node holds its id (it took the
  // room over while this node was cut off, or drew the same id): the room
  // is forgotten here and must close.
  struct Observer {
    std::function<void(uint64_t room_id)> held;
    std::function<void(uint64_t room_id)> lost;
  };
  void set_observer(Observer observer) { observer_ = std::move(observer); }
  const Counters& counters() const { return counters_; }

 private:
  struct Room {
    std::string type;
    int64_t epoch = 0;  // 0: not claimed (yet)
    int64_t lease = 0;  // the lease its record is on
    bool in_flight = false;
  };
  void claim(uint64_t room_id);
  void move_to_lease(uint64_t room_id);
  void lose(uint64_t room_id, const std::string& holder);

  ownership::RoomClaims claims_;
  const std::string node_id_;
  int64_t lease_ = 0;
  std::unordered_map<uint64_t, Room> rooms_;
  Observer observer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  Counters counters_;
};

}  // namespace citadel::fleet
