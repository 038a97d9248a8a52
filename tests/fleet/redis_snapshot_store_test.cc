// Room snapshots in Redis fenced by the ownership epoch
// (src/fleet/snapshots), against a real redis-server started by the test
// (tests/support/redis): a snapshot reads back as written; an older owner's
// or an older tick's write is refused and told what is held; a later
// owner's write passes; erase spares a later owner's snapshot; a damaged
// snapshot is reported, not restored; Redis away fails clearly and the
// store works again when it returns; scripts survive SCRIPT FLUSH.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "fleet/snapshots/redis_snapshot_store.h"
#include "redis/redis_server.h"
#include "redis_test_loop.h"

namespace citadel::fleet::snapshots {
namespace {

using Status = RedisSnapshotStore::WriteOutcome::Status;
using test::RedisServer;
using test::TestLoop;
using namespace std::chrono_literals;

store::RoomRecord room(uint64_t id, uint64_t tick, std::string state = "s") {
  store::RoomRecord r;
  r.room_id = id;
  r.type = "arena";
  r.code_version = "builtin";
  r.tick = tick;
  r.saved_unix_ms = 1'767'225'600'000 + int64_t(tick);
  r.seats = {{7, "ada"}, {9, std::string("b\0b", 3)}};
  r.state.assign(state.begin(), state.end());
  return r;
}

class SnapshotStoreTest : public ::testing::Test {
 protected:
  explicit SnapshotStoreTest(RedisServer& server = RedisServer::shared(),
                             RedisSnapshotStore::Options options = {"t", 0ms})
      : server_(server),
        client_(loop_.get(), *redis::parse_redis_url(server.url())),
        store_(client_, options) {
    server_.flush_all();
    EXPECT_TRUE(loop_.run_until([&] { return client_.connected(); }));
  }

  RedisSnapshotStore::WriteOutcome write(int64_t epoch, const store::RoomRecord& r) {
    std::optional<RedisSnapshotStore::WriteOutcome> out;
    store_.write(epoch, r, [&](auto o) { out = std::move(o); });
    EXPECT_TRUE(loop_.run_until([&] { return out.has_value(); }));
    return out.value_or(RedisSnapshotStore::WriteOutcome{});
  }
  RedisSnapshotStore::ReadOutcome read(uint64_t id) {
    std::optional<RedisSnapshotStore::ReadOutcome> out;
    store_.read(id, [&](auto o) { out = std::move(o); });
    EXPECT_TRUE(loop_.run_until([&] { return out.has_value(); }));
    return out.value_or(RedisSnapshotStore::ReadOutcome{std::nullopt, "no answer"});
  }
  RedisSnapshotStore::EraseOutcome erase(uint64_t id, int64_t epoch) {
    std::optional<RedisSnapshotStore::EraseOutcome> out;
    store_.erase(id, epoch, [&](auto o) { out = std::move(o); });
    EXPECT_TRUE(loop_.run_until([&] { return out.has_value(); }));
    return out.value_or(RedisSnapshotStore::EraseOutcome{});
  }

  RedisServer& server_;
  TestLoop loop_;
  redis::RedisClient client_;
  RedisSnapshotStore store_;
};

TEST_F(SnapshotStoreTest, ASnapshotReadsBackAsWritten) {
  EXPECT_EQ(read(42).snapshot, std::nullopt);
  EXPECT_EQ(read(42).error, "");
  const store::RoomRecord written = room(42, 100, std::string("\0\1binary\xff", 9));
  auto w = write(5, written);
  ASSERT_EQ(w.status, Status::kStored) << w.error;
  EXPECT_EQ(w.held_epoch, 5);
  EXPECT_EQ(w.held_tick, 100u);
  auto r = read(42);
  ASSERT_TRUE(r.snapshot) << r.error;
  EXPECT_EQ(r.snapshot->epoch, 5);
  EXPECT_EQ(r.snapshot->room.room_id, 42u);
  EXPECT_EQ(r.snapshot->room.type, "arena");
  EXPECT_EQ(r.snapshot->room.code_version, "builtin");
  EXPECT_EQ(r.snapshot->room.tick, 100u);
  EXPECT_EQ(r.snapshot->room.saved_unix_ms, written.saved_unix_ms);
  ASSERT_EQ(r.snapshot->room.seats.size(), 2u);
  EXPECT_EQ(r.snapshot->room.seats[1].username, std::string("b\0b", 3));
  EXPECT_EQ(r.snapshot->room.state, written.state);
  EXPECT_EQ(store_.counters().stored, 1u);
}

TEST_F(SnapshotStoreTest, AnOlderOwnerOrAnOlderTickIsRefusedAndToldWhatIsHeld) {
  ASSERT_EQ(write(10, room(1, 50, "owner-10")).status, Status::kStored);
  // The old owner (epoch 9), cut off and not knowing it, writes a later tick.
  auto stale = write(9, room(1, 500, "owner-9"));
  EXPECT_EQ(stale.status, Status::kStale);
  EXPECT_EQ(stale.held_epoch, 10);
  EXPECT_EQ(stale.held_tick, 50u);
  // The owner's own older tick (a reordered write) is refused too.
  EXPECT_EQ(write(10, room(1, 49, "older")).status, Status::kStale);
  EXPECT_EQ(write(10, room(1, 50, "same tick again")).status, Status::kStored);
  // A later owner restored from tick 50 and goes on from an earlier tick
  // count of its own: its epoch decides.
  EXPECT_EQ(write(11, room(1, 3, "owner-11")).status, Status::kStored);
  auto r = read(1);
  ASSERT_TRUE(r.snapshot) << r.error;
  EXPECT_EQ(r.snapshot->epoch, 11);
  EXPECT_EQ(std::string(r.snapshot->room.state.begin(), r.snapshot->room.state.end()), "owner-11");
  EXPECT_EQ(store_.counters().stale, 2u);
}

TEST_F(SnapshotStoreTest, EraseSparesALaterOwnersSnapshot) {
  ASSERT_EQ(write(20, room(3, 1)).status, Status::kStored);
  EXPECT_EQ(erase(3, 19).status, RedisSnapshotStore::EraseOutcome::Status::kStale);
  EXPECT_TRUE(read(3).snapshot);
  EXPECT_EQ(erase(3, 20).status, RedisSnapshotStore::EraseOutcome::Status::kErased);
  EXPECT_FALSE(read(3).snapshot);
  EXPECT_EQ(erase(3, 20).status, RedisSnapshotStore::EraseOutcome::Status::kErased);
}

TEST_F(SnapshotStoreTest, ADamagedSnapshotIsReportedNotRestored) {
  ASSERT_EQ(write(1, room(4, 1)).status, Status::kStored);
  server_.command({"HSET", store_.key_of(4), "seats", "\x01"});  // a seat cut short
  auto r = read(4);
  EXPECT_FALSE(r.snapshot);
  EXPECT_NE(r.error.find("damaged snapshot of room 4"), std::string::npos) << r.error;
  server_.command({"HSET", store_.key_of(4), "seats", "", "tick", "twelve"});
  EXPECT_FALSE(read(4).snapshot);
  EXPECT_FALSE(read(4).error.empty());
}

TEST_F(SnapshotStoreTest, ScriptsSurviveAFlushOfRedissScriptCache) {
  server_.command({"SCRIPT", "FLUSH"});
  EXPECT_EQ(write(1, room(5, 1)).status, Status::kStored);
  server_.command({"SCRIPT", "FLUSH"});
  EXPECT_EQ(erase(5, 1).status, RedisSnapshotStore::EraseOutcome::Status::kErased);
}

class ExpiringSnapshotStoreTest : public SnapshotStoreTest {
 protected:
  ExpiringSnapshotStoreTest() : SnapshotStoreTest(RedisServer::shared(), {"t", 60'000ms}) {}
};

TEST_F(ExpiringSnapshotStoreTest, EveryWriteRenewsTheExpiry) {
  ASSERT_EQ(write(1, room(6, 1)).status, Status::kStored);
  const long ttl = std::stol(server_.command({"PTTL", store_.key_of(6)}));
  EXPECT_GT(ttl, 50'000);
  EXPECT_LE(ttl, 60'000);
  server_.command({"PERSIST", store_.key_of(6)});
  ASSERT_EQ(write(1, room(6, 2)).status, Status::kStored);
  EXPECT_GT(std::stol(server_.command({"PTTL", store_.key_of(6)})), 50'000);
}

// Redis away: writes and reads fail at once with the client's reason; when
// it is back (empty: the snapshots were lost with it), the store works
// again by itself. Its own server: this one is stopped.
TEST(SnapshotStoreOutageTest, RedisAwayFailsClearlyAndTheStoreRecovers) {
  RedisServer server;
  TestLoop loop;
  redis::RedisClient client(loop.get(), *redis::parse_redis_url(server.url()));
  RedisSnapshotStore store(client, {"t", 0ms});
  ASSERT_TRUE(loop.run_until([&] { return client.connected(); }));
  server.stop();
  std::optional<RedisSnapshotStore::WriteOutcome> w;
  store.write(1, room(8, 1), [&](auto o) { w = std::move(o); });
  ASSERT_TRUE(loop.run_until([&] { return w.has_value(); }));
  EXPECT_EQ(w->status, Status::kFailed);
  EXPECT_NE(w->error.find("redis"), std::string::npos) << w->error;
  std::optional<RedisSnapshotStore::ReadOutcome> r;
  store.read(8, [&](auto o) { r = std::move(o); });
  ASSERT_TRUE(loop.run_until([&] { return r.has_value(); }));
  EXPECT_FALSE(r->snapshot);
  EXPECT_FALSE(r->error.empty());
  EXPECT_EQ(store.counters().failed, 1u);

  server.start();
  ASSERT_TRUE(loop.run_until([&] { return client.connected(); }, 10s));
  w.reset();
  store.write(1, room(8, 2), [&](auto o) { w = std::move(o); });
  ASSERT_TRUE(loop.run_until([&] { return w.has_value(); }));
  EXPECT_EQ(w->status, Status::kStored) << w->error;
}

}  // namespace
}  // namespace citadel::fleet::snapshots
