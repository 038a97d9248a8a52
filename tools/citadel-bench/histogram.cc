#include "histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace citadel::bench {
namespace {

// Values below 2^kSubBucketBits are counted exactly; above, each power of two
// holds kSubBucketHalf linear sub-buckets (HdrHistogram's layout with unit 1 ns).
constexpr int kSubBucketBits = 8;
constexpr int kSubBucketHalfBits = kSubBucketBits - 1;
constexpr uint64_t kSubBucketHalf = uint64_t{1} << kSubBucketHalfBits;  // 128
constexpr uint64_t kSubBucketMask = (uint64_t{1} << kSubBucketBits) - 1;

constexpr int bucket_of(uint64_t v) {
  return 64 - std::countl_zero(v | kSubBucketMask) - kSubBucketBits;
}

constexpr std::size_t kCounts =
    (static_cast<std::size_t>(bucket_of(Histogram::kHighestTrackableNs)) + 2) * kSubBucketHalf;

}  // namespace

Histogram::Histogram() : counts_(kCounts, 0) {}

std::size_t Histogram::bucket_count() {
  return kCounts;
}

std::size_t Histogram::index_of(int64_t value_ns) {
  const uint64_t v = static_cast<uint64_t>(std::clamp<int64_t>(value_ns, 0, kHighestTrackableNs));
  const int bucket = bucket_of(v);
  const uint64_t sub = v >> bucket;
  return ((static_cast<std::size_t>(bucket) + 1) << kSubBucketHalfBits) + (sub - kSubBucketHalf);
}

int64_t Histogram::lowest_in_bucket(std::size_t index) {
  int bucket = static_cast<int>(index >> kSubBucketHalfBits) - 1;
  uint64_t sub = (index & (kSubBucketHalf - 1)) + kSubBucketHalf;
  if (bucket < 0) {
    sub -= kSubBucketHalf;
    bucket = 0;
  }
  return static_cast<int64_t>(sub << bucket);
}

int64_t Histogram::highest_in_bucket(std::size_t index) {
  const int bucket = std::max(static_cast<int>(index >> kSubBucketHalfBits) - 1, 0);
  return lowest_in_bucket(index) + (int64_t{1} << bucket) - 1;
}

void Histogram::record(int64_t value_ns) {
  value_ns = std::max<int64_t>(value_ns, 0);
  ++counts_[index_of(value_ns)];
  ++total_;
  min_ = std::min(min_, value_ns);
  max_ = std::max(max_, value_ns);
  sum_ += value_ns;
}

void Histogram::merge(const Histogram& other) {
  if (other.total_ == 0) return;
  for (std::size_t i = 0; i < kCounts; ++i) counts_[i] += other.counts_[i];
  total_ += other.total_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

void Histogram::reset() {
  if (total_ == 0) return;
  std::fill(counts_.begin(), counts_.end(), 0);
  total_ = 0;
  min_ = INT64_MAX;
  max_ = 0;
  sum_ = 0;
}

double Histogram::mean_ns() const {
  return total_ == 0 ? 0.0 : static_cast<double>(sum_ / static_cast<long double>(total_));
}

int64_t Histogram::percentile_ns(double percentile) const {
  if (total_ == 0) return 0;
  percentile = std::clamp(percentile, 0.0, 100.0);
  // Rank of the wanted value, 1-based; at least 1 so p0 means the minimum. The
  // epsilon keeps 99.9 % of 1000 at rank 999: 0.999 * 1000 is 999.0000000000001.
  const double exact_rank = percentile / 100.0 * static_cast<double>(total_);
  const auto rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(exact_rank - 1e-9)));
  // The bucket holding the maximum answers with the exact maximum: it is known,
  // and the top bucket also holds values clamped from above its range.
  const std::size_t max_index = index_of(max_);
  uint64_t seen = 0;
  for (std::size_t i = 0; i < max_index; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::clamp(highest_in_bucket(i), min_, max_);
  }
  return max_;
}

}  // namespace citadel::bench
