// The etcd client (src/fleet/etcd) against a real etcd 3.4 started by the
// test (tests/support/etcd): keys and revisions, transactions as the fleet
// will use them (create-if-absent on a lease, fenced update), leases and the
// LeaseKeeper, watches across an etcd restart, and errors when etcd is away.
//
// Completions run on a TaskQueue the test thread drains: the test waits on
// events (a callback ran, a watch saw a delete), bounded by deadlines, never
// on a fixed sleep.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <vector>

#include "etcd/etcd_server.h"
#include "etcd/task_queue.h"
#include "fleet/etcd/etcd_client.h"
#include "fleet/etcd/etcd_watch.h"
#include "fleet/etcd/lease_keeper.h"

namespace citadel::fleet::etcd {
namespace {

using test::TaskQueue;

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

test::EtcdServer& shared_etcd() {
  static test::EtcdServer server;
  return server;
}

EtcdClient::Options options_for(uint16_t port) {
  EtcdClient::Options options;
  options.endpoint.port = port;
  options.request_timeout = 3s;
  return options;
}

class EtcdClientTest : public ::testing::Test {
 protected:
  explicit EtcdClientTest(test::EtcdServer& server = shared_etcd())
      : server_(server),
        client_(
            std::make_unique<EtcdClient>(options_for(server.client_port()), queue_.executor())) {}

  // Starts a call and waits for its completion.
  template <class T, class Start>
  Result<T> wait(Start start, std::chrono::milliseconds timeout = 10s) {
    std::optional<Result<T>> out;
    start([&out](Result<T> r) { out.emplace(std::move(r)); });
    if (!queue_.run_until([&] { return out.has_value(); }, timeout)) {
      return Error{Error::Kind::kTimeout, 0, "the test gave up waiting"};
    }
    return std::move(*out);
  }
  Result<PutResult> put(std::string key, std::string value, int64_t lease = 0) {
    return wait<PutResult>([&](auto cb) { client_->put(key, value, lease, cb); });
  }
  Result<RangeResult> get(std::string key) {
    return wait<RangeResult>([&](auto cb) { client_->get(key, cb); });
  }
  Result<TxnResult> txn(std::vector<Compare> c, std::vector<TxnOp> s, std::vector<TxnOp> f) {
    return wait<TxnResult>([&](auto cb) { client_->txn(c, s, f, cb); });
  }

  test::EtcdServer& server_;
  TaskQueue queue_;
  std::unique_ptr<EtcdClient> client_;
};

// Tests that stop and start etcd have their own.
class OwnEtcdTest : public EtcdClientTest {
 protected:
  OwnEtcdTest() : EtcdClientTest(*own_) {}

 public:
  static void SetUpTestSuite() { own_ = std::make_unique<test::EtcdServer>(); }
  static void TearDownTestSuite() { own_.reset(); }

 private:
  static inline std::unique_ptr<test::EtcdServer> own_;
};

// A loopback port bound but not listening: a connect there is refused, and
// nothing else can take the port while the socket is held.
class RefusingPort {
 public:
  RefusingPort() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      throw std::runtime_error("cannot bind a loopback port");
    }
    port_ = ntohs(addr.sin_port);
  }
  ~RefusingPort() { ::close(fd_); }
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;
  uint16_t port() const { return port_; }
  int fd() const { return fd_; }

 private:
  int fd_;
  uint16_t port_ = 0;
};

// Collects a watch's batches.
struct WatchLog {
  std::vector<WatchEvent> events;
  std::optional<Error> error;
  EtcdClient::WatchCallback callback() {
    return [this](Result<WatchBatch> r) {
      if (!r) {
        error = r.error();
        return;
      }
      for (auto& e : r->events) events.push_back(std::move(e));
    };
  }
};

TEST_F(EtcdClientTest, PutGetPrefixDeleteWithRevisions) {
  const auto a = put("/t1/a", "1");
  ASSERT_TRUE(a) << a.error().describe();
  const auto b = put("/t1/b", "2");
  ASSERT_TRUE(b) << b.error().describe();
  EXPECT_GT(b->revision, a->revision);
  ASSERT_TRUE(put("/t1x", "outside the prefix"));

  const auto one = get("/t1/a");
  ASSERT_TRUE(one) << one.error().describe();
  ASSERT_EQ(one->kvs.size(), 1u);
  EXPECT_EQ(one->kvs[0].value, "1");
  EXPECT_EQ(one->kvs[0].create_revision, a->revision);
  EXPECT_EQ(one->kvs[0].mod_revision, a->revision);
  EXPECT_GE(one->revision, b->revision);

  const auto a2 = put("/t1/a", "1b");
  ASSERT_TRUE(a2);
  const auto all = wait<RangeResult>([&](auto cb) { client_->get_prefix("/t1/", cb); });
  ASSERT_TRUE(all) << all.error().describe();
  ASSERT_EQ(all->kvs.size(), 2u);
  EXPECT_EQ(all->kvs[0].key, "/t1/a");
  EXPECT_EQ(all->kvs[0].value, "1b");
  EXPECT_EQ(all->kvs[0].create_revision, a->revision);
  EXPECT_EQ(all->kvs[0].mod_revision, a2->revision);
  EXPECT_EQ(all->kvs[0].version, 2);
  EXPECT_EQ(all->kvs[1].key, "/t1/b");

  const auto missing = get("/t1/none");
  ASSERT_TRUE(missing);
  EXPECT_TRUE(missing->kvs.empty());

  const auto del = wait<DeleteResult>([&](auto cb) { client_->delete_key("/t1/a", cb); });
  ASSERT_TRUE(del);
  EXPECT_EQ(del->deleted, 1);
  const auto rest = wait<DeleteResult>([&](auto cb) { client_->delete_prefix("/t1/", cb); });
  ASSERT_TRUE(rest);
  EXPECT_EQ(rest->deleted, 1);
  const auto outside = get("/t1x");
  ASSERT_TRUE(outside);
  EXPECT_EQ(outside->kvs.size(), 1u);
}

TEST_F(EtcdClientTest, BinaryKeysAndValuesSurvive) {
  const std::string key("/t2/\0\xff", 6);
  const std::string value("\x00\x01\x02\xfe", 4);
  ASSERT_TRUE(put(key, value));
  const auto r = get(key);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->kvs.size(), 1u);
  EXPECT_EQ(r->kvs[0].key, key);
  EXPECT_EQ(r->kvs[0].value, value);
}

TEST_F(EtcdClientTest, TxnCreateIfAbsentSucceedsOnceOnly) {
  const auto lease = wait<LeaseGrant>([&](auto cb) { client_->grant_lease(30, cb); });
  ASSERT_TRUE(lease) << lease.error().describe();
  const auto claim = [&](std::string node) {
    return txn({Compare::absent("/t3/room/1")}, {TxnOp::put("/t3/room/1", node, lease->id)},
               {TxnOp::get("/t3/room/1")});
  };
  const auto first = claim("node-a");
  ASSERT_TRUE(first) << first.error().describe();
  EXPECT_TRUE(first->succeeded);
  const auto second = claim("node-b");
  ASSERT_TRUE(second) << second.error().describe();
  EXPECT_FALSE(second->succeeded);
  ASSERT_EQ(second->responses.size(), 1u);
  ASSERT_EQ(second->responses[0].kvs.size(), 1u);
  EXPECT_EQ(second->responses[0].kvs[0].value, "node-a");  // who owns it
  EXPECT_EQ(second->responses[0].kvs[0].lease, lease->id);
  EXPECT_EQ(second->responses[0].kvs[0].mod_revision, first->revision);
}

TEST_F(EtcdClientTest, FencedUpdateNeedsTheRevisionItRead) {
  const auto created = put("/t4/room/1", "epoch-1");
  ASSERT_TRUE(created);
  const int64_t token = created->revision;
  const auto update = [&](int64_t seen, std::string value) {
    return txn({Compare::mod_revision_is("/t4/room/1", seen)},
               {TxnOp::put("/t4/room/1", std::move(value))}, {});
  };
  const auto ok = update(token, "epoch-2");
  ASSERT_TRUE(ok) << ok.error().describe();
  EXPECT_TRUE(ok->succeeded);
  const auto stale = update(token, "epoch-2-from-a-stale-owner");  // the token moved on
  ASSERT_TRUE(stale);
  EXPECT_FALSE(stale->succeeded);
  const auto now = get("/t4/room/1");
  ASSERT_TRUE(now);
  EXPECT_EQ(now->kvs.at(0).value, "epoch-2");
  EXPECT_EQ(now->kvs.at(0).mod_revision, ok->revision);
}

TEST_F(EtcdClientTest, KeepAliveOnceAndRevoke) {
  const auto lease = wait<LeaseGrant>([&](auto cb) { client_->grant_lease(10, cb); });
  ASSERT_TRUE(lease);
  EXPECT_EQ(lease->ttl, 10);
  ASSERT_TRUE(put("/t5/member", "me", lease->id));
  const auto kept =
      wait<KeepAliveResult>([&](auto cb) { client_->keep_alive_once(lease->id, cb); });
  ASSERT_TRUE(kept) << kept.error().describe();
  EXPECT_TRUE(kept->alive());
  ASSERT_TRUE(wait<Empty>([&](auto cb) { client_->revoke(lease->id, cb); }));
  const auto gone =
      wait<KeepAliveResult>([&](auto cb) { client_->keep_alive_once(lease->id, cb); });
  ASSERT_TRUE(gone) << gone.error().describe();
  EXPECT_FALSE(gone->alive());
  EXPECT_TRUE(get("/t5/member")->kvs.empty());  // revoking deleted the lease's keys
  const auto again = wait<Empty>([&](auto cb) { client_->revoke(lease->id, cb); });
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, Error::Kind::kEtcd);
  EXPECT_NE(again.error().message.find("lease not found"), std::string::npos)
      << again.error().describe();
}

TEST_F(EtcdClientTest, KeyOnALeaseNotKeptAliveGoesAfterItsTtl) {
  const auto lease = wait<LeaseGrant>([&](auto cb) { client_->grant_lease(1, cb); });
  ASSERT_TRUE(lease);
  const auto put_at = put("/t6/node", "up", lease->id);
  ASSERT_TRUE(put_at);
  WatchLog log;
  auto watch = client_->watch("/t6/node", "", put_at->revision + 1, log.callback());
  const auto start = Clock::now();
  ASSERT_TRUE(queue_.run_until([&] { return !log.events.empty(); }, 10s));
  EXPECT_EQ(log.events[0].type, WatchEvent::Type::kDelete);
  EXPECT_GE(Clock::now() - start, 500ms);  // not before the lease ran out, roughly
  EXPECT_TRUE(get("/t6/node")->kvs.empty());
}

TEST_F(EtcdClientTest, KeeperKeepsTheLeaseAcrossSeveralTtls) {
  std::optional<LeaseGrant> granted;
  std::optional<Error> lost;
  LeaseKeeper keeper(*client_, 2,
                     {[&](LeaseGrant g) { granted = g; }, [&](const Error& e) { lost = e; }});
  ASSERT_TRUE(queue_.run_until([&] { return granted.has_value() || lost; }, 10s));
  ASSERT_TRUE(granted) << lost->describe();
  EXPECT_EQ(keeper.lease(), granted->id);
  const auto put_at = put("/t7/node", "up", granted->id);
  ASSERT_TRUE(put_at);
  WatchLog log;
  auto watch = client_->watch("/t7/node", "", put_at->revision + 1, log.callback());
  // Three renewals a TTL: nine of them span three TTLs. Two seconds, not
  // one: a loaded machine that delays a renewal by a few hundred ms must
  // not lose the lease for it.
  ASSERT_TRUE(queue_.run_until([&] { return keeper.renewals() >= 9 || lost; }, 20s));
  EXPECT_FALSE(lost) << lost->describe();
  EXPECT_TRUE(log.events.empty());  // the key was never deleted
  const auto still = get("/t7/node");
  ASSERT_TRUE(still);
  EXPECT_EQ(still->kvs.size(), 1u);
}

TEST_F(EtcdClientTest, StoppedKeeperLetsTheLeaseGo) {
  std::optional<LeaseGrant> granted;
  auto keeper = std::make_unique<LeaseKeeper>(
      *client_, 1, LeaseKeeper::Callbacks{[&](LeaseGrant g) { granted = g; }, {}});
  ASSERT_TRUE(queue_.run_until([&] { return granted.has_value(); }, 10s));
  const auto put_at = put("/t8/node", "up", granted->id);
  ASSERT_TRUE(put_at);
  WatchLog log;
  auto watch = client_->watch("/t8/node", "", put_at->revision + 1, log.callback());
  keeper.reset();
  ASSERT_TRUE(queue_.run_until([&] { return !log.events.empty(); }, 10s));
  EXPECT_EQ(log.events[0].type, WatchEvent::Type::kDelete);
}

TEST_F(EtcdClientTest, WatchSeesPutsAndDeletesInOrder) {
  WatchLog log;
  auto watch = client_->watch_prefix("/t9/", 0, log.callback());
  // Wait until etcd confirmed the watch, so the puts below come after its start.
  ASSERT_TRUE(queue_.run_until([&] { return watch->next_revision() != 0; }, 10s));
  const auto a = put("/t9/a", "1");
  ASSERT_TRUE(a);
  ASSERT_TRUE(put("/t9/b", "2"));
  ASSERT_TRUE(put("/t9x", "outside"));
  ASSERT_TRUE(put("/t9/a", "3"));
  ASSERT_TRUE(wait<DeleteResult>([&](auto cb) { client_->delete_key("/t9/b", cb); }));
  ASSERT_TRUE(queue_.run_until([&] { return log.events.size() >= 4; }, 10s));
  ASSERT_EQ(log.events.size(), 4u);
  EXPECT_EQ(log.events[0].kv.key, "/t9/a");
  EXPECT_EQ(log.events[0].kv.value, "1");
  EXPECT_EQ(log.events[0].kv.mod_revision, a->revision);
  EXPECT_EQ(log.events[1].kv.key, "/t9/b");
  EXPECT_EQ(log.events[2].kv.value, "3");
  EXPECT_EQ(log.events[3].type, WatchEvent::Type::kDelete);
  EXPECT_EQ(log.events[3].kv.key, "/t9/b");
  for (std::size_t i = 1; i < log.events.size(); ++i) {
    EXPECT_GT(log.events[i].kv.mod_revision, log.events[i - 1].kv.mod_revision);
  }
  // After cancel, nothing more arrives.
  watch->cancel();
  ASSERT_TRUE(put("/t9/c", "after cancel"));
  queue_.run_until([] { return false; }, 300ms);  // drains what was queued
  EXPECT_EQ(log.events.size(), 4u);
}

TEST_F(EtcdClientTest, AQuietWatchReopensItsStreamWithoutLosingOrRepeating) {
  EtcdClient::Options options = options_for(server_.client_port());
  options.watch_idle_timeout = 200ms;
  EtcdClient client(options, queue_.executor());
  WatchLog log;
  auto watch = client.watch_prefix("/t12/", 0, log.callback());
  ASSERT_TRUE(queue_.run_until([&] { return watch->next_revision() != 0; }, 10s));
  const auto a = put("/t12/a", "1");
  ASSERT_TRUE(a);
  ASSERT_TRUE(queue_.run_until([&] { return log.events.size() == 1; }, 10s));
  const uint64_t streams = watch->streams();
  // Quiet: the stream is closed and opened again, twice at least.
  ASSERT_TRUE(queue_.run_until([&] { return watch->streams() >= streams + 2; }, 10s));
  const auto b = put("/t12/b", "2");
  ASSERT_TRUE(b);
  ASSERT_TRUE(queue_.run_until([&] { return log.events.size() >= 2; }, 10s));
  queue_.run_until([] { return false; }, 300ms);  // anything repeated would show now
  ASSERT_EQ(log.events.size(), 2u);
  EXPECT_EQ(log.events[0].kv.mod_revision, a->revision);
  EXPECT_EQ(log.events[1].kv.mod_revision, b->revision);
  watch.reset();  // before its client
}

TEST_F(EtcdClientTest, WatchFromACompactedRevisionEndsWithAnError) {
  const auto first = put("/t10/a", "1");
  ASSERT_TRUE(first);
  const auto second = put("/t10/a", "2");
  ASSERT_TRUE(second);
  ASSERT_TRUE(wait<Empty>([&](auto cb) { client_->compact(second->revision, cb); }));
  WatchLog log;
  auto watch = client_->watch("/t10/a", "", first->revision, log.callback());
  ASSERT_TRUE(queue_.run_until([&] { return log.error.has_value(); }, 10s));
  EXPECT_EQ(log.error->kind, Error::Kind::kCompacted);
  EXPECT_EQ(log.error->compact_revision, second->revision);
}

TEST(EtcdUnreachable, CallsFailPromptlyWithAClearError) {
  TaskQueue queue;
  RefusingPort nobody;
  EtcdClient::Options options;
  options.endpoint.port = nobody.port();
  EtcdClient client(options, queue.executor());
  std::optional<Result<RangeResult>> out;
  const auto start = Clock::now();
  client.get("/x", [&](Result<RangeResult> r) { out.emplace(std::move(r)); });
  ASSERT_TRUE(queue.run_until([&] { return out.has_value(); }, 5s));
  EXPECT_LT(Clock::now() - start, 1s);
  ASSERT_FALSE(*out);
  EXPECT_EQ(out->error().kind, Error::Kind::kUnreachable);
  EXPECT_NE(out->error().describe().find("127.0.0.1:" + std::to_string(options.endpoint.port)),
            std::string::npos)
      << out->error().describe();
}

TEST(EtcdUnreachable, ASilentPeerGivesATimeoutByTheRequestTimeout) {
  // Listening, never accepting, never answering: connects (the kernel's
  // backlog takes it) and then nothing, like a hung etcd.
  RefusingPort silent;
  ASSERT_EQ(::listen(silent.fd(), 4), 0);
  TaskQueue queue;
  EtcdClient::Options options;
  options.endpoint.port = silent.port();
  options.request_timeout = 300ms;
  EtcdClient client(options, queue.executor());
  std::optional<Result<PutResult>> out;
  const auto start = Clock::now();
  client.put("/x", "y", 0, [&](Result<PutResult> r) { out.emplace(std::move(r)); });
  ASSERT_TRUE(queue.run_until([&] { return out.has_value(); }, 5s));
  EXPECT_GE(Clock::now() - start, 250ms);
  EXPECT_LT(Clock::now() - start, 2s);
  ASSERT_FALSE(*out);
  EXPECT_EQ(out->error().kind, Error::Kind::kTimeout) << out->error().describe();
}

TEST(EtcdUnreachable, CallsPastTheLimitWaitAndTimeOutUnsentAtTheirDeadline) {
  RefusingPort silent;
  ASSERT_EQ(::listen(silent.fd(), 16), 0);
  TaskQueue queue;
  EtcdClient::Options options;
  options.endpoint.port = silent.port();
  options.request_timeout = 300ms;
  options.max_calls_in_flight = 1;
  EtcdClient client(options, queue.executor());
  std::vector<Result<PutResult>> out;
  const auto start = Clock::now();
  for (int i = 0; i < 3; ++i) {
    client.put("/x", "y", 0, [&](Result<PutResult> r) { out.push_back(std::move(r)); });
  }
  ASSERT_TRUE(queue.run_until([&] { return out.size() == 3; }, 5s));
  // Each by its own deadline, not one after another's.
  EXPECT_LT(Clock::now() - start, 1s);
  int unsent = 0;
  for (const auto& r : out) {
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, Error::Kind::kTimeout) << r.error().describe();
    if (r.error().describe().find("not sent") != std::string::npos) ++unsent;
  }
  EXPECT_EQ(unsent, 2) << "one call had the only place; the other two waited for it";
}

TEST_F(EtcdClientTest, ManyCallsAtOnceAllCompleteThroughFewPlaces) {
  EtcdClient::Options options = options_for(server_.client_port());
  options.max_calls_in_flight = 2;
  EtcdClient narrow(options, queue_.executor());
  constexpr int kCalls = 60;
  std::vector<Result<PutResult>> out;
  for (int i = 0; i < kCalls; ++i) {
    narrow.put("/gate/" + std::to_string(i), "v", 0,
               [&](Result<PutResult> r) { out.push_back(std::move(r)); });
  }
  ASSERT_TRUE(queue_.run_until([&] { return out.size() == kCalls; }, 20s));
  for (const auto& r : out) EXPECT_TRUE(r) << r.error().describe();
  const auto all = wait<RangeResult>([&](auto cb) { client_->get_prefix("/gate/", cb); });
  ASSERT_TRUE(all);
  EXPECT_EQ(all->kvs.size(), std::size_t(kCalls));
}

TEST_F(OwnEtcdTest, WatchResumesAfterARestartFromTheNextRevision) {
  WatchLog log;
  auto watch = client_->watch_prefix("/t11/", 0, log.callback());
  ASSERT_TRUE(queue_.run_until([&] { return watch->next_revision() != 0; }, 10s));
  const auto a = put("/t11/a", "before");
  ASSERT_TRUE(a);
  ASSERT_TRUE(queue_.run_until([&] { return log.events.size() == 1; }, 10s));
  EXPECT_EQ(watch->streams(), 1u);

  server_.stop();
  server_.start();
  // The put may land before the watch is back: it resumes from a's revision + 1.
  Result<PutResult> b = Error{};
  const auto deadline = Clock::now() + 10s;
  while (!(b = put("/t11/b", "after")) && Clock::now() < deadline) {
    // etcd may still be electing itself
    queue_.run_until([] { return false; }, 50ms);
  }
  ASSERT_TRUE(b) << b.error().describe();
  ASSERT_TRUE(queue_.run_until([&] { return log.events.size() >= 2; }, 10s)) << server_.log_tail();
  queue_.run_until([] { return false; }, 200ms);  // anything repeated would show now
  ASSERT_EQ(log.events.size(), 2u);
  EXPECT_EQ(log.events[0].kv.mod_revision, a->revision);
  EXPECT_EQ(log.events[1].kv.key, "/t11/b");
  EXPECT_EQ(log.events[1].kv.mod_revision, b->revision);
  EXPECT_GE(watch->streams(), 2u);
  EXPECT_FALSE(log.error);
}

TEST_F(OwnEtcdTest, KeeperReportsLossWhenEtcdStops) {
  std::optional<LeaseGrant> granted;
  std::optional<Error> lost;
  LeaseKeeper keeper(*client_, 2,
                     {[&](LeaseGrant g) { granted = g; }, [&](const Error& e) { lost = e; }});
  ASSERT_TRUE(queue_.run_until([&] { return granted.has_value() || lost; }, 10s));
  ASSERT_TRUE(granted) << lost->describe();
  ASSERT_TRUE(queue_.run_until([&] { return keeper.renewals() >= 1; }, 10s));
  server_.stop();
  const auto stopped = Clock::now();
  ASSERT_TRUE(queue_.run_until([&] { return lost.has_value(); }, 10s));
  // By the TTL's end after the last renewal at the latest: within 2 s of the stop.
  EXPECT_LT(Clock::now() - stopped, 2500ms);
  EXPECT_NE(lost->message.find("not renewed within"), std::string::npos) << lost->describe();
  server_.start();
}

}  // namespace
}  // namespace citadel::fleet::etcd
