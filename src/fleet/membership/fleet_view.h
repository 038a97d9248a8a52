// The fleet as this node sees it: every record under /<cluster>/nodes/,
// read once (get_prefix) and then followed by a watch from the read's
// revision + 1, so no change between the two is missed. A watch that etcd
// ends (compaction, cancel) or a read that fails is redone after a backoff
// (500 ms doubling to 5 s); a broken stream resumes by itself (etcd_watch.h).
//
// A record that does not decode is left out of the table (counted in
// MembershipStats::malformed_records, logged once per key).
//
// Thread: the service loop's (the EtcdClient's executor), construction to
// destruction; `changed` runs there too.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "fleet/etcd/etcd_client.h"
#include "fleet/etcd/etcd_watch.h"
#include "fleet/membership/guarded.h"
#include "fleet/membership/membership_stats.h"
#include "fleet/membership/node_record.h"
#include "net/event_loop.h"

namespace citadel::fleet {

struct FleetEntry {
  NodeRecord record;
  int64_t lease = 0;         // the lease the record lives on
  int64_t mod_revision = 0;  // its last write
};

// Live nodes by id (the key's last segment).
using FleetTable = std::map<std::string, FleetEntry>;

class FleetView {
 public:
  // After every change: the whole table, and whether it is in step with
  // etcd (false until the first read, and while re-reading).
  using Changed = std::function<void(const FleetTable&, bool synced)>;

  FleetView(net::EventLoop& loop, etcd::EtcdClient& client, std::string prefix, Changed changed,
            MembershipStats& stats);
  ~FleetView();
  FleetView(const FleetView&) = delete;
  FleetView& operator=(const FleetView&) = delete;

  void start();

 private:
  void read();
  void on_read(etcd::Result<etcd::RangeResult> result);
  void on_watch(etcd::Result<etcd::WatchBatch> batch);
  void put(const etcd::KeyValue& kv);
  void again(const std::string& why);

  // Callbacks run only while this object lives (membership/guarded.h).
  template <class F>
  auto guarded(F f) {
    return fleet::guarded(alive_, std::move(f));
  }

  net::EventLoop& loop_;
  etcd::EtcdClient& client_;
  const std::string prefix_;
  Changed changed_;
  MembershipStats& stats_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::shared_ptr<etcd::Watch> watch_;
  FleetTable table_;
  std::set<std::string> malformed_keys_;  // logged once each
  std::chrono::milliseconds backoff_{500};
  bool failing_ = false;
};

}  // namespace citadel::fleet
