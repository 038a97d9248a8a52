// store-object-bench: storage object writes acknowledged per second with
// write-behind (WriteBehindStore: ack after the local commit) against
// write-through (PostgresStore: ack after the PostgreSQL commit), in paired
// rounds on one PostgreSQL server; the flush lag while writing behind; and
// reads served from the local copy against reads from PostgreSQL.
//
//   store-object-bench                      # starts its own PostgreSQL (tests/support/postgres,
//                                           # durable: fsync and synchronous_commit on)
//   store-object-bench --url postgresql://citadel@127.0.0.1:5432/bench --rounds 5 --seconds 5
//
// Load: a closed loop of threads x outstanding chains, each issuing its next
// call from the previous one's completion, over users x keys objects (a
// ~100-byte JSON value, unconditional upserts). Every object is written once
// in both modes before the rounds, so write-behind runs on a warm local copy
// (a player's data read at login, then written). The two modes use two
// databases of one server (--url, --wb-url), and each write-behind round waits
// for its backlog to drain (timed: "drain") before the next round starts.
// The table is analyzed after the warm-up, so no run pays for missing
// planner statistics.
// Run under flock /tmp/citadel-bench.lock (bench/README.md).
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "postgres/postgres_server.h"
#include "store/postgres/postgres_store.h"
#include "store/write_behind/write_behind_store.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace citadel::store;
using namespace std::chrono_literals;

struct Options {
  std::string url;
  std::string wb_url;  // write-behind's database; empty: url's
  uint32_t rounds = 5;
  double seconds = 3;
  uint32_t chains = 256;
  uint32_t users = 1000;
  uint32_t keys = 4;
  uint32_t writers = 2;
  uint32_t flush_interval_ms = 50;
  uint32_t max_batch = 500;
  bool vacuum_each_round = false;
};

// A closed loop: `chains` calls in flight, each completion issues the next
// until the deadline. Counts completions that were ok, and the rest.
class ClosedLoop {
 public:
  using Issue = std::function<void(uint64_t n, std::function<void(bool ok)> done)>;

  ClosedLoop(uint32_t chains, Clock::duration length, Issue issue)
      : chains_(chains), issue_(std::move(issue)), end_(Clock::now() + length) {}

  // Blocks until every chain has stopped.
  void run() {
    start_ = Clock::now();
    for (uint32_t c = 0; c < chains_; ++c) next();
    std::unique_lock lock(mutex_);
    stopped_cv_.wait(lock, [this] { return stopped_ == chains_; });
  }
  uint64_t ok() const { return ok_.load(); }
  uint64_t failed() const { return failed_.load(); }
  double elapsed_s() const { return std::chrono::duration<double>(end_ - start_).count(); }

 private:
  void next() {
    if (Clock::now() >= end_) {
      std::lock_guard lock(mutex_);
      if (++stopped_ == chains_) stopped_cv_.notify_all();
      return;
    }
    const uint64_t n = issued_.fetch_add(1);
    issue_(n, [this](bool ok) {
      if (Clock::now() <= end_) (ok ? ok_ : failed_).fetch_add(1);
      next();
    });
  }

  const uint32_t chains_;
  const Issue issue_;
  const Clock::time_point end_;
  Clock::time_point start_;
  std::atomic<uint64_t> issued_{0}, ok_{0}, failed_{0};
  std::mutex mutex_;
  std::condition_variable stopped_cv_;
  uint32_t stopped_ = 0;
};

ObjectId id_of(const Options& o, const std::string& collection, uint64_t n) {
  const uint64_t object = n % (uint64_t{o.users} * o.keys);
  return {collection, fmt::format("k{}", object % o.keys),
          static_cast<int64_t>(object / o.keys) + 1};
}

ClosedLoop::Issue writer(ObjectStore& store, const Options& o, const std::string& collection) {
  return [&store, &o, collection](uint64_t n, std::function<void(bool)> done) {
    ObjectWrite w;
    w.id = id_of(o, collection, n);
    w.value = fmt::format(R"({{"n":{},"pad":"{}"}})", n, std::string(80, 'x'));
    store.write_objects({std::move(w)}, [done = std::move(done)](ObjectWriteResult r) {
      done(r.ok() && r.value.refusal == ObjectRefusal::kNone);
    });
  };
}

ClosedLoop::Issue reader(ObjectStore& store, const Options& o, const std::string& collection) {
  return [&store, &o, collection](uint64_t n, std::function<void(bool)> done) {
    store.read_objects({id_of(o, collection, n)}, [done = std::move(done)](ObjectReadResult r) {
      done(r.ok() && r.value.size() == 1);
    });
  };
}

double run_loop(const Options& o, ClosedLoop::Issue issue, uint64_t* failed = nullptr) {
  ClosedLoop loop(
      o.chains,
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds)),
      std::move(issue));
  loop.run();
  if (failed != nullptr) *failed = loop.failed();
  return static_cast<double>(loop.ok()) / loop.elapsed_s();
}

// Every object once, untimed.
void warm(ObjectStore& store, const Options& o, const std::string& collection) {
  std::atomic<uint64_t> left{uint64_t{o.users} * o.keys};
  std::mutex m;
  std::condition_variable cv;
  const auto write = writer(store, o, collection);
  for (uint64_t n = 0; n < uint64_t{o.users} * o.keys; ++n) {
    write(n, [&](bool) {
      if (left.fetch_sub(1) == 1) {
        std::lock_guard lock(m);
        cv.notify_all();
      }
    });
    while (n - (uint64_t{o.users} * o.keys - left.load()) > 2000) std::this_thread::yield();
  }
  std::unique_lock lock(m);
  cv.wait(lock, [&] { return left.load() == 0; });
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"store-object-bench: storage writes, write-behind vs write-through"};
  app.add_option("--url", o.url, "PostgreSQL URI; empty: start a server in a temp dir");
  app.add_option("--wb-url", o.wb_url, "write-behind's database (default: --url's)");
  app.add_option("--rounds", o.rounds, "paired rounds");
  app.add_option("--seconds", o.seconds, "length of each timed run");
  app.add_option("--chains", o.chains, "calls in flight");
  app.add_option("--users", o.users, "owners");
  app.add_option("--keys", o.keys, "objects per owner");
  app.add_option("--writers", o.writers, "store.write_behind.writers");
  app.add_option("--flush-interval-ms", o.flush_interval_ms,
                 "store.write_behind.flush_interval_ms");
  app.add_option("--max-batch", o.max_batch, "store.write_behind.max_batch");
  app.add_flag("--vacuum-each-round", o.vacuum_each_round,
               "VACUUM both tables before every round (no run inherits dead row versions)");
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::warn);

  std::unique_ptr<citadel::test::PostgresServer> server;
  // Two databases on one server: the write-behind flushes update their
  // rows hundreds of thousands of times, and the dead row versions they
  // leave must not slow the write-through table (measured: they did).
  std::string wb_url = o.wb_url;
  if (o.url.empty()) {
    server = std::make_unique<citadel::test::PostgresServer>(/*durable=*/true);
    o.url = server->create_database();
    wb_url = server->create_database();
  }
  if (wb_url.empty()) wb_url = o.url;
  const auto dir = std::filesystem::temp_directory_path() / fmt::format("wb-bench-{}", getpid());
  std::filesystem::create_directories(dir);

  PostgresConfig pg;
  pg.url = o.url;
  PostgresConfig pg_wb;
  pg_wb.url = wb_url;
  WriteBehindConfig wbc;
  wbc.enabled = true;
  wbc.path = (dir / "wb.db").string();
  wbc.writers = o.writers;
  wbc.flush_interval_ms = o.flush_interval_ms;
  wbc.max_batch = o.max_batch;
  wbc.max_pending = 10'000'000;
  {
    PostgresStore through(pg);
    WriteBehindStore behind(pg_wb, wbc);
    warm(through, o, "wt");
    warm(behind, o, "wb");
    while (behind.stats().write_behind.pending > 0) std::this_thread::sleep_for(10ms);
    // Statistics for the filled table before anything is timed: without
    // them the planner treats storage_objects as near-empty and the first
    // timed runs (of both modes) scan it, until autovacuum analyzes it in
    // the middle of a run (write-through went from ~800 to ~18,000/s then).
    citadel::test::pg_exec(o.url, "VACUUM ANALYZE storage_objects");
    citadel::test::pg_exec(wb_url, "VACUUM ANALYZE storage_objects");

    fmt::print(
        "objects {} ({} users x {} keys), {} in flight, {} s per run, writers {}, "
        "flush_interval_ms {}, max_batch {}\n",
        uint64_t{o.users} * o.keys, o.users, o.keys, o.chains, o.seconds, o.writers,
        o.flush_interval_ms, o.max_batch);
    std::vector<double> ratios, wt_rates, wb_rates, drains, lags, read_ratios;
    for (uint32_t r = 0; r < o.rounds; ++r) {
      // Alternate which mode goes first, so drift favours neither.
      double wt = 0, wb = 0, drain = 0;
      uint64_t wb_failed = 0;
      std::vector<double> round_lags;
      if (o.vacuum_each_round) {
        citadel::test::pg_exec(o.url, "VACUUM storage_objects");
        citadel::test::pg_exec(wb_url, "VACUUM storage_objects");
      }
      const auto run_behind = [&] {
        std::atomic<bool> sampling{true};
        std::thread sampler([&] {
          while (sampling.load()) {
            round_lags.push_back(behind.stats().write_behind.flush_lag_seconds);
            std::this_thread::sleep_for(10ms);
          }
        });
        wb = run_loop(o, writer(behind, o, "wb"), &wb_failed);
        const auto stop = Clock::now();
        while (behind.stats().write_behind.pending > 0) std::this_thread::sleep_for(1ms);
        drain = std::chrono::duration<double>(Clock::now() - stop).count();
        sampling = false;
        sampler.join();
      };
      if (r % 2 == 0) {
        wt = run_loop(o, writer(through, o, "wt"));
        run_behind();
      } else {
        run_behind();
        wt = run_loop(o, writer(through, o, "wt"));
      }
      const double rt = run_loop(o, reader(through, o, "wt"));
      const double rb = run_loop(o, reader(behind, o, "wb"));
      ratios.push_back(wb / wt);
      wt_rates.push_back(wt);
      wb_rates.push_back(wb);
      drains.push_back(drain);
      read_ratios.push_back(rb / rt);
      lags.insert(lags.end(), round_lags.begin(), round_lags.end());
      fmt::print(
          "round {}: writes/s write-through {:.0f}, write-behind {:.0f} (x{:.2f}, {} refused); "
          "drain {:.3f} s; lag p50 {:.3f} s max {:.3f} s; reads/s postgres {:.0f}, local {:.0f} "
          "(x{:.2f})\n",
          r + 1, wt, wb, wb / wt, wb_failed, drain, percentile(round_lags, 0.5),
          percentile(round_lags, 1.0), rt, rb, rb / rt);
    }
    const auto stats = behind.stats().write_behind;
    fmt::print(
        "median: write-through {:.0f}/s, write-behind {:.0f}/s, ratio x{:.2f} (min x{:.2f}, max "
        "x{:.2f}); flush lag p50 {:.3f} s, p99 {:.3f} s, max {:.3f} s; drain after a run median "
        "{:.3f} s; reads ratio x{:.2f}; flushed {}, batches {} (mean {:.0f}), conflicts {}\n",
        percentile(wt_rates, 0.5), percentile(wb_rates, 0.5), percentile(ratios, 0.5),
        percentile(ratios, 0), percentile(ratios, 1.0), percentile(lags, 0.5),
        percentile(lags, 0.99), percentile(lags, 1.0), percentile(drains, 0.5),
        percentile(read_ratios, 0.5), stats.flushed, stats.batches,
        stats.batches ? static_cast<double>(stats.flushed) / stats.batches : 0.0, stats.conflicts);
  }
  std::filesystem::remove_all(dir);
  return 0;
}
