// Builds a Prometheus text exposition (format 0.0.4): one # HELP and # TYPE
// line per family, then its samples. Families are written in full before the
// next one starts, as the format requires. Names are checked as they are
// written: a bad name or a family written twice is a programming error and
// throws std::logic_error, which a unit test over the real output catches.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <set>
#include <string>
#include <string_view>

#include "ops/histogram.h"

namespace citadel::ops::admin {

enum class MetricType { kCounter, kGauge, kHistogram };

struct Label {
  std::string_view name;
  std::string_view value;  // any text; escaped on output
};

class MetricsWriter {
 public:
  // Starts a family. Counters must end in "_total"; histograms must not end
  // in a suffix the format reserves (_bucket, _sum, _count).
  void family(std::string_view name, MetricType type, std::string_view help);

  // One sample of the current counter or gauge family.
  void sample(uint64_t value, std::initializer_list<Label> labels = {});
  void sample(double value, std::initializer_list<Label> labels = {});
  // One histogram of the current histogram family, durations in seconds:
  // cumulative _bucket lines with le bounds, then _sum and _count.
  void histogram_seconds(const DurationHistogram::Snapshot& h,
                         std::initializer_list<Label> labels = {});

  // A family with one unlabelled sample.
  void counter(std::string_view name, std::string_view help, uint64_t value);
  void gauge(std::string_view name, std::string_view help, double value);

  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

  static bool valid_metric_name(std::string_view name);
  static bool valid_label_name(std::string_view name);

 private:
  void write_series(std::string_view suffix, std::initializer_list<Label> labels,
                    std::string_view extra_label_name = {},
                    std::string_view extra_label_value = {});
  void expect_type(MetricType type) const;

  std::string out_;
  std::string current_;
  MetricType current_type_ = MetricType::kGauge;
  std::set<std::string, std::less<>> seen_;
};

// The media type Prometheus expects for this format.
inline constexpr std::string_view kPrometheusTextContentType =
    "text/plain; version=0.0.4; charset=utf-8";

}  // namespace citadel::ops::admin
