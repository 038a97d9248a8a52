// MetricsWriter (the Prometheus text format) and the bearer-token check.
#include "ops/admin/metrics_writer.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "ops/admin/bearer_auth.h"
#include "tool_checks.h"

namespace citadel::ops::admin {
namespace {

TEST(MetricsWriter, WritesHelpTypeAndSamplesWithEscapedLabels) {
  MetricsWriter w;
  w.family("citadel_things_total", MetricType::kCounter, "Things.\nWith a \\ newline.");
  w.sample(uint64_t{7}, {{"kind", "a\"b\\c\nd"}});
  w.gauge("citadel_level", "A level.", 0.25);
  EXPECT_EQ(w.text(),
            "# HELP citadel_things_total Things.\\nWith a \\\\ newline.\n"
            "# TYPE citadel_things_total counter\n"
            "citadel_things_total{kind=\"a\\\"b\\\\c\\nd\"} 7\n"
            "# HELP citadel_level A level.\n"
            "# TYPE citadel_level gauge\n"
            "citadel_level 0.25\n");
}

TEST(MetricsWriter, HistogramBucketsAreCumulativeInSecondsAndCountMatchesInf) {
  DurationHistogram::Snapshot h;
  h.counts[0] = 2;                                // <= 1 us
  h.counts[3] = 1;                                // <= 10 us
  h.counts[DurationHistogram::kBuckets - 1] = 4;  // above 1 s
  h.sum_ns = 5'000'000'000;
  MetricsWriter w;
  w.family("citadel_work_duration_seconds", MetricType::kHistogram, "Work.");
  w.histogram_seconds(h);
  const std::string& t = w.text();
  EXPECT_NE(t.find("citadel_work_duration_seconds_bucket{le=\"1e-06\"} 2\n"), std::string::npos)
      << t;
  EXPECT_NE(t.find("citadel_work_duration_seconds_bucket{le=\"5e-06\"} 2\n"), std::string::npos)
      << t;
  EXPECT_NE(t.find("citadel_work_duration_seconds_bucket{le=\"1e-05\"} 3\n"), std::string::npos)
      << t;
  EXPECT_NE(t.find("citadel_work_duration_seconds_bucket{le=\"1\"} 3\n"), std::string::npos) << t;
  EXPECT_NE(t.find("citadel_work_duration_seconds_bucket{le=\"+Inf\"} 7\n"), std::string::npos)
      << t;
  EXPECT_NE(t.find("citadel_work_duration_seconds_sum 5\n"), std::string::npos) << t;
  EXPECT_NE(t.find("citadel_work_duration_seconds_count 7\n"), std::string::npos) << t;
}

TEST(MetricsWriter, RefusesNamesAgainstTheConventions) {
  MetricsWriter w;
  EXPECT_THROW(w.family("9lives", MetricType::kGauge, "x"), std::logic_error);
  EXPECT_THROW(w.family("has-dash", MetricType::kGauge, "x"), std::logic_error);
  EXPECT_THROW(w.family("citadel_frames", MetricType::kCounter, "x"), std::logic_error)
      << "counters end in _total";
  EXPECT_THROW(w.family("citadel_x_count", MetricType::kHistogram, "x"), std::logic_error);
  w.family("citadel_ok", MetricType::kGauge, "x");
  EXPECT_THROW(w.sample(uint64_t{1}, {{"__reserved", "v"}}), std::logic_error);
  EXPECT_THROW(w.sample(uint64_t{1}, {{"bad-label", "v"}}), std::logic_error);
  EXPECT_THROW(w.family("citadel_ok", MetricType::kGauge, "again"), std::logic_error)
      << "a family is written once";
  EXPECT_THROW(w.histogram_seconds({}), std::logic_error) << "histogram into a gauge family";
  MetricsWriter empty;
  EXPECT_THROW(empty.sample(uint64_t{1}), std::logic_error) << "sample before any family";
}

TEST(MetricsWriter, OutputPassesPromtool) {
  const auto promtool = test::find_tool("promtool");
  if (!promtool) GTEST_SKIP() << "promtool not installed (Debian package prometheus)";
  DurationHistogram::Snapshot h;
  for (auto& c : h.counts) c = 3;
  h.sum_ns = 123'456'789;
  MetricsWriter w;
  w.counter("citadel_frames_received_total", "Frames.", 10);
  w.family("citadel_errors_total", MetricType::kCounter, "Errors by kind.");
  w.sample(uint64_t{1}, {{"kind", "a"}});
  w.sample(uint64_t{2}, {{"kind", "b"}});
  w.family("citadel_handler_batch_duration_seconds", MetricType::kHistogram, "Time.");
  w.histogram_seconds(h);
  const test::ToolRun r = test::promtool_check_metrics(*promtool, w.text());
  EXPECT_EQ(r.exit_code, 0) << r.output << "\n--- input ---\n" << w.text();
  EXPECT_EQ(r.output, "") << "promtool lint findings";
}

TEST(BearerAuth, AcceptsOnlyTheExactTokenWithTheBearerScheme) {
  EXPECT_TRUE(bearer_token_matches("Bearer s3cret", "s3cret"));
  EXPECT_TRUE(bearer_token_matches("bearer s3cret", "s3cret")) << "scheme is case-insensitive";
  EXPECT_TRUE(bearer_token_matches("Bearer  s3cret ", "s3cret"));
  EXPECT_FALSE(bearer_token_matches("Bearer s3cre", "s3cret"));
  EXPECT_FALSE(bearer_token_matches("Bearer s3cretX", "s3cret"));
  EXPECT_FALSE(bearer_token_matches("Bearer S3CRET", "s3cret")) << "the token is case-sensitive";
  EXPECT_FALSE(bearer_token_matches("Basic s3cret", "s3cret"));
  EXPECT_FALSE(bearer_token_matches("s3cret", "s3cret"));
  EXPECT_FALSE(bearer_token_matches("Bearer ", ""));
  EXPECT_FALSE(bearer_token_matches("", "s3cret"));
}

}  // namespace
}  // namespace citadel::ops::admin
