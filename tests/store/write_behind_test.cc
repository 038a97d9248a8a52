// Write-behind (src/store/write_behind/) against a real PostgreSQL server
// (tests/support/postgres) and a real local SQLite file: a write is
// acknowledged from the local file and reaches PostgreSQL later; what was
// acknowledged survives a store that stops before flushing (replayed on the
// next start); an outage fills the outbox up to max_pending, then writes are
// refused, and the backlog drains by itself once the server is back; a row
// changed in PostgreSQL behind the store is a conflict, counted and kept,
// never written over.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "postgres/postgres_server.h"
#include "store/store_factory.h"
#include "store/write_behind/conflict_admin.h"
#include "store/write_behind/write_behind_store.h"
#include "store_test_support.h"
#include "support/deadline.h"

namespace citadel::store::test {
namespace {

using citadel::test::pg_exec;
using citadel::test::pg_query_int;
using citadel::test::PostgresServer;
using Clock = std::chrono::steady_clock;

// Polls `condition` (bounded): the flush runs on its own schedule.
using citadel::test::eventually;

ObjectWrite write_of(const std::string& key, const std::string& value, int64_t owner = 7) {
  ObjectWrite w;
  w.id = {"saves", key, owner};
  w.value = value;
  return w;
}

ObjectWriteResult put(ObjectStore& s, std::vector<ObjectWrite> writes) {
  return await_result<ObjectWriteResult>(
      [&](auto done) { s.write_objects(std::move(writes), std::move(done)); });
}

ObjectWriteResult remove(ObjectStore& s, std::vector<ObjectDelete> deletes) {
  return await_result<ObjectWriteResult>(
      [&](auto done) { s.delete_objects(std::move(deletes), std::move(done)); });
}

ObjectReadResult get(ObjectStore& s, std::vector<ObjectId> ids) {
  return await_result<ObjectReadResult>(
      [&](auto done) { s.read_objects(std::move(ids), std::move(done)); });
}

class WriteBehindTest : public ::testing::Test {
 protected:
  ~WriteBehindTest() override {
    if (!server_.running()) server_.start();
  }
  PostgresConfig pg() const {
    PostgresConfig c;
    c.url = url_;
    c.reconnect_interval_ms = 100;
    c.batch_timeout_ms = 5000;
    return c;
  }
  WriteBehindConfig wb(uint32_t max_pending = 1000) const {
    WriteBehindConfig c;
    c.enabled = true;
    c.path = dir_.file("wb.db");
    c.flush_interval_ms = 20;
    c.writers = 2;
    c.max_pending = max_pending;
    return c;
  }
  int64_t pg_int(const std::string& sql) { return pg_query_int(url_, sql); }
  int64_t pg_version(const std::string& key, int64_t owner = 7) {
    return pg_int(fmt::format(
        "SELECT coalesce(max(version), 0) FROM storage_objects WHERE owner_id = {} AND key = '{}'",
        owner, key));
  }

  // A write that loses to a row changed in PostgreSQL behind the store (by
  // another node, an operator): `key` is written ({"mine":1}) and flushed,
  // PostgreSQL's row moves to version 7, then {"mine":2}, based on version 1,
  // reaches PostgreSQL as a conflict. Returns once it is counted.
  void make_conflict(WriteBehindStore& store, const std::string& key) {
    ASSERT_TRUE(put(store, {write_of(key, R"({"mine":1})")}).ok());
    ASSERT_TRUE(eventually([&] { return pg_version(key) == 1; }));
    const uint64_t before = store.stats().write_behind.conflicts;
    pg_exec(url_, "UPDATE storage_objects SET value = '{\"theirs\":1}', version = 7 WHERE key = '" +
                      key + "'");
    const auto mine = put(store, {write_of(key, R"({"mine":2})")});
    ASSERT_TRUE(mine.ok());
    EXPECT_EQ(mine.value.versions, std::vector<int64_t>{2});  // checked against the local copy
    ASSERT_TRUE(eventually([&] { return store.stats().write_behind.conflicts == before + 1; }));
  }

  PostgresServer& server_ = PostgresServer::shared();
  std::string url_ = server_.create_database();
  TempDir dir_;
};

TEST_F(WriteBehindTest, AWriteIsAcknowledgedLocallyThenFlushedToPostgres) {
  WriteBehindStore store(pg(), wb());
  const auto written = put(store, {write_of("slot1", R"({"level":3})")});
  ASSERT_TRUE(written.ok()) << to_string(written.error);
  EXPECT_EQ(written.value.versions, std::vector<int64_t>{1});
  // Read back at once: from the local copy, whether or not it is flushed.
  const auto read = get(store, {{"saves", "slot1", 7}});
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read.value.size(), 1u);
  EXPECT_EQ(read.value[0].value, R"({"level":3})");
  EXPECT_EQ(read.value[0].version, 1);

  ASSERT_TRUE(eventually([&] { return pg_version("slot1") == 1; }));
  EXPECT_EQ(pg_int("SELECT count(*) FROM storage_objects WHERE value = '{\"level\":3}'"), 1);
  ASSERT_TRUE(eventually([&] { return store.stats().write_behind.pending == 0; }));
  const auto stats = store.stats().write_behind;
  EXPECT_TRUE(stats.enabled);
  EXPECT_EQ(stats.flushed, 1u);
  EXPECT_GE(stats.batches, 1u);
  EXPECT_EQ(stats.conflicts, 0u);
  EXPECT_EQ(stats.flush_lag_seconds, 0.0);
}

TEST_F(WriteBehindTest, VersionsAndConditionsAreCheckedLocallyAndChainInPostgres) {
  WriteBehindStore store(pg(), wb());
  ASSERT_TRUE(put(store, {write_of("k", R"({"n":1})")}).ok());
  ObjectWrite stale = write_of("k", R"({"n":9})");
  stale.condition = ObjectCondition::kVersion;
  stale.version = 5;
  EXPECT_EQ(put(store, {stale}).value.refusal, ObjectRefusal::kVersionConflict);
  ObjectWrite absent = write_of("k", R"({"n":9})");
  absent.condition = ObjectCondition::kAbsent;
  EXPECT_EQ(put(store, {absent}).value.refusal, ObjectRefusal::kVersionConflict);
  // Several writes of one object, likely in one flush: PostgreSQL ends at the last.
  for (int64_t v = 1; v <= 5; ++v) {
    ObjectWrite next = write_of("k", fmt::format(R"({{"n":{}}})", v + 1));
    next.condition = ObjectCondition::kVersion;
    next.version = v;
    const auto r = put(store, {next});
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r.value.refusal, ObjectRefusal::kNone);
    EXPECT_EQ(r.value.versions, std::vector<int64_t>{v + 1});
  }
  ASSERT_TRUE(eventually([&] { return pg_version("k") == 6; }));
  EXPECT_EQ(pg_int("SELECT count(*) FROM storage_objects WHERE value = '{\"n\":6}'"), 1);
  EXPECT_EQ(store.stats().write_behind.conflicts, 0u);
}

TEST_F(WriteBehindTest, AnObjectOnlyInPostgresIsReadThenWrittenOnItsVersion) {
  WriteBehindStore store(pg(), wb());  // creates the schema
  pg_exec(url_,
          "INSERT INTO storage_objects (collection, key, owner_id, value, version, read_perm, "
          "write_perm, created_at_ms, updated_at_ms) VALUES ('saves', 'old', 7, '{\"a\":1}', 4, 1, "
          "1, 0, 0)");
  const auto read = get(store, {{"saves", "missing", 7}, {"saves", "old", 7}});
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read.value.size(), 1u);
  EXPECT_EQ(read.value[0].version, 4);
  // A write of an object the local copy has not seen fetches it first.
  ObjectWrite w = write_of("old", R"({"a":2})");
  w.condition = ObjectCondition::kVersion;
  w.version = 4;
  const auto r = put(store, {w, write_of("fresh", "{}")});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value.versions, (std::vector<int64_t>{5, 1}));
  ASSERT_TRUE(eventually([&] { return pg_version("old") == 5 && pg_version("fresh") == 1; }));
}

TEST_F(WriteBehindTest, ADeleteIsAbsentAtOnceAndLeavesPostgresAfterTheFlush) {
  WriteBehindStore store(pg(), wb());
  ASSERT_TRUE(put(store, {write_of("gone", "{}")}).ok());
  ASSERT_TRUE(eventually([&] { return pg_version("gone") == 1; }));
  ObjectDelete d;
  d.id = {"saves", "gone", 7};
  d.version = 1;
  const auto deleted = remove(store, {d});
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(deleted.value.refusal, ObjectRefusal::kNone);
  EXPECT_TRUE(get(store, {{"saves", "gone", 7}}).value.empty());
  ASSERT_TRUE(eventually([&] { return pg_version("gone") == 0; }));
  // Unknown locally again, and absent in PostgreSQL too.
  EXPECT_TRUE(get(store, {{"saves", "gone", 7}}).value.empty());
  // Recreated: version 1 again, as on the other backends.
  EXPECT_EQ(put(store, {write_of("gone", "{}")}).value.versions, std::vector<int64_t>{1});
  ASSERT_TRUE(eventually([&] { return pg_version("gone") == 1; }));
}

// A store that stops while PostgreSQL is away keeps what it acknowledged in
// its local outbox; the next start replays it.
TEST_F(WriteBehindTest, WhatWasAcknowledgedButNotFlushedIsReplayedOnTheNextStart) {
  {
    WriteBehindStore store(pg(), wb());
    ASSERT_TRUE(put(store, {write_of("a", R"({"v":1})"), write_of("b", R"({"v":1})", 8)}).ok());
    ASSERT_TRUE(eventually([&] { return pg_version("a") == 1 && pg_version("b", 8) == 1; }));
    server_.stop();
    for (int v = 2; v <= 4; ++v) {
      ObjectWrite a = write_of("a", fmt::format(R"({{"v":{}}})", v));
      ObjectWrite b = write_of("b", fmt::format(R"({{"v":{}}})", v), 8);
      const auto r = put(store, {a, b});
      ASSERT_TRUE(r.ok()) << to_string(r.error);
    }
    ObjectDelete d;
    d.id = {"saves", "a", 7};
    ASSERT_TRUE(remove(store, {d}).ok());
    EXPECT_EQ(store.stats().write_behind.pending, 7u);  // 3 rounds of 2, and the delete
  }                                                     // the final flush fails: the server is down
  server_.start();
  EXPECT_EQ(pg_version("a"), 1);
  EXPECT_EQ(pg_version("b", 8), 1);
  WriteBehindStore again(pg(), wb());
  ASSERT_TRUE(eventually([&] { return pg_version("a") == 0 && pg_version("b", 8) == 4; }));
  EXPECT_EQ(pg_int("SELECT count(*) FROM storage_objects WHERE key = 'b' AND value = '{\"v\":4}'"),
            1);
  ASSERT_TRUE(eventually([&] { return again.stats().write_behind.pending == 0; }));
  EXPECT_EQ(again.stats().write_behind.conflicts, 0u);
}

// A real crash: a child process acknowledges writes and dies at once
// (_exit: no destructor, no final flush, its threads gone mid-flight). The
// next store on the same file replays them.
TEST_F(WriteBehindTest, AProcessThatDiesBetweenAckAndFlushLosesNothingAcknowledged) {
  WriteBehindConfig slow = wb();
  slow.flush_interval_ms = 60'000;  // nothing flushes before the crash
  const PostgresConfig config = pg();
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    try {
      WriteBehindStore store(config, slow);
      int code = 0;
      for (int i = 0; i < 3; ++i) {
        const auto r = put(store, {write_of(numbered("crash", i), R"({"acked":true})")});
        if (!r.ok() || r.value.versions != std::vector<int64_t>{1}) code = 1;
      }
      if (store.stats().write_behind.pending != 3) code = 2;
      ::_exit(code);  // inside the store's scope: its destructor never runs
    } catch (...) {
      ::_exit(4);
    }
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(pg_int("SELECT count(*) FROM storage_objects"), 0);  // acknowledged, not flushed

  WriteBehindStore again(pg(), wb());
  EXPECT_EQ(again.stats().write_behind.pending, 3u);
  ASSERT_TRUE(eventually([&] {
    return pg_int("SELECT count(*) FROM storage_objects WHERE value = '{\"acked\":true}'") == 3;
  }));
  ASSERT_TRUE(eventually([&] { return again.stats().write_behind.pending == 0; }));
}

// Entries already in PostgreSQL whose outbox rows were not removed (a crash
// between the flush and the cleanup) are skipped on replay, not applied twice
// nor taken for conflicts.
TEST_F(WriteBehindTest, AReplayOfEntriesAlreadyFlushedSkipsThem) {
  {
    WriteBehindStore store(pg(), wb());
    ASSERT_TRUE(put(store, {write_of("x", R"({"v":1})")}).ok());
    ASSERT_TRUE(eventually([&] { return store.stats().write_behind.pending == 0; }));
  }
  // Put the flushed entry back, as a crash before the cleanup would leave it.
  {
    RawConnection raw(wb().path);
    raw.exec(
        "INSERT INTO wb_outbox (seq, op, owner_id, collection, key, value, read_perm, write_perm, "
        "base_version, version, updated_at_ms) VALUES (1, 1, 7, 'saves', 'x', '{\"v\":1}', 1, 1, "
        "0, 1, 0)");
  }
  WriteBehindStore again(pg(), wb());
  EXPECT_EQ(again.stats().write_behind.pending, 1u);
  ASSERT_TRUE(eventually([&] { return again.stats().write_behind.pending == 0; }));
  EXPECT_EQ(again.stats().write_behind.conflicts, 0u);
  EXPECT_EQ(pg_version("x"), 1);
  EXPECT_EQ(pg_int("SELECT count(*) FROM citadel_write_behind_conflicts"), 0);
}

TEST_F(WriteBehindTest, AnOutageQueuesUpToMaxPendingThenRefusesAndDrainsByItself) {
  WriteBehindStore store(pg(), wb(/*max_pending=*/5));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(put(store, {write_of(numbered("k", i), "{}")}).ok());
  ASSERT_TRUE(eventually([&] { return store.stats().write_behind.pending == 0; }));
  server_.stop();
  for (int round = 0; round < 5; ++round) {
    const auto r =
        put(store, {write_of(numbered("k", round % 3), fmt::format(R"({{"r":{}}})", round))});
    ASSERT_TRUE(r.ok()) << to_string(r.error);
  }
  EXPECT_EQ(store.stats().write_behind.pending, 5u);
  // Full: refused with the specific error, nothing written.
  const auto refused = put(store, {write_of("k0", R"({"r":99})")});
  EXPECT_EQ(refused.error, StoreError::kBacklogFull);
  EXPECT_EQ(get(store, {{"saves", "k0", 7}}).value.at(0).value, R"({"r":3})");
  auto stats = store.stats().write_behind;
  EXPECT_EQ(stats.refusals, 1u);
  EXPECT_EQ(stats.pending, 5u);
  EXPECT_GT(stats.flush_lag_seconds, 0.0);
  EXPECT_TRUE(eventually([&] { return store.stats().write_behind.flush_failures >= 1; }));

  server_.start();
  ASSERT_TRUE(eventually([&] { return store.stats().write_behind.pending == 0; }, 20s));
  EXPECT_EQ(pg_int("SELECT count(*) FROM storage_objects WHERE value = '{\"r\":3}'"), 1);
  EXPECT_EQ(pg_int("SELECT count(*) FROM storage_objects WHERE value = '{\"r\":4}'"), 1);
  EXPECT_EQ(pg_version("k0"), 3);
  EXPECT_TRUE(put(store, {write_of("k0", R"({"r":5})")}).ok());
  EXPECT_EQ(store.stats().write_behind.conflicts, 0u);
}

TEST_F(WriteBehindTest, ARowChangedInPostgresBehindTheStoreIsAConflictNotOverwritten) {
  WriteBehindStore store(pg(), wb());
  ASSERT_NO_FATAL_FAILURE(make_conflict(store, "c"));
  EXPECT_EQ(pg_version("c"), 7);
  EXPECT_EQ(pg_int("SELECT count(*) FROM storage_objects WHERE value = '{\"theirs\":1}'"), 1);
  EXPECT_EQ(pg_int("SELECT count(*) FROM citadel_write_behind_conflicts WHERE key = 'c' AND "
                   "base_version = 1 AND version = 2 AND found_version = 7 AND "
                   "value = '{\"mine\":2}'"),
            1);
  // The local copy gave way: the next read shows PostgreSQL's row, and a
  // write based on it goes through.
  ASSERT_TRUE(eventually([&] {
    const auto r = get(store, {{"saves", "c", 7}});
    return r.ok() && r.value.size() == 1 && r.value[0].version == 7;
  }));
  ObjectWrite w = write_of("c", R"({"mine":3})");
  w.condition = ObjectCondition::kVersion;
  w.version = 7;
  EXPECT_EQ(put(store, {w}).value.versions, std::vector<int64_t>{8});
  ASSERT_TRUE(eventually([&] { return pg_version("c") == 8; }));
  EXPECT_EQ(store.stats().write_behind.conflicts, 1u);
}

// What an operator sees of conflicts (ConflictAdmin, behind the admin port's
// /store/conflicts): the losing write and PostgreSQL's version, in pages;
// a dismissed one is gone, and dismissing it again finds nothing.
TEST_F(WriteBehindTest, ConflictsAreListedInPagesAndDismissed) {
  WriteBehindStore store(pg(), wb());
  ASSERT_NO_FATAL_FAILURE(make_conflict(store, "a"));
  ASSERT_NO_FATAL_FAILURE(make_conflict(store, "b"));
  wb::ConflictAdmin admin(pg());
  const auto list = [&](int64_t after, uint32_t limit) {
    return await_result<wb::ConflictPage>(
        [&](auto done) { admin.list(after, limit, std::move(done)); });
  };
  const wb::ConflictPage all = list(0, 10);
  ASSERT_TRUE(all.error.empty()) << all.error;
  ASSERT_EQ(all.rows.size(), 2u);
  const wb::ConflictRow& a = all.rows[0];
  EXPECT_EQ(a.key, "a");
  EXPECT_EQ(a.collection, "saves");
  EXPECT_EQ(a.owner_id, 7);
  EXPECT_FALSE(a.is_delete);
  EXPECT_EQ(a.value, R"({"mine":2})");
  EXPECT_EQ(a.base_version, 1);
  EXPECT_EQ(a.version, 2);
  EXPECT_EQ(a.found_version, 7);
  EXPECT_GT(a.at_unix_ms, 0);
  EXPECT_LT(a.id, all.rows[1].id);
  // Pages: one at a time, the next after the last id seen.
  const wb::ConflictPage first = list(0, 1);
  ASSERT_EQ(first.rows.size(), 1u);
  EXPECT_EQ(first.rows[0].key, "a");
  const wb::ConflictPage second = list(first.rows[0].id, 1);
  ASSERT_EQ(second.rows.size(), 1u);
  EXPECT_EQ(second.rows[0].key, "b");
  EXPECT_TRUE(list(second.rows[0].id, 1).rows.empty());

  const auto dismiss = [&](int64_t id) {
    return await_result<wb::DismissOutcome>([&](auto done) { admin.dismiss(id, std::move(done)); });
  };
  const wb::DismissOutcome gone = dismiss(a.id);
  EXPECT_TRUE(gone.error.empty()) << gone.error;
  EXPECT_TRUE(gone.found);
  EXPECT_FALSE(dismiss(a.id).found);
  const wb::ConflictPage left = list(0, 10);
  ASSERT_EQ(left.rows.size(), 1u);
  EXPECT_EQ(left.rows[0].key, "b");
  EXPECT_EQ(pg_int("SELECT count(*) FROM citadel_write_behind_conflicts"), 1);
}

// With PostgreSQL away, a call answers with the reason instead of hanging.
TEST_F(WriteBehindTest, ConflictAdminSaysWhenPostgresCannotBeReached) {
  PostgresConfig unreachable = pg();
  unreachable.url = "postgresql://citadel@127.0.0.1:1/nowhere?connect_timeout=2";
  wb::ConflictAdmin admin(unreachable);
  const auto page =
      await_result<wb::ConflictPage>([&](auto done) { admin.list(0, 10, std::move(done)); });
  EXPECT_FALSE(page.error.empty());
  EXPECT_TRUE(page.rows.empty());
}

// A list shows writes and deletes at once, flushed or not.
TEST_F(WriteBehindTest, AListShowsPendingWritesAndDeletesAtOnce) {
  {
    WriteBehindStore store(pg(), wb());
    for (int i = 0; i < 6; ++i) ASSERT_TRUE(put(store, {write_of(numbered("k", i), "{}")}).ok());
    ASSERT_TRUE(eventually([&] { return store.stats().write_behind.pending == 0; }));
  }
  // Nothing flushes now: the list must come from both sides.
  WriteBehindConfig slow = wb();
  slow.flush_interval_ms = 60'000;
  WriteBehindStore store(pg(), slow);
  ObjectDelete d;
  d.id = {"saves", "k1", 7};
  const auto removed = remove(store, {d});
  ASSERT_TRUE(removed.ok()) << to_string(removed.error);
  ASSERT_TRUE(put(store, {write_of("k3", R"({"new":1})"), write_of("k45", "{}")}).ok());
  EXPECT_EQ(store.stats().write_behind.pending, 3u);
  const auto page = [&](const std::string& after, uint32_t limit) {
    ObjectListQuery q;
    q.owner_id = 7;
    q.collection = "saves";
    q.after_key = after;
    q.limit = limit;
    return await_result<ObjectListResult>(
        [&](auto done) { store.list_objects(std::move(q), std::move(done)); });
  };
  std::vector<std::string> keys;
  std::string after;
  for (int pages = 0; pages < 10; ++pages) {
    const ObjectListResult r = page(after, 2);
    ASSERT_TRUE(r.ok());
    for (const auto& o : r.value.objects) {
      keys.push_back(o.key);
      if (o.key == "k3") {
        EXPECT_EQ(o.value, R"({"new":1})");
      }
    }
    if (!r.value.more) break;
    after = keys.back();
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"k0", "k2", "k3", "k4", "k45", "k5"}));
  EXPECT_EQ(pg_version("k45"), 0);  // still only local
  EXPECT_EQ(pg_version("k1"), 1);
}

TEST_F(WriteBehindTest, BadInputIsRefusedInlineAndSqliteWithWriteBehindIsRefused) {
  WriteBehindStore store(pg(), wb());
  EXPECT_EQ(put(store, {write_of("k", "not json")}).error, StoreError::kInvalidArgument);
  EXPECT_EQ(put(store, {}).error, StoreError::kInvalidArgument);
  WriteBehindConfig bad = wb();
  bad.writers = 0;
  EXPECT_THROW({ WriteBehindStore s(pg(), bad); }, std::invalid_argument);
  StoreConfig sqlite;
  sqlite.sqlite.path = dir_.file("plain.db");
  sqlite.write_behind = wb();
  EXPECT_THROW(open_store(sqlite), std::invalid_argument);
}

}  // namespace
}  // namespace citadel::store::test
