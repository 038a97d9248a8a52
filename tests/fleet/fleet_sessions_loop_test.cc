// FleetSessions (src/fleet/sessions) in process against a real etcd 3.4
// (tests/support/etcd): two "nodes", each a FleetSessions on a client and a
// lease of its own, their completions on one TaskQueue the test thread
// drains (as a node's service loop would). What a node's registry would do
// on an eviction is recorded instead. Waits are on events with deadlines.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "etcd/etcd_server.h"
#include "etcd/task_queue.h"
#include "fleet/etcd/etcd_client.h"
#include "fleet/sessions/fleet_sessions.h"
#include "fleet/sessions/session_record.h"

namespace citadel::fleet::sessions {
namespace {

using namespace std::chrono_literals;
using etcd::EtcdClient;
using etcd::Result;
using test::TaskQueue;

test::EtcdServer& shared_etcd() {
  static test::EtcdServer server;
  return server;
}

// Each test (and each repetition of one) has its own cluster name, so tests
// sharing one etcd never see each other's records.
std::string cluster_name() {
  static int runs = 0;
  return std::string("t-") + ::testing::UnitTest::GetInstance()->current_test_info()->name() + "-" +
         std::to_string(++runs);
}

struct Node {
  std::string id;
  std::unique_ptr<EtcdClient> client;
  FleetSessionStats stats;
  std::unique_ptr<FleetSessions> sessions;
  // user -> sessions evicted here (what the registry would have ended)
  std::map<uint64_t, std::vector<uint64_t>> evicted;
  int64_t lease = 0;
};

class FleetSessionsLoop : public ::testing::Test {
 protected:
  FleetSessionsLoop() : cluster_(cluster_name()) {
    for (auto* n : {&a_, &b_}) make(*n, n == &a_ ? "node-a" : "node-b");
  }
  ~FleetSessionsLoop() override {
    // On the executor's thread (this one), before their clients.
    for (auto* n : {&a_, &b_}) n->sessions.reset();
  }

  // `queue`: where the node's completions run (the fixture's unless a test
  // needs to hold one node's back).
  void make(Node& n, std::string id, TaskQueue* queue = nullptr) {
    if (queue == nullptr) queue = &queue_;
    n.id = std::move(id);
    EtcdClient::Options options;
    options.endpoint.port = shared_etcd().client_port();
    options.request_timeout = 3s;
    n.client = std::make_unique<EtcdClient>(options, queue->executor());
    FleetSessions::Options o;
    o.cluster = cluster_;
    o.node_id = n.id;
    o.retry_delay = 50ms;
    n.sessions = std::make_unique<FleetSessions>(
        *n.client, o,
        [&n](uint64_t user, uint64_t session, bool) { n.evicted[user].push_back(session); },
        n.stats);
    n.lease = grant(n, queue);
    n.sessions->set_lease(n.lease);
    n.sessions->start();
    ASSERT_TRUE(queue->run_until([&] { return n.sessions->synced(); }, 10s));
  }

  template <class T, class Start>
  Result<T> wait(Start start, TaskQueue* queue = nullptr) {
    if (queue == nullptr) queue = &queue_;
    std::optional<Result<T>> out;
    start([&out](Result<T> r) { out.emplace(std::move(r)); });
    if (!queue->run_until([&] { return out.has_value(); }, 10s)) {
      return etcd::Error{etcd::Error::Kind::kTimeout, 0, "the test gave up waiting"};
    }
    return std::move(*out);
  }
  int64_t grant(Node& n, TaskQueue* queue = nullptr) {
    auto lease = wait<etcd::LeaseGrant>([&](auto cb) { n.client->grant_lease(30, cb); }, queue);
    EXPECT_TRUE(lease) << lease.error().describe();
    return lease ? lease->id : 0;
  }
  // The record etcd holds for the user (nullopt: none).
  std::optional<SessionRecord> record(uint64_t user) {
    auto got =
        wait<etcd::RangeResult>([&](auto cb) { a_.client->get(session_key(cluster_, user), cb); });
    EXPECT_TRUE(got);
    if (!got || got->kvs.empty()) return std::nullopt;
    return decode_session_record(got->kvs.front().value);
  }
  // A login: started, then wait for its record (as the AuthReply does).
  void login(Node& n, uint64_t user, uint64_t session) {
    bool recorded = false;
    n.sessions->started(user, session, "user-" + std::to_string(user), true);
    n.sessions->when_recorded(user, session, [&] { recorded = true; });
    ASSERT_TRUE(queue_.run_until([&] { return recorded; }, 10s));
  }
  FleetSessions::Verdict resolve(Node& n, uint64_t user, uint64_t session) {
    std::optional<FleetSessions::Verdict> verdict;
    n.sessions->resolve(user, session, "user-" + std::to_string(user),
                        [&](FleetSessions::Verdict v) { verdict = v; });
    EXPECT_TRUE(queue_.run_until([&] { return verdict.has_value(); }, 10s));
    return verdict.value_or(FleetSessions::Verdict::kUnavailable);
  }
  bool evicted(Node& n, uint64_t user, uint64_t session) {
    return queue_.run_until(
        [&] {
          const auto& v = n.evicted[user];
          return std::find(v.begin(), v.end(), session) != v.end();
        },
        10s);
  }

  const std::string cluster_;
  TaskQueue queue_;
  Node a_, b_;
};

TEST_F(FleetSessionsLoop, LoginsRacingForManyUsersLeaveExactlyOneHolderEach) {
  constexpr uint64_t kUsers = 30;
  int recorded = 0;
  // Every login of both nodes in flight at once; etcd orders each pair.
  for (uint64_t user = 1; user <= kUsers; ++user) {
    for (auto* n : {&a_, &b_}) {
      const uint64_t session = user * 10 + (n == &a_ ? 1 : 2);
      n->sessions->started(user, session, "u", true);
      n->sessions->when_recorded(user, session, [&] { ++recorded; });
    }
  }
  ASSERT_TRUE(queue_.run_until([&] { return recorded == int(2 * kUsers); }, 20s));
  // Each user: the node etcd names keeps its session; the other evicts its own.
  for (uint64_t user = 1; user <= kUsers; ++user) {
    SCOPED_TRACE("user " + std::to_string(user));
    const auto r = record(user);
    ASSERT_TRUE(r);
    Node& winner = r->node_id == "node-a" ? a_ : b_;
    Node& loser = r->node_id == "node-a" ? b_ : a_;
    EXPECT_EQ(r->session_id, user * 10 + (&winner == &a_ ? 1 : 2));
    ASSERT_TRUE(evicted(loser, user, user * 10 + (&loser == &a_ ? 1 : 2)));
    EXPECT_TRUE(winner.evicted[user].empty()) << "the holder etcd names must not be evicted";
  }
  EXPECT_EQ(a_.stats.evicted_by_login + b_.stats.evicted_by_login, kUsers);
  EXPECT_EQ(a_.stats.local + b_.stats.local, kUsers);
}

TEST_F(FleetSessionsLoop, ABurstOfLoginsGoesToEtcdInAFewTransactions) {
  constexpr uint64_t kUsers = 300;
  int recorded = 0;
  for (uint64_t user = 1; user <= kUsers; ++user) {
    a_.sessions->started(user, user * 10, "u", true);
    a_.sessions->when_recorded(user, user * 10, [&] { ++recorded; });
  }
  // User 7 logs in again while the burst waits: the newer session is the one
  // etcd gets, and its login is answered too.
  bool again = false;
  a_.sessions->started(7, 77, "u", true);
  a_.sessions->when_recorded(7, 77, [&] { again = true; });
  ASSERT_TRUE(queue_.run_until([&] { return recorded >= int(kUsers) - 1 && again; }, 20s));
  for (uint64_t user = 1; user <= kUsers; ++user) {
    SCOPED_TRACE("user " + std::to_string(user));
    const auto r = record(user);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->node_id, "node-a");
    EXPECT_EQ(r->session_id, user == 7 ? 77u : user * 10);
  }
  // Grouped: two batches away at a time, up to 64 records each, instead of a
  // call per login.
  EXPECT_GE(a_.stats.records_written.load(), kUsers);
  EXPECT_LE(a_.stats.fresh_batches.load(), 12u);
  EXPECT_EQ(a_.stats.write_failures.load(), 0u);
  EXPECT_TRUE(a_.evicted.empty());
}

TEST_F(FleetSessionsLoop, ANewLeaseRewritesTheRecordsUnlessANewerLoginTookTheUser) {
  login(a_, 1, 11);
  login(a_, 2, 21);
  // node-a's lease goes (cut off for a TTL): its records go with it.
  auto revoked = wait<etcd::Empty>([&](auto cb) { a_.client->revoke(a_.lease, cb); });
  ASSERT_TRUE(revoked);
  a_.sessions->set_lease(0);
  ASSERT_FALSE(record(1));
  // Meanwhile user 2 logs in on node-b.
  login(b_, 2, 22);
  // node-a registers again: user 1's record comes back, user 2 is node-b's.
  a_.lease = grant(a_);
  a_.sessions->set_lease(a_.lease);
  ASSERT_TRUE(evicted(a_, 2, 21));
  ASSERT_TRUE(queue_.run_until(
      [&] {
        const auto r = record(1);
        return r && r->node_id == "node-a" && r->session_id == 11;
      },
      10s));
  EXPECT_EQ(record(2)->node_id, "node-b");
  EXPECT_TRUE(a_.evicted[1].empty());
  EXPECT_TRUE(b_.evicted[2].empty());
}

TEST_F(FleetSessionsLoop, ResumesAreTakenOverAdoptedOrRefusedByTheRecord) {
  // Held by node-a: node-b takes it over, node-a drops its copy.
  login(a_, 1, 11);
  EXPECT_EQ(resolve(b_, 1, 11), FleetSessions::Verdict::kAdopt);
  ASSERT_TRUE(evicted(a_, 1, 11));
  EXPECT_EQ(a_.stats.evicted_by_resume, 1u);
  EXPECT_EQ(record(1)->node_id, "node-b");
  // An older session of the user: refused.
  EXPECT_EQ(resolve(a_, 1, 10), FleetSessions::Verdict::kReplaced);
  // Ended on node-b (logout): its tombstone refuses it everywhere.
  b_.sessions->ended(1, 11);
  ASSERT_TRUE(queue_.run_until([&] { return b_.stats.tombstones == 1u; }, 10s));
  EXPECT_TRUE(record(1)->ended);
  EXPECT_EQ(resolve(a_, 1, 11), FleetSessions::Verdict::kEnded);
  // The tombstone is on a lease of its own: node-b's lease going (it died)
  // leaves it, so the token stays dead.
  auto revoked = wait<etcd::Empty>([&](auto cb) { b_.client->revoke(b_.lease, cb); });
  ASSERT_TRUE(revoked);
  ASSERT_TRUE(record(1));
  EXPECT_EQ(resolve(a_, 1, 11), FleetSessions::Verdict::kEnded);
  // A new login overwrites it.
  login(a_, 1, 12);
  EXPECT_EQ(record(1)->session_id, 12u);
  EXPECT_FALSE(record(1)->ended);
  // No record at all (its holder's lease ran out): adopted.
  EXPECT_EQ(resolve(a_, 2, 21), FleetSessions::Verdict::kAdopt);
  EXPECT_EQ(record(2)->node_id, "node-a");
  EXPECT_EQ(a_.stats.resumes_adopted, 1u);
  EXPECT_EQ(b_.stats.resumes_taken_over, 1u);
  EXPECT_TRUE(a_.evicted[2].empty());
  // Not a member: no answer from etcd is trusted.
  a_.sessions->set_lease(0);
  EXPECT_EQ(resolve(a_, 3, 31), FleetSessions::Verdict::kUnavailable);
}

TEST_F(FleetSessionsLoop, AResumeWhoseHolderLeavesBetweenItsReadAndWriteIsAdoptedNotRefused) {
  // A drained gateway leaves the fleet right after its client moved: its
  // lease is revoked (its records deleted) while the new gateway's resume
  // is between reading the record and writing its own over it. The write's
  // compare fails; that is no newer login, so the resume reads again and
  // adopts the session.
  login(a_, 1, 11);
  TaskQueue c_queue;  // node-c's completions: held until the test runs them
  Node c;
  make(c, "node-c", &c_queue);
  std::optional<FleetSessions::Verdict> verdict;
  c.sessions->resolve(1, 11, "user-1", [&](FleetSessions::Verdict v) { verdict = v; });
  // The read's answer (the record names node-a) is back and waits to run.
  ASSERT_TRUE(c_queue.wait_for_task(10s));
  auto revoked = wait<etcd::Empty>([&](auto cb) { a_.client->revoke(a_.lease, cb); });
  ASSERT_TRUE(revoked) << revoked.error().describe();
  ASSERT_FALSE(record(1));
  ASSERT_TRUE(c_queue.run_until([&] { return verdict.has_value(); }, 10s));
  EXPECT_EQ(*verdict, FleetSessions::Verdict::kAdopt);
  EXPECT_EQ(c.stats.resume_rereads, 1u);
  EXPECT_EQ(c.stats.resumes_adopted, 1u);
  EXPECT_EQ(c.stats.resumes_refused, 0u);
  ASSERT_TRUE(record(1));
  EXPECT_EQ(record(1)->node_id, "node-c");
  EXPECT_EQ(record(1)->session_id, 11u);
}

}  // namespace
}  // namespace citadel::fleet::sessions
