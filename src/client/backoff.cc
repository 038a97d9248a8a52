#include "client/backoff.h"

#include <algorithm>
#include <random>
#include <utility>

namespace citadel::client {

std::chrono::milliseconds backoff_ceiling(const BackoffConfig& config, uint32_t n) {
  const int64_t base = std::max<int64_t>(config.base.count(), 0);
  const int64_t cap = std::max<int64_t>(config.cap.count(), 0);
  // base * 2^n > cap  <=>  base > cap >> n; checked before shifting, so the
  // product never overflows however many attempts have failed.
  if (base == 0) return std::chrono::milliseconds(0);
  if (n >= 62 || base > (cap >> n)) return std::chrono::milliseconds(cap);
  return std::chrono::milliseconds(base << n);
}

ReconnectSchedule::ReconnectSchedule(BackoffConfig config, NowFn now, RandomFn random)
    : config_(config), now_(std::move(now)), random_(std::move(random)) {
  if (!now_) now_ = [] { return SteadyClock::now(); };
  if (!random_) {
    random_ = [engine = std::mt19937_64(std::random_device{}())]() mutable { return engine(); };
  }
}

void ReconnectSchedule::on_connected() {
  connected_at_ = now_();
}

void ReconnectSchedule::reset() {
  failures_ = 0;
  connected_at_.reset();
}

std::optional<ReconnectAttempt> ReconnectSchedule::on_link_down() {
  const SteadyClock::time_point now = now_();
  if (connected_at_ && now - *connected_at_ >= config_.stable_after) failures_ = 0;
  connected_at_.reset();
  if (config_.max_tries != 0 && failures_ >= config_.max_tries) return std::nullopt;
  const std::chrono::milliseconds delay = jittered(backoff_ceiling(config_, failures_));
  ++failures_;
  return ReconnectAttempt{failures_, delay, now + delay};
}

std::chrono::milliseconds ReconnectSchedule::jittered(std::chrono::milliseconds ceiling) {
  const uint64_t c = static_cast<uint64_t>(ceiling.count());
  // Modulo bias is at most c / 2^64: irrelevant for delays in milliseconds.
  switch (config_.jitter) {
    case Jitter::kNone:
      return ceiling;
    case Jitter::kFull:
      return std::chrono::milliseconds(random_() % (c + 1));
    case Jitter::kEqual: {
      const uint64_t floor = c - c / 2;  // rounds up: never below half
      return std::chrono::milliseconds(floor + random_() % (c - floor + 1));
    }
  }
  return ceiling;
}

}  // namespace citadel::client
