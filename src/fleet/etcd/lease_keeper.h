// Keeps one etcd lease alive and says when it is lost: the fleet's fencing
// rule ("a node that loses its lease stops acting as owner, whatever it
// believes") listens to `lost`.
//
// Grants a lease of `ttl_seconds`, then renews it every TTL/3 (a coroutine
// on the client's "citadel-etcd" thread). Lost, reported once, when:
//   - a renewal says the lease is gone (TTL <= 0: it expired or was revoked);
//   - no renewal succeeded before the local deadline: the send time of the
//     last successful renewal plus the TTL etcd gave then. etcd counts the
//     TTL from when it received that renewal, later than we sent it, so the
//     node stops acting as owner no later than etcd frees its keys;
//   - the grant itself failed (lease() stays 0).
// After `lost` the keeper does nothing more; a node that wants back in
// makes a new keeper (a new lease) and registers again.
//
// Executor thread (the client's Executor): the callbacks, stop() and the
// destructor. After stop() returns there, no callback runs. stop() does not
// revoke the lease (a node that exits cleanly revokes it with
// EtcdClient::revoke(lease()), so its keys go at once rather than after the
// TTL).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "fleet/etcd/etcd_client.h"

namespace citadel::fleet::etcd {

class LeaseKeeper {
 public:
  struct Callbacks {
    std::function<void(LeaseGrant)> granted;
    std::function<void(const Error&)> lost;
  };

  // Starts at once: grants, then renews.
  LeaseKeeper(EtcdClient& client, int64_t ttl_seconds, Callbacks callbacks);
  ~LeaseKeeper();
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

  void stop();
  // The lease id once granted, else 0. Any thread.
  int64_t lease() const;
  // Renewals that succeeded so far. Any thread.
  uint64_t renewals() const;
  // Renewals that failed (no answer, an error; etcd saying the lease is
  // gone counts too). Any thread.
  uint64_t renewal_failures() const;

  struct State;  // shared with the coroutine (lease_keeper.cc)

 private:
  EtcdClient& client_;
  std::shared_ptr<State> state_;
};

}  // namespace citadel::fleet::etcd
