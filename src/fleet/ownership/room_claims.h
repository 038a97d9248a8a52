// Claims on rooms (issue 18): a game node takes a room, rewrites its record
// and gives it back, each as one etcd transaction on the room's owner record
// (owner_record.h), so two nodes racing for a room never both win: etcd
// orders the transactions and the compare of the second fails.
//
//   claim    create the record on my lease if it is absent ("nobody owns it":
//            a new room, or one whose owner's lease ran out)
//   update   rewrite my record if it is still the one I created (its
//            create_revision is my epoch); a later owner's record is never
//            touched
//   release  delete my record on the same condition (a room that closed, or
//            handed over on drain)
//
// Each answer says who holds the room when the compare failed, so a loser
// learns the winner in the same round trip.
//
// Threads: callbacks run through the EtcdClient's executor (e.g. the game
// node's loop). Methods may be called from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "fleet/etcd/etcd_client.h"
#include "fleet/ownership/owner_record.h"

namespace citadel::fleet::ownership {

// Someone's hold on a room, as etcd has it.
struct Holding {
  OwnerRecord record;    // room_id always set; the rest empty when !readable
  int64_t epoch = 0;     // the record's create_revision
  int64_t lease = 0;     // the lease the record lives on (0: none)
  bool readable = true;  // false: the key holds a value this code cannot read

  bool operator==(const Holding&) const = default;
};

// From a key-value of the rooms prefix; nullopt when the key names no room.
std::optional<Holding> holding_of(std::string_view cluster, const etcd::KeyValue& kv);

class RoomClaims {
 public:
  template <class T>
  using Callback = etcd::EtcdClient::Callback<T>;

  struct ClaimResult {
    bool won = false;
    // won: my holding (its epoch fences what I write as owner). Lost: the
    // holder in the way.
    std::optional<Holding> holder;
  };
  struct FencedResult {
    bool done = false;
    // !done: who holds the room now (nullopt: nobody; my record is gone).
    std::optional<Holding> holder;
  };

  RoomClaims(etcd::EtcdClient& client, std::string cluster);

  // Takes record.room_id for record.node_id, on `lease`, if nobody holds it.
  void claim(const OwnerRecord& record, int64_t lease, Callback<ClaimResult> done);
  // Rewrites the record (same room) if my hold at `epoch` stands.
  void update(const OwnerRecord& record, int64_t epoch, int64_t lease, Callback<FencedResult> done);
  // Deletes the record if my hold at `epoch` stands.
  void release(uint64_t room_id, int64_t epoch, Callback<FencedResult> done);
  // Who holds the room now (nullopt: nobody).
  void holder(uint64_t room_id, Callback<std::optional<Holding>> done);

  const std::string& cluster() const { return cluster_; }

 private:
  etcd::EtcdClient& client_;
  const std::string cluster_;
};

}  // namespace citadel::fleet::ownership
