#include "storage_report.h"

#include <cstdio>
#include <string>

#include <fmt/format.h>

#include "json_line.h"
#include "report_rows.h"
#include "storage_messages.h"

namespace citadel::bench {
namespace {

double per_second(uint64_t n, double s) {
  return s > 0 ? static_cast<double>(n) / s : 0.0;
}

// "<kind>_ok", "<kind>_per_s", "<kind>_refused", "<kind>_p50_us".. "<kind>_p999_us".
void add_kind(JsonLine& json, std::string_view kind, const Histogram& h, const ResultCounts& r,
              double duration_s) {
  const std::string k(kind);
  json.add(k + "_ok", h.count())
      .add(k + "_per_s", per_second(h.count(), duration_s))
      .add(k + "_refused", refusals_total(r))
      .add(k + "_p50_us", h.percentile_us(50))
      .add(k + "_p99_us", h.percentile_us(99))
      .add(k + "_p999_us", h.percentile_us(99.9));
}

}  // namespace

void print_storage_report(const StorageRunResult& result) {
  const StorageOptions& o = result.options;
  const PipelinedResult& r = result.run;
  const ClientCounters& c = r.totals.counters;
  const uint64_t ops = r.latency.count();  // Ok replies in the measured window
  const double per_s = per_second(ops, r.duration_s);
  // Refusals of both kinds together, by result.
  ResultCounts refusals{};
  for (std::size_t i = 0; i < kResultSlots; ++i) {
    refusals[i] = r.results[kWrite][i] + r.results[kRead][i];
  }
  // 0 when unknown (no --server-pid) or nothing was measured.
  const double cpu_us_per_op =
      r.server_cpu_s && ops > 0 ? *r.server_cpu_s * 1e6 / static_cast<double>(ops) : 0.0;

  fmt::print(stderr,
             "citadel-bench storage  {}:{}  {} players, depth {}, read ratio {:.2f}, {} key(s), "
             "{} thread(s)\n",
             o.common.host, o.common.port, o.common.connections, o.depth, o.read_ratio, o.keys,
             r.threads);
  print_connect_row(o.common, c, r.connect_s);
  fmt::print(stderr, "  {:<14} {} logged in ({} logins refused and retried)\n", "players",
             r.logged_in, r.logins_refused);
  fmt::print(stderr, "  {:<14} {:.1f} s after {:.1f} s warm-up{}\n", "measured", r.duration_s,
             o.warmup_s, r.interrupted ? " (interrupted)" : "");
  fmt::print(stderr, "  {:<14} {} ok ({:.1f} ops/s): {} writes, {} reads\n", "requests", ops, per_s,
             r.latency_by_kind[kWrite].count(), r.latency_by_kind[kRead].count());
  if (o.rate > 0) {
    fmt::print(stderr, "  {:<14} {:.0f} ops/s offered, {} missed (every slot busy)\n", "open loop",
               o.rate, r.missed);
  }
  fmt::print(stderr, "  {:<14} {}\n", "refused", refusals_text(refusals, storage_result_name));
  print_latency_row(r.latency, "all (us)");
  if (!r.latency_by_kind[kWrite].empty())
    print_latency_row(r.latency_by_kind[kWrite], "write (us)");
  if (!r.latency_by_kind[kRead].empty()) print_latency_row(r.latency_by_kind[kRead], "read (us)");
  print_error_rows(r.totals);
  if (r.unexpected_frames > 0) {
    fmt::print(stderr, "  {:<14} {}\n", "unexpected", r.unexpected_frames);
  }
  if (r.server_cpu_s) {
    fmt::print(stderr, "  {:<14} {:.2f} s ({:.2f} us per op)\n", "server CPU", *r.server_cpu_s,
               cpu_us_per_op);
  }

  JsonLine json;
  json.add("scenario", "storage")
      .add("transport", std::string_view(client::transport::to_string(o.common.transport)))
      .add("connections", o.common.connections)
      .add("connected", c.connected)
      .add("failed", c.connect_failed)
      .add("disconnects", c.disconnects)
      .add("logged_in", r.logged_in)
      .add("logins_refused", r.logins_refused)
      .add("depth", o.depth)
      .add("read_ratio", o.read_ratio, 3)
      .add("keys", o.keys)
      .add("rate", o.rate)
      .add("missed", r.missed)
      .add("duration_s", r.duration_s)
      .add("requests_sent", r.requests_sent)
      .add("ops", ops)
      .add("ops_per_s", per_s)
      .add("refused", refusals_total(refusals))
      .add("p50_us", r.latency.percentile_us(50))
      .add("p90_us", r.latency.percentile_us(90))
      .add("p99_us", r.latency.percentile_us(99))
      .add("p999_us", r.latency.percentile_us(99.9))
      .add("max_us", r.latency.max_ns() / 1000.0)
      .add("mean_us", r.latency.mean_ns() / 1000.0);
  add_kind(json, "writes", r.latency_by_kind[kWrite], r.results[kWrite], r.duration_s);
  add_kind(json, "reads", r.latency_by_kind[kRead], r.results[kRead], r.duration_s);
  json.add("errors", c.errors())
      .add("error_frames", c.error_frames)
      .add("unexpected_frames", r.unexpected_frames);
  if (r.server_cpu_s) {
    json.add("server_cpu_s", *r.server_cpu_s, 3).add("server_cpu_us_per_op", cpu_us_per_op, 3);
  } else {
    json.add_null("server_cpu_s").add_null("server_cpu_us_per_op");
  }
  json.add("threads", r.threads).add("connect_s", r.connect_s, 2);
  add_first_error(json, r.totals.first_error);
  json.add_bool("interrupted", r.interrupted)
      .add_raw("refused_by_result", refusals_json(refusals, storage_result_name));
  fmt::print("{}\n", json.str());
  std::fflush(stdout);
  print_no_connection_notice(o.common, c);
}

}  // namespace citadel::bench
