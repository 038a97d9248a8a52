// Runs a LeaderboardBackend call to completion on a hand-driven loop and
// returns its result: the same synchronous shape for both backends, so one
// suite checks both. Redis: the shared test server, flushed per harness.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "redis/redis_client.h"
#include "redis/redis_server.h"
#include "redis_test_loop.h"
#include "services/leaderboard/backend/in_process_backend.h"
#include "services/leaderboard/backend/redis_leaderboard_backend.h"

namespace citadel::test {

enum class BackendKind { kInProcess, kRedis };

inline leaderboard::CursorKey backend_test_key() {
  leaderboard::CursorKey key;
  key.fill(7);
  return key;
}

class BackendHarness {
 public:
  // server: the Redis to use (the shared one when null); ignored in process.
  explicit BackendHarness(BackendKind kind, RedisServer* server = nullptr) {
    if (kind == BackendKind::kInProcess) {
      backend_ = std::make_unique<services::InProcessBackend>(backend_test_key());
      return;
    }
    RedisServer& s = server != nullptr ? *server : RedisServer::shared();
    s.flush_all();
    redis::RedisClient::Options options;
    options.reconnect_min = std::chrono::milliseconds(20);
    options.reconnect_max = std::chrono::milliseconds(100);
    client_ = std::make_unique<redis::RedisClient>(loop_.get(), *redis::parse_redis_url(s.url()),
                                                   options);
    EXPECT_TRUE(loop_.run_until([&] { return client_->connected(); }));
    auto redis = std::make_unique<services::RedisLeaderboardBackend>(*client_, backend_test_key());
    redis_ = redis.get();
    backend_ = std::move(redis);
  }
  ~BackendHarness() {
    backend_.reset();
    client_.reset();
  }

  services::LeaderboardBackend& backend() { return *backend_; }
  redis::RedisClient* client() { return client_.get(); }
  services::RedisLeaderboardBackend* redis() { return redis_; }
  TestLoop& loop() { return loop_; }

  // Calls f(done) and turns the loop until done ran; the whole BackendResult.
  template <class T, class F>
  services::BackendResult<T> wait(F&& f) {
    std::optional<services::BackendResult<T>> got;
    f([&got](services::BackendResult<T> r) { got = std::move(r); });
    EXPECT_TRUE(loop_.run_until([&] { return got.has_value(); })) << "no completion";
    return got ? std::move(*got) : services::BackendResult<T>{{}, "no completion"};
  }
  // The same, for calls expected to reach the backend: the engine's result.
  template <class T, class F>
  leaderboard::Result<T> call(F&& f) {
    auto r = wait<T>(std::forward<F>(f));
    EXPECT_TRUE(r.available()) << r.unavailable;
    return std::move(r.result);
  }

  leaderboard::LeaderboardError create(const leaderboard::BoardConfig& config, int64_t now) {
    return call<bool>([&](auto done) { backend_->create_board(config, now, done); }).error;
  }
  leaderboard::Result<leaderboard::SubmitResult> submit(const std::string& board,
                                                        services::OwnedSubmission s, int64_t now) {
    auto all = submit_batch(board, {std::move(s)}, now);
    if (!all.ok() || all.value.size() != 1) return {all.error};
    return all.value[0];
  }
  leaderboard::Result<std::vector<leaderboard::Result<leaderboard::SubmitResult>>> submit_batch(
      const std::string& board, std::vector<services::OwnedSubmission> s, int64_t now) {
    return call<std::vector<leaderboard::Result<leaderboard::SubmitResult>>>(
        [&](auto done) { backend_->submit_batch(board, std::move(s), now, done); });
  }
  leaderboard::Result<leaderboard::RecordPage> list(
      const std::string& board, uint32_t limit, std::string cursor = "",
      leaderboard::Period period = leaderboard::Period::kCurrent, int64_t now = 0) {
    return call<leaderboard::RecordPage>([&](auto done) {
      backend_->list(board, {limit, std::move(cursor), period}, now, done);
    });
  }
  leaderboard::Result<leaderboard::RecordPage> around(
      const std::string& board, uint64_t user, uint32_t limit,
      leaderboard::Period period = leaderboard::Period::kCurrent, int64_t now = 0) {
    return call<leaderboard::RecordPage>(
        [&](auto done) { backend_->around(board, user, limit, period, now, done); });
  }
  leaderboard::Result<std::vector<leaderboard::Record>> records_of(
      const std::string& board, std::vector<uint64_t> ids,
      leaderboard::Period period = leaderboard::Period::kCurrent, int64_t now = 0) {
    return call<std::vector<leaderboard::Record>>(
        [&](auto done) { backend_->records_of(board, std::move(ids), period, now, done); });
  }
  leaderboard::Result<uint64_t> rank_of(const std::string& board, uint64_t user,
                                        leaderboard::Period period = leaderboard::Period::kCurrent,
                                        int64_t now = 0) {
    return call<uint64_t>([&](auto done) { backend_->rank_of(board, user, period, now, done); });
  }
  leaderboard::LeaderboardError remove(const std::string& board, uint64_t user, int64_t now = 0) {
    return call<bool>([&](auto done) { backend_->delete_record(board, user, now, done); }).error;
  }
  leaderboard::Result<leaderboard::BoardInfo> info(const std::string& board, int64_t now = 0) {
    return call<leaderboard::BoardInfo>([&](auto done) { backend_->board_info(board, now, done); });
  }

 private:
  TestLoop loop_;
  std::unique_ptr<redis::RedisClient> client_;
  std::unique_ptr<services::LeaderboardBackend> backend_;
  services::RedisLeaderboardBackend* redis_ = nullptr;
};

}  // namespace citadel::test
