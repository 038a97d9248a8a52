#include "ops/logging.h"

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <vector>

namespace citadel::ops {

void setup_logging(const LogConfig& config) {
  std::vector<spdlog::sink_ptr> sinks;
  sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
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
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%t] %v");
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

}  // namespace citadel::ops
