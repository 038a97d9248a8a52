// Failover on a game node (issue 18, docs/fleet.md "Failover"): a room whose
// owner record vanished while its owner is no longer in the fleet table
// (its lease ran out: it died, or is cut off from etcd) is claimed by
// transaction by one of the live game nodes and restored from its last
// snapshot.
//
// Which node claims: every live game node ranks the room by rendezvous
// hash (room id, node id); the first claims at once, the second after
// `backup_delay` if the room is still unowned, the third after twice that,
// and so on, so a room is not raced for by every node, yet is still taken
// when the first choice died too. The claim itself is the arbiter: only one
// transaction wins, whatever the ranks believed.
//
// A record that vanishes while its owner is still listed is a room that
// closed (its owner released it): left alone. The table and the rooms'
// records are two watches, so the owner's own record may still be listed
// for a moment after its rooms' records went: the decision waits `settle`
// first, and looks once more after `backup_delay` if the owner still is.
//
// Thread: the service loop (the owner directory's changes, the table, the
// claims and the snapshot reads all complete there).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "net/event_loop.h"
#include "net/loop_stats.h"
#include "store/recovery/recovery_log.h"

namespace citadel::fleet {

class RoomTakeover {
 public:
  struct Options {
    std::string node_id;
    std::chrono::milliseconds settle{300};
    std::chrono::milliseconds backup_delay{1500};
  };
  using Snapshot = std::optional<store::RoomRecord>;
  struct Hooks {
    // Claims the room for this node: done(epoch), 0 if another node won or
    // etcd failed (OwnedRooms::take_over).
    std::function<void(uint64_t room_id, const std::string& type,
                       std::function<void(int64_t epoch)> done)>
        claim;
    // Reads the room's last snapshot: done(snapshot or nullopt, error).
    std::function<void(uint64_t room_id,
                       std::function<void(Snapshot snapshot, const std::string& error)> done)>
        read_snapshot;
    // Opens the room as its snapshot left it; false if it was not brought
    // back (RoomService::restore_in_loop says why).
    std::function<bool(store::RoomRecord room)> restore;
    // Gives a claimed room's record back (nothing to restore).
    std::function<void(uint64_t room_id)> release;
    // No take-over is in flight any more.
    std::function<void()> idle;
  };
  struct Counters {
    net::RelaxedCounter restored;     // rooms brought back on this node
    net::RelaxedCounter no_snapshot;  // claimed, nothing (readable) to restore: released
    net::RelaxedCounter refused;      // the snapshot's room could not be opened here
    net::RelaxedCounter lost_claims;  // another node claimed first (or etcd failed)
  };

  // `counters` outlive this (the admin thread reads them).
  RoomTakeover(net::EventLoop& loop, Options options, Hooks hooks, Counters& counters);
  ~RoomTakeover();
  RoomTakeover(const RoomTakeover&) = delete;
  RoomTakeover& operator=(const RoomTakeover&) = delete;

  // The live game nodes that may take rooms (not draining), this one
  // included if it may.
  void set_live_nodes(std::vector<std::string> nodes);
  // The owner directory: a room's record by `former` vanished.
  void owner_gone(uint64_t room_id, const std::string& type, const std::string& former);
  // The owner directory: someone holds the room now.
  void owner_set(uint64_t room_id);

  // A claim or a restore is under way: players' session events for rooms
  // wait until it is done (idle), so a session attached before its room is
  // back finds its seat.
  bool busy() const { return in_flight_ > 0; }
  // Rooms waiting for their decision.
  std::size_t pending() const { return pending_.size(); }

  // The order in which live nodes claim a room (first: at once); exposed
  // for tests.
  static std::vector<std::string> rank(uint64_t room_id, std::vector<std::string> nodes);

 private:
  struct Pending {
    std::string type;
    std::string former;
    bool former_seen = false;  // the owner was still listed at a look
    bool ranked = false;       // waited its rank's delay: claims at the next look
    net::TimerQueue::TimerId timer;
  };
  void look(uint64_t room_id);
  void schedule(uint64_t room_id, Pending& p, std::chrono::milliseconds after);
  void take(uint64_t room_id, std::string type);
  void done_one();
  bool is_live(const std::string& node) const;

  net::EventLoop& loop_;
  const Options options_;
  const Hooks hooks_;
  std::vector<std::string> live_;
  std::unordered_map<uint64_t, Pending> pending_;
  int in_flight_ = 0;
  Counters& counters_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace citadel::fleet
