// A fixed-bucket histogram for durations, shaped for Prometheus export.
// One thread writes it (relaxed load+store, no locked instruction); any thread
// may read it, and readers merge several (one per loop) on scrape.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace citadel::ops {

class DurationHistogram {
 public:
  // Upper bounds in nanoseconds: 1 µs .. 1 s, roughly 1-2.5-5 per decade.
  static constexpr std::array<uint64_t, 19> kBoundsNs = {
      1'000,      2'500,       5'000,       10'000,      25'000,       50'000,     100'000,
      250'000,    500'000,     1'000'000,   2'500'000,   5'000'000,    10'000'000, 25'000'000,
      50'000'000, 100'000'000, 250'000'000, 500'000'000, 1'000'000'000};
  static constexpr std::size_t kBuckets = kBoundsNs.size() + 1;  // the last is +Inf

  void observe_ns(uint64_t ns) {
    std::size_t i = 0;
    while (i < kBoundsNs.size() && ns > kBoundsNs[i]) ++i;
    bump(counts_[i], 1);
    bump(sum_ns_, ns);
  }

  // Plain values, merged across histograms.
  struct Snapshot {
    std::array<uint64_t, kBuckets> counts{};  // per bucket, not cumulative
    uint64_t sum_ns = 0;
    uint64_t count() const {
      uint64_t n = 0;
      for (auto c : counts) n += c;
      return n;
    }
  };
  void add_to(Snapshot& s) const {
    for (std::size_t i = 0; i < kBuckets; ++i)
      s.counts[i] += counts_[i].load(std::memory_order_relaxed);
    s.sum_ns += sum_ns_.load(std::memory_order_relaxed);
  }

 private:
  static void bump(std::atomic<uint64_t>& v, uint64_t n) {
    v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::array<std::atomic<uint64_t>, kBuckets> counts_{};
  std::atomic<uint64_t> sum_ns_{0};
};

}  // namespace citadel::ops
