// Who owns which room, as etcd has it, kept current (issue 18): a read of
// every owner record, then a watch of the rooms prefix from the revision
// after that read. Gateways route a player's input to the node its room's
// record names; game nodes learn from a record's delete that a room lost
// its owner (the owner's lease ran out) and may claim it (room_claims.h).
//
// When the watch ends (etcd compacted the revision it would resume from,
// or cancelled it) or the first read fails, the directory reads everything
// again after a delay and reports the difference as changes, then watches
// from the new read's revision: a change is never lost, only reported late.
//
// Threads: everything runs on the EtcdClient's executor thread (e.g. a game
// node's loop): construct, start, read and destroy it there; on_change runs
// there. Destroying it stops it; no callback runs afterwards.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "fleet/etcd/etcd_client.h"
#include "fleet/etcd/etcd_watch.h"
#include "fleet/ownership/room_claims.h"

namespace citadel::fleet::ownership {

class OwnerDirectory {
 public:
  // A room's holding changed: before/after (nullopt: nobody held it / holds
  // it now). A record rewritten by the same owner comes as a change too.
  using Change = std::function<void(uint64_t room_id, const std::optional<Holding>& before,
                                    const std::optional<Holding>& after)>;

  OwnerDirectory(etcd::EtcdClient& client, std::string cluster, Change on_change,
                 std::chrono::milliseconds retry_delay = std::chrono::milliseconds(200));
  ~OwnerDirectory();
  OwnerDirectory(const OwnerDirectory&) = delete;
  OwnerDirectory& operator=(const OwnerDirectory&) = delete;

  // Reads, then watches. Once.
  void start();

  // The first read has arrived: owner_of answers from etcd's view, not from
  // an empty table.
  bool synced() const { return synced_; }
  std::optional<Holding> owner_of(uint64_t room_id) const;
  std::size_t size() const { return rooms_.size(); }
  // Full reads made so far (1 after the first; more after watch ends or
  // failed reads).
  uint64_t reads() const { return reads_; }
  // Full reads that failed (etcd unreachable, no answer in time); each is
  // tried again after retry_delay.
  uint64_t failed_reads() const { return failed_reads_; }
  // The revision the directory's view is at.
  int64_t revision() const { return revision_; }

 private:
  void read_all();
  void on_read(etcd::Result<etcd::RangeResult> got);
  void on_watch(etcd::Result<etcd::WatchBatch> batch);
  void set(uint64_t room_id, std::optional<Holding> after);
  void retry_later();

  etcd::EtcdClient& client_;
  const std::string cluster_;
  const Change on_change_;
  const std::chrono::milliseconds retry_delay_;
  std::unordered_map<uint64_t, Holding> rooms_;
  std::unique_ptr<etcd::Watch> watch_;
  bool started_ = false;
  bool synced_ = false;
  uint64_t reads_ = 0;
  uint64_t failed_reads_ = 0;
  int64_t revision_ = 0;
  // Callbacks hold a weak_ptr to this: one that runs after the destructor
  // finds it expired and does nothing.
  std::shared_ptr<OwnerDirectory*> self_;
};

}  // namespace citadel::fleet::ownership
