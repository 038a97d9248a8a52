// Sessions across the fleet (issue 18, docs/fleet.md "Sessions across the
// fleet"): this node's side of the session records (session_record.h).
//
//   - every local session has a record naming this node on its lease: a
//     fresh login while a member writes it unconditionally (a login is the
//     newest by definition, and etcd's revision orders two that race); any
//     other write (a login made while not a member, a write that failed, a
//     rewrite after the lease was lost, a session restored after a restart)
//     is conditional: only if the key is absent or holds this node's own
//     record or a tombstone, else the local session lost to the live
//     record etcd holds;
//   - a read of the prefix, then a watch of it: a newer record naming
//     anything else ends the local session (`evict`: the registry kicks its
//     connection with ERROR 11, or drops it silently when detached);
//   - a session that ends here leaves a tombstone if its record is still
//     this node's (compare its mod_revision), on a lease of its own that
//     outlives the tokens (26 h), so the session stays ended after this
//     node is gone;
//   - a Resume of a session this node does not hold asks etcd (resolve):
//     take it over from another node by its mod_revision, adopt it if no
//     record is left, or refuse it.
//
// One etcd operation per user at a time (a user's later change waits for
// the answer), so writes for one user land in the order they were decided.
//
// Fresh logins' records go out together: one transaction of up to
// `batch_max` puts, at most `batches_in_flight` such transactions at once;
// the logins that arrive while they are away wait and form the next one
// (group commit). One login alone is one call as before; a burst of
// thousands a second is tens of etcd writes a second, not thousands (each
// a raft entry, and a backlog of them holds lease renewals back inside etcd).
//
// Threads: everything runs on the EtcdClient's executor thread (the service
// loop): construct, call and destroy it there; callbacks run there. The
// stats are atomics, read by the admin thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "fleet/etcd/etcd_client.h"
#include "fleet/etcd/etcd_watch.h"
#include "fleet/sessions/session_record.h"

namespace citadel::fleet::sessions {

struct FleetSessionStats {
  std::atomic<uint64_t> records_written{0};     // live records put (fresh, conditional, taken over)
  std::atomic<uint64_t> fresh_batches{0};       // transactions sent with fresh records
  std::atomic<uint64_t> write_failures{0};      // etcd errors on a write (retried)
  std::atomic<uint64_t> tombstones{0};          // sessions that ended here and said so
  std::atomic<uint64_t> evicted_by_login{0};    // local sessions ended by a newer login elsewhere
  std::atomic<uint64_t> evicted_by_resume{0};   // local sessions resumed on another node
  std::atomic<uint64_t> resumes_taken_over{0};  // resumes of sessions another node held
  std::atomic<uint64_t> resumes_adopted{0};     // resumes of sessions with no record left
  std::atomic<uint64_t> resumes_refused{0};     // replaced or ended
  std::atomic<uint64_t> resumes_unavailable{0};  // etcd unreachable or not a member
  std::atomic<uint64_t> resume_rereads{0};  // resumes whose write lost its compare and read again
  std::atomic<uint64_t> local{0};           // users with a live session here (gauge)
};

class FleetSessions {
 public:
  struct Options {
    std::string cluster;
    std::string node_id;
    std::chrono::milliseconds retry_delay{200};
    // How long a tombstone lives (on a lease of its own, granted about once
    // an hour): at least this minus an hour, so longer than the tokens
    // (24 h) whose sessions it ends.
    std::chrono::seconds tombstone_ttl{26 * 3600};
    // Fresh records per transaction (etcd refuses more than --max-txn-ops,
    // 128 by default) and such transactions in flight at once.
    std::size_t batch_max = 64;
    int batches_in_flight = 2;
  };
  // Ends the local session `session_id` of `user_id` (if it is still that
  // one): a newer record names someone else. by_resume: the record names the
  // same session on another node (it was resumed there).
  using Evict = std::function<void(uint64_t user_id, uint64_t session_id, bool by_resume)>;

  enum class Verdict : uint8_t { kAdopt, kReplaced, kEnded, kUnavailable };
  using Resolved = std::function<void(Verdict)>;

  FleetSessions(etcd::EtcdClient& client, Options options, Evict evict, FleetSessionStats& stats);
  // Runs the when_recorded callbacks still waiting.
  ~FleetSessions();
  FleetSessions(const FleetSessions&) = delete;
  FleetSessions& operator=(const FleetSessions&) = delete;

  // Reads the prefix, then watches it. Once.
  void start();
  // This node's lease: 0 while it is not a member (nothing is written), a
  // new one after it registered (again): every local session's record is
  // written again, conditionally.
  void set_lease(int64_t lease);

  // A local session started: fresh (a login now) or not (restored after a
  // restart, or known before the fleet started).
  void started(uint64_t user_id, uint64_t session_id, std::string username, bool fresh);
  // `f` runs once the record of the user's session `session_id` is in etcd,
  // or as soon as it is known that it will not be now (not a member, the
  // write failed and is retried later, the session is no longer the
  // user's): a login's reply waits for it, so a client told "welcome" is
  // the holder etcd orders later logins after, and a login never hangs on
  // etcd longer than one request's timeout.
  void when_recorded(uint64_t user_id, uint64_t session_id, std::function<void()> f);
  // The local session ended (logout, grace passed, evicted, replaced).
  void ended(uint64_t user_id, uint64_t session_id);
  // A Resume of a session this node does not hold. On kAdopt the record now
  // names this node and that session, and the caller must start it locally
  // (it calls started(..., fresh=false) or nothing: the record is written).
  void resolve(uint64_t user_id, uint64_t session_id, std::string username, Resolved done);

  bool synced() const { return synced_; }
  std::size_t users() const { return entries_.size(); }

 private:
  struct Written {
    uint64_t session_id = 0;
    int64_t revision = 0;
  };
  struct Entry {
    uint64_t session_id = 0;  // the live local session; 0: none (a tombstone may be due)
    std::string username;
    bool fresh = false;                // its next write is unconditional
    uint64_t generation = 0;           // +1 per local start: a resolve started before one is stale
    std::optional<Written> written;    // this node's record in etcd, as last written
    int64_t floor = 0;                 // the newest revision this node wrote for the user
    bool busy = false;                 // an etcd operation for the user is in flight
    std::optional<Observed> buffered;  // the newest observation while busy
    std::vector<std::function<void()>> waiting;  // when_recorded, for session_id
  };

  void read_all();
  void on_read(etcd::Result<etcd::RangeResult> got);
  void on_watch(etcd::Result<etcd::WatchBatch> batch);
  void observe(uint64_t user_id, const Observed& seen);
  void apply(uint64_t user_id, const Observed& seen);
  void reconcile(uint64_t user_id);
  void write_fresh(uint64_t user_id);
  // Sends what write_fresh queued, as batches, while fewer than
  // batches_in_flight are away.
  void send_fresh_batches();
  struct FreshWrite {
    uint64_t user_id = 0;
    uint64_t session_id = 0;
  };
  void on_fresh_batch(const std::vector<FreshWrite>& batch, etcd::Result<etcd::TxnResult> txn);
  void write_conditional(uint64_t user_id, int attempts);
  // One read-judge-write of resolve(); a write that lost its compare reads
  // again, at most `attempts` times in all.
  static constexpr int kResolveAttempts = 3;
  void resolve_attempt(uint64_t user_id, uint64_t session_id, std::string username,
                       uint64_t generation, int attempts, Resolved done);
  void write_tombstone(uint64_t user_id);
  // A write of the user's record ended: busy cleared, buffered applied, next step.
  void finished(uint64_t user_id, bool failed);
  void superseded(uint64_t user_id, const Observed& seen);
  // Runs the user's when_recorded callbacks (their wait is over).
  void release_waiting(uint64_t user_id, bool all);
  void retry_later(std::function<void()> f);
  // Calls f with the lease tombstones go on (granted when the last one is an
  // hour old), or 0 when etcd could not grant one.
  void with_tombstone_lease(std::function<void(int64_t lease)> f);
  std::string live_value(uint64_t user_id, const Entry& e) const;
  template <class F>
  auto guard(F f);

  etcd::EtcdClient& client_;
  const Options options_;
  const Evict evict_;
  FleetSessionStats& stats_;
  int64_t lease_ = 0;
  std::unordered_map<uint64_t, Entry> entries_;
  std::unique_ptr<etcd::Watch> watch_;
  bool started_ = false;
  bool synced_ = false;
  int64_t revision_ = 0;
  std::deque<uint64_t> fresh_queue_;  // users whose fresh record waits for a batch
  int fresh_batches_away_ = 0;
  int64_t tombstone_lease_ = 0;
  std::chrono::steady_clock::time_point tombstone_lease_granted_{};
  std::vector<std::function<void(int64_t)>> tombstone_waiting_;
  // Callbacks hold a weak_ptr to this: one that runs after the destructor
  // finds it expired and does nothing.
  std::shared_ptr<FleetSessions*> self_;
};

}  // namespace citadel::fleet::sessions
