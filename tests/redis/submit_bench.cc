// leaderboard-service-bench: the leaderboard submit path at the service's
// port (LeaderboardBackend), in process or through Redis, at a set rate.
//
// What issue 17's Redis bar is about: submits through Redis at >= 125,000/s
// with p99 <= 1.7 ms, the server on one core. Over the wire the bar is also
// a test of the clients' sockets (one read and one write a submit cost
// 6-11 us of kernel time here, so 125,000 players submitting one at a time
// would need a core for syscalls alone); this measures the part the bar
// names: one thread, the server's event loop and Redis client, gathering
// the submits due in each tick into one submit_batch, as the service does
// with a loop turn's submits, and timing each from its scheduled time to
// its completion (an open loop: a backend that falls behind shows as
// latency, not as a lower rate).
//
//   leaderboard-service-bench --backend redis --redis-url redis://127.0.0.1:6379
//       --players 100000 --rate 125000 --seconds 10   (one command)
//   leaderboard-service-bench --backend inproc --players 100000 --rate 125000
//
// bench/run-leaderboard-service.sh runs both, pinned, and reads Redis's CPU.
// Prints a summary on stderr and one JSON line on stdout.
#include <fmt/format.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "redis/redis_client.h"
#include "redis/redis_url.h"
#include "redis_test_loop.h"
#include "services/leaderboard/backend/in_process_backend.h"
#include "services/leaderboard/backend/redis_leaderboard_backend.h"

namespace {

using namespace citadel;
using Clock = std::chrono::steady_clock;
using Results = std::vector<leaderboard::Result<leaderboard::SubmitResult>>;

struct Options {
  std::string backend = "redis";
  std::string redis_url;
  uint32_t players = 100'000;
  double rate = 125'000;
  double seconds = 10;
  double warmup = 2;
  uint32_t tick_us = 250;
  std::string op = "best";
};

double cpu_seconds_self() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double percentile_us(std::vector<int64_t>& ns, double p) {
  if (ns.empty()) return 0;
  const auto k = static_cast<std::size_t>(p / 100.0 * static_cast<double>(ns.size() - 1));
  std::nth_element(ns.begin(), ns.begin() + static_cast<std::ptrdiff_t>(k), ns.end());
  return static_cast<double>(ns[k]) / 1000.0;
}

class Bench {
 public:
  explicit Bench(const Options& o) : o_(o), rng_(std::random_device{}()) {
    leaderboard::CursorKey key;
    key.fill(7);
    if (o.backend == "inproc") {
      backend_ = std::make_unique<services::InProcessBackend>(key);
    } else {
      std::string error;
      const auto url = redis::parse_redis_url(o.redis_url, &error);
      if (!url) throw std::runtime_error("--redis-url: " + error);
      client_ = std::make_unique<redis::RedisClient>(loop_.get(), *url);
      if (!loop_.run_until([&] { return client_->connected(); })) {
        throw std::runtime_error("cannot reach Redis at " + o.redis_url);
      }
      backend_ = std::make_unique<services::RedisLeaderboardBackend>(*client_, key);
    }
  }
  ~Bench() {
    backend_.reset();
    client_.reset();
  }

  int run() {
    leaderboard::BoardConfig config;
    config.id = "bench";
    config.op = o_.op == "set"    ? leaderboard::ScoreOperator::kSet
                : o_.op == "incr" ? leaderboard::ScoreOperator::kIncrement
                                  : leaderboard::ScoreOperator::kBest;
    std::optional<bool> created;
    backend_->create_board(config, unix_ms(), [&](services::BackendResult<bool> r) {
      created = r.available() && r.result.ok();
    });
    if (!loop_.run_until([&] { return created.has_value(); }) || !*created) {
      fmt::print(stderr, "could not create the board\n");
      return 1;
    }
    fill();
    measure();
    return 0;
  }

 private:
  services::OwnedSubmission submission(uint64_t user) {
    services::OwnedSubmission s;
    s.user_id = user;
    s.username = fmt::format("player{}", user);
    s.score = static_cast<int64_t>(rng_() % 1'000'000'000);
    return s;
  }

  // Every player gets a record first, so the measured submits update
  // existing records (the steady state of a live board).
  void fill() {
    const auto start = Clock::now();
    uint32_t next = 1, done = 0, in_flight = 0;
    constexpr uint32_t kBatch = 1000, kInFlight = 8;
    while (done < o_.players) {
      while (in_flight < kInFlight && next <= o_.players) {
        std::vector<services::OwnedSubmission> batch;
        for (uint32_t i = 0; i < kBatch && next <= o_.players; ++i) {
          batch.push_back(submission(next++));
        }
        const auto n = static_cast<uint32_t>(batch.size());
        ++in_flight;
        backend_->submit_batch("bench", std::move(batch), unix_ms(),
                               [&, n](services::BackendResult<Results> r) {
                                 if (!r.available()) failed_ += n;
                                 done += n;
                                 --in_flight;
                               });
      }
      loop_.get().run_turn_for_testing(std::chrono::milliseconds(1));
    }
    fill_s_ = std::chrono::duration<double>(Clock::now() - start).count();
  }

  void measure() {
    const auto t0 = Clock::now();
    const auto window_start =
        t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o_.warmup));
    const auto window_end = window_start + std::chrono::duration_cast<Clock::duration>(
                                               std::chrono::duration<double>(o_.seconds));
    const auto tick = std::chrono::microseconds(o_.tick_us);
    const double ns_per_submit = 1e9 / o_.rate;
    uint64_t scheduled = 0, in_flight = 0;
    std::optional<double> cpu0, cpu1;
    latencies_.reserve(static_cast<std::size_t>(o_.rate * o_.seconds * 1.1));
    std::uniform_int_distribution<uint64_t> player(1, o_.players);
    auto next_tick = t0;
    while (true) {
      const auto now = Clock::now();
      if (!cpu0 && now >= window_start) cpu0 = cpu_seconds_self();
      if (!cpu1 && now >= window_end) cpu1 = cpu_seconds_self();
      if (now >= window_end && in_flight == 0) break;
      if (now < window_end && now >= next_tick) {
        // Every submit scheduled up to now, as one batch.
        const auto due = static_cast<uint64_t>(
            static_cast<double>(
                std::chrono::duration_cast<std::chrono::nanoseconds>(now - t0).count()) /
            ns_per_submit);
        if (due > scheduled) {
          std::vector<services::OwnedSubmission> batch;
          auto times = std::make_shared<std::vector<Clock::time_point>>();
          batch.reserve(due - scheduled);
          times->reserve(due - scheduled);
          for (; scheduled < due; ++scheduled) {
            batch.push_back(submission(player(rng_)));
            times->push_back(t0 + std::chrono::nanoseconds(static_cast<int64_t>(
                                      static_cast<double>(scheduled) * ns_per_submit)));
          }
          ++in_flight;
          ++batches_;
          backend_->submit_batch(
              "bench", std::move(batch), unix_ms(),
              [this, times, window_start, window_end,
               &in_flight](services::BackendResult<Results> r) {
                --in_flight;
                const auto at = Clock::now();
                for (std::size_t i = 0; i < times->size(); ++i) {
                  const Clock::time_point when = (*times)[i];
                  if (when < window_start || when >= window_end) continue;
                  if (!r.available() || i >= r.result.value.size() || !r.result.value[i].ok()) {
                    ++failed_;
                    continue;
                  }
                  latencies_.push_back(
                      std::chrono::duration_cast<std::chrono::nanoseconds>(at - when).count());
                }
              });
        }
        next_tick = now + tick;
      }
      const auto wait = std::max(Clock::duration::zero(), next_tick - Clock::now());
      loop_.get().run_turn_for_testing(now >= window_end ? std::chrono::milliseconds(1) : wait);
    }
    const double cpu = cpu0 && cpu1 ? *cpu1 - *cpu0 : 0.0;
    report(cpu);
  }

  void report(double cpu_s) {
    const auto n = latencies_.size();
    const double per_s = static_cast<double>(n) / o_.seconds;
    const double p50 = percentile_us(latencies_, 50), p99 = percentile_us(latencies_, 99),
                 p999 = percentile_us(latencies_, 99.9);
    const double max =
        latencies_.empty()
            ? 0.0
            : static_cast<double>(*std::max_element(latencies_.begin(), latencies_.end())) / 1000;
    const double cpu_us = n > 0 ? cpu_s * 1e6 / static_cast<double>(n) : 0.0;
    fmt::print(stderr,
               "leaderboard-service-bench {}: {} players, {:.0f} submits/s offered, {} us ticks\n"
               "  fill {:.2f} s; measured {:.1f} s: {} submits ok ({:.0f}/s), {} failed, {} "
               "batches\n"
               "  latency us: p50 {:.0f}, p99 {:.0f}, p99.9 {:.0f}, max {:.0f}\n"
               "  this process's CPU: {:.2f} s ({:.2f} us per submit)\n",
               o_.backend, o_.players, o_.rate, o_.tick_us, fill_s_, o_.seconds, n, per_s, failed_,
               batches_, p50, p99, p999, max, cpu_s, cpu_us);
    fmt::print(
        "{{\"scenario\":\"leaderboard-service\",\"backend\":\"{}\",\"players\":{},\"op\":\"{}\","
        "\"rate\":{:.0f},\"tick_us\":{},\"seconds\":{},\"fill_s\":{:.3f},\"submits\":{},"
        "\"submits_per_s\":{:.1f},\"failed\":{},\"batches\":{},\"p50_us\":{:.1f},\"p99_us\":{:.1f},"
        "\"p999_us\":{:.1f},\"max_us\":{:.1f},\"cpu_s\":{:.3f},\"cpu_us_per_submit\":{:.3f}}}\n",
        o_.backend, o_.players, o_.op, o_.rate, o_.tick_us, o_.seconds, fill_s_, n, per_s, failed_,
        batches_, p50, p99, p999, max, cpu_s, cpu_us);
  }

  const Options o_;
  std::mt19937_64 rng_;
  test::TestLoop loop_;
  std::unique_ptr<redis::RedisClient> client_;
  std::unique_ptr<services::LeaderboardBackend> backend_;
  std::vector<int64_t> latencies_;  // ns, submits scheduled in the window
  uint64_t failed_ = 0;
  uint64_t batches_ = 0;
  double fill_s_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"leaderboard submits at the service's port, at a set rate"};
  app.add_option("--backend", o.backend, "inproc or redis")
      ->check(CLI::IsMember({"inproc", "redis"}))
      ->capture_default_str();
  app.add_option("--redis-url", o.redis_url, "redis://host:port (backend redis)");
  app.add_option("--players", o.players, "records on the board before the run")
      ->check(CLI::Range(1u, 10'000'000u))
      ->capture_default_str();
  app.add_option("--rate", o.rate, "submits/s offered")
      ->check(CLI::Range(1.0, 1e8))
      ->capture_default_str();
  app.add_option("--seconds", o.seconds, "measured seconds")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();
  app.add_option("--warmup", o.warmup, "seconds run before the measured ones")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  app.add_option("--tick-us", o.tick_us, "the submits due are sent as one batch every tick")
      ->check(CLI::Range(10u, 100'000u))
      ->capture_default_str();
  app.add_option("--op", o.op, "board operator")
      ->check(CLI::IsMember({"best", "set", "incr"}))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (o.backend == "redis" && o.redis_url.empty()) {
    fmt::print(stderr, "--backend redis needs --redis-url\n");
    return 2;
  }
  try {
    Bench bench(o);
    return bench.run();
  } catch (const std::exception& e) {
    fmt::print(stderr, "leaderboard-service-bench: {}\n", e.what());
    return 1;
  }
}
