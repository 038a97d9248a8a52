// A node's place in the fleet (issue 18, docs/fleet.md "Membership"): its
// own record under a lease (NodeRegistration) and the table of every live
// node (FleetView), over one EtcdClient whose completions run on the
// service loop.
//
// The fencing hook: is_member() is true only while this node's record is in
// etcd on a lease that it has renewed within the TTL. Whatever later acts
// as an owner (rooms by transaction) must check it, and on_change() tells
// the loop thread when it flips.
//
// Threads:
//   - "citadel-etcd" (the client's own): HTTP calls and watch streams;
//   - the service loop (server.service_loop()): every completion, the
//     registration, the table, the load refresh timer, on_change callbacks;
//   - the control thread: start() and stop(), which post to the loop and
//     wait (bounded);
//   - the admin thread: is_member(), stats(), summary_json(), nodes_json()
//     (a mutex guards the copy they read; stats are atomics).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "fleet/membership/fleet_view.h"
#include "fleet/membership/membership_stats.h"
#include "fleet/membership/node_record.h"
#include "fleet/membership/node_registration.h"
#include "net/event_loop.h"

namespace citadel::fleet {

namespace etcd {
class EtcdClient;
}

class Membership {
 public:
  struct Options {
    std::string etcd_url;  // checked by the config (fleet_settings.h)
    std::string cluster;
    int64_t lease_ttl_seconds = 2;
    NodeRecord self;  // id, role, addresses, pid, version, started_at; load filled in
    // Whether the node is draining (shutting down), read with the load; any
    // thread-safe flag. Null: never.
    std::function<bool()> draining;
    std::chrono::milliseconds refresh{1000};
  };
  // The load figure: called on the loop thread about once a second; must
  // read only thread-safe counters.
  using LoadSource = std::function<NodeLoad()>;

  Membership(net::EventLoop& loop, Options options, LoadSource load);
  ~Membership();  // stop()
  Membership(const Membership&) = delete;
  Membership& operator=(const Membership&) = delete;

  // Before start(), any thread: `f(member)` runs on the loop thread each time
  // membership is gained or lost.
  void on_change(std::function<void(bool member)> f);
  // Before start(), any thread: `f(table)` runs on the loop thread each time
  // the table of live nodes changes (and after each full read).
  void on_table(std::function<void(const FleetTable& table)> f);

  // Starts registering and watching, then waits up to `wait` for the first
  // registration attempt. Throws std::runtime_error when the node id is
  // held by another live node; an unreachable etcd is logged and left to
  // the retries (the node serves, not ready). Control thread.
  void start(std::chrono::milliseconds wait);
  // Any thread: this node's record changed (it started draining): it is
  // rewritten now, not at the next refresh.
  void record_changed();
  // Revokes the lease (the record vanishes at once) and stops watching;
  // waits for etcd at most `wait`. Idempotent. Control thread.
  void stop(std::chrono::milliseconds wait = std::chrono::milliseconds(1500));

  // Loop thread, after start(): the etcd client (for the node's other
  // records: its rooms) and the lease the node's record is on now (0 while
  // it is not a member; a new one after each re-registration).
  etcd::EtcdClient& client_in_loop() { return *client_; }
  int64_t lease_in_loop() const;

  // Any thread.
  bool is_member() const { return stats_.member.load(); }
  const MembershipStats& stats() const { return stats_; }
  const std::string& node_id() const { return options_.self.id; }
  // GET /fleet: this node's state and the fleet's size by role.
  std::string summary_json() const;
  // GET /fleet/nodes: every live node.
  std::string nodes_json() const;
  // Live nodes by role, for /metrics.
  std::vector<std::pair<std::string, uint64_t>> nodes_by_role() const;

 private:
  // Runs `f` on the loop and waits for it at most `wait`; false on timeout.
  bool run_on_loop(std::function<void(std::function<void()> done)> f,
                   std::chrono::milliseconds wait);
  NodeRecord make_record() const;
  void on_state(NodeRegistration::State state, const std::string& detail);

  net::EventLoop& loop_;
  const Options options_;
  LoadSource load_;
  MembershipStats stats_;
  std::vector<std::function<void(bool)>> listeners_;
  std::vector<std::function<void(const FleetTable&)>> table_listeners_;
  std::unique_ptr<etcd::EtcdClient> client_;
  std::unique_ptr<NodeRegistration> registration_;  // loop thread
  std::unique_ptr<FleetView> view_;                 // loop thread
  bool started_ = false, stopped_ = false;
  bool was_member_ = false;  // loop thread

  // What the admin thread reads.
  mutable std::mutex mutex_;
  NodeRegistration::State state_ = NodeRegistration::State::kRegistering;
  std::string detail_ = "starting";
  int64_t lease_ = 0;
  FleetTable table_;
  bool synced_ = false;
  // The first outcome start() waits for.
  bool outcome_ = false;
  std::condition_variable outcome_cv_;
};

}  // namespace citadel::fleet
