#include "report.h"

#include <cstdio>

#include <fmt/format.h>

#include "json_line.h"
#include "protocol/wire.h"
#include "report_rows.h"

namespace citadel::bench {

namespace proto = citadel::protocol;

// ---- rows shared by every scenario's report (report_rows.h) ----

void print_latency_row(const Histogram& h, std::string_view label) {
  fmt::print(stderr,
             "  {:<14} p50 {:.1f}  p90 {:.1f}  p99 {:.1f}  p99.9 {:.1f}  max {:.1f}  mean {:.1f}\n",
             label, h.percentile_us(50), h.percentile_us(90), h.percentile_us(99),
             h.percentile_us(99.9), h.max_ns() / 1000.0, h.mean_ns() / 1000.0);
}

void print_error_rows(const WorkerSnapshot& t) {
  const ClientCounters& c = t.counters;
  fmt::print(stderr, "  {:<14} {} ({} ERROR frames, {} mismatched replies, {} undecodable)\n",
             "errors", c.errors(), c.error_frames, c.replies_mismatched, c.protocol_errors);
  fmt::print(stderr, "  {:<14} {}\n", "disconnects", c.disconnects);
  if (t.first_error.seen) {
    // Quoted and escaped: the text comes from the server and may hold anything.
    fmt::print(stderr, "  {:<14} code {} ({}) {}\n", "first ERROR", t.first_error.code,
               proto::to_string(static_cast<proto::ErrorCode>(t.first_error.code)),
               json_quote(t.first_error.text));
  }
  if (c.server_pings > 0) {
    fmt::print(stderr, "  {:<14} {} (answered; {} PONGs dropped)\n", "server PINGs", c.server_pings,
               c.pongs_dropped);
  }
}

void add_first_error(JsonLine& json, const ServerError& e) {
  if (e.seen) {
    json.add("first_error_code", uint64_t{e.code}).add("first_error_text", e.text);
  } else {
    json.add_null("first_error_code").add_null("first_error_text");
  }
}

void print_connect_row(const CommonOptions& o, const ClientCounters& c, double connect_s) {
  fmt::print(stderr, "  {:<14} {} / {} ({} failed) in {:.2f} s\n", "connected", c.connected,
             o.connections, c.connect_failed, connect_s);
}

void print_no_connection_notice(const CommonOptions& o, const ClientCounters& c) {
  if (c.connected == 0) {
    fmt::print(stderr, "citadel-bench: could not connect to {}:{} at all\n", o.host, o.port);
  }
}

std::string refusals_text(const ResultCounts& counts, ResultNamer name) {
  std::string out;
  for (std::size_t i = 1; i < counts.size(); ++i) {
    if (counts[i] == 0) continue;
    if (!out.empty()) out += ", ";
    out += fmt::format("{} {}", name(static_cast<uint16_t>(i)), counts[i]);
  }
  return out.empty() ? "none" : out;
}

std::string refusals_json(const ResultCounts& counts, ResultNamer name) {
  std::string out = "{";
  for (std::size_t i = 1; i < counts.size(); ++i) {
    if (counts[i] == 0) continue;
    if (out.size() > 1) out += ",";
    out += fmt::format("{}:{}", json_quote(name(static_cast<uint16_t>(i))), counts[i]);
  }
  return out + "}";
}

uint64_t refusals_total(const ResultCounts& counts) {
  uint64_t n = 0;
  for (std::size_t i = 1; i < counts.size(); ++i) n += counts[i];
  return n;
}

// ---- echo and hold ----

void print_echo_report(const EchoResult& r) {
  const EchoOptions& o = r.options;
  const ClientCounters& c = r.totals.counters;
  const uint64_t requests = r.measured.count();
  const double rps = r.duration_s > 0 ? static_cast<double>(requests) / r.duration_s : 0.0;
  const char* cmd = o.use_ping ? "ping" : "echo";

  fmt::print(
      stderr, "citadel-bench echo  {}:{}  {} connections x depth {}, {} B {}, {} thread(s)\n",
      o.common.host, o.common.port, o.common.connections, o.depth, o.payload_bytes, cmd, r.threads);
  print_connect_row(o.common, c, r.connect_s);
  fmt::print(stderr, "  {:<14} {:.1f} s after {:.1f} s warm-up{}\n", "measured", r.duration_s,
             o.warmup_s, r.interrupted ? " (interrupted)" : "");
  fmt::print(stderr, "  {:<14} {} ({:.1f} req/s)\n", "requests", requests, rps);
  print_latency_row(r.measured, "latency (us)");
  print_error_rows(r.totals);

  JsonLine json;
  json.add("scenario", "echo")
      .add("transport", std::string_view(client::transport::to_string(o.common.transport)))
      .add("connections", o.common.connections)
      .add("depth", o.depth)
      .add("payload", o.payload_bytes)
      .add("duration_s", r.duration_s)
      .add("requests", requests)
      .add("rps", rps)
      .add("p50_us", r.measured.percentile_us(50))
      .add("p90_us", r.measured.percentile_us(90))
      .add("p99_us", r.measured.percentile_us(99))
      .add("p999_us", r.measured.percentile_us(99.9))
      .add("max_us", r.measured.max_ns() / 1000.0)
      .add("errors", c.errors())
      .add("disconnects", c.disconnects)
      // Beyond the documented keys: appended, so readers of those are unaffected.
      .add("cmd", cmd)
      .add("threads", r.threads)
      .add("connected", c.connected)
      .add("failed", c.connect_failed)
      .add("warmup_s", o.warmup_s)
      .add("mean_us", r.measured.mean_ns() / 1000.0)
      .add("error_frames", c.error_frames)
      .add("mismatched", c.replies_mismatched);
  add_first_error(json, r.totals.first_error);
  json.add_bool("interrupted", r.interrupted);
  fmt::print("{}\n", json.str());
  std::fflush(stdout);
  print_no_connection_notice(o.common, c);
}

void print_hold_report(const HoldResult& r) {
  const HoldOptions& o = r.options;
  const ClientCounters& c = r.totals.counters;

  fmt::print(stderr,
             "citadel-bench hold  {}:{}  {} connections, PING every {:.1f} s, {} thread(s)\n",
             o.common.host, o.common.port, o.common.connections, o.ping_interval_s, r.threads);
  print_connect_row(o.common, c, r.connect_s);
  fmt::print(stderr, "  {:<14} {:.1f} s{}; {} still open at the end\n", "held", r.duration_s,
             r.interrupted ? " (interrupted)" : "", c.open);
  fmt::print(stderr, "  {:<14} {} sent, {} PONGs, {} skipped (too many unanswered)\n", "pings",
             c.requests_sent, c.replies_ok, r.totals.requests_skipped);
  print_latency_row(r.rtt, "latency (us)");
  print_error_rows(r.totals);

  std::optional<double> per_conn_bytes;
  if (r.rss_before_kb && r.rss_after_kb && r.connected_at_rss > 0) {
    per_conn_bytes =
        (static_cast<double>(*r.rss_after_kb) - static_cast<double>(*r.rss_before_kb)) * 1024.0 /
        static_cast<double>(r.connected_at_rss);
  }
  if (o.server_pid > 0) {
    const auto kb = [](const std::optional<uint64_t>& v) {
      return v ? fmt::format("{} KiB", *v) : std::string("unreadable");
    };
    fmt::print(stderr, "  {:<14} before {}, after {}{}\n", "server RSS", kb(r.rss_before_kb),
               kb(r.rss_after_kb),
               r.ping_round_complete ? "" : " (read before every connection had a PONG)");
    if (per_conn_bytes) {
      fmt::print(stderr, "  {:<14} {:.0f} bytes per connection ({} connections)\n", "",
                 *per_conn_bytes, r.connected_at_rss);
    }
  }

  JsonLine json;
  json.add("scenario", "hold")
      .add("transport", std::string_view(client::transport::to_string(o.common.transport)))
      .add("target", o.common.connections)
      .add("connected", c.connected)
      .add("failed", c.connect_failed)
      .add("disconnects", c.disconnects)
      .add("pings", c.requests_sent)
      .add("pongs", c.replies_ok)
      .add("p50_us", r.rtt.percentile_us(50))
      .add("p99_us", r.rtt.percentile_us(99))
      .add("max_us", r.rtt.max_ns() / 1000.0)
      .add("rss_before_kb", r.rss_before_kb)
      .add("rss_after_kb", r.rss_after_kb);
  if (per_conn_bytes) {
    json.add("rss_per_conn_bytes", *per_conn_bytes, 0);
  } else {
    json.add_null("rss_per_conn_bytes");
  }
  // Beyond the documented keys: appended, so readers of those are unaffected.
  json.add("p90_us", r.rtt.percentile_us(90))
      .add("p999_us", r.rtt.percentile_us(99.9))
      .add("errors", c.errors())
      .add("open_at_end", c.open)
      .add("duration_s", r.duration_s)
      .add("connect_s", r.connect_s, 2)
      .add("ping_interval_s", o.ping_interval_s)
      .add("pings_skipped", r.totals.requests_skipped)
      .add_bool("ping_round_complete", r.ping_round_complete)
      .add("threads", r.threads);
  add_first_error(json, r.totals.first_error);
  json.add_bool("interrupted", r.interrupted);
  fmt::print("{}\n", json.str());
  std::fflush(stdout);
  print_no_connection_notice(o.common, c);
}

}  // namespace citadel::bench
