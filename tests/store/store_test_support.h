// Helpers for the store tests: a temp dir per test, blocking wrappers around
// the async calls (every wait bounded), and a raw second connection to look
// at the file from outside the store.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include "store/sqlite_handle.h"
#include "store/sqlite_store.h"

namespace citadel::store::test {

using namespace std::chrono_literals;

// "device-7". (fmt, not `"device-" + std::to_string(i)`, which trips GCC 12's
// false-positive -Wrestrict, GCC bug 105329.)
inline std::string numbered(std::string_view prefix, int64_t n) {
  return fmt::format("{}{}", prefix, n);
}

// Generous: a healthy store answers in milliseconds; a timeout means a lost callback.
inline constexpr auto kCallTimeout = 10s;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "citadel-store-test-XXXXXX");
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (std::getenv("CITADEL_TEST_KEEP_TMP") == nullptr) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Runs `call(done)` and waits (bounded) for `done` to be called.
template <class Result, class Call>
Result await_result(Call&& call) {
  auto promise = std::make_shared<std::promise<Result>>();
  auto future = promise->get_future();
  call([promise](Result r) { promise->set_value(std::move(r)); });
  if (future.wait_for(kCallTimeout) != std::future_status::ready) {
    throw std::runtime_error("store call did not complete in time");
  }
  return future.get();
}

inline CreateAccountResult create(AccountStore& s, std::string name, std::string hash,
                                  std::string device) {
  return await_result<CreateAccountResult>([&](auto done) {
    s.create_account(std::move(name), std::move(hash), std::move(device), std::move(done));
  });
}
inline FindAccountResult find_name(AccountStore& s, std::string name) {
  return await_result<FindAccountResult>(
      [&](auto done) { s.find_by_username(std::move(name), std::move(done)); });
}
inline FindAccountResult find_id(AccountStore& s, int64_t id) {
  return await_result<FindAccountResult>([&](auto done) { s.find_by_id(id, std::move(done)); });
}
inline GuestLoginResult guest(AccountStore& s, std::string device) {
  return await_result<GuestLoginResult>(
      [&](auto done) { s.find_or_create_guest(std::move(device), std::move(done)); });
}
inline HistoryResult load(ChatHistoryStore& s, std::string channel, uint32_t limit) {
  return await_result<HistoryResult>(
      [&](auto done) { s.load_recent(std::move(channel), limit, std::move(done)); });
}

// Counts completions from other threads; waits (bounded) for a total.
class CompletionCounter {
 public:
  void add() {
    std::lock_guard lock(mutex_);
    ++count_;
    changed_.notify_all();
  }
  bool wait_for_count(uint64_t n, std::chrono::milliseconds timeout = kCallTimeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return count_ >= n; });
  }
  uint64_t count() const {
    std::lock_guard lock(mutex_);
    return count_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  uint64_t count_ = 0;
};

// A second connection to the file, as another process would have.
class RawConnection {
 public:
  explicit RawConnection(const std::string& path) {
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
    db_.reset(raw);
    if (rc != SQLITE_OK) throw std::runtime_error("raw open failed: " + path);
    sqlite3_busy_timeout(db_.get(), 5000);
  }
  void exec(const char* sql) { exec_sql(db_.get(), sql); }
  int64_t query_int(const char* sql) {
    Statement stmt(db_.get(), sql);
    if (stmt.step() != SQLITE_ROW) throw std::runtime_error(std::string("no row: ") + sql);
    return stmt.column_int64(0);
  }
  std::string query_text(const char* sql) {
    Statement stmt(db_.get(), sql);
    if (stmt.step() != SQLITE_ROW) throw std::runtime_error(std::string("no row: ") + sql);
    return stmt.column_text(0);
  }

 private:
  SqliteDb db_;
};

inline SqliteConfig config_in(const TempDir& dir, const std::string& name = "test.db") {
  SqliteConfig config;
  config.path = dir.file(name);
  return config;
}

}  // namespace citadel::store::test
