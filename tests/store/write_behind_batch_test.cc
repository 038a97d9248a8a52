// The pure part of write-behind: which writer an owner's objects go to, and
// how a shard's outbox entries become one flush (merged per object, entries
// already in PostgreSQL skipped). No database.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <vector>

#include "store/write_behind/outbox_entry.h"

namespace citadel::store::wb {
namespace {

OutboxEntry entry(int64_t seq, const std::string& key, int64_t base, int64_t version,
                  OutboxOp op = OutboxOp::kUpsert, int64_t owner = 1) {
  OutboxEntry e;
  e.seq = seq;
  e.op = op;
  e.id = {"c", key, owner};
  e.value = op == OutboxOp::kUpsert ? fmt::format(R"({{"v":{}}})", version) : "";
  e.base_version = base;
  e.version = version;
  e.queued_at = std::chrono::steady_clock::time_point(std::chrono::seconds(seq));
  return e;
}

TEST(WriteBehindBatch, AnOwnersObjectsAlwaysGoToOneWriterAndOwnersSpreadEvenly) {
  EXPECT_EQ(shard_of(0, 4), 0u);
  EXPECT_EQ(shard_of(5, 4), 1u);
  EXPECT_EQ(shard_of(5, 1), 0u);
  std::vector<int> counts(4);
  for (int64_t owner = 1; owner <= 4000; ++owner) ++counts[shard_of(owner, 4)];
  for (int c : counts) EXPECT_EQ(c, 1000);
}

TEST(WriteBehindBatch, WritesOfOneObjectMergeIntoTheFirstBaseAndTheLastState) {
  const std::vector<OutboxEntry> entries = {entry(1, "a", 3, 4), entry(2, "b", 0, 1),
                                            entry(3, "a", 4, 5), entry(4, "a", 5, 6)};
  const auto items = merge_for_flush(entries, 0);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].net.id.key, "a");
  EXPECT_EQ(items[0].net.base_version, 3);
  EXPECT_EQ(items[0].net.version, 6);
  EXPECT_EQ(items[0].net.value, R"({"v":6})");
  EXPECT_EQ(items[0].net.seq, 4);
  EXPECT_EQ(items[0].first_seq, 1);
  EXPECT_EQ(items[0].merged, 3u);
  EXPECT_EQ(items[0].net.queued_at, entries[0].queued_at);  // the oldest, for the lag
  EXPECT_EQ(items[1].net.id.key, "b");
  EXPECT_EQ(items[1].merged, 1u);
}

TEST(WriteBehindBatch, ADeleteThenARecreateIsOneWriteFromTheDeletedVersion) {
  const std::vector<OutboxEntry> entries = {entry(1, "a", 2, 0, OutboxOp::kDelete),
                                            entry(2, "a", 0, 1)};
  const auto items = merge_for_flush(entries, 0);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].net.op, OutboxOp::kUpsert);
  EXPECT_EQ(items[0].net.base_version, 2);
  EXPECT_EQ(items[0].net.version, 1);
}

TEST(WriteBehindBatch, ACreateThenADeleteIsADeleteOfAnAbsentObject) {
  const std::vector<OutboxEntry> entries = {entry(1, "a", 0, 1),
                                            entry(2, "a", 1, 0, OutboxOp::kDelete)};
  const auto items = merge_for_flush(entries, 0);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].net.op, OutboxOp::kDelete);
  EXPECT_EQ(items[0].net.base_version, 0);
}

TEST(WriteBehindBatch, EntriesAtOrBelowTheAppliedSequenceAreSkipped) {
  const std::vector<OutboxEntry> entries = {entry(5, "a", 1, 2), entry(6, "a", 2, 3),
                                            entry(7, "b", 0, 1)};
  const auto items = merge_for_flush(entries, 6);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].net.id.key, "b");
  EXPECT_TRUE(merge_for_flush(entries, 7).empty());
  // Partly applied: the chain restarts at the first entry not yet applied.
  const auto rest = merge_for_flush(entries, 5);
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].net.base_version, 2);
  EXPECT_EQ(rest[0].net.version, 3);
}

TEST(WriteBehindBatch, TheSameKeyOfDifferentOwnersOrCollectionsStaysApart) {
  std::vector<OutboxEntry> entries = {entry(1, "a", 0, 1, OutboxOp::kUpsert, 1),
                                      entry(2, "a", 0, 1, OutboxOp::kUpsert, 2)};
  entries.push_back(entry(3, "a", 0, 1));
  entries.back().id.collection = "other";
  EXPECT_EQ(merge_for_flush(entries, 0).size(), 3u);
}

}  // namespace
}  // namespace citadel::store::wb
