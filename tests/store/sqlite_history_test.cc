// Chat history in SqliteStore: order, limit, per-channel trimming.
#include <gtest/gtest.h>

#include <string>

#include "store_test_support.h"

namespace citadel::store::test {
namespace {

void append_n(ChatHistoryStore& store, const std::string& channel, int first, int count) {
  for (int i = first; i < first + count; ++i) {
    ASSERT_TRUE(store.append(channel, 100 + i, numbered("sender-", i), numbered("message ", i),
                             1'700'000'000'000 + i));
  }
}

TEST(SqliteHistory, LoadReturnsMessagesOldestFirstWithAllFields) {
  TempDir dir;
  SqliteStore store(config_in(dir));
  append_n(store, "lobby", 0, 5);
  const auto r = load(store, "lobby", 10);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.value.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(r.value[i].sender_id, 100 + i);
    EXPECT_EQ(r.value[i].sender_name, numbered("sender-", i));
    EXPECT_EQ(r.value[i].text, numbered("message ", i));
    EXPECT_EQ(r.value[i].sent_at_unix_ms, 1'700'000'000'000 + i);
  }
}

TEST(SqliteHistory, LimitKeepsTheNewestMessages) {
  TempDir dir;
  SqliteStore store(config_in(dir));
  append_n(store, "lobby", 0, 10);
  const auto r = load(store, "lobby", 3);
  ASSERT_EQ(r.value.size(), 3u);
  EXPECT_EQ(r.value[0].text, "message 7");
  EXPECT_EQ(r.value[1].text, "message 8");
  EXPECT_EQ(r.value[2].text, "message 9");
  EXPECT_TRUE(load(store, "lobby", 0).value.empty());
  EXPECT_TRUE(load(store, "unknown-channel", 10).value.empty());
}

TEST(SqliteHistory, EachChannelKeepsAtMostHistoryPerChannelRows) {
  TempDir dir;
  auto config = config_in(dir);
  config.history_per_channel = 5;
  SqliteStore store(config);
  append_n(store, "a", 0, 12);
  append_n(store, "b", 0, 3);
  append_n(store, "a", 12, 2);

  const auto a = load(store, "a", 100);  // asks for more than is kept
  ASSERT_EQ(a.value.size(), 5u);
  EXPECT_EQ(a.value.front().text, "message 9");
  EXPECT_EQ(a.value.back().text, "message 13");
  const auto b = load(store, "b", 100);
  ASSERT_EQ(b.value.size(), 3u);  // a busy channel does not push out a quiet one
  EXPECT_EQ(b.value.front().text, "message 0");

  // The rows are deleted, not just hidden by the LIMIT: look from outside.
  RawConnection raw(config.path);
  EXPECT_EQ(raw.query_int("SELECT count(*) FROM chat_history WHERE channel = 'a'"), 5);
  EXPECT_EQ(raw.query_int("SELECT count(*) FROM chat_history WHERE channel = 'b'"), 3);
}

TEST(SqliteHistory, TrimHoldsAcrossManyBatches) {
  TempDir dir;
  auto config = config_in(dir);
  config.history_per_channel = 10;
  config.max_batch = 7;  // many small transactions, each trimming
  SqliteStore store(config);
  for (int round = 0; round < 20; ++round) {
    append_n(store, numbered("c", round % 3), round * 10, 10);
  }
  for (int c = 0; c < 3; ++c) {
    const auto r = load(store, numbered("c", c), 100);
    EXPECT_EQ(r.value.size(), 10u);
  }
  RawConnection raw(config.path);
  EXPECT_EQ(raw.query_int("SELECT count(*) FROM chat_history"), 30);
}

TEST(SqliteHistory, ZeroHistoryPerChannelStoresNothing) {
  TempDir dir;
  auto config = config_in(dir);
  config.history_per_channel = 0;
  SqliteStore store(config);
  EXPECT_TRUE(store.append("lobby", 1, "a", "hello", 1));
  const auto r = load(store, "lobby", 10);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.value.empty());
  RawConnection raw(config.path);
  EXPECT_EQ(raw.query_int("SELECT count(*) FROM chat_history"), 0);
}

}  // namespace
}  // namespace citadel::store::test
