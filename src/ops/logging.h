// Logging set-up (spdlog), connection-scoped log lines, and a rate limiter for
// log lines a peer can trigger.
#pragma once

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>

#include "ops/config.h"

namespace citadel::ops {

// Installs the default logger: stderr, plus a size-rotated file when
// config.file is set, in config.format (text or json). Throws ConfigError if
// the file cannot be opened.
void setup_logging(const LogConfig& config);
// A reload's log.level (validated): the logger's level is atomic, so any
// thread may change it while others log.
void set_log_level(const std::string& level);

// The line formatter for `format` ("text" or "json"). setup_logging uses it;
// tests use it to read lines back from a sink of their own.
//   text: 2026-11-23T11:36:41.497 info [6108] conn 0x1000000000001 open from 127.0.0.1
//   json: {"ts":"2026-11-23T10:36:41.497Z","level":"info","thread":6108,
//          "conn":"0x1000000000001","msg":"open from 127.0.0.1"}
std::unique_ptr<spdlog::formatter> make_log_formatter(std::string_view format);

// Appends `text` as a JSON string literal: quoted, with quotes, backslashes
// and control characters escaped, and each byte that is not part of valid
// UTF-8 replaced by U+FFFD, so any input gives valid JSON.
void append_json_string(spdlog::memory_buf_t& out, std::string_view text);

namespace detail {
// The connection the calling thread is logging about, read by the formatters.
// Set only for the duration of one log_conn call.
struct LogContext {
  bool has_conn = false;
  uint64_t conn_id = 0;
};
inline thread_local LogContext tls_log_context;

class ScopedConnContext {
 public:
  explicit ScopedConnContext(uint64_t conn_id) : saved_(tls_log_context) {
    tls_log_context = {true, conn_id};
  }
  ~ScopedConnContext() { tls_log_context = saved_; }
  ScopedConnContext(const ScopedConnContext&) = delete;
  ScopedConnContext& operator=(const ScopedConnContext&) = delete;

 private:
  LogContext saved_;
};
}  // namespace detail

// A log line about one connection. In JSON the id is a field of its own
// ("conn":"0x..."), so log tools can filter on it; in text the line reads
// "conn 0x... <message>". The level is checked before anything is formatted,
// so a disabled debug line costs one comparison.
template <class... Args>
void log_conn(spdlog::level::level_enum level, uint64_t conn_id, fmt::format_string<Args...> format,
              Args&&... args) {
  spdlog::logger* logger = spdlog::default_logger_raw();
  if (!logger->should_log(level)) return;
  detail::ScopedConnContext context(conn_id);
  logger->log(level, format, std::forward<Args>(args)...);
}

// Token bucket for log lines caused by peers (protocol errors): at most
// `per_second` lines a second with a burst of the same size, so a flood of bad
// clients can neither fill the disk nor stall a loop formatting messages. Lines
// refused are counted; the next allowed line reports how many were dropped.
// One per loop thread: not thread-safe.
class LogRateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit LogRateLimiter(uint32_t per_second) : per_second_(per_second), tokens_(per_second) {}

  // True if a line may be logged now. `suppressed` receives the number of
  // lines dropped since the last allowed one (and is reset).
  bool allow(Clock::time_point now, uint64_t& suppressed);

 private:
  uint32_t per_second_;
  double tokens_;
  Clock::time_point last_{};
  uint64_t suppressed_ = 0;
};

}  // namespace citadel::ops
