// Membership in process (src/fleet/membership) against a real etcd: the
// registration on a net::EventLoop, the admin-side reads from another
// thread (the test's), the on_change hook that fencing will use, the load
// rewrite, the duplicate refusal, and the revocation on stop. Waits poll
// with deadlines. Crosses threads on purpose: a TSan suite.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <stdexcept>
#include <thread>

#include "etcd/etcd_server.h"
#include "fleet/etcd/etcd_client.h"
#include "fleet/membership/membership.h"
#include "net/event_loop.h"
#include "support/deadline.h"

namespace citadel::fleet {
namespace {

using namespace std::chrono_literals;

using citadel::test::eventually;

class MembershipTest : public ::testing::Test {
 protected:
  MembershipTest() : loop_(0, net::ConnectionOptions{}) { loop_.start(); }
  ~MembershipTest() override { loop_.stop_and_join(); }

  Membership::Options options(const std::string& id) const {
    Membership::Options o;
    o.etcd_url = etcd_.client_url();
    o.cluster = "test";
    o.lease_ttl_seconds = 2;
    o.refresh = 100ms;
    o.self.id = id;
    o.self.role = "all";
    o.self.game_address = "127.0.0.1:7777";
    o.self.pid = 42;
    o.self.started_at = utc_now_rfc3339();
    return o;
  }

  // The record at `key` as etcd holds it now ("" when absent), read with a
  // client of the test's own.
  std::string read_key(const std::string& key) {
    etcd::EtcdClient::Options o;
    o.endpoint.port = etcd_.client_port();
    std::promise<std::string> value;
    etcd::EtcdClient client(o, [](std::function<void()> f) { f(); });
    client.get(key, [&](etcd::Result<etcd::RangeResult> r) {
      value.set_value(r && !r->kvs.empty() ? r->kvs.front().value : std::string());
    });
    auto f = value.get_future();
    if (f.wait_for(5s) != std::future_status::ready) return "(no answer)";
    return f.get();
  }

  test::EtcdServer etcd_;
  net::EventLoop loop_;
};

TEST_F(MembershipTest, RegistersRefreshesTheLoadAndRevokesOnStop) {
  std::atomic<uint64_t> connections{0};
  std::atomic<bool> draining{false};
  std::atomic<int> flips_in{0}, flips_out{0}, off_loop{0};
  auto o = options("n1");
  o.draining = [&] { return draining.load(); };
  Membership m(loop_, o, [&] { return NodeLoad{connections.load(), 1, 2}; });
  m.on_change([&](bool member) {
    if (!loop_.is_in_loop_thread()) ++off_loop;
    ++(member ? flips_in : flips_out);
  });
  m.start(3s);
  EXPECT_TRUE(m.is_member());
  EXPECT_EQ(flips_in.load(), 1);
  EXPECT_EQ(m.stats().registrations.load(), 1u);

  const auto record = decode_node_record(read_key("/test/nodes/n1"));
  ASSERT_TRUE(record);
  EXPECT_EQ(record->pid, 42);
  EXPECT_EQ(record->load, (NodeLoad{0, 1, 2}));

  // The load figure follows, read on the loop, rewritten on the lease;
  // meanwhile this thread reads what the admin thread would.
  connections = 7;
  ASSERT_TRUE(eventually(
      [&] {
        const auto r = decode_node_record(read_key("/test/nodes/n1"));
        (void)m.summary_json();
        (void)m.nodes_json();
        return r && r->load.connections == 7;
      },
      5s));
  // Counted when etcd's answer is back, which may be just after the read.
  EXPECT_TRUE(eventually([&] { return m.stats().record_updates.load() >= 1u; }, 5s));
  ASSERT_TRUE(eventually(
      [&] {
        const auto j = nlohmann::json::parse(m.nodes_json());
        return j["nodes"].size() == 1 && j["nodes"][0]["load"]["connections"] == 7 &&
               j["nodes"][0]["self"] == true;
      },
      5s))
      << m.nodes_json();
  const auto summary = nlohmann::json::parse(m.summary_json());
  EXPECT_EQ(summary["state"], "member");
  EXPECT_EQ(summary["nodes_by_role"]["all"], 1);

  // A drain shows in the record within a refresh.
  draining = true;
  ASSERT_TRUE(eventually(
      [&] {
        const auto r = decode_node_record(read_key("/test/nodes/n1"));
        return r && r->draining;
      },
      5s));

  m.stop();
  EXPECT_FALSE(m.is_member());
  EXPECT_EQ(flips_out.load(), 1);
  EXPECT_EQ(off_loop.load(), 0) << "on_change runs on the loop thread";
  EXPECT_EQ(read_key("/test/nodes/n1"), "") << "revoked: the record goes at once";
}

TEST_F(MembershipTest, ASecondLiveNodeWithTheSameIdIsRefused) {
  Membership first(loop_, options("twin"), {});
  first.start(3s);
  ASSERT_TRUE(first.is_member());
  auto second_options = options("twin");
  second_options.self.pid = 43;
  Membership second(loop_, second_options, {});
  try {
    second.start(3s);
    FAIL() << "a duplicate id must be refused";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("fleet.node_id 'twin' is already registered by a live "
                                         "node (pid 42"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(second.is_member());
  EXPECT_EQ(second.stats().duplicates.load(), 1u);
  second.stop();
  // The refused one revoked only its own lease: the first still holds it.
  EXPECT_TRUE(first.is_member());
  const auto record = decode_node_record(read_key("/test/nodes/twin"));
  ASSERT_TRUE(record);
  EXPECT_EQ(record->pid, 42);
}

TEST_F(MembershipTest, LosesMembershipWhenEtcdGoesAndComesBackByItself) {
  std::atomic<int> flips_out{0};
  Membership m(loop_, options("n1"), {});
  m.on_change([&](bool member) {
    if (!member) ++flips_out;
  });
  m.start(3s);
  ASSERT_TRUE(m.is_member());
  etcd_.stop();
  ASSERT_TRUE(eventually([&] { return !m.is_member(); }, 4s));
  EXPECT_EQ(flips_out.load(), 1);
  EXPECT_EQ(m.stats().lease_losses.load(), 1u);
  EXPECT_GE(m.stats().renewals_failed.load(), 1u);
  etcd_.start();
  ASSERT_TRUE(eventually([&] { return m.is_member(); }, 10s));
  EXPECT_EQ(m.stats().registrations.load(), 2u);
  EXPECT_NE(read_key("/test/nodes/n1"), "");
}

}  // namespace
}  // namespace citadel::fleet
