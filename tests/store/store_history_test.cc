// Chat history, on every backend: order, limit, per-channel trimming.
#include <gtest/gtest.h>

#include <string>

#include "store_test_support.h"
#include "test_database.h"

namespace citadel::store::test {
namespace {

class StoreHistory : public StoreTest {};

void append_n(ChatHistoryStore& store, const std::string& channel, int first, int count) {
  for (int i = first; i < first + count; ++i) {
    ASSERT_TRUE(store.append(channel, 100 + i, numbered("sender-", i), numbered("message ", i),
                             1'700'000'000'000 + i));
  }
}

TEST_F(StoreHistory, LoadReturnsMessagesOldestFirstWithAllFields) {
  Store& store = open();
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

TEST_F(StoreHistory, LimitKeepsTheNewestMessages) {
  Store& store = open();
  append_n(store, "lobby", 0, 10);
  const auto r = load(store, "lobby", 3);
  ASSERT_EQ(r.value.size(), 3u);
  EXPECT_EQ(r.value[0].text, "message 7");
  EXPECT_EQ(r.value[1].text, "message 8");
  EXPECT_EQ(r.value[2].text, "message 9");
  EXPECT_TRUE(load(store, "lobby", 0).value.empty());
  EXPECT_TRUE(load(store, "unknown-channel", 10).value.empty());
}

TEST_F(StoreHistory, EachChannelKeepsAtMostHistoryPerChannelRows) {
  TestStoreOptions options;
  options.history_per_channel = 5;
  Store& store = open(options);
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
  EXPECT_EQ(db_->query_int("SELECT count(*) FROM chat_history WHERE channel = 'a'"), 5);
  EXPECT_EQ(db_->query_int("SELECT count(*) FROM chat_history WHERE channel = 'b'"), 3);
}

TEST_F(StoreHistory, TrimHoldsAcrossManyBatches) {
  TestStoreOptions options;
  options.history_per_channel = 10;
  options.max_batch = 7;  // many small transactions, each trimming
  Store& store = open(options);
  for (int round = 0; round < 20; ++round) {
    append_n(store, numbered("c", round % 3), round * 10, 10);
  }
  for (int c = 0; c < 3; ++c) {
    const auto r = load(store, numbered("c", c), 100);
    EXPECT_EQ(r.value.size(), 10u);
  }
  EXPECT_EQ(db_->query_int("SELECT count(*) FROM chat_history"), 30);
}

TEST_F(StoreHistory, ZeroHistoryPerChannelStoresNothing) {
  TestStoreOptions options;
  options.history_per_channel = 0;
  Store& store = open(options);
  EXPECT_TRUE(store.append("lobby", 1, "a", "hello", 1));
  const auto r = load(store, "lobby", 10);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.value.empty());
  EXPECT_EQ(db_->query_int("SELECT count(*) FROM chat_history"), 0);
}

}  // namespace
}  // namespace citadel::store::test
