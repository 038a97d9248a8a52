// The recovery file (store/recovery): what one run hands to it, the next
// run reads back; newer records replace older ones; floors only rise.
#include "store/recovery/recovery_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "store/store_open_error.h"
#include "store_test_support.h"
#include "support/deadline.h"

namespace citadel::store {
namespace {

class RecoveryStoreTest : public ::testing::Test {
 protected:
  std::string path() const { return dir_.file("recovery.db"); }

  // A run: opens the file, starts the writer, lets `write` hand records
  // over, then shuts down (which commits everything waiting).
  template <class F>
  void run(F&& write) {
    RecoveryStore store(path());
    store.start();
    write(store);
    store.shutdown();
  }

  RecoveredState read_back() {
    RecoveryStore store(path());
    return store.load();
  }

  test::TempDir dir_;
};

RoomRecord room(uint64_t id, uint64_t tick, std::vector<uint8_t> state) {
  RoomRecord r;
  r.room_id = id;
  r.type = "arena";
  r.code_version = "builtin";
  r.tick = tick;
  r.saved_unix_ms = 1'700'000'000'000 + static_cast<int64_t>(tick);
  r.seats = {{7, "alice"}, {9, ""}, {11, std::string(300, 'x')}};
  r.state = std::move(state);
  return r;
}

TEST_F(RecoveryStoreTest, AFreshFileHoldsNothing) {
  const RecoveredState s = read_back();
  EXPECT_TRUE(s.sessions.empty());
  EXPECT_TRUE(s.rooms.empty());
  EXPECT_TRUE(s.floors.empty());
  EXPECT_EQ(s.last_commit_unix_ms, 0);
}

TEST_F(RecoveryStoreTest, SessionsRoomsAndFloorsComeBack) {
  run([](RecoveryStore& store) {
    store.write_sessions(
        {SessionRecord{7, "alice", 42, {"crew", "guild.a"}}, SessionRecord{9, "", 43, {}}}, {});
    store.put_room(room(5, 100, {1, 2, 3}));
    store.put_room(room(6, 1, {}));
    store.raise_floor(kPushIdFloor, 1000);
  });
  const RecoveredState s = read_back();
  ASSERT_EQ(s.sessions.size(), 2u);
  const auto& alice = s.sessions[0].user_id == 7 ? s.sessions[0] : s.sessions[1];
  EXPECT_EQ(alice.username, "alice");
  EXPECT_EQ(alice.session_id, 42u);
  EXPECT_EQ(alice.channels, (std::vector<std::string>{"crew", "guild.a"}));
  ASSERT_EQ(s.rooms.size(), 2u);
  EXPECT_EQ(s.rooms[0].room_id, 5u);
  EXPECT_EQ(s.rooms[0].tick, 100u);
  EXPECT_EQ(s.rooms[0].state, (std::vector<uint8_t>{1, 2, 3}));
  ASSERT_EQ(s.rooms[0].seats.size(), 3u);
  EXPECT_EQ(s.rooms[0].seats[0].username, "alice");
  EXPECT_EQ(s.rooms[0].seats[1].user_id, 9u);
  EXPECT_EQ(s.rooms[0].seats[1].username, "");
  EXPECT_EQ(s.rooms[0].seats[2].username, std::string(300, 'x'));
  EXPECT_TRUE(s.rooms[1].state.empty());
  EXPECT_EQ(s.floors.at(std::string(kPushIdFloor)), 1000u);
  EXPECT_GT(s.last_commit_unix_ms, 0);
}

TEST_F(RecoveryStoreTest, NewerRecordsReplaceAndErasuresRemove) {
  run([](RecoveryStore& store) {
    store.write_sessions({SessionRecord{7, "alice", 1, {"a"}}, SessionRecord{8, "bob", 2, {}}}, {});
    store.put_room(room(5, 100, {1}));
    store.put_room(room(6, 100, {1}));
  });
  run([](RecoveryStore& store) {
    store.write_sessions({SessionRecord{7, "alice", 3, {"b"}}}, {8});
    store.put_room(room(5, 120, {2}));
    store.put_room(room(5, 140, {3}));  // replaces the one still waiting
    store.erase_room(6);
  });
  const RecoveredState s = read_back();
  ASSERT_EQ(s.sessions.size(), 1u);
  EXPECT_EQ(s.sessions[0].session_id, 3u);
  EXPECT_EQ(s.sessions[0].channels, std::vector<std::string>{"b"});
  ASSERT_EQ(s.rooms.size(), 1u);
  EXPECT_EQ(s.rooms[0].tick, 140u);
  EXPECT_EQ(s.rooms[0].state, std::vector<uint8_t>{3});
}

TEST_F(RecoveryStoreTest, FloorsOnlyRise) {
  run([](RecoveryStore& store) {
    store.raise_floor(kSessionIdFloor, 500);
    store.raise_floor(kSessionIdFloor, 300);  // lower, while waiting: ignored
  });
  run([](RecoveryStore& store) { store.raise_floor(kSessionIdFloor, 200); });  // lower, on disk
  EXPECT_EQ(read_back().floors.at(std::string(kSessionIdFloor)), 500u);
}

TEST_F(RecoveryStoreTest, ClearForgetsSessionsAndRoomsButKeepsFloors) {
  run([](RecoveryStore& store) {
    store.write_sessions({SessionRecord{7, "alice", 1, {}}}, {});
    store.put_room(room(5, 1, {}));
    store.raise_floor(kRoomIdFloor, 77);
  });
  {
    RecoveryStore store(path());
    store.clear_sessions_and_rooms();
  }
  const RecoveredState s = read_back();
  EXPECT_TRUE(s.sessions.empty());
  EXPECT_TRUE(s.rooms.empty());
  EXPECT_EQ(s.floors.at(std::string(kRoomIdFloor)), 77u);
}

TEST_F(RecoveryStoreTest, ShutdownCommitsWhatWaitsAndIsIdempotent) {
  {
    RecoveryStore store(path());
    // Handed over before the writer starts: it waits, then goes in the first commit.
    store.put_room(room(5, 1, {}));
    store.start();
    store.shutdown();
    store.shutdown();
    EXPECT_EQ(store.stats().room_snapshots_written, 1u);
    EXPECT_EQ(store.stats().failures, 0u);
  }
  EXPECT_EQ(read_back().rooms.size(), 1u);
}

// The writer is woken by the first record of a batch only; every record
// handed over while it gathers goes in that batch, and the first record after
// a commit wakes it again (no shutdown needed to get anything written).
TEST_F(RecoveryStoreTest, ARunningWriterCommitsEachBatchWithoutBeingStopped) {
  {
    RecoveryStore store(path());
    store.start();
    const auto snapshots = [&] { return store.stats().room_snapshots_written; };
    store.put_room(room(1, 1, {1}));  // a batch of one
    ASSERT_TRUE(citadel::test::eventually([&] { return snapshots() == 1; }));
    store.put_room(room(2, 1, {2}));  // a batch of three
    store.put_room(room(3, 1, {3}));
    store.put_room(room(1, 2, {4}));
    ASSERT_TRUE(citadel::test::eventually([&] { return snapshots() == 4; }));
    const uint64_t commits = store.stats().commits;
    EXPECT_GE(commits, 2u);
    store.erase_room(2);  // and one more, after a commit
    ASSERT_TRUE(citadel::test::eventually([&] { return store.stats().rooms_erased == 1; }));
    EXPECT_GT(store.stats().commits, commits);
  }
  const RecoveredState s = read_back();
  ASSERT_EQ(s.rooms.size(), 2u);
}

TEST_F(RecoveryStoreTest, AFileHeldByAnotherStoreIsBusyNotDamaged) {
  RecoveryStore owner(path());
  EXPECT_THROW(RecoveryStore second(path()), RecoveryFileBusy);
}

TEST_F(RecoveryStoreTest, AFileThatIsNotADatabaseIsRefusedByName) {
  {
    std::ofstream out(path());
    out << std::string(4096, 'z');
  }
  try {
    RecoveryStore store(path());
    FAIL() << "opened a file that is not a database";
  } catch (const StoreOpenError& e) {
    EXPECT_NE(std::string(e.what()).find(path()), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace citadel::store
