// Latency histogram with log-linear buckets, in the manner of HdrHistogram:
// each power of two is split into 128 linear sub-buckets, so any recorded value
// is known to within 1/128 (< 0.8 %) of itself, from 1 ns up to ~68 s, in a
// fixed 3968 counters (31 KiB). Recording is a shift, a count-leading-zeros and
// an increment: cheap enough for every reply, and never allocates.
//
// Histograms are mergeable (counts add), so each worker thread records into its
// own and the controller merges them: no sharing on the hot path.
//
// Not thread-safe: one writer at a time; merge under the caller's lock.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace citadel::bench {

class Histogram {
 public:
  // Values above this are counted in the top bucket (and still seen by max()).
  static constexpr int64_t kHighestTrackableNs = (int64_t{1} << 36) - 1;  // ~68.7 s

  Histogram();

  void record(int64_t value_ns);
  void record(std::chrono::nanoseconds value) { record(value.count()); }

  // Adds every count of `other` into this one.
  void merge(const Histogram& other);
  void reset();

  uint64_t count() const { return total_; }
  bool empty() const { return total_ == 0; }
  // Exact smallest / largest recorded value, 0 when empty.
  int64_t min_ns() const { return total_ == 0 ? 0 : min_; }
  int64_t max_ns() const { return max_; }
  double mean_ns() const;

  // The smallest value v such that at least `percentile` % of the recorded values
  // are <= v, reported as the highest value of v's bucket (so it never
  // under-states), clamped to [min, max]. 0 when empty. `percentile` in [0, 100].
  int64_t percentile_ns(double percentile) const;
  double percentile_us(double percentile) const { return percentile_ns(percentile) / 1000.0; }

  // Bucket geometry, exposed for tests.
  static std::size_t index_of(int64_t value_ns);
  static int64_t lowest_in_bucket(std::size_t index);
  static int64_t highest_in_bucket(std::size_t index);
  static std::size_t bucket_count();

 private:
  std::vector<uint64_t> counts_;
  uint64_t total_ = 0;
  int64_t min_ = INT64_MAX;
  int64_t max_ = 0;
  // Sum for the mean; long double keeps it exact far past any run's count.
  long double sum_ = 0;
};

}  // namespace citadel::bench
