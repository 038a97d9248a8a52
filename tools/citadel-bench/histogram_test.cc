#include "histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

namespace citadel::bench {
namespace {

// Every percentile must land within one bucket (< 1/128) above the exact answer.
void expect_close(int64_t got, int64_t exact) {
  EXPECT_GE(got, exact);
  EXPECT_LE(static_cast<double>(got), static_cast<double>(exact) * (1.0 + 1.0 / 128) + 1.0)
      << "exact " << exact;
}

int64_t exact_percentile(std::vector<int64_t> values, double p) {
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * values.size() - 1e-9));
  return values[std::max<std::size_t>(rank, 1) - 1];
}

TEST(Histogram, EmptyReportsZero) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile_ns(50), 0);
  EXPECT_EQ(h.max_ns(), 0);
  EXPECT_EQ(h.min_ns(), 0);
}

TEST(Histogram, SmallValuesAreExact) {
  Histogram h;
  for (int64_t v = 0; v < 256; ++v) h.record(v);
  EXPECT_EQ(h.percentile_ns(50), 127);
  EXPECT_EQ(h.percentile_ns(100), 255);
  EXPECT_EQ(h.percentile_ns(0), 0);
}

TEST(Histogram, BucketsAreContiguousAndPrecise) {
  // Each bucket starts right after the previous one ends, and is never wider
  // than 1/128 of its lowest value: the precision the report relies on.
  for (std::size_t i = 1; i < Histogram::bucket_count(); ++i) {
    ASSERT_EQ(Histogram::lowest_in_bucket(i), Histogram::highest_in_bucket(i - 1) + 1) << i;
    const int64_t width = Histogram::highest_in_bucket(i) - Histogram::lowest_in_bucket(i) + 1;
    ASSERT_LE(width * 128, std::max<int64_t>(Histogram::lowest_in_bucket(i), 128)) << i;
  }
  EXPECT_GE(Histogram::highest_in_bucket(Histogram::bucket_count() - 1),
            Histogram::kHighestTrackableNs);
  for (int64_t v : {0L, 1L, 255L, 256L, 1000L, 123456789L, 10'000'000'000L}) {
    const std::size_t i = Histogram::index_of(v);
    EXPECT_LE(Histogram::lowest_in_bucket(i), v);
    EXPECT_GE(Histogram::highest_in_bucket(i), v);
  }
}

TEST(Histogram, UniformMicrosecondsPercentiles) {
  // 1 us .. 100 ms in 1 us steps: p50 = 50 ms, p99 = 99 ms, p99.9 = 99.9 ms.
  Histogram h;
  std::vector<int64_t> values;
  for (int64_t us = 1; us <= 100'000; ++us) values.push_back(us * 1000);
  std::shuffle(values.begin(), values.end(), std::mt19937_64(42));
  for (int64_t v : values) h.record(v);
  EXPECT_EQ(h.count(), 100'000u);
  expect_close(h.percentile_ns(50), 50'000'000);
  expect_close(h.percentile_ns(90), 90'000'000);
  expect_close(h.percentile_ns(99), 99'000'000);
  expect_close(h.percentile_ns(99.9), 99'900'000);
  EXPECT_EQ(h.percentile_ns(100), 100'000'000);
  EXPECT_EQ(h.max_ns(), 100'000'000);
  EXPECT_EQ(h.min_ns(), 1000);
  EXPECT_NEAR(h.mean_ns(), 50'000'500.0, 1.0);
}

TEST(Histogram, ExponentialTailMatchesExactPercentiles) {
  std::mt19937_64 rng(7);
  std::exponential_distribution<double> dist(1.0 / 200'000);  // mean 200 us
  Histogram h;
  std::vector<int64_t> values;
  for (int i = 0; i < 200'000; ++i) {
    values.push_back(static_cast<int64_t>(dist(rng)) + 20'000);
    h.record(values.back());
  }
  for (double p : {50.0, 90.0, 99.0, 99.9, 99.99}) {
    expect_close(h.percentile_ns(p), exact_percentile(values, p));
  }
  EXPECT_EQ(h.max_ns(), *std::max_element(values.begin(), values.end()));
}

TEST(Histogram, TwoPointDistribution) {
  // 99 % fast, 1 % slow: p99 is still fast, p99.9 is slow.
  Histogram h;
  for (int i = 0; i < 9900; ++i) h.record(50'000);
  for (int i = 0; i < 100; ++i) h.record(5'000'000);
  expect_close(h.percentile_ns(50), 50'000);
  expect_close(h.percentile_ns(99), 50'000);
  expect_close(h.percentile_ns(99.9), 5'000'000);
  EXPECT_EQ(h.max_ns(), 5'000'000);
}

TEST(Histogram, MergeEqualsRecordingEverything) {
  std::mt19937_64 rng(3);
  std::lognormal_distribution<double> dist(11.0, 1.0);  // ~60 us median, long tail
  Histogram all, a, b, c;
  for (int i = 0; i < 30'000; ++i) {
    const auto v = static_cast<int64_t>(dist(rng));
    all.record(v);
    (i % 3 == 0 ? a : i % 3 == 1 ? b : c).record(v);
  }
  Histogram merged;
  merged.merge(a);
  merged.merge(b);
  merged.merge(c);
  merged.merge(Histogram());  // merging an empty one changes nothing
  EXPECT_EQ(merged.count(), all.count());
  EXPECT_EQ(merged.min_ns(), all.min_ns());
  EXPECT_EQ(merged.max_ns(), all.max_ns());
  EXPECT_NEAR(merged.mean_ns(), all.mean_ns(), 1e-6 * all.mean_ns());
  for (double p : {0.0, 50.0, 90.0, 99.0, 99.9, 100.0}) {
    EXPECT_EQ(merged.percentile_ns(p), all.percentile_ns(p)) << p;
  }
}

TEST(Histogram, ResetForgetsEverything) {
  Histogram h;
  h.record(12345);
  h.reset();
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.max_ns(), 0);
  h.record(7);
  EXPECT_EQ(h.min_ns(), 7);
  EXPECT_EQ(h.percentile_ns(100), 7);
}

TEST(Histogram, OutOfRangeValuesAreClamped) {
  Histogram h;
  h.record(-5);  // a clock step backwards must not index out of range
  h.record(int64_t{1} << 40);
  EXPECT_EQ(h.count(), 2u);
  EXPECT_EQ(h.min_ns(), 0);
  EXPECT_EQ(h.max_ns(), int64_t{1} << 40);
  EXPECT_EQ(h.percentile_ns(100), int64_t{1} << 40);
}

}  // namespace
}  // namespace citadel::bench
