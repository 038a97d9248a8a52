// leaderboard-bench: the leaderboard engine in process, on one thread, with
// Google Benchmark. Issue 17's goals: at least 1,000,000 submits/s, and
// at least 100,000 rank and around-me queries/s, on a board of a million
// players.
//
//   flock /tmp/citadel-bench.lock build/bin/leaderboard-bench
//   build/bin/leaderboard-bench --benchmark_filter=Fill   # memory alone, fresh process
//
// Cases:
//   Fill/names:{0,1}     a million new players into an empty board (every submit
//                        creates a record); memory per record after it, two ways:
//                        the engine's own count of bytes it holds (bytes_per_record)
//                        and the growth of the process's RSS (rss_per_record)
//   Submit/{best,set,incr}  a random one of the million submits again: best with
//                        a random score (mostly not better), set with a random
//                        score (every submit moves the record), incr by 1..100
//   SubmitBatch/{...}    the same, 64 submissions to a submit_batch call
//   RankOf               a random player's rank
//   AroundMe/{10,25}     the page centred on a random player
//   TopN/100             the first page of 100 (and its cursor)
//   PageAt/100           a page of 100 after a cursor at a random rank
// The read cases report p50 and p99 latency (µs) besides the mean. Each
// submit carries the player's name, as the service will.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "leaderboard/leaderboards.h"

namespace {

using namespace citadel::leaderboard;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kPlayers = 1'000'000;
constexpr int64_t kStartUnixMs = 1'767'225'600'000;  // 2026-01-01 UTC

// splitmix64: cheap enough not to show in a 1 µs operation.
struct Random {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return next() % n; }
};

CursorKey bench_key() {
  CursorKey key;
  key.fill(42);
  return key;
}

const std::vector<std::string>& names() {
  static const std::vector<std::string> all = [] {
    std::vector<std::string> v;
    v.reserve(kPlayers + 1);
    for (uint64_t i = 0; i <= kPlayers; ++i) v.push_back("player" + std::to_string(i));
    return v;
  }();
  return all;
}

std::size_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return pages_resident * std::size_t(sysconf(_SC_PAGESIZE));
}

BoardConfig config_for(std::string id, ScoreOperator op) {
  BoardConfig config;
  config.id = std::move(id);
  config.op = op;
  config.reset_schedule = "0 0 * * MON";  // weekly: the benchmark stays in one period
  return config;
}

// One engine with a million players on each of three boards, built once.
Leaderboards& million() {
  static Leaderboards* engine = [] {
    static Leaderboards built(bench_key());
    Random random{7};
    for (auto [id, op] : {std::pair{"best", ScoreOperator::kBest},
                          {"set", ScoreOperator::kSet},
                          {"incr", ScoreOperator::kIncrement}}) {
      built.create_board(config_for(id, op), kStartUnixMs);
      for (uint64_t user = 1; user <= kPlayers; ++user) {
        built.submit(id, {user, names()[user], int64_t(random.below(1'000'000)), 0, std::nullopt},
                     kStartUnixMs);
      }
    }
    return &built;
  }();
  return *engine;
}

void report_latency(benchmark::State& state, std::vector<double>& micros) {
  if (micros.empty()) return;
  std::sort(micros.begin(), micros.end());
  state.counters["p50_us"] = micros[micros.size() / 2];
  state.counters["p99_us"] = micros[micros.size() * 99 / 100];
}

// ------------------------------------------------------------------ writes --

void Fill(benchmark::State& state) {
  bool with_names = state.range(0) != 0;
  names();  // built before the baseline, so it is not counted
  malloc_trim(0);
  std::size_t rss_before = rss_bytes();
  auto engine = std::make_unique<Leaderboards>(bench_key());
  engine->create_board(config_for("fill", ScoreOperator::kBest), kStartUnixMs);
  Random random{1};
  uint64_t user = 0;
  for (auto _ : state) {
    ++user;
    Result<SubmitResult> result = engine->submit(
        "fill",
        {user, with_names ? std::string_view(names()[user % (kPlayers + 1)]) : std::string_view(),
         int64_t(random.below(1'000'000)), 0, std::nullopt},
        kStartUnixMs);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
  double records = double(user);
  state.counters["bytes_per_record"] = double(engine->memory_bytes()) / records;
  state.counters["rss_per_record"] = double(rss_bytes() - rss_before) / records;
}
BENCHMARK(Fill)->ArgName("names")->Arg(0)->Arg(1)->Iterations(kPlayers)->Unit(
    benchmark::kMillisecond);

void Submit(benchmark::State& state, const char* board) {
  Leaderboards& engine = million();
  Random random{11};
  bool increment = std::string_view(board) == "incr";
  for (auto _ : state) {
    uint64_t user = 1 + random.below(kPlayers);
    int64_t score = increment ? int64_t(1 + random.below(100)) : int64_t(random.below(1'000'000));
    Result<SubmitResult> result =
        engine.submit(board, {user, names()[user], score, 0, std::nullopt}, kStartUnixMs);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(Submit, best, "best");
BENCHMARK_CAPTURE(Submit, set, "set");
BENCHMARK_CAPTURE(Submit, incr, "incr");

// The same submits, 64 to a call: what one loop turn of a busy server hands
// the engine at once (submit_batch). Items are submissions.
void SubmitBatch(benchmark::State& state, const char* board) {
  Leaderboards& engine = million();
  Random random{23};
  bool increment = std::string_view(board) == "incr";
  constexpr std::size_t kBatch = 64;
  std::vector<Submission> batch(kBatch);
  std::vector<Result<SubmitResult>> results(kBatch);
  for (auto _ : state) {
    for (Submission& s : batch) {
      uint64_t user = 1 + random.below(kPlayers);
      int64_t score = increment ? int64_t(1 + random.below(100)) : int64_t(random.below(1'000'000));
      s = {user, names()[user], score, 0, std::nullopt};
    }
    engine.submit_batch(board, batch, kStartUnixMs, results);
    benchmark::DoNotOptimize(results.data());
  }
  state.SetItemsProcessed(int64_t(state.iterations() * kBatch));
}
BENCHMARK_CAPTURE(SubmitBatch, best, "best");
BENCHMARK_CAPTURE(SubmitBatch, set, "set");
BENCHMARK_CAPTURE(SubmitBatch, incr, "incr");

// ------------------------------------------------------------------- reads --

void RankOf(benchmark::State& state) {
  Leaderboards& engine = million();
  Random random{13};
  for (auto _ : state) {
    Result<uint64_t> rank =
        engine.rank_of("best", 1 + random.below(kPlayers), Period::kCurrent, kStartUnixMs);
    benchmark::DoNotOptimize(rank);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(RankOf);

void AroundMe(benchmark::State& state) {
  Leaderboards& engine = million();
  Random random{17};
  uint32_t limit = uint32_t(state.range(0));
  std::vector<double> micros;
  micros.reserve(1 << 20);
  for (auto _ : state) {
    Clock::time_point start = Clock::now();
    Result<RecordPage> page =
        engine.around("best", 1 + random.below(kPlayers), limit, Period::kCurrent, kStartUnixMs);
    benchmark::DoNotOptimize(page);
    micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  state.SetItemsProcessed(state.iterations());
  report_latency(state, micros);
}
BENCHMARK(AroundMe)->Arg(10)->Arg(25)->Unit(benchmark::kMicrosecond);

void TopN(benchmark::State& state) {
  Leaderboards& engine = million();
  uint32_t limit = uint32_t(state.range(0));
  std::vector<double> micros;
  micros.reserve(1 << 20);
  for (auto _ : state) {
    Clock::time_point start = Clock::now();
    Result<RecordPage> page = engine.list("best", {limit, "", Period::kCurrent}, kStartUnixMs);
    benchmark::DoNotOptimize(page);
    micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  state.SetItemsProcessed(state.iterations());
  report_latency(state, micros);
}
BENCHMARK(TopN)->Arg(100)->Unit(benchmark::kMicrosecond);

void PageAt(benchmark::State& state) {
  Leaderboards& engine = million();
  uint32_t limit = uint32_t(state.range(0));
  // Cursors at random ranks, made beforehand (an around-me page's next cursor).
  Random random{19};
  std::vector<std::string> cursors;
  for (int i = 0; i < 1000; ++i) {
    cursors.push_back(
        engine.around("best", 1 + random.below(kPlayers), 1, Period::kCurrent, kStartUnixMs)
            .value.next_cursor);
  }
  std::vector<double> micros;
  micros.reserve(1 << 20);
  std::size_t i = 0;
  for (auto _ : state) {
    Clock::time_point start = Clock::now();
    Result<RecordPage> page =
        engine.list("best", {limit, cursors[i++ % cursors.size()], Period::kCurrent}, kStartUnixMs);
    benchmark::DoNotOptimize(page);
    micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  state.SetItemsProcessed(state.iterations());
  report_latency(state, micros);
}
BENCHMARK(PageAt)->Arg(100)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
