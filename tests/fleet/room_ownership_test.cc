// Room ownership in etcd (src/fleet/ownership) against a real etcd 3.4
// (tests/support/etcd): two "nodes" (clients with leases of their own) race
// for rooms and exactly one wins each; the epoch (the record's
// create_revision) fences an owner that lost its lease; the directory
// follows claims, releases and a dead owner's lease running out, and
// catches up after etcd was away.
//
// Completions run on a TaskQueue the test thread drains; waits are on
// events with deadlines, never fixed sleeps.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "etcd/etcd_server.h"
#include "etcd/task_queue.h"
#include "fleet/etcd/etcd_client.h"
#include "fleet/ownership/owner_directory.h"
#include "fleet/ownership/owner_record.h"
#include "fleet/ownership/room_claims.h"

namespace citadel::fleet::ownership {
namespace {

using namespace std::chrono_literals;
using etcd::EtcdClient;
using etcd::Result;
using test::TaskQueue;

// ------------------------------------------------------------ no etcd --

TEST(OwnerRecord, RoundTripsAndRefusesWhatItDidNotWrite) {
  OwnerRecord record{42, "game-1", "arena"};
  std::string json = encode_owner_record(record);
  EXPECT_EQ(decode_owner_record(json), record);
  EXPECT_EQ(decode_owner_record(R"({"room":7,"node":"n"})"), (OwnerRecord{7, "n", ""}));

  for (std::string_view bad :
       {"", "{", "[]", "42", R"({"node":"n"})", R"({"room":1})", R"({"room":0,"node":"n"})",
        R"({"room":-1,"node":"n"})", R"({"room":1.5,"node":"n"})", R"({"room":"1","node":"n"})",
        R"({"room":1,"node":""})", R"({"room":1,"node":7})", R"({"room":1,"node":"n","type":3})"}) {
    EXPECT_EQ(decode_owner_record(bad), std::nullopt) << bad;
  }
  std::string huge = R"({"room":1,"node":")" + std::string(kMaxOwnerRecordBytes, 'x') + R"("})";
  EXPECT_EQ(decode_owner_record(huge), std::nullopt);
}

TEST(OwnerRecord, KeysNameOneRoomEach) {
  EXPECT_EQ(room_key("prod", 42), "/prod/rooms/42");
  EXPECT_EQ(room_id_of_key("prod", "/prod/rooms/42"), 42u);
  EXPECT_EQ(room_id_of_key("prod", "/prod/rooms/18446744073709551615"), UINT64_MAX);
  for (std::string_view bad :
       {"/prod/rooms/", "/prod/rooms/042", "/prod/rooms/4x", "/prod/rooms/-4", "/other/rooms/42",
        "/prod/nodes/42", "/prod/rooms/18446744073709551616"}) {
    EXPECT_EQ(room_id_of_key("prod", bad), std::nullopt) << bad;
  }
}

// ------------------------------------------------------- against etcd --

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

// Each test has its own cluster name, so tests sharing one etcd never see
// each other's rooms.
std::string cluster_name() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return std::string("t-") + info->name();
}

class RoomOwnershipTest : public ::testing::Test {
 protected:
  explicit RoomOwnershipTest(test::EtcdServer& server = shared_etcd())
      : server_(server),
        cluster_(cluster_name()),
        client_(std::make_unique<EtcdClient>(options_for(server.client_port()), queue_.executor())),
        claims_(*client_, cluster_) {}

  template <class T, class Start>
  Result<T> wait(Start start, std::chrono::milliseconds timeout = 10s) {
    std::optional<Result<T>> out;
    start([&out](Result<T> r) { out.emplace(std::move(r)); });
    if (!queue_.run_until([&] { return out.has_value(); }, timeout)) {
      return etcd::Error{etcd::Error::Kind::kTimeout, 0, "the test gave up waiting"};
    }
    return std::move(*out);
  }
  int64_t grant(int64_t ttl_seconds = 30) {
    auto lease = wait<etcd::LeaseGrant>([&](auto cb) { client_->grant_lease(ttl_seconds, cb); });
    EXPECT_TRUE(lease) << lease.error().describe();
    return lease ? lease->id : 0;
  }
  void revoke(int64_t lease) {
    auto r = wait<etcd::Empty>([&](auto cb) { client_->revoke(lease, cb); });
    ASSERT_TRUE(r) << r.error().describe();
  }
  Result<RoomClaims::ClaimResult> claim(uint64_t room, std::string node, int64_t lease) {
    return wait<RoomClaims::ClaimResult>([&](auto cb) {
      claims_.claim({room, node, "arena"}, lease, cb);
    });
  }
  std::optional<Holding> holder(uint64_t room) {
    auto r = wait<std::optional<Holding>>([&](auto cb) { claims_.holder(room, cb); });
    EXPECT_TRUE(r) << r.error().describe();
    return r ? r.value() : std::nullopt;
  }

  test::EtcdServer& server_;
  const std::string cluster_;
  TaskQueue queue_;
  std::unique_ptr<EtcdClient> client_;
  RoomClaims claims_;
};

TEST_F(RoomOwnershipTest, ARaceForEachRoomHasExactlyOneWinnerAndTheLoserLearnsIt) {
  const int64_t lease_a = grant();
  const int64_t lease_b = grant();
  constexpr uint64_t kRooms = 40;
  // Both nodes' claims for every room are in flight at once; etcd orders them.
  std::vector<std::optional<Result<RoomClaims::ClaimResult>>> a(kRooms + 1), b(kRooms + 1);
  for (uint64_t room = 1; room <= kRooms; ++room) {
    claims_.claim({room, "node-a", "arena"}, lease_a, [&a, room](auto r) { a[room].emplace(r); });
    claims_.claim({room, "node-b", "arena"}, lease_b, [&b, room](auto r) { b[room].emplace(r); });
  }
  ASSERT_TRUE(queue_.run_until(
      [&] {
        for (uint64_t room = 1; room <= kRooms; ++room) {
          if (!a[room] || !b[room]) return false;
        }
        return true;
      },
      20s));
  int a_won = 0, b_won = 0;
  for (uint64_t room = 1; room <= kRooms; ++room) {
    SCOPED_TRACE("room " + std::to_string(room));
    ASSERT_TRUE(*a[room]) << a[room]->error().describe();
    ASSERT_TRUE(*b[room]) << b[room]->error().describe();
    const auto& ra = a[room]->value();
    const auto& rb = b[room]->value();
    ASSERT_NE(ra.won, rb.won);  // one, never both, never neither
    const auto& winner = ra.won ? ra : rb;
    const auto& loser = ra.won ? rb : ra;
    ASSERT_TRUE(winner.holder && loser.holder);
    EXPECT_EQ(winner.holder->record.node_id, ra.won ? "node-a" : "node-b");
    EXPECT_EQ(loser.holder->record.node_id, winner.holder->record.node_id);
    EXPECT_EQ(loser.holder->epoch, winner.holder->epoch);
    EXPECT_EQ(winner.holder->lease, ra.won ? lease_a : lease_b);
    EXPECT_EQ(holder(room), winner.holder);
    (ra.won ? a_won : b_won)++;
  }
  EXPECT_EQ(a_won + b_won, int(kRooms));
}

TEST_F(RoomOwnershipTest, TheEpochFencesAnOwnerWhoseLeaseRanOut) {
  const int64_t lease_a = grant();
  auto first = claim(7, "node-a", lease_a);
  ASSERT_TRUE(first && first->won);
  const int64_t epoch_a = first->holder->epoch;

  // node-a's lease goes (as when it dies or is cut off): its record goes with it.
  revoke(lease_a);
  EXPECT_EQ(holder(7), std::nullopt);
  const int64_t lease_b = grant();
  auto second = claim(7, "node-b", lease_b);
  ASSERT_TRUE(second && second->won);
  const int64_t epoch_b = second->holder->epoch;
  EXPECT_GT(epoch_b, epoch_a);

  // node-a, still believing, writes and releases at its old epoch: refused,
  // and told who holds the room now.
  auto stale_update = wait<RoomClaims::FencedResult>([&](auto cb) {
    claims_.update({7, "node-a", "arena"}, epoch_a, lease_a, cb);
  });
  ASSERT_TRUE(stale_update);
  EXPECT_FALSE(stale_update->done);
  ASSERT_TRUE(stale_update->holder);
  EXPECT_EQ(stale_update->holder->record.node_id, "node-b");
  auto stale_release =
      wait<RoomClaims::FencedResult>([&](auto cb) { claims_.release(7, epoch_a, cb); });
  ASSERT_TRUE(stale_release);
  EXPECT_FALSE(stale_release->done);
  ASSERT_TRUE(holder(7));
  EXPECT_EQ(holder(7)->record.node_id, "node-b");

  // node-b's own writes pass; its epoch stays through an update.
  auto update = wait<RoomClaims::FencedResult>([&](auto cb) {
    claims_.update({7, "node-b", "lockstep"}, epoch_b, lease_b, cb);
  });
  ASSERT_TRUE(update && update->done);
  EXPECT_EQ(holder(7)->record.room_type, "lockstep");
  EXPECT_EQ(holder(7)->epoch, epoch_b);
  auto release = wait<RoomClaims::FencedResult>([&](auto cb) { claims_.release(7, epoch_b, cb); });
  ASSERT_TRUE(release && release->done);
  EXPECT_EQ(holder(7), std::nullopt);
  // Released, the room can be claimed again, at a later epoch still.
  auto again = claim(7, "node-a", grant());
  ASSERT_TRUE(again && again->won);
  EXPECT_GT(again->holder->epoch, epoch_b);
}

TEST_F(RoomOwnershipTest, ARecordThisCodeCannotReadIsReportedNotTrusted) {
  auto put = wait<etcd::PutResult>(
      [&](auto cb) { client_->put(room_key(cluster_, 9), "not json", 0, cb); });
  ASSERT_TRUE(put);
  auto lost = claim(9, "node-a", grant());
  ASSERT_TRUE(lost);
  EXPECT_FALSE(lost->won);
  ASSERT_TRUE(lost->holder);
  EXPECT_FALSE(lost->holder->readable);
  EXPECT_EQ(lost->holder->record.room_id, 9u);
}

struct SeenChange {
  uint64_t room;
  std::optional<Holding> before, after;
};

TEST_F(RoomOwnershipTest, TheDirectoryFollowsClaimsReleasesAndADeadOwnersLease) {
  const int64_t lease_a = grant();
  ASSERT_TRUE(claim(1, "node-a", lease_a)->won);  // before the directory: from its read

  std::vector<SeenChange> seen;
  OwnerDirectory directory(*client_, cluster_,
                           [&](uint64_t room, const auto& before, const auto& after) {
                             seen.push_back({room, before, after});
                           });
  directory.start();
  ASSERT_TRUE(queue_.run_until([&] { return directory.synced(); }, 10s));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].room, 1u);
  EXPECT_FALSE(seen[0].before);
  ASSERT_TRUE(directory.owner_of(1));
  EXPECT_EQ(directory.owner_of(1)->record.node_id, "node-a");

  // A second owner, on a lease of one second that nobody renews: it dies.
  auto short_lease = wait<etcd::LeaseGrant>([&](auto cb) { client_->grant_lease(1, cb); });
  ASSERT_TRUE(short_lease);
  auto b = claim(2, "node-b", short_lease->id);
  ASSERT_TRUE(b && b->won);
  ASSERT_TRUE(queue_.run_until([&] { return directory.owner_of(2).has_value(); }, 10s));
  EXPECT_EQ(directory.owner_of(2)->epoch, b->holder->epoch);
  ASSERT_TRUE(queue_.run_until([&] { return !directory.owner_of(2).has_value(); }, 10s))
      << "the dead owner's record outlived its lease";
  EXPECT_EQ(seen.back().room, 2u);
  EXPECT_TRUE(seen.back().before);
  EXPECT_FALSE(seen.back().after);

  // node-a releases room 1; node-b (alive again, new lease) claims both.
  ASSERT_TRUE(wait<RoomClaims::FencedResult>([&](auto cb) {
                claims_.release(1, directory.owner_of(1)->epoch, cb);
              })->done);
  const int64_t lease_b = grant();
  ASSERT_TRUE(claim(1, "node-b", lease_b)->won);
  ASSERT_TRUE(claim(2, "node-b", lease_b)->won);
  ASSERT_TRUE(queue_.run_until(
      [&] {
        return directory.owner_of(1) && directory.owner_of(1)->record.node_id == "node-b" &&
               directory.owner_of(2);
      },
      10s));
  EXPECT_EQ(directory.size(), 2u);
  EXPECT_EQ(directory.reads(), 1u);  // the watch carried it all

  // Every change came in order: room 1's release shows as a delete, then the claim.
  std::vector<std::string> room1;
  for (const SeenChange& c : seen) {
    if (c.room != 1) continue;
    room1.push_back((c.before ? c.before->record.node_id : "-") + ">" +
                    (c.after ? c.after->record.node_id : "-"));
  }
  EXPECT_EQ(room1, (std::vector<std::string>{"->node-a", "node-a>-", "->node-b"}));
  revoke(lease_a);
  revoke(lease_b);
}

// With etcd away when the directory starts, it keeps trying and syncs once
// etcd is back. Its own etcd: this one is stopped.
class OwnEtcdOwnershipTest : public RoomOwnershipTest {
 protected:
  OwnEtcdOwnershipTest() : RoomOwnershipTest(*own_) {}

 public:
  static void SetUpTestSuite() { own_ = std::make_unique<test::EtcdServer>(); }
  static void TearDownTestSuite() { own_.reset(); }

 private:
  static inline std::unique_ptr<test::EtcdServer> own_;
};

TEST_F(OwnEtcdOwnershipTest, TheDirectoryWaitsOutAnAbsentEtcdAndSyncsWhenItReturns) {
  ASSERT_TRUE(claim(5, "node-a", grant())->won);
  server_.stop();
  OwnerDirectory directory(*client_, cluster_, nullptr, 50ms);
  directory.start();
  // Reads fail and are tried again: nothing known, not synced.
  ASSERT_TRUE(queue_.run_until([&] { return directory.failed_reads() >= 3; }, 10s));
  EXPECT_FALSE(directory.synced());
  EXPECT_EQ(directory.size(), 0u);
  server_.start();
  ASSERT_TRUE(queue_.run_until([&] { return directory.synced(); }, 15s)) << server_.log_tail();
  ASSERT_TRUE(directory.owner_of(5));
  EXPECT_EQ(directory.owner_of(5)->record.node_id, "node-a");
}

}  // namespace
}  // namespace citadel::fleet::ownership
