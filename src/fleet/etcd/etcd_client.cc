#include "fleet/etcd/etcd_client.h"

#include <pthread.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>

#include "fleet/etcd/call_gate.h"
#include "fleet/etcd/etcd_json.h"
#include "fleet/etcd/etcd_watch.h"

namespace citadel::fleet::etcd {
namespace asio = boost::asio;

namespace {

constexpr std::chrono::milliseconds kLeastTimeToSend{10};

template <class T>
asio::awaitable<void> run_call(const EtcdClient::Options& options, CallGate& gate,
                               std::string target, std::string body,
                               Result<T> (*parse)(std::string_view), EtcdClient::Executor executor,
                               EtcdClient::Callback<T> done) {
  // One deadline from the ask: the wait for a place counts against it.
  const auto asked = CallGate::Clock::now();
  const auto deadline = asked + options.request_timeout;
  Result<T> result = Error{Error::Kind::kTimeout, 0, ""};
  bool admitted = co_await gate.enter(deadline);
  // A place that came with almost no time left: the call is not sent (it
  // could only time out, leaving its outcome in doubt).
  if (admitted && deadline - CallGate::Clock::now() < kLeastTimeToSend) {
    gate.leave();
    admitted = false;
  }
  if (!admitted) {
    result = Error{Error::Kind::kTimeout, 0,
                   "no place for the call to " + options.endpoint.describe() + " within " +
                       std::to_string(options.request_timeout.count()) +
                       " ms (too many calls in flight); not sent"};
  } else {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - CallGate::Clock::now());
    auto reply =
        co_await http_post(options.endpoint, std::move(target), std::move(body),
                           CallLimits{options.connect_timeout, left, options.max_answer_bytes});
    gate.leave();
    result = reply ? interpret(reply.value(), parse) : Result<T>(reply.error());
  }
  executor(
      [done = std::move(done), result = std::move(result)]() mutable { done(std::move(result)); });
}

}  // namespace

EtcdClient::EtcdClient(Options options, Executor executor)
    : options_(std::move(options)),
      executor_(std::move(executor)),
      gate_(std::make_unique<CallGate>(options_.max_calls_in_flight)),
      io_(std::make_unique<asio::io_context>(1)) {
  thread_ = std::thread([io = io_.get()] {
    pthread_setname_np(pthread_self(), "citadel-etcd");
    // Runs until the destructor stops it, also while no call is in flight.
    auto work = asio::make_work_guard(*io);
    io->run();
  });
}

EtcdClient::~EtcdClient() {
  io_->stop();
  if (thread_.joinable()) thread_.join();
  io_.reset();  // destroys the suspended coroutines: calls in flight are dropped
}

template <class T>
void EtcdClient::call(std::string target, std::string body, Result<T> (*parse)(std::string_view),
                      Callback<T> done) {
  asio::co_spawn(*io_,
                 run_call<T>(options_, *gate_, std::move(target), std::move(body), parse, executor_,
                             std::move(done)),
                 asio::detached);
}

void EtcdClient::grant_lease(int64_t ttl_seconds, Callback<LeaseGrant> done) {
  call("/v3/lease/grant", json::grant_body(ttl_seconds), &json::parse_grant, std::move(done));
}

void EtcdClient::keep_alive_once(int64_t lease, Callback<KeepAliveResult> done) {
  call("/v3/lease/keepalive", json::lease_id_body(lease), &json::parse_keepalive, std::move(done));
}

void EtcdClient::revoke(int64_t lease, Callback<Empty> done) {
  call("/v3/lease/revoke", json::lease_id_body(lease), &json::parse_empty, std::move(done));
}

void EtcdClient::put(std::string key, std::string value, int64_t lease, Callback<PutResult> done) {
  call("/v3/kv/put", json::put_body(key, value, lease), &json::parse_put, std::move(done));
}

void EtcdClient::get(std::string key, Callback<RangeResult> done) {
  call("/v3/kv/range", json::range_body(key, {}), &json::parse_range, std::move(done));
}

void EtcdClient::get_prefix(std::string prefix, Callback<RangeResult> done) {
  call("/v3/kv/range", json::range_body(prefix, prefix_end(prefix)), &json::parse_range,
       std::move(done));
}

void EtcdClient::delete_key(std::string key, Callback<DeleteResult> done) {
  call("/v3/kv/deleterange", json::delete_body(key, {}), &json::parse_delete, std::move(done));
}

void EtcdClient::delete_prefix(std::string prefix, Callback<DeleteResult> done) {
  call("/v3/kv/deleterange", json::delete_body(prefix, prefix_end(prefix)), &json::parse_delete,
       std::move(done));
}

void EtcdClient::txn(std::vector<Compare> compares, std::vector<TxnOp> success,
                     std::vector<TxnOp> failure, Callback<TxnResult> done) {
  call("/v3/kv/txn", json::txn_body(compares, success, failure), &json::parse_txn, std::move(done));
}

void EtcdClient::compact(int64_t revision, Callback<Empty> done) {
  call("/v3/kv/compaction", json::compaction_body(revision), &json::parse_empty, std::move(done));
}

std::unique_ptr<Watch> EtcdClient::watch(std::string key, std::string range_end,
                                         int64_t start_revision, WatchCallback callback) {
  return std::make_unique<Watch>(*this, std::move(key), std::move(range_end), start_revision,
                                 std::move(callback));
}

std::unique_ptr<Watch> EtcdClient::watch_prefix(std::string prefix, int64_t start_revision,
                                                WatchCallback callback) {
  std::string end = prefix_end(prefix);
  return watch(std::move(prefix), std::move(end), start_revision, std::move(callback));
}

}  // namespace citadel::fleet::etcd
