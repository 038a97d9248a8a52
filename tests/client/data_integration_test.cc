// The typed storage and leaderboard calls against the real `citadel` binary
// over a real socket: guest logins, objects written (a version conflict and a
// refused write-if-absent among them), read back, listed across two pages
// with a cursor and deleted; a configured board with two players submitting,
// the top N paged with cursors, around me, a set of players' records, my
// record, and deleting it. Every wait is on an event (the callback), bounded.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/client.h"
#include "run_until.h"
#include "server_process.h"

namespace citadel::client {
namespace {

namespace asio = boost::asio;
using citadel::test::ServerOptions;
using citadel::test::ServerProcess;
using test::run_until;

ClientOptions test_options() {
  ClientOptions o;
  o.heartbeat_interval = 0ms;
  o.dead_after = 0ms;
  o.request_timeout = 5s;
  o.backoff.max_tries = 1;
  return o;
}

// One player: a Client on the test's io_context, and a helper that makes a
// call and runs the io_context until its callback has run.
class Player {
 public:
  Player(asio::io_context& io, uint16_t port) : io_(io), client_(io, test_options()) {
    client_.connect("127.0.0.1", port);
    connected_ = run_until(
        io_, [&] { return client_.state() == ClientState::kConnected; }, 5s);
  }
  ~Player() { client_.close(); }

  // Connects and logs in as a guest; the user id, or 0.
  uint64_t log_in(const std::string& device) {
    if (!connected_) return 0;
    auto user = std::make_shared<std::optional<uint64_t>>();
    client_.login_guest(device,
                        [user](const AuthOutcome& o) { *user = o.ok() ? o.auth->user_id : 0; });
    if (!run_until(
            io_, [&] { return user->has_value(); }, 10s)) {
      return 0;
    }
    return **user;
  }

  // Calls `call(client, callback)` and waits for the outcome. The slot is
  // shared: a callback that comes after a failed wait (at close) still has
  // somewhere to write.
  template <typename T, typename Call>
  CallOutcome<T> wait(Call call) {
    auto outcome = std::make_shared<std::optional<CallOutcome<T>>>();
    call(client_, [outcome](const CallOutcome<T>& o) { *outcome = o; });
    if (!run_until(
            io_, [&] { return outcome->has_value(); }, 10s)) {
      ADD_FAILURE() << "no callback within 10 s";
      return {};
    }
    return **outcome;
  }

  CallOutcome<std::vector<uint64_t>> write(const std::vector<StorageWriteItem>& items) {
    return wait<std::vector<uint64_t>>(
        [&](Client& c, auto done) { c.storage_write(items, std::move(done)); });
  }
  CallOutcome<std::vector<StorageObject>> read(const std::vector<StorageObjectId>& ids) {
    return wait<std::vector<StorageObject>>(
        [&](Client& c, auto done) { c.storage_read(ids, std::move(done)); });
  }
  CallOutcome<StoragePage> list(const StorageListRequest& request) {
    return wait<StoragePage>(
        [&](Client& c, auto done) { c.storage_list(request, std::move(done)); });
  }
  CallOutcome<StorageDeleted> remove(const std::vector<StorageDeleteItem>& items) {
    return wait<StorageDeleted>(
        [&](Client& c, auto done) { c.storage_delete(items, std::move(done)); });
  }
  // Any leaderboard call: `call(client, callback)`.
  template <typename Call>
  CallOutcome<LeaderboardReplyFields> board(Call call) {
    return wait<LeaderboardReplyFields>(call);
  }

  Client& client() { return client_; }
  bool connected() const { return connected_; }

 private:
  asio::io_context& io_;
  Client client_;
  bool connected_ = false;
};

StorageWriteItem item(std::string key, std::string value) {
  StorageWriteItem w;
  w.collection = "saves";
  w.key = std::move(key);
  w.value = std::move(value);
  return w;
}

std::vector<std::string> keys_of(const std::vector<StorageObject>& objects) {
  std::vector<std::string> out;
  for (const StorageObject& o : objects) out.push_back(o.key);
  return out;
}

std::vector<uint64_t> users_of(const std::vector<LeaderboardRecord>& records) {
  std::vector<uint64_t> out;
  for (const LeaderboardRecord& r : records) out.push_back(r.user_id);
  return out;
}

ServerOptions server_options() {
  ServerOptions o;
  o.config_yaml =
      "admin:\n  port: 0\n"
      "leaderboards:\n"
      "  boards:\n"
      "    - {id: weekly, sort: desc, operator: best}\n";
  return o;
}

TEST(ClientDataWithServer, StorageWriteReadListAndDelete) {
  ServerProcess server(server_options());
  std::string why;
  ASSERT_TRUE(server.start(&why)) << why;
  asio::io_context io;

  // Before a login the server answers ERROR 9: a typed server error.
  Player anonymous(io, server.port());
  ASSERT_TRUE(anonymous.connected());
  const auto not_logged_in = anonymous.read({{"saves", "slot1", 0}});
  ASSERT_FALSE(not_logged_in.ok());
  EXPECT_EQ(not_logged_in.error.kind, CallErrorKind::kServerError);
  EXPECT_EQ(not_logged_in.error.server_error_code, 9);

  Player a(io, server.port());
  const uint64_t user = a.log_in("device-data-storage-a");
  ASSERT_NE(user, 0u);

  StorageWriteItem first = item("slot1", R"({"level":1})");
  first.permission_read = storage_permission::kReadPublic;
  const auto created = a.write({first, item("slot2", R"({"level":2})"), item("slot3", "{}")});
  ASSERT_TRUE(created.ok()) << created.error.describe();
  EXPECT_EQ(*created.value, (std::vector<uint64_t>{1, 1, 1}));

  // Write-if-version: version 1 is the stored one, so this write is taken...
  StorageWriteItem update = item("slot1", R"({"level":5})");
  update.permission_read = storage_permission::kReadPublic;
  update.version = 1;
  const auto updated = a.write({update});
  ASSERT_TRUE(updated.ok()) << updated.error.describe();
  EXPECT_EQ(*updated.value, (std::vector<uint64_t>{2}));
  // ... and the same write again is a conflict: the stored version is 2 now.
  const auto conflict = a.write({update});
  ASSERT_FALSE(conflict.ok());
  EXPECT_TRUE(conflict.error.refused(storage_result::kVersionConflict))
      << conflict.error.describe();
  EXPECT_EQ(conflict.error.result_name, "VersionConflict");
  EXPECT_EQ(conflict.error.failed_index, 0);

  // Write-if-absent on an object that exists: refused, and the batch is all
  // or nothing, so slot4 (absent, first in the batch) is not written either.
  StorageWriteItem new_one = item("slot4", "{}");
  new_one.if_absent = true;
  StorageWriteItem existing = item("slot2", R"({"level":9})");
  existing.if_absent = true;
  const auto refused = a.write({new_one, existing});
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(refused.error.refused(storage_result::kVersionConflict)) << refused.error.describe();
  EXPECT_EQ(refused.error.failed_index, 1);

  // Read back: what exists, in request order; slot4 and a missing key are
  // left out.
  const auto read =
      a.read({{"saves", "slot4", 0}, {"saves", "slot1", 0}, {"saves", "slot2", user}});
  ASSERT_TRUE(read.ok()) << read.error.describe();
  ASSERT_EQ(keys_of(*read.value), (std::vector<std::string>{"slot1", "slot2"}));
  const StorageObject& slot1 = (*read.value)[0];
  EXPECT_EQ(slot1.value, R"({"level":5})");
  EXPECT_EQ(slot1.version, 2u);
  EXPECT_EQ(slot1.user_id, user);
  EXPECT_EQ(slot1.permission_read, storage_permission::kReadPublic);
  EXPECT_EQ(slot1.permission_write, storage_permission::kWriteOwner);
  EXPECT_GT(slot1.updated_unix_ms, 0u);
  EXPECT_EQ((*read.value)[1].value, R"({"level":2})") << "the refused batch changed nothing";

  // A list of two pages: the cursor of the first brings the rest.
  const auto page1 = a.list({"saves", 0, 2});
  ASSERT_TRUE(page1.ok()) << page1.error.describe();
  EXPECT_EQ(keys_of(page1.value->objects), (std::vector<std::string>{"slot1", "slot2"}));
  ASSERT_TRUE(page1.value->cursor.has_value());
  const auto page2 = a.list({"saves", 0, 2, page1.value->cursor});
  ASSERT_TRUE(page2.ok()) << page2.error.describe();
  EXPECT_EQ(keys_of(page2.value->objects), (std::vector<std::string>{"slot3"}));
  EXPECT_FALSE(page2.value->cursor.has_value()) << "the last page";
  // A cursor that was made up.
  const auto bad_cursor = a.list({"saves", 0, 2, std::string("not-a-cursor")});
  ASSERT_FALSE(bad_cursor.ok());
  EXPECT_TRUE(bad_cursor.error.refused(storage_result::kBadCursor)) << bad_cursor.error.describe();

  // Another player reads the public object, by its owner's id.
  Player b(io, server.port());
  ASSERT_NE(b.log_in("device-data-storage-b"), 0u);
  const auto public_read = b.read({{"saves", "slot1", user}, {"saves", "slot2", user}});
  ASSERT_TRUE(public_read.ok()) << public_read.error.describe();
  EXPECT_EQ(keys_of(*public_read.value), (std::vector<std::string>{"slot1"}))
      << "slot2 is the owner's only";

  // Delete: a stale version is a conflict; then slot1 at its version, and
  // slot2 unconditionally.
  const auto stale = a.remove({{"saves", "slot1", 1}});
  ASSERT_FALSE(stale.ok());
  EXPECT_TRUE(stale.error.refused(storage_result::kVersionConflict)) << stale.error.describe();
  const auto deleted = a.remove({{"saves", "slot1", 2}, {"saves", "slot2", 0}});
  ASSERT_TRUE(deleted.ok()) << deleted.error.describe();
  const auto after = a.list({"saves"});
  ASSERT_TRUE(after.ok()) << after.error.describe();
  EXPECT_EQ(keys_of(after.value->objects), (std::vector<std::string>{"slot3"}));
}

TEST(ClientDataWithServer, LeaderboardSubmitTopAroundRecordsMineAndDelete) {
  ServerProcess server(server_options());
  std::string why;
  ASSERT_TRUE(server.start(&why)) << why;
  asio::io_context io;
  Player a(io, server.port());
  Player b(io, server.port());
  const uint64_t user_a = a.log_in("device-data-board-a");
  const uint64_t user_b = b.log_in("device-data-board-b");
  ASSERT_NE(user_a, 0u);
  ASSERT_NE(user_b, 0u);

  const auto submit = [](LeaderboardSubmitRequest r) {
    return [r = std::move(r)](Client& c, LeaderboardCallback done) {
      c.leaderboard_submit(r, std::move(done));
    };
  };
  const auto first = a.board(submit({"weekly", 100, 1, std::string(R"({"car":"red"})")}));
  ASSERT_TRUE(first.ok()) << first.error.describe();
  EXPECT_TRUE(first.value->taken);
  ASSERT_EQ(first.value->records.size(), 1u);
  EXPECT_EQ(first.value->records[0].user_id, user_a);
  EXPECT_EQ(first.value->records[0].rank, 1u);
  EXPECT_EQ(first.value->records[0].metadata, R"({"car":"red"})");
  EXPECT_EQ(first.value->board_id, "weekly");

  const auto second = b.board(submit({"weekly", 250}));
  ASSERT_TRUE(second.ok()) << second.error.describe();
  EXPECT_EQ(second.value->records.at(0).rank, 1u);
  EXPECT_EQ(second.value->total, 2u);

  // A lower score on a `best` board is not taken; the record stays.
  const auto lower = a.board(submit({"weekly", 50}));
  ASSERT_TRUE(lower.ok()) << lower.error.describe();
  EXPECT_FALSE(lower.value->taken);
  EXPECT_EQ(lower.value->records.at(0).score, 100);
  EXPECT_EQ(lower.value->records.at(0).num_submissions, 2u);

  // The top, one record a page: rank 1, then rank 2 by the next cursor.
  const auto top1 = a.board([](Client& c, LeaderboardCallback done) {
    c.leaderboard_top({"weekly", 1}, std::move(done));
  });
  ASSERT_TRUE(top1.ok()) << top1.error.describe();
  EXPECT_EQ(users_of(top1.value->records), std::vector<uint64_t>{user_b});
  EXPECT_FALSE(top1.value->prev_cursor.has_value());
  ASSERT_TRUE(top1.value->next_cursor.has_value());
  const auto top2 = a.board([&](Client& c, LeaderboardCallback done) {
    c.leaderboard_top({"weekly", 1, top1.value->next_cursor}, std::move(done));
  });
  ASSERT_TRUE(top2.ok()) << top2.error.describe();
  EXPECT_EQ(users_of(top2.value->records), std::vector<uint64_t>{user_a});
  EXPECT_EQ(top2.value->records.at(0).rank, 2u);
  EXPECT_TRUE(top2.value->prev_cursor.has_value());
  EXPECT_FALSE(top2.value->next_cursor.has_value());
  EXPECT_EQ(top2.value->total, 2u);

  const auto around = a.board([](Client& c, LeaderboardCallback done) {
    c.leaderboard_around({"weekly", 10}, std::move(done));
  });
  ASSERT_TRUE(around.ok()) << around.error.describe();
  EXPECT_EQ(users_of(around.value->records), (std::vector<uint64_t>{user_b, user_a}));

  // A set of players, in rank order; one without a record is left out.
  const auto records = a.board([&](Client& c, LeaderboardCallback done) {
    c.leaderboard_records({"weekly", {user_a, 999999, user_b}}, std::move(done));
  });
  ASSERT_TRUE(records.ok()) << records.error.describe();
  EXPECT_EQ(users_of(records.value->records), (std::vector<uint64_t>{user_b, user_a}));

  const auto mine = [](Client& c, LeaderboardCallback done) {
    c.leaderboard_mine({"weekly"}, std::move(done));
  };
  const auto mine_a = a.board(mine);
  ASSERT_TRUE(mine_a.ok()) << mine_a.error.describe();
  ASSERT_EQ(mine_a.value->records.size(), 1u);
  EXPECT_EQ(mine_a.value->records[0].rank, 2u);
  EXPECT_EQ(mine_a.value->records[0].score, 100);
  EXPECT_EQ(mine_a.value->records[0].subscore, 1);

  // Delete my record: B is alone; then there is nothing of mine to read or
  // delete.
  const auto remove = [](Client& c, LeaderboardCallback done) {
    c.leaderboard_delete("weekly", std::move(done));
  };
  const auto deleted = a.board(remove);
  ASSERT_TRUE(deleted.ok()) << deleted.error.describe();
  EXPECT_EQ(deleted.value->total, 1u);
  EXPECT_TRUE(deleted.value->records.empty());
  const auto gone = a.board(mine);
  ASSERT_FALSE(gone.ok());
  EXPECT_TRUE(gone.error.refused(leaderboard_result::kNotRanked)) << gone.error.describe();
  EXPECT_EQ(gone.error.result_name, "NotRanked");
  const auto again = a.board(remove);
  EXPECT_TRUE(again.error.refused(leaderboard_result::kNotRanked)) << again.error.describe();
  const auto b_mine = b.board(mine);
  ASSERT_TRUE(b_mine.ok()) << b_mine.error.describe();
  EXPECT_EQ(b_mine.value->records.at(0).rank, 1u);

  // A board that does not exist, and a limit out of range.
  const auto unknown = a.board([](Client& c, LeaderboardCallback done) {
    c.leaderboard_top({"no-such-board", 10}, std::move(done));
  });
  EXPECT_TRUE(unknown.error.refused(leaderboard_result::kNoSuchBoard)) << unknown.error.describe();
  const auto bad_limit = a.board([](Client& c, LeaderboardCallback done) {
    c.leaderboard_around({"weekly", 0}, std::move(done));
  });
  EXPECT_TRUE(bad_limit.error.refused(leaderboard_result::kInvalidLimit))
      << bad_limit.error.describe();
}

}  // namespace
}  // namespace citadel::client
