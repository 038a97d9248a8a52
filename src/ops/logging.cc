#include "ops/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <ctime>
#include <vector>

#include "ops/json_escape.h"

namespace citadel::ops {
namespace {

// "%&" in the text pattern: "conn 0x... " when the line is about a connection.
class ConnFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const detail::LogContext& context = detail::tls_log_context;
    if (context.has_conn) fmt::format_to(std::back_inserter(dest), "conn {:#x} ", context.conn_id);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<ConnFlag>();
  }
};

// One JSON object per line. Timestamps are UTC with milliseconds, so lines
// from machines in different zones sort and join without a lookup.
class JsonLineFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto since_epoch = msg.time.time_since_epoch();
    const std::time_t seconds =
        std::chrono::duration_cast<std::chrono::seconds>(since_epoch).count();
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count() % 1000;
    std::tm utc{};
    ::gmtime_r(&seconds, &utc);
    auto out = std::back_inserter(dest);
    fmt::format_to(out, "{{\"ts\":\"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z\",\"level\":\"{}\",",
                   utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min,
                   utc.tm_sec, millis, spdlog::level::to_string_view(msg.level));
    fmt::format_to(out, "\"thread\":{},", msg.thread_id);
    const detail::LogContext& context = detail::tls_log_context;
    if (context.has_conn) fmt::format_to(out, "\"conn\":\"{:#x}\",", context.conn_id);
    fmt::format_to(out, "\"msg\":");
    append_json_string(dest, std::string_view(msg.payload.data(), msg.payload.size()));
    fmt::format_to(out, "}}\n");
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonLineFormatter>();
  }
};

}  // namespace

void append_json_string(spdlog::memory_buf_t& out, std::string_view text) {
  append_json_quoted(out, text);
}

std::unique_ptr<spdlog::formatter> make_log_formatter(std::string_view format) {
  if (format == "json") return std::make_unique<JsonLineFormatter>();
  auto text = std::make_unique<spdlog::pattern_formatter>();
  text->add_flag<ConnFlag>('&').set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%t] %&%v");
  return text;
}

void setup_logging(const LogConfig& config) {
  std::vector<spdlog::sink_ptr> sinks;
  // Colour codes would corrupt JSON lines, so JSON goes to a plain stderr sink.
  if (config.format == "json") {
    sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  } else {
    sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  }
  if (!config.file.empty()) {
    try {
      sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
          config.file, config.file_max_bytes, config.file_max_files));
    } catch (const spdlog::spdlog_ex& e) {
      throw ConfigError("log.file: " + std::string(e.what()));
    }
  }
  auto logger = std::make_shared<spdlog::logger>("citadel", sinks.begin(), sinks.end());
  logger->set_level(spdlog::level::from_str(config.level));
  logger->set_formatter(make_log_formatter(config.format));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
}

bool LogRateLimiter::allow(Clock::time_point now, uint64_t& suppressed) {
  if (per_second_ == 0) {
    ++suppressed_;
    return false;
  }
  if (last_ != Clock::time_point{}) {
    const double elapsed_s = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min<double>(per_second_, tokens_ + elapsed_s * per_second_);
  }
  last_ = now;
  if (tokens_ < 1.0) {
    ++suppressed_;
    return false;
  }
  tokens_ -= 1.0;
  suppressed = suppressed_;
  suppressed_ = 0;
  return true;
}

void set_log_level(const std::string& level) {
  spdlog::default_logger()->set_level(spdlog::level::from_str(level));
}

}  // namespace citadel::ops
