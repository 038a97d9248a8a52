#include "leaderboard_report.h"

#include <cstdio>
#include <string>

#include <fmt/format.h>

#include "json_line.h"
#include "report_rows.h"

namespace citadel::bench {

void print_leaderboard_report(const LeaderboardResult& r) {
  const LeaderboardOptions& o = r.options;
  const ClientCounters& c = r.totals.counters;
  const uint64_t submits = r.latency.count();  // Ok replies in the measured window
  const double per_s = r.duration_s > 0 ? static_cast<double>(submits) / r.duration_s : 0.0;
  const uint64_t refused = refusals_total(r.results);
  // 0 when unknown (no --server-pid) or nothing was measured.
  const double cpu_us_per_submit =
      r.server_cpu_s && submits > 0 ? *r.server_cpu_s * 1e6 / static_cast<double>(submits) : 0.0;

  fmt::print(stderr,
             "citadel-bench leaderboard  {}:{}  {} players, depth {}, board \"{}\", {} thread(s)\n",
             o.common.host, o.common.port, o.common.connections, o.depth, o.board, r.threads);
  print_connect_row(o.common, c, r.connect_s);
  fmt::print(stderr, "  {:<14} {} logged in ({} logins refused and retried)\n", "players",
             r.logged_in, r.logins_refused);
  fmt::print(stderr, "  {:<14} {:.1f} s after {:.1f} s warm-up{}\n", "measured", r.duration_s,
             o.warmup_s, r.interrupted ? " (interrupted)" : "");
  fmt::print(stderr, "  {:<14} {} ok ({:.1f} submits/s), {} of them taken\n", "submits", submits,
             per_s, r.taken);
  if (o.rate > 0) {
    fmt::print(stderr, "  {:<14} {:.0f} submits/s offered, {} missed (every slot busy)\n",
               "open loop", o.rate, r.missed);
  }
  fmt::print(stderr, "  {:<14} {}\n", "refused", refusals_text(r.results, leaderboard_result_name));
  print_latency_row(r.latency, "submit (us)");
  print_error_rows(r.totals);
  if (r.unexpected_frames > 0) {
    fmt::print(stderr, "  {:<14} {}\n", "unexpected", r.unexpected_frames);
  }
  if (r.server_cpu_s) {
    fmt::print(stderr, "  {:<14} {:.2f} s ({:.2f} us per submit)\n", "server CPU", *r.server_cpu_s,
               cpu_us_per_submit);
  }

  JsonLine json;
  json.add("scenario", "leaderboard")
      .add("transport", std::string_view(client::transport::to_string(o.common.transport)))
      .add("connections", o.common.connections)
      .add("connected", c.connected)
      .add("failed", c.connect_failed)
      .add("disconnects", c.disconnects)
      .add("logged_in", r.logged_in)
      .add("logins_refused", r.logins_refused)
      .add("depth", o.depth)
      .add("board", std::string_view(o.board))
      .add("duration_s", r.duration_s)
      .add("submits_sent", r.submits_sent)
      .add("submits", submits)
      .add("submits_per_s", per_s)
      .add("submits_taken", r.taken)
      .add("submits_refused", refused)
      .add("rate", o.rate)
      .add("missed", r.missed)
      .add("p50_us", r.latency.percentile_us(50))
      .add("p90_us", r.latency.percentile_us(90))
      .add("p99_us", r.latency.percentile_us(99))
      .add("p999_us", r.latency.percentile_us(99.9))
      .add("max_us", r.latency.max_ns() / 1000.0)
      .add("mean_us", r.latency.mean_ns() / 1000.0)
      .add("errors", c.errors())
      .add("error_frames", c.error_frames)
      .add("unexpected_frames", r.unexpected_frames);
  if (r.server_cpu_s) {
    json.add("server_cpu_s", *r.server_cpu_s, 3)
        .add("server_cpu_us_per_submit", cpu_us_per_submit, 3);
  } else {
    json.add_null("server_cpu_s").add_null("server_cpu_us_per_submit");
  }
  json.add("threads", r.threads).add("connect_s", r.connect_s, 2);
  add_first_error(json, r.totals.first_error);
  json.add_bool("interrupted", r.interrupted)
      .add_raw("refused_by_result", refusals_json(r.results, leaderboard_result_name));
  fmt::print("{}\n", json.str());
  std::fflush(stdout);
  print_no_connection_notice(o.common, c);
}

}  // namespace citadel::bench
