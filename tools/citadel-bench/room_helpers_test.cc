// The room scenarios' bookkeeping: seq -> send time matching, input pacing,
// frame-interval jitter and per-room tick rates.
#include <gtest/gtest.h>

#include <vector>

#include "frame_jitter.h"
#include "input_pacer.h"
#include "reconnect_backoff.h"
#include "room_ticks.h"
#include "seq_time_ring.h"

namespace citadel::bench {
namespace {

using std::chrono::milliseconds;

Clock::time_point at_ms(int64_t ms) {
  return Clock::time_point(milliseconds(ms));
}

TEST(SeqTimeRing, OneAckAnswersEveryInputUpToItOldestFirst) {
  SeqTimeRing ring;
  EXPECT_EQ(ring.next_seq(), 1u);
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(ring.push(at_ms(10 * i)));  // seqs 1..4
  EXPECT_EQ(ring.outstanding(), 4u);
  std::vector<Clock::time_point> answered;
  // The room applied only seq 3 (the latest in its tick): 1, 2 and 3 are answered.
  EXPECT_EQ(ring.ack(3, [&](Clock::time_point t) { answered.push_back(t); }), 3u);
  EXPECT_EQ(answered, (std::vector{at_ms(0), at_ms(10), at_ms(20)}));
  // Repeated and stale acks answer nothing more.
  EXPECT_EQ(ring.ack(3, [&](Clock::time_point) { ADD_FAILURE(); }), 0u);
  EXPECT_EQ(ring.ack(1, [&](Clock::time_point) { ADD_FAILURE(); }), 0u);
  // An ack past anything sent answers only what was sent.
  EXPECT_EQ(ring.ack(100, [](Clock::time_point) {}), 1u);
  EXPECT_EQ(ring.outstanding(), 0u);
  EXPECT_EQ(ring.next_seq(), 5u);
}

TEST(SeqTimeRing, RestampMovesTheLastSendTimeToTheActualSend) {
  SeqTimeRing ring;
  ring.push(at_ms(1));
  ring.push(at_ms(2));
  ring.restamp_last(at_ms(5));
  std::vector<Clock::time_point> answered;
  ring.ack(2, [&](Clock::time_point t) { answered.push_back(t); });
  EXPECT_EQ(answered, (std::vector{at_ms(1), at_ms(5)}));
  ring.restamp_last(at_ms(9));  // nothing outstanding: no effect, no crash
  EXPECT_EQ(ring.outstanding(), 0u);
}

TEST(SeqTimeRing, AFullRingGivesUpTheOldestAndKeepsMatchingTheRest) {
  SeqTimeRing ring;
  for (uint32_t i = 0; i < SeqTimeRing::kSlots; ++i) EXPECT_FALSE(ring.push(at_ms(i)));
  const auto evicted = ring.push(at_ms(1000));  // seq kSlots + 1 pushes seq 1 out
  ASSERT_TRUE(evicted);
  EXPECT_EQ(*evicted, at_ms(0));
  EXPECT_EQ(ring.outstanding(), SeqTimeRing::kSlots);
  std::vector<Clock::time_point> answered;
  ring.ack(3, [&](Clock::time_point t) { answered.push_back(t); });
  EXPECT_EQ(answered, (std::vector{at_ms(1), at_ms(2)}));  // seqs 2 and 3
  answered.clear();
  ring.ack(SeqTimeRing::kSlots + 1, [&](Clock::time_point t) { answered.push_back(t); });
  ASSERT_EQ(answered.size(), SeqTimeRing::kSlots - 2);
  EXPECT_EQ(answered.back(), at_ms(1000));
}

TEST(SeqTimeRing, WrapsAroundManyTimes) {
  SeqTimeRing ring;
  uint64_t answered = 0;
  for (int i = 0; i < 1000; ++i) {
    ring.push(at_ms(i));
    if (i % 3 == 2) answered += ring.ack(ring.next_seq() - 1, [](Clock::time_point) {});
  }
  EXPECT_EQ(answered + ring.outstanding(), 1000u);
}

TEST(InputPacer, SpreadsEverySlotOncePerPeriodAtItsOwnPhase) {
  InputPacer pacer(4, milliseconds(100), at_ms(0));
  std::vector<std::pair<uint32_t, Clock::time_point>> sends;
  const auto record = [&](uint32_t slot, Clock::time_point due) { sends.emplace_back(slot, due); };
  pacer.run_due(at_ms(0), record);
  EXPECT_EQ(sends.size(), 1u);  // slot 0 at t=0
  pacer.run_due(at_ms(60), record);
  ASSERT_EQ(sends.size(), 3u);  // slots 1 (25 ms) and 2 (50 ms)
  EXPECT_EQ(sends[1], std::make_pair(1u, at_ms(25)));
  EXPECT_EQ(sends[2], std::make_pair(2u, at_ms(50)));
  EXPECT_EQ(pacer.next_due(), at_ms(75));
  // A late worker catches up: everything owed goes out, in order, due times kept.
  pacer.run_due(at_ms(210), record);
  ASSERT_EQ(sends.size(), 9u);
  EXPECT_EQ(sends[3], std::make_pair(3u, at_ms(75)));
  EXPECT_EQ(sends[4], std::make_pair(0u, at_ms(100)));
  EXPECT_EQ(sends[8], std::make_pair(0u, at_ms(200)));
  EXPECT_FALSE(pacer.done());
}

TEST(InputPacer, OneRoundStopsAfterEverySlotSentOnce) {
  InputPacer pacer(3, milliseconds(1000), at_ms(0), /*rounds=*/1);
  std::vector<uint32_t> slots;
  pacer.run_due(at_ms(5000), [&](uint32_t slot, Clock::time_point) { slots.push_back(slot); });
  EXPECT_EQ(slots, (std::vector<uint32_t>{0, 1, 2}));
  EXPECT_TRUE(pacer.done());
  EXPECT_TRUE(InputPacer().done());  // no slots: nothing to pace
}

TEST(FrameArrivals, DeviationFromThePeriodEitherWay) {
  const Clock::duration period = period_of_hz(30);
  EXPECT_NEAR((std::chrono::duration<double, std::milli>(period).count()), 33.333, 0.001);
  FrameArrivals a;
  const Clock::time_point t0 = at_ms(1000);
  EXPECT_FALSE(a.arrive(t0, period));  // the first arrival has no interval
  const auto on_time = a.arrive(t0 + period, period);
  ASSERT_TRUE(on_time);
  EXPECT_EQ(on_time->count(), 0);
  const auto late = a.arrive(t0 + 2 * period + milliseconds(4), period);
  ASSERT_TRUE(late);
  EXPECT_EQ(*late, milliseconds(4));
  // The next one on schedule came 4 ms early relative to the late one.
  const auto early = a.arrive(t0 + 3 * period, period);
  ASSERT_TRUE(early);
  EXPECT_EQ(*early, milliseconds(4));
  // Two frames in one read: interval 0, a whole period off.
  const auto bunched = a.arrive(t0 + 3 * period, period);
  ASSERT_TRUE(bunched);
  EXPECT_EQ(*bunched, period);
}

TEST(RoomTicks, RatePerRoomFromTheTicksArrivingInTheWindow) {
  RoomTicks ticks;
  ticks.set_window(at_ms(1000), at_ms(3000));
  const uint32_t a = ticks.index_of(7), b = ticks.index_of(9), c = ticks.index_of(11);
  EXPECT_EQ(ticks.index_of(7), a);
  ticks.observe(a, 10, at_ms(900));  // before the window: not measured
  // Room 7: ticks 21..60 every 50 ms from t=1000: 20 Hz.
  for (uint32_t t = 21; t <= 60; ++t) ticks.observe(a, t, at_ms(1000 + (t - 21) * 50));
  ticks.observe(a, 59, at_ms(2990));  // an older tick seen by another member: ignored
  // Room 9: every other slot skipped (ticks numbered as run): 10 Hz.
  for (uint32_t t = 1; t <= 20; ++t) ticks.observe(b, t, at_ms(1000 + (t - 1) * 100));
  // Room 11: 20 Hz until t=2000, then nothing: stalled, measured to the window's end.
  for (uint32_t t = 1; t <= 21; ++t) ticks.observe(c, t, at_ms(1000 + (t - 1) * 50));
  ticks.observe(c, 22, at_ms(3000));  // after the window: not measured
  const auto rates = ticks.rates(milliseconds(250));
  ASSERT_EQ(rates.size(), 3u);
  EXPECT_DOUBLE_EQ(rates[0].hz, 20.0);
  EXPECT_DOUBLE_EQ(rates[1].hz, 10.0);
  EXPECT_DOUBLE_EQ(rates[2].hz, 10.0);  // 20 ticks over the 2 s from its first
}

TEST(RoomTicks, MergeKeepsEachRoomOnceAtTheHighestRate) {
  const auto merged = merge_room_rates({{{7, 20.0}, {9, 15.0}}, {{9, 19.5}, {12, 20.0}}});
  ASSERT_EQ(merged.size(), 3u);
  for (const RoomRate& r : merged) {
    if (r.room_id == 9) {
      EXPECT_DOUBLE_EQ(r.hz, 19.5);
    }
  }
}

TEST(ReconnectBackoff, DoublesUpToTheCapWithFullJitter) {
  using std::chrono::milliseconds;
  const auto base = milliseconds(100), max = milliseconds(1000);
  EXPECT_EQ(reconnect_backoff(0, 0.0, base, max), Clock::duration::zero());
  EXPECT_EQ(reconnect_backoff(0, 0.5, base, max), milliseconds(50));
  EXPECT_EQ(reconnect_backoff(1, 0.5, base, max), milliseconds(100));
  EXPECT_EQ(reconnect_backoff(3, 1.0, base, max), milliseconds(800));
  EXPECT_EQ(reconnect_backoff(4, 1.0, base, max), max);                // 1,600 capped
  EXPECT_EQ(reconnect_backoff(60, 1.0, base, max), max);               // no overflow
  EXPECT_EQ(reconnect_backoff(2, 7.0, base, max), milliseconds(400));  // u clamped
}

}  // namespace
}  // namespace citadel::bench
