// This node's membership: its record /<cluster>/nodes/<id> on a lease of its
// own, created by a transaction that requires the key to be absent, so a
// second live node with the same id is refused.
//
//   start ─► grant lease ─► txn(absent(key): put(key, record, lease))
//              │                 ├─ created ─────────────► member (renewed every TTL/3,
//              │                 │                          load rewritten ≤ 1/s on the lease)
//              │                 └─ key held by another lease ─► duplicate, retry later
//              └─ etcd away ─► retry with a backoff (200 ms doubling to 2 s, ±25%)
//   member ─► lease lost (etcd says so, or no renewal by the local deadline),
//             or the record is no longer ours ─► not a member (logged once,
//             counted), a fresh lease and the same transaction again
//   stop ─► revoke the lease: the record goes at once
//
// After etcd restarts on the same data our lost lease may still hold our
// record (etcd restores leases with a fresh TTL): a record on the lease we
// lost is ours, and is taken over by a txn on its mod_revision rather than
// called a duplicate.
//
// Thread: everything runs on the service loop's thread (the EtcdClient's
// executor posts there), so nothing here takes a lock; MembershipStats is
// what other threads read.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "fleet/etcd/etcd_client.h"
#include "fleet/etcd/lease_keeper.h"
#include "fleet/membership/guarded.h"
#include "fleet/membership/membership_stats.h"
#include "fleet/membership/node_record.h"
#include "net/event_loop.h"

namespace citadel::fleet {

class NodeRegistration {
 public:
  enum class State {
    kRegistering,  // not yet registered since the start: trying
    kMember,       // the record is in etcd on our live lease
    kLost,         // was a member, lost it: trying again
    kDuplicate,    // the id is held by another live node: trying again
    kStopped,      // stop() was called
  };
  struct Options {
    std::string key;  // /<cluster>/nodes/<node_id>
    int64_t ttl_seconds = 2;
    std::chrono::milliseconds refresh{1000};  // the load is rewritten at most this often
    std::chrono::milliseconds retry_min{200};
    std::chrono::milliseconds retry_max{2000};
  };
  // The record to write, with the current load. Loop thread.
  using MakeRecord = std::function<NodeRecord()>;
  // After each change of state, with a sentence saying why. Loop thread.
  using StateChanged = std::function<void(State, const std::string& detail)>;

  NodeRegistration(net::EventLoop& loop, etcd::EtcdClient& client, Options options,
                   MakeRecord make_record, StateChanged changed, MembershipStats& stats);
  ~NodeRegistration();  // loop thread; no callback runs after it
  NodeRegistration(const NodeRegistration&) = delete;
  NodeRegistration& operator=(const NodeRegistration&) = delete;

  void start();  // loop thread
  // Stops renewing and revokes the lease (the record goes with it); `done`
  // runs on the loop thread once etcd answered (or the call failed). Loop thread.
  void stop(std::function<void()> done);

  State state() const { return state_; }
  int64_t lease() const { return lease_; }
  // The record changed now (e.g. the node started draining): written at
  // once rather than at the next refresh, if this node is a member and no
  // write is in flight (else the next refresh writes it). Loop thread.
  void write_now();

 private:
  void attempt();
  void on_granted(uint64_t generation, const etcd::LeaseGrant& grant);
  void on_created(uint64_t generation, const std::string& record,
                  etcd::Result<etcd::TxnResult> result);
  void take_over(uint64_t generation, const std::string& record, const etcd::KeyValue& ours);
  void become_member(const std::string& record);
  // The lease is gone or the record is not ours any more.
  void lose(const std::string& why);
  // This attempt failed: give its lease back, try again after the backoff.
  void retry(State state, const std::string& why);
  void refresh();
  void drop_keeper();
  void sync_renewals();
  void set_state(State state, const std::string& detail);
  void after(std::chrono::milliseconds delay, std::function<void()> f);

  // Callbacks run only while this object lives (membership/guarded.h).
  template <class F>
  auto guarded(F f) {
    return fleet::guarded(alive_, std::move(f));
  }

  net::EventLoop& loop_;
  etcd::EtcdClient& client_;
  const Options options_;
  MakeRecord make_record_;
  StateChanged changed_;
  MembershipStats& stats_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

  State state_ = State::kRegistering;
  std::shared_ptr<etcd::LeaseKeeper> keeper_;
  uint64_t generation_ = 0;  // one per attempt: late answers of an older one are ignored
  int64_t lease_ = 0;        // the current attempt's lease (0: none yet)
  int64_t lost_lease_ = 0;   // the lease of our last record, lost
  std::string written_;      // the record as last written
  bool writing_ = false;     // a load rewrite is in flight
  bool failing_ = false;     // failures since the last success (logged once)
  std::chrono::milliseconds backoff_;
  uint64_t renewals_ok_base_ = 0, renewals_failed_base_ = 0;  // of dropped keepers
};

std::string_view state_name(NodeRegistration::State state);

}  // namespace citadel::fleet
