// Config parsing and the log rate limiter (src/ops).
#include "ops/config.h"

#include <gtest/gtest.h>

#include "ops/logging.h"

namespace citadel::ops {
namespace {

std::string error_of(const std::string& yaml) {
  try {
    parse_config(yaml);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(Config, EmptyTextGivesTheDocumentedDefaults) {
  const Config c = parse_config("");
  EXPECT_EQ(c.server.port, 7777);
  EXPECT_EQ(c.limits.max_payload_bytes, 65536u);
  EXPECT_EQ(c.limits.output_queue_bytes, 1048576u);
  EXPECT_EQ(c.limits.idle_timeout_ms, 30000u);
  EXPECT_EQ(c.limits.max_connections_per_ip, 1000u);
  EXPECT_EQ(c.log.level, "info");
}

TEST(Config, ValuesAreReadIntoTheirFields) {
  const Config c = parse_config(
      "server: {host: 127.0.0.1, port: 0, threads: 3}\n"
      "limits: {idle_timeout_ms: 0, max_connections: 10}\n"
      "log: {level: debug}\n");
  EXPECT_EQ(c.server.host, "127.0.0.1");
  EXPECT_EQ(c.server.port, 0);
  EXPECT_EQ(c.effective_threads(), 3u);
  EXPECT_EQ(c.limits.idle_timeout_ms, 0u);
  EXPECT_EQ(c.log.level, "debug");
}

TEST(Config, ErrorsNameTheKeyAndTheProblem) {
  EXPECT_EQ(error_of("limits: {idle_timeout_ms: soon}"),
            "limits.idle_timeout_ms: expected a non-negative integer, got 'soon'");
  EXPECT_EQ(error_of("server: {port: 70000}"),
            "server.port: must be between 0 and 65535, got 70000");
  EXPECT_EQ(error_of("server: {threads: -1}"),
            "server.threads: expected a non-negative integer, got '-1'");
  EXPECT_EQ(error_of("limits: {max_payload_byts: 10}"), "limits.max_payload_byts: unknown key");
  EXPECT_EQ(error_of("rooms: {}"), "rooms: unknown key");
  EXPECT_EQ(error_of("limits: 5"), "limits: expected a mapping");
  EXPECT_NE(error_of("log: {level: loud}").find("log.level: must be one of"), std::string::npos);
  EXPECT_NE(error_of("limits: {max_payload_bytes: 2000000, output_queue_bytes: 1048576}")
                .find("limits.output_queue_bytes"),
            std::string::npos);
  EXPECT_NE(error_of("server: [1, 2").find("invalid YAML"), std::string::npos);
}

TEST(Config, PrintedConfigParsesBackToTheSameValues) {
  Config c;
  c.server.port = 9000;
  c.limits.idle_timeout_ms = 1234;
  c.log.file = "/var/log/citadel.log";
  const Config back = parse_config(to_yaml(c));
  EXPECT_EQ(to_yaml(back), to_yaml(c));
  EXPECT_EQ(back.limits.idle_timeout_ms, 1234u);
  EXPECT_EQ(back.log.file, "/var/log/citadel.log");
}

TEST(Config, DerivedConnectionCapKeepsHeadroomBelowTheFileLimit) {
  LimitsConfig l;
  EXPECT_EQ(l.effective_max_connections(20000), 19900u);
  l.max_connections = 500;
  EXPECT_EQ(l.effective_max_connections(20000), 500u);
  l.max_connections = 50000;
  EXPECT_EQ(l.effective_max_connections(20000), 19900u) << "never above what the fds allow";
}

TEST(LogRateLimiter, AllowsABurstThenRefusesAndReportsWhatWasDropped) {
  LogRateLimiter limiter(3);
  const auto t0 = LogRateLimiter::Clock::time_point{} + std::chrono::hours(1);
  uint64_t suppressed = 99;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.allow(t0, suppressed));
  EXPECT_EQ(suppressed, 0u);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(limiter.allow(t0, suppressed));
  EXPECT_TRUE(limiter.allow(t0 + std::chrono::seconds(1), suppressed));
  EXPECT_EQ(suppressed, 5u) << "the next allowed line reports the dropped ones";
}

TEST(LogRateLimiter, ZeroRateLogsNothing) {
  LogRateLimiter limiter(0);
  uint64_t suppressed = 0;
  EXPECT_FALSE(limiter.allow(LogRateLimiter::Clock::now(), suppressed));
}

}  // namespace
}  // namespace citadel::ops
