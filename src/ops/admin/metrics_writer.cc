#include "ops/admin/metrics_writer.h"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <stdexcept>

namespace citadel::ops::admin {
namespace {

bool name_char(char c, bool first, bool colon_ok) {
  const auto u = static_cast<unsigned char>(c);
  if (std::isalpha(u) || c == '_') return true;
  if (colon_ok && c == ':') return true;
  return !first && std::isdigit(u);
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// HELP text escapes backslash and newline; label values also the double quote.
void append_escaped(std::string& out, std::string_view text, bool quote) {
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

// Shortest form that reads back to the same double; Prometheus's spelling of
// the special values.
std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

const char* type_name(MetricType t) {
  switch (t) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

bool MetricsWriter::valid_metric_name(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!name_char(name[i], i == 0, true)) return false;
  }
  return true;
}

bool MetricsWriter::valid_label_name(std::string_view name) {
  if (name.empty() || name.starts_with("__")) return false;  // "__" is reserved
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!name_char(name[i], i == 0, false)) return false;
  }
  return true;
}

void MetricsWriter::family(std::string_view name, MetricType type, std::string_view help) {
  if (!valid_metric_name(name)) throw std::logic_error("bad metric name: " + std::string(name));
  if (type == MetricType::kCounter && !ends_with(name, "_total")) {
    throw std::logic_error("counter name must end in _total: " + std::string(name));
  }
  if (type == MetricType::kHistogram &&
      (ends_with(name, "_bucket") || ends_with(name, "_sum") || ends_with(name, "_count"))) {
    throw std::logic_error("histogram name ends in a reserved suffix: " + std::string(name));
  }
  if (!seen_.emplace(name).second) {
    throw std::logic_error("metric family written twice: " + std::string(name));
  }
  current_ = name;
  current_type_ = type;
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  append_escaped(out_, help, false);
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type_name(type);
  out_ += '\n';
}

void MetricsWriter::expect_type(MetricType type) const {
  if (current_.empty()) throw std::logic_error("sample written before any family");
  const bool scalar = type != MetricType::kHistogram;
  const bool current_scalar = current_type_ != MetricType::kHistogram;
  if (scalar != current_scalar) {
    throw std::logic_error("sample of the wrong kind for family " + current_);
  }
}

void MetricsWriter::write_series(std::string_view suffix, std::initializer_list<Label> labels,
                                 std::string_view extra_label_name,
                                 std::string_view extra_label_value) {
  out_ += current_;
  out_ += suffix;
  if (labels.size() == 0 && extra_label_name.empty()) return;
  out_ += '{';
  bool first = true;
  const auto add = [&](std::string_view name, std::string_view value) {
    if (!valid_label_name(name)) throw std::logic_error("bad label name: " + std::string(name));
    if (!first) out_ += ',';
    first = false;
    out_ += name;
    out_ += "=\"";
    append_escaped(out_, value, true);
    out_ += '"';
  };
  for (const Label& l : labels) add(l.name, l.value);
  if (!extra_label_name.empty()) add(extra_label_name, extra_label_value);
  out_ += '}';
}

void MetricsWriter::sample(uint64_t value, std::initializer_list<Label> labels) {
  expect_type(MetricType::kGauge);
  write_series("", labels);
  out_ += fmt::format(" {}\n", value);
}

void MetricsWriter::sample(double value, std::initializer_list<Label> labels) {
  expect_type(MetricType::kGauge);
  write_series("", labels);
  out_ += ' ';
  out_ += format_value(value);
  out_ += '\n';
}

void MetricsWriter::histogram_seconds(const DurationHistogram::Snapshot& h,
                                      std::initializer_list<Label> labels) {
  expect_type(MetricType::kHistogram);
  // Buckets are read one by one while loops keep writing, so the count is
  // taken as the sum of the buckets read: +Inf and _count then always agree.
  uint64_t cumulative = 0;
  for (std::size_t i = 0; i < DurationHistogram::kBuckets; ++i) {
    cumulative += h.counts[i];
    const std::string le =
        i < DurationHistogram::kBoundsNs.size()
            ? format_value(static_cast<double>(DurationHistogram::kBoundsNs[i]) / 1e9)
            : std::string("+Inf");
    write_series("_bucket", labels, "le", le);
    out_ += fmt::format(" {}\n", cumulative);
  }
  write_series("_sum", labels);
  out_ += ' ';
  out_ += format_value(static_cast<double>(h.sum_ns) / 1e9);
  out_ += '\n';
  write_series("_count", labels);
  out_ += fmt::format(" {}\n", cumulative);
}

void MetricsWriter::counter(std::string_view name, std::string_view help, uint64_t value) {
  family(name, MetricType::kCounter, help);
  sample(value);
}

void MetricsWriter::gauge(std::string_view name, std::string_view help, double value) {
  family(name, MetricType::kGauge, help);
  sample(value);
}

}  // namespace citadel::ops::admin
