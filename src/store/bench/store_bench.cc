// store-bench: how many requests a second the SQLite store completes, and how
// long each waits, when several threads (standing in for event loops) call it
// as fast as the queue accepts.
//
//   store-bench                       # 200,000 new guests from 2 threads, then the other phases
//   store-bench --rate 20000 --count 100000     # latency at the login bar, not at saturation
//   store-bench --count 50000 --max-outstanding 5000 --path /tmp/x.db
//
// Phases, each on the same database, in order:
//   guest-new        find_or_create_guest with a new device id (creates an account)
//   guest-returning  find_or_create_guest with the same ids again (finds it)
//   create-named     create_account with a username and a 100-byte hash
//   find-username    find_by_username of those names (reads on the writer thread)
//   history-append   append to 100 channels (fire-and-forget), then one load_recent
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite_store.h"

namespace {

using Clock = std::chrono::steady_clock;
using citadel::store::StoreError;

struct Options {
  std::string path;
  uint32_t count = 200'000;
  uint32_t threads = 2;
  uint32_t max_outstanding = 20'000;
  uint32_t max_batch = 1000;
  uint32_t queue_capacity = 65536;
  uint32_t rate_per_s = 0;
  uint32_t window_us =
      citadel::store::SqliteConfig{}.group_commit_window_us;  // 0: as fast as the queue accepts
  bool keep = false;
};

// Shared by the issuing threads and the store's callbacks for one phase.
struct PhaseState {
  explicit PhaseState(uint32_t count) : latency_us(count, 0) {}
  std::atomic<int64_t> outstanding{0};
  std::atomic<uint64_t> errors{0};
  std::atomic<uint64_t> created{0};
  std::atomic<uint64_t> overloaded_retries{0};
  std::vector<uint32_t> latency_us;  // one slot per request, written once by its callback
};

// Bytes this process has passed to write() and friends (/proc/self/io
// wchar): here, almost all of it is the WAL and checkpoints.
uint64_t bytes_written() {
  std::ifstream io("/proc/self/io");
  std::string key;
  uint64_t value = 0;
  while (io >> key >> value) {
    if (key == "wchar:") return value;
  }
  return 0;
}

// Called from a callback (store thread): records the latency and frees a slot.
void finish(PhaseState& state, uint32_t index, Clock::time_point issued, bool ok, uint32_t cap) {
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - issued).count();
  state.latency_us[index] = static_cast<uint32_t>(std::min<int64_t>(us, UINT32_MAX));
  if (!ok) state.errors.fetch_add(1, std::memory_order_relaxed);
  const int64_t before = state.outstanding.fetch_sub(1, std::memory_order_acq_rel);
  // Wake an issuer blocked at the cap, or the main thread waiting for zero.
  if (before >= cap || before == 1) state.outstanding.notify_all();
}

// issue(index, state, issued_at) makes one call; it returns false when the
// store refused it at once (kOverloaded), and the request is retried.
using Issue = std::function<bool(uint32_t, PhaseState&, Clock::time_point)>;

void run_phase(citadel::store::SqliteStore& store, const Options& opt, const char* name,
               const Issue& issue) {
  PhaseState state(opt.count);
  const uint64_t written_before = bytes_written();
  const auto before = store.stats();
  const auto start = Clock::now();
  std::vector<std::thread> issuers;
  for (uint32_t t = 0; t < opt.threads; ++t) {
    issuers.emplace_back([&, t] {
      // Paced: request i is due at start + i / rate, and its latency counts
      // from then, so a stall shows up in the figures instead of hiding them
      // (no coordinated omission).
      const auto due = [&](uint32_t i) {
        return start + std::chrono::duration_cast<Clock::duration>(
                           std::chrono::duration<double>(double(i) / opt.rate_per_s));
      };
      for (uint32_t i = t; i < opt.count; i += opt.threads) {
        if (opt.rate_per_s > 0) std::this_thread::sleep_until(due(i));
        // Keep at most max_outstanding in flight: block (no spinning) at the cap.
        int64_t now_out = state.outstanding.load(std::memory_order_acquire);
        while (now_out >= opt.max_outstanding) {
          state.outstanding.wait(now_out);
          now_out = state.outstanding.load(std::memory_order_acquire);
        }
        state.outstanding.fetch_add(1, std::memory_order_acq_rel);
        while (!issue(i, state, opt.rate_per_s > 0 ? due(i) : Clock::now())) {
          state.overloaded_retries.fetch_add(1, std::memory_order_relaxed);
          state.outstanding.fetch_add(1, std::memory_order_acq_rel);  // the refusal freed it
          std::this_thread::yield();
        }
      }
    });
  }
  for (auto& th : issuers) th.join();
  for (int64_t out = state.outstanding.load(); out != 0; out = state.outstanding.load()) {
    state.outstanding.wait(out);
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const auto after = store.stats();

  std::vector<uint32_t> lat = state.latency_us;
  std::sort(lat.begin(), lat.end());
  const auto pct = [&](double p) {
    return lat.empty() ? 0.0 : lat[std::min(lat.size() - 1, size_t(p * lat.size()))] / 1000.0;
  };
  const uint64_t commits = after.transactions_committed - before.transactions_committed;
  fmt::print(
      "{:<16} {:>8} ops {:>7.3f} s {:>9.0f} ops/s | commits {:>6} ({:>6.1f}/s, {:>6.0f} "
      "req/commit) "
      "| latency ms p50 {:>7.2f} p99 {:>7.2f} max {:>7.2f} | errors {} created {} "
      "overloaded-retries {} | written {:.0f} MiB/s\n",
      name, opt.count, seconds, opt.count / seconds, commits, commits / seconds,
      commits ? double(after.requests_completed - before.requests_completed) / commits : 0.0,
      pct(0.50), pct(0.99), lat.empty() ? 0.0 : lat.back() / 1000.0, state.errors.load(),
      state.created.load(), state.overloaded_retries.load(),
      (bytes_written() - written_before) / seconds / 1048576.0);
}

std::string make_temp_dir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "citadel-store-bench-XXXXXX");
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  CLI::App app{"Throughput and latency of the SQLite store"};
  app.add_option("--path", opt.path, "database file (default: a new temp dir, removed after)");
  app.add_option("--count", opt.count, "requests per phase")->check(CLI::Range(1u, 10'000'000u));
  app.add_option("--threads", opt.threads, "issuing threads")->check(CLI::Range(1u, 64u));
  app.add_option("--max-outstanding", opt.max_outstanding, "requests in flight, all threads")
      ->check(CLI::Range(1u, 10'000'000u));
  app.add_option("--max-batch", opt.max_batch, "requests per transaction")
      ->check(CLI::Range(1u, 1'000'000u));
  app.add_option("--queue-capacity", opt.queue_capacity, "store queue bound")
      ->check(CLI::Range(1u, 10'000'000u));
  app.add_option("--window-us", opt.window_us, "group commit window (config default if unset)");
  app.add_option("--rate", opt.rate_per_s, "requests per second, all threads (0: flat out)");
  app.add_flag("--keep", opt.keep, "keep the temp database");
  CLI11_PARSE(app, argc, argv);

  std::string temp_dir;
  if (opt.path.empty()) {
    temp_dir = make_temp_dir();
    opt.path = temp_dir + "/bench.db";
  }
  // Ids unique per run, so a reused --path still measures creations.
  const std::string run_tag = fmt::format("{:08x}", std::random_device{}());
  const auto device_id = [&](uint32_t i) { return fmt::format("dev-{}-{:08}", run_tag, i); };
  const auto username = [&](uint32_t i) { return fmt::format("Player_{}_{:08}", run_tag, i); };
  const std::string hash(100, 'h');  // about the size of an argon2id encoded hash

  {
    citadel::store::SqliteConfig config;
    config.path = opt.path;
    config.max_batch = opt.max_batch;
    config.queue_capacity = opt.queue_capacity;
    config.group_commit_window_us = opt.window_us;
    citadel::store::SqliteStore store(config);
    fmt::print(
        "store-bench: {} requests per phase, {} threads, <= {} outstanding, batch <= {}, "
        "window {} us, rate {}, db {}\n",
        opt.count, opt.threads, opt.max_outstanding, opt.max_batch, opt.window_us,
        opt.rate_per_s ? fmt::format("{}/s", opt.rate_per_s) : std::string("flat out"), opt.path);
    const uint32_t cap = opt.max_outstanding;

    const auto guest = [&](uint32_t i, PhaseState& s, Clock::time_point t0) {
      bool accepted = true;
      store.find_or_create_guest(device_id(i), [&, i, t0](citadel::store::GuestLoginResult r) {
        if (r.error == StoreError::kOverloaded) {  // inline refusal: not a completion
          accepted = false;
          s.outstanding.fetch_sub(1);
          return;
        }
        if (r.ok() && r.value.created) s.created.fetch_add(1, std::memory_order_relaxed);
        finish(s, i, t0, r.ok(), cap);
      });
      return accepted;
    };
    run_phase(store, opt, "guest-new", guest);
    run_phase(store, opt, "guest-returning", guest);

    run_phase(store, opt, "create-named", [&](uint32_t i, PhaseState& s, Clock::time_point t0) {
      bool accepted = true;
      store.create_account(username(i), hash, {},
                           [&, i, t0](citadel::store::CreateAccountResult r) {
                             if (r.error == StoreError::kOverloaded) {
                               accepted = false;
                               s.outstanding.fetch_sub(1);
                               return;
                             }
                             if (r.ok()) s.created.fetch_add(1, std::memory_order_relaxed);
                             finish(s, i, t0, r.ok(), cap);
                           });
      return accepted;
    });

    run_phase(store, opt, "find-username", [&](uint32_t i, PhaseState& s, Clock::time_point t0) {
      bool accepted = true;
      store.find_by_username(username(i), [&, i, t0](citadel::store::FindAccountResult r) {
        if (r.error == StoreError::kOverloaded) {
          accepted = false;
          s.outstanding.fetch_sub(1);
          return;
        }
        finish(s, i, t0, r.ok() && r.value.has_value(), cap);
      });
      return accepted;
    });

    // Appends have no callback: time until a load queued after them returns.
    {
      const auto before = store.stats();
      const auto start = Clock::now();
      uint64_t dropped = 0;
      for (uint32_t i = 0; i < opt.count; ++i) {
        while (!store.append(fmt::format("channel-{}", i % 100), i, "sender",
                             "a chat line of about sixty bytes, which is typical enough", i)) {
          ++dropped;
          std::this_thread::yield();
        }
      }
      std::atomic<bool> loaded{false};
      store.load_recent("channel-0", 100, [&](citadel::store::HistoryResult) {
        loaded = true;
        loaded.notify_all();
      });
      loaded.wait(false);
      const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      const auto after = store.stats();
      fmt::print(
          "{:<16} {:>8} ops {:>7.3f} s {:>9.0f} ops/s | commits {:>6} | one thread, "
          "fire-and-forget, {} queue-full retries\n",
          "history-append", opt.count, seconds, opt.count / seconds,
          after.transactions_committed - before.transactions_committed, dropped);
    }
    const auto s = store.stats();
    fmt::print("store: {} requests, {} transactions committed, {} failed, largest batch {}\n",
               s.requests_completed, s.transactions_committed, s.transactions_failed,
               s.largest_batch);
  }
  std::error_code ec;
  const auto size = std::filesystem::file_size(opt.path, ec);
  fmt::print("database file: {:.1f} MiB\n", ec ? 0.0 : size / 1048576.0);
  if (!temp_dir.empty() && !opt.keep) std::filesystem::remove_all(temp_dir, ec);
  return 0;
}
