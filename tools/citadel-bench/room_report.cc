#include "room_report.h"

#include <string>

#include <fmt/format.h>

#include "game_messages.h"
#include "report_rows.h"
#include "system_info.h"

namespace citadel::bench {
namespace {

std::optional<double> rss_per_player_bytes(const RoomRunResult& r) {
  if (!r.rss_before_kb || !r.rss_after_kb || r.in_room_at_start == 0) return std::nullopt;
  return (static_cast<double>(*r.rss_after_kb) - static_cast<double>(*r.rss_before_kb)) * 1024.0 /
         static_cast<double>(r.in_room_at_start);
}

// Share of one core per 1,000 players in the window (0.6 = 60 % of a core).
std::optional<double> cpu_per_1000(const RoomRunResult& r, std::optional<double> cpu_s) {
  if (!cpu_s || r.duration_s <= 0 || r.in_room_at_start == 0) return std::nullopt;
  return *cpu_s / r.duration_s * 1000.0 / static_cast<double>(r.in_room_at_start);
}

void add_optional(JsonLine& json, std::string_view key, std::optional<double> v, int decimals) {
  if (v) {
    json.add(key, *v, decimals);
  } else {
    json.add_null(key);
  }
}

}  // namespace

double pushes_per_player_s(const RoomRunResult& r) {
  if (r.duration_s <= 0 || r.in_room_at_start == 0) return 0;
  return static_cast<double>(r.game.pushes_measured) / r.duration_s /
         static_cast<double>(r.in_room_at_start);
}

void print_room_rows(const RoomRunResult& r) {
  const RoomLoadOptions& o = r.options;
  const SessionCounts& s = r.sessions;
  const ClientCounters& c = r.totals.counters;
  print_connect_row(o.common, c, r.connect_s);
  fmt::print(stderr, "  {:<14} {} logged in ({} refused), {} joined ({} refused: {})\n", "players",
             s.logins_ok, s.logins_refused, s.joins_ok, s.joins_refused,
             refusals_text(s.join_results, room_result_name));
  print_latency_row(r.join_latency, "join (us)");
  if (o.join_storm) {
    fmt::print(stderr,
               "  {:<14} {} joins sent within {:.2f} s; first sent -> last reply {:.3f} s; "
               "{} timed out (no reply {:.0f} s after the window)\n",
               "join storm", s.joins_sent, o.join_window_s, r.storm_s, r.join_timeouts,
               o.join_timeout_s);
  }
  const RateSummary rates = summarize_rates(r.room_rates, r.tick_hz);
  fmt::print(stderr,
             "  {:<14} {} at {} Hz announced; observed min {:.2f}  median {:.2f}  max {:.2f} Hz; "
             "{} below 97.5 %\n",
             "rooms", rates.rooms, r.tick_hz, rates.min_hz, rates.median_hz, rates.max_hz,
             rates.slow_rooms);
  fmt::print(stderr, "  {:<14} {} at the window's start, {} at the end\n", "in rooms",
             r.in_room_at_start, r.in_room_at_end);
}

void print_cost_rows(const RoomRunResult& r) {
  if (const auto per_1000 = cpu_per_1000(r, r.server_cpu_s)) {
    fmt::print(stderr, "  {:<14} {:.2f} s in {:.1f} s: {:.1f} % of a core per 1,000 players\n",
               "server CPU", *r.server_cpu_s, r.duration_s, *per_1000 * 100);
  }
  if (r.options.server_pid > 0) {
    const auto kb = [](const std::optional<uint64_t>& v) {
      return v ? fmt::format("{} KiB", *v) : std::string("unreadable");
    };
    fmt::print(stderr, "  {:<14} before {}, all in {}", "server RSS", kb(r.rss_before_kb),
               kb(r.rss_after_kb));
    if (const auto per = rss_per_player_bytes(r)) {
      fmt::print(stderr, "; {:.0f} bytes per player", *per);
    }
    fmt::print(stderr, "\n");
  }
  if (r.bench_cpu_s && r.duration_s > 0) {
    fmt::print(stderr, "  {:<14} {:.1f} % of a core (all its threads)\n", "bench CPU",
               *r.bench_cpu_s / r.duration_s * 100);
  }
  fmt::print(stderr, "  {:<14} p99 {:.1f}  max {:.1f} us (inputs sent late: the bench's delay)\n",
             "input lag", r.input_lag.percentile_us(99), r.input_lag.max_ns() / 1000.0);
}

void add_latency_fields(JsonLine& json, const Histogram& h, std::string_view prefix) {
  const std::string p(prefix);
  json.add(p + "p50_us", h.percentile_us(50))
      .add(p + "p90_us", h.percentile_us(90))
      .add(p + "p99_us", h.percentile_us(99))
      .add(p + "p999_us", h.percentile_us(99.9))
      .add(p + "max_us", h.max_ns() / 1000.0)
      .add(p + "mean_us", h.mean_ns() / 1000.0);
}

void add_room_fields(JsonLine& json, const RoomRunResult& r) {
  const RoomLoadOptions& o = r.options;
  const SessionCounts& s = r.sessions;
  const ClientCounters& c = r.totals.counters;
  const RateSummary rates = summarize_rates(r.room_rates, r.tick_hz);
  json.add("players", o.common.connections)
      .add("connected", c.connected)
      .add("failed", c.connect_failed)
      .add("disconnects", c.disconnects)
      .add("logged_in", s.logins_ok)
      .add("logins_refused", s.logins_refused)
      .add("joins_sent", s.joins_sent)
      .add("joined", s.joins_ok)
      .add("joins_refused", s.joins_refused)
      .add("join_timeouts", r.join_timeouts)
      .add_bool("join_storm", o.join_storm)
      .add("storm_s", r.storm_s, 3)
      .add("join_p50_us", r.join_latency.percentile_us(50))
      .add("join_p99_us", r.join_latency.percentile_us(99))
      .add("join_max_us", r.join_latency.max_ns() / 1000.0)
      .add("in_room_at_start", r.in_room_at_start)
      .add("in_room_at_end", r.in_room_at_end)
      .add("rooms", uint64_t{rates.rooms})
      .add("tick_hz", r.tick_hz)
      .add("room_hz_min", rates.min_hz, 2)
      .add("room_hz_median", rates.median_hz, 2)
      .add("room_hz_max", rates.max_hz, 2)
      .add("slow_rooms", uint64_t{rates.slow_rooms})
      .add("input_hz", o.input_hz, 1)
      .add("input_step_us", uint64_t{o.input_step_us})
      .add("duration_s", r.duration_s);
}

void add_outcome_fields(JsonLine& json, const RoomRunResult& r, std::string_view bad_pushes_field) {
  const ClientCounters& c = r.totals.counters;
  json.add("errors", c.errors())
      .add("error_frames", c.error_frames)
      .add(bad_pushes_field, r.game.bad_pushes)
      .add("unexpected_replies", r.sessions.unexpected);
  add_first_error(json, r.totals.first_error);
  json.add_bool("interrupted", r.interrupted)
      .add_raw("joins_refused_by_result", refusals_json(r.sessions.join_results, room_result_name));
}

void add_cost_fields(JsonLine& json, const RoomRunResult& r) {
  json.add("rss_before_kb", r.rss_before_kb).add("rss_after_kb", r.rss_after_kb);
  add_optional(json, "rss_per_player_bytes", rss_per_player_bytes(r), 0);
  add_optional(json, "server_cpu_s", r.server_cpu_s, 3);
  add_optional(json, "server_cores_per_1000", cpu_per_1000(r, r.server_cpu_s), 4);
  if (!r.options.also_pids.empty()) json.add_raw("also_cpu_s", cpu_seconds_json(r.also_cpu_s));
  add_optional(json, "bench_cpu_s", r.bench_cpu_s, 3);
  json.add("input_lag_p99_us", r.input_lag.percentile_us(99))
      .add("input_lag_max_us", r.input_lag.max_ns() / 1000.0)
      .add("threads", r.threads)
      .add("connect_s", r.connect_s, 2);
}

}  // namespace citadel::bench
