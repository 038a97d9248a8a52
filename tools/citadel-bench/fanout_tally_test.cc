#include "fanout_tally.h"

#include <gtest/gtest.h>

namespace citadel::bench {
namespace {

TEST(FanoutTally, LastReceiptOverWorkersDecidesEachMessage) {
  // Two workers, three members in all; messages 0 and 1 sent at 1000 and 2000.
  FanoutTally a, b;
  a.mark_sent(0, 1000);
  a.mark_sent(1, 2000);
  a.record_receipt(0, 1000, 1100);
  a.record_receipt(0, 1000, 1300);
  b.record_receipt(0, 1000, 1250);
  a.record_receipt(1, 2000, 2050);
  b.record_receipt(1, 2000, 2500);  // message 1: only two of three members
  a.merge(b);

  const FanoutSummary s = summarize(a, 3);
  EXPECT_EQ(s.sent, 2u);
  EXPECT_EQ(s.accepted, 2u);
  EXPECT_EQ(s.complete, 1u);
  EXPECT_EQ(s.incomplete, 1u);
  EXPECT_EQ(s.receipts, 5u);
  EXPECT_EQ(s.last_p50_ns, 300);  // 1300 - 1000: the slowest member, on worker a
  EXPECT_EQ(s.last_max_ns, 300);
  EXPECT_EQ(s.first_p50_ns, 100);
}

TEST(FanoutTally, RefusedAndWarmUpMessagesAreLeftOut) {
  FanoutTally t;
  for (uint64_t seq = 0; seq < 4; ++seq) {
    t.mark_sent(seq, 0);
    t.record_receipt(seq, 0, static_cast<int64_t>(100 * (seq + 1)));
  }
  t.mark_rejected(3);
  const FanoutSummary s = summarize(t, 1, /*first_measured=*/1);
  EXPECT_EQ(s.sent, 4u);
  EXPECT_EQ(s.rejected, 1u);
  EXPECT_EQ(s.accepted, 2u);  // 1 and 2: 0 is warm-up, 3 was refused
  EXPECT_EQ(s.complete, 2u);
  EXPECT_EQ(s.last_min_ns, 200);
  EXPECT_EQ(s.last_max_ns, 300);
  EXPECT_EQ(s.receipts, 4u);  // every receipt counts toward the server's work
}

TEST(FanoutTally, DuplicatesAreCountedNotHidden) {
  FanoutTally t;
  t.mark_sent(0, 0);
  t.record_receipt(0, 0, 10);
  t.record_receipt(0, 0, 20);
  const FanoutSummary s = summarize(t, 1);
  EXPECT_EQ(s.complete, 1u);
  EXPECT_EQ(s.duplicates, 1u);
}

TEST(NearestRank, MatchesTheYardsticksDefinition) {
  std::vector<int64_t> v;
  for (int64_t i = 1; i <= 100; ++i) v.push_back(i);
  EXPECT_EQ(nearest_rank(v, 50), 50);
  EXPECT_EQ(nearest_rank(v, 99), 99);
  EXPECT_EQ(nearest_rank(v, 100), 100);
  EXPECT_EQ(nearest_rank({7}, 99), 7);
  EXPECT_EQ(nearest_rank({}, 50), 0);
}

}  // namespace
}  // namespace citadel::bench
