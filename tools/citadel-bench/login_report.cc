#include "login_report.h"

#include <cstdio>
#include <string>

#include <fmt/format.h>

#include "json_line.h"
#include "report_rows.h"

namespace citadel::bench {
namespace {

std::optional<double> rss_per_user_bytes(const LoginResult& r) {
  if (!r.rss_before_kb || !r.rss_after_kb || r.logged_in_at_rss == 0) return std::nullopt;
  return (static_cast<double>(*r.rss_after_kb) - static_cast<double>(*r.rss_before_kb)) * 1024.0 /
         static_cast<double>(r.logged_in_at_rss);
}

}  // namespace

void print_login_report(const LoginResult& r) {
  const LoginOptions& o = r.options;
  const ClientCounters& c = r.totals.counters;
  const bool storm = o.storm;
  const uint64_t measured = r.latency.count();
  const double per_s =
      !storm && r.duration_s > 0 ? static_cast<double>(measured) / r.duration_s : 0.0;
  const auto per_user = rss_per_user_bytes(r);
  const uint64_t failed_logins = refusals_total(r.results);

  if (storm) {
    fmt::print(stderr,
               "citadel-bench login --storm  {}:{}  {} new connections at {:.0f}/s, {} thread(s)\n",
               o.common.host, o.common.port, o.common.connections, o.common.connect_rate_per_s,
               r.threads);
    print_connect_row(o.common, c, r.connect_s);
    fmt::print(stderr, "  {:<14} {} / {} ({}) in {:.2f} s from the first connect\n", "logged in",
               r.logins_ok, o.common.connections, r.all_logged_in ? "all" : "NOT all", r.storm_s);
    fmt::print(stderr, "  {:<14} {:.1f} s; {} still logged in at the end\n", "held", r.duration_s,
               r.logged_in_at_end);
  } else {
    fmt::print(stderr,
               "citadel-bench login  {}:{}  {} persistent connections, Logout+GuestLogin "
               "pipelined, {} thread(s)\n",
               o.common.host, o.common.port, o.common.connections, r.threads);
    print_connect_row(o.common, c, r.connect_s);
    fmt::print(stderr, "  {:<14} {:.1f} s after {:.1f} s warm-up{}\n", "measured", r.duration_s,
               o.warmup_s, r.interrupted ? " (interrupted)" : "");
    fmt::print(stderr, "  {:<14} {} ({:.1f} logins/s, each a new account)\n", "logins", measured,
               per_s);
  }
  fmt::print(stderr, "  {:<14} {} sent, {} ok, {} logouts ok\n", "whole run", r.logins_sent,
             r.logins_ok, r.logouts_ok);
  fmt::print(stderr, "  {:<14} {}\n", "refused", refusals_text(r.results, auth_result_name));
  print_latency_row(r.latency, "login (us)");
  print_error_rows(r.totals);
  if (r.unexpected_frames > 0) {
    fmt::print(stderr, "  {:<14} {}\n", "unexpected", r.unexpected_frames);
  }
  if (r.server_cpu_s) {
    const uint64_t n = storm ? r.logins_ok : measured;
    fmt::print(stderr, "  {:<14} {:.2f} s ({:.1f} us per login)\n", "server CPU", *r.server_cpu_s,
               n > 0 ? *r.server_cpu_s * 1e6 / static_cast<double>(n) : 0.0);
  }
  if (storm && o.server_pid > 0) {
    const auto kb = [](const std::optional<uint64_t>& v) {
      return v ? fmt::format("{} KiB", *v) : std::string("unreadable");
    };
    fmt::print(stderr, "  {:<14} before {}, after {}", "server RSS", kb(r.rss_before_kb),
               kb(r.rss_after_kb));
    if (per_user) {
      fmt::print(stderr, "; {:.0f} bytes per logged-in connection ({})", *per_user,
                 r.logged_in_at_rss);
    }
    fmt::print(stderr, "\n");
  }

  JsonLine json;
  json.add("scenario", storm ? "storm" : "login")
      .add("transport", std::string_view(client::transport::to_string(o.common.transport)))
      .add("connections", o.common.connections)
      .add("connected", c.connected)
      .add("failed", c.connect_failed)
      .add("disconnects", c.disconnects)
      .add("logins_sent", r.logins_sent)
      .add("logins_ok", r.logins_ok)
      .add("logins_refused", failed_logins)
      .add("logouts_ok", r.logouts_ok);
  if (storm) {
    json.add("storm_s", r.storm_s, 3)
        .add_bool("all_logged_in", r.all_logged_in)
        .add("logged_in_at_end", r.logged_in_at_end)
        .add("connect_rate", o.common.connect_rate_per_s, 0);
  } else {
    json.add("duration_s", r.duration_s).add("logins", measured).add("logins_per_s", per_s);
  }
  json.add("p50_us", r.latency.percentile_us(50))
      .add("p90_us", r.latency.percentile_us(90))
      .add("p99_us", r.latency.percentile_us(99))
      .add("p999_us", r.latency.percentile_us(99.9))
      .add("max_us", r.latency.max_ns() / 1000.0)
      .add("mean_us", r.latency.mean_ns() / 1000.0)
      .add("errors", c.errors())
      .add("error_frames", c.error_frames)
      .add("unexpected_frames", r.unexpected_frames)
      .add("rss_before_kb", r.rss_before_kb)
      .add("rss_after_kb", r.rss_after_kb);
  if (per_user) {
    json.add("rss_per_user_bytes", *per_user, 0);
  } else {
    json.add_null("rss_per_user_bytes");
  }
  if (r.server_cpu_s) {
    json.add("server_cpu_s", *r.server_cpu_s, 3);
  } else {
    json.add_null("server_cpu_s");
  }
  json.add("threads", r.threads).add("connect_s", r.connect_s, 2);
  add_first_error(json, r.totals.first_error);
  json.add_bool("interrupted", r.interrupted)
      .add_raw("refused_by_result", refusals_json(r.results, auth_result_name));
  fmt::print("{}\n", json.str());
  std::fflush(stdout);
  print_no_connection_notice(o.common, c);
}

}  // namespace citadel::bench
