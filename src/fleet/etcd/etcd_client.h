// An asynchronous etcd v3 client over etcd's JSON gateway (HTTP/1.1 on the
// client port, /v3/...), for the fleet's membership and ownership records:
// leases, keys, transactions (compare a record's revision: the fencing
// token), watches. etcd 3.4 (Debian 12's etcd-server) and later.
//
// Threads: the client owns one thread, "citadel-etcd", running a Boost.Asio
// io_context where every HTTP call and watch stream lives as a coroutine
// (Beast, as the admin server does it). Nothing of etcd's latency ever runs
// on a game loop.
//
// Completions: every callback runs through the Executor given at
// construction, a function that runs a task somewhere, e.g.
// on_loop(event_loop) posts it to a net::EventLoop (see loop_executor.h),
// which is what a node's services will pass, so their callbacks run on
// their own loop with no lock. Why a plain function and not an EventLoop&:
// the library then needs nothing of net (tests and tools pass their own
// queue), and an asio executor would fit only asio users, which the game
// loops are not.
//
// Errors are values (Result<T>, Error::Kind), never exceptions: etcd
// unreachable (connection refused: at once; a dead host: connect_timeout),
// no answer in time (request_timeout), an HTTP status, etcd's own error
// (e.g. lease not found), an answer that is not the JSON expected.
//
// Every method is safe from any thread. Destroy Watches and LeaseKeepers
// before their client; destroying the client stops its thread and drops
// the calls still in flight (their callbacks are never run).
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "fleet/etcd/etcd_types.h"
#include "fleet/etcd/http_call.h"

namespace citadel::fleet::etcd {

class CallGate;
class Watch;

class EtcdClient {
 public:
  // Runs a task on the caller's side (its loop, its queue). Any thread.
  using Executor = std::function<void(std::function<void()>)>;
  template <class T>
  using Callback = std::function<void(Result<T>)>;
  using WatchCallback = std::function<void(Result<WatchBatch>)>;

  struct Options {
    Endpoint endpoint;
    std::chrono::milliseconds connect_timeout{1000};
    std::chrono::milliseconds request_timeout{5000};  // a whole unary call, its wait included
    // Unary calls in flight at once; the rest wait in order (call_gate.h).
    // Lease renewals (LeaseKeeper) and watches are not counted.
    std::size_t max_calls_in_flight = 32;
    std::size_t max_answer_bytes = 64u << 20;
    // A watch whose stream broke reconnects after this, doubling up to max.
    std::chrono::milliseconds watch_retry_min{50};
    std::chrono::milliseconds watch_retry_max{1000};
    // A watch stream quiet for this long is closed and opened again (from
    // the next revision, so nothing is lost): a stream that died without a
    // close (a partition, a host gone) is noticed, not trusted forever.
    std::chrono::milliseconds watch_idle_timeout{30000};
  };

  EtcdClient(Options options, Executor executor);
  ~EtcdClient();
  EtcdClient(const EtcdClient&) = delete;
  EtcdClient& operator=(const EtcdClient&) = delete;

  // ---- leases ----
  void grant_lease(int64_t ttl_seconds, Callback<LeaseGrant> done);
  // One renewal; KeepAliveResult::ttl <= 0 when the lease is gone.
  void keep_alive_once(int64_t lease, Callback<KeepAliveResult> done);
  // Revokes the lease and deletes the keys attached to it.
  void revoke(int64_t lease, Callback<Empty> done);

  // ---- keys ----
  // lease 0: not attached to a lease.
  void put(std::string key, std::string value, int64_t lease, Callback<PutResult> done);
  void get(std::string key, Callback<RangeResult> done);
  void get_prefix(std::string prefix, Callback<RangeResult> done);
  void delete_key(std::string key, Callback<DeleteResult> done);
  void delete_prefix(std::string prefix, Callback<DeleteResult> done);

  // If every compare holds, runs `success`, else `failure`, atomically.
  // Create-if-absent on my lease:
  //   txn({Compare::absent(k)}, {TxnOp::put(k, v, lease)}, {TxnOp::get(k)}, ...)
  // Fenced update: txn({Compare::mod_revision_is(k, r)}, {TxnOp::put(k, v2)}, {}, ...)
  void txn(std::vector<Compare> compares, std::vector<TxnOp> success, std::vector<TxnOp> failure,
           Callback<TxnResult> done);

  // Forgets the history before `revision` (watches from earlier revisions
  // then end with kCompacted).
  void compact(int64_t revision, Callback<Empty> done);

  // ---- watches ----
  // Streams every change of the keys in [key, range_end) (range_end empty:
  // `key` alone) from start_revision on (0: from now). The callback gets
  // each batch of events in revision order; when etcd drops the stream the
  // watch reconnects by itself and resumes at the revision after the last
  // event seen, so nothing is lost or repeated. It ends with one Error
  // result when etcd refuses to resume (kCompacted: the revision is gone,
  // re-read and watch again) or cancels it. Destroying or cancelling the
  // Watch stops it.
  std::unique_ptr<Watch> watch(std::string key, std::string range_end, int64_t start_revision,
                               WatchCallback callback);
  std::unique_ptr<Watch> watch_prefix(std::string prefix, int64_t start_revision,
                                      WatchCallback callback);

  // ---- for Watch and LeaseKeeper ----
  const Options& options() const { return options_; }
  const Executor& executor() const { return executor_; }
  boost::asio::io_context& io() { return *io_; }

 private:
  // One unary call: `done` runs through the executor with what `parse`
  // made of the answer.
  template <class T>
  void call(std::string target, std::string body, Result<T> (*parse)(std::string_view),
            Callback<T> done);

  const Options options_;
  const Executor executor_;
  // The "citadel-etcd" thread's: admits unary calls (call_gate.h).
  std::unique_ptr<CallGate> gate_;
  // Declared last: destroyed first (in the destructor), with the coroutines
  // it holds, while what they refer to is still alive.
  std::unique_ptr<boost::asio::io_context> io_;
  std::thread thread_;
};

}  // namespace citadel::fleet::etcd
