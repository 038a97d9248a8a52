// Request latency (queue wait plus transaction) of a store, in fixed buckets.
// The bounds are those of ops::DurationHistogram (the app checks that at
// compile time when it exports them), so /metrics shows store latency on the
// same scale as everything else; the store layer does not include ops.
// One thread writes it (the store thread: relaxed load + store, no locked
// instruction); any thread may read it.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace citadel::store {

class LatencyHistogram {
 public:
  // Upper bounds in nanoseconds: 1 µs .. 1 s, roughly 1-2.5-5 per decade.
  static constexpr std::array<uint64_t, 19> kBoundsNs = {
      1'000,      2'500,       5'000,       10'000,      25'000,       50'000,     100'000,
      250'000,    500'000,     1'000'000,   2'500'000,   5'000'000,    10'000'000, 25'000'000,
      50'000'000, 100'000'000, 250'000'000, 500'000'000, 1'000'000'000};
  static constexpr std::size_t kBuckets = kBoundsNs.size() + 1;  // the last is +Inf

  struct Snapshot {
    std::array<uint64_t, kBuckets> counts{};  // per bucket, not cumulative
    uint64_t sum_ns = 0;
  };

  // Store thread only.
  void observe_ns(uint64_t ns) {
    std::size_t i = 0;
    while (i < kBoundsNs.size() && ns > kBoundsNs[i]) ++i;
    bump(counts_[i], 1);
    bump(sum_ns_, ns);
  }

  // Any thread.
  Snapshot snapshot() const {
    Snapshot s;
    for (std::size_t i = 0; i < kBuckets; ++i)
      s.counts[i] = counts_[i].load(std::memory_order_relaxed);
    s.sum_ns = sum_ns_.load(std::memory_order_relaxed);
    return s;
  }

 private:
  static void bump(std::atomic<uint64_t>& v, uint64_t n) {
    v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::array<std::atomic<uint64_t>, kBuckets> counts_{};
  std::atomic<uint64_t> sum_ns_{0};
};

}  // namespace citadel::store
