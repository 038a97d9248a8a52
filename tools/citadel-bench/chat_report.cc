#include "chat_report.h"

#include <cstdio>
#include <string>

#include <fmt/format.h>

#include "json_line.h"
#include "system_info.h"

namespace citadel::bench {

void print_chat_report(const ChatRunResult& r) {
  const ChatOptions& o = r.options;
  const ClientCounters& c = r.totals.counters;
  const FanoutSummary& f = r.fanout;
  const std::string pace = o.rate > 0 ? fmt::format("{:.1f} msg/s", o.rate)
                                      : fmt::format("one at a time, {:.0f} ms apart", o.gap_ms);
  const std::string limit = o.messages > 0 ? fmt::format("{} messages", o.messages)
                                           : fmt::format("{:.1f} s", o.common.duration_s);
  const double bench_us_per_receipt =
      f.receipts > 0 ? r.bench_cpu_s * 1e6 / static_cast<double>(f.receipts) : 0.0;
  const double cpu_us_per_receipt = r.server_cpu_s && f.receipts > 0
                                        ? *r.server_cpu_s * 1e6 / static_cast<double>(f.receipts)
                                        : 0.0;

  fmt::print(stderr,
             "citadel-bench chat  {}:{}  {} users in \"{}\", {} sender(s), {}, {}, "
             "{}-byte text, {} thread(s)\n",
             o.common.host, o.common.port, o.common.connections, o.channel, r.senders, pace, limit,
             o.text_bytes, r.threads);
  print_connect_row(o.common, c, r.login_s);
  fmt::print(stderr, "  {:<14} {} / {} (refused: {})\n", "logged in", r.logged_in,
             o.common.connections, refusals_text(r.login_results, auth_result_name));
  fmt::print(stderr, "  {:<14} {} sent in {:.2f} s, {} refused ({}); the first {} not measured\n",
             "messages", f.sent, r.send_s, refusals_total(r.send_results),
             refusals_text(r.send_results, chat_result_name), o.warmup_messages);
  fmt::print(stderr, "  {:<14} {} of {} measured messages reached all {} members ({} did not)\n",
             "delivered", f.complete, f.accepted, r.logged_in, f.incomplete);
  fmt::print(stderr, "  {:<14} {} ({} push frame bytes)\n", "receipts", f.receipts,
             r.push_frame_bytes);
  print_latency_row(r.receipt_latency, "receipt (us)");
  fmt::print(stderr,
             "  {:<14} p50 {:.1f}  p90 {:.1f}  p99 {:.1f}  max {:.1f}  min {:.1f}  mean {:.1f}\n",
             "last (us)", f.last_p50_ns / 1000.0, f.last_p90_ns / 1000.0, f.last_p99_ns / 1000.0,
             f.last_max_ns / 1000.0, f.last_min_ns / 1000.0, f.last_mean_ns / 1000.0);
  fmt::print(stderr, "  {:<14} p50 {:.1f}\n", "first (us)", f.first_p50_ns / 1000.0);
  if (r.server_cpu_s) {
    fmt::print(stderr, "  {:<14} {:.2f} s over {:.2f} s ({:.2f} us per receipt)\n", "server CPU",
               *r.server_cpu_s, r.run_s, cpu_us_per_receipt);
  }
  fmt::print(stderr, "  {:<14} {:.2f} s over {:.2f} s ({:.2f} us per receipt)\n", "bench CPU",
             r.bench_cpu_s, r.run_s, bench_us_per_receipt);
  print_error_rows(r.totals);
  if (r.foreign_messages > 0 || r.unexpected_frames > 0) {
    fmt::print(stderr, "  {:<14} {} foreign chat messages, {} unexpected frames\n", "other",
               r.foreign_messages, r.unexpected_frames);
  }

  JsonLine json;
  json.add("scenario", "chat")
      .add("transport", std::string_view(client::transport::to_string(o.common.transport)))
      .add("users", o.common.connections)
      .add("connected", c.connected)
      .add("failed", c.connect_failed)
      .add("logged_in", r.logged_in)
      .add("senders", r.senders)
      .add("rate", o.rate)
      .add("messages_sent", f.sent)
      .add("messages_refused", f.rejected)
      .add("warmup_messages", o.warmup_messages)
      .add("messages_measured", f.accepted)
      .add("messages_complete", f.complete)
      .add("messages_incomplete", f.incomplete)
      .add("receipts", f.receipts)
      .add("duplicates", f.duplicates)
      .add("p50_us", r.receipt_latency.percentile_us(50))
      .add("p90_us", r.receipt_latency.percentile_us(90))
      .add("p99_us", r.receipt_latency.percentile_us(99))
      .add("p999_us", r.receipt_latency.percentile_us(99.9))
      .add("max_us", r.receipt_latency.max_ns() / 1000.0)
      .add("mean_us", r.receipt_latency.mean_ns() / 1000.0)
      .add("last_p50_us", f.last_p50_ns / 1000.0)
      .add("last_p90_us", f.last_p90_ns / 1000.0)
      .add("last_p99_us", f.last_p99_ns / 1000.0)
      .add("last_max_us", f.last_max_ns / 1000.0)
      .add("last_min_us", f.last_min_ns / 1000.0)
      .add("last_mean_us", f.last_mean_ns / 1000.0)
      .add("first_p50_us", f.first_p50_ns / 1000.0)
      .add("push_frame_bytes", r.push_frame_bytes)
      .add("text_bytes", o.text_bytes)
      .add("login_s", r.login_s, 2)
      .add("send_s", r.send_s, 3)
      .add("run_s", r.run_s, 3);
  if (r.server_cpu_s) {
    json.add("server_cpu_s", *r.server_cpu_s, 3)
        .add("server_cpu_us_per_receipt", cpu_us_per_receipt, 3);
  } else {
    json.add_null("server_cpu_s").add_null("server_cpu_us_per_receipt");
  }
  if (!o.also_pids.empty()) json.add_raw("also_cpu_s", cpu_seconds_json(r.also_cpu_s));
  json.add("bench_cpu_s", r.bench_cpu_s, 3)
      .add("bench_cpu_us_per_receipt", bench_us_per_receipt, 3)
      .add("errors", c.errors())
      .add("error_frames", c.error_frames)
      .add("disconnects", c.disconnects)
      .add("foreign_messages", r.foreign_messages)
      .add("unexpected_frames", r.unexpected_frames)
      .add("threads", r.threads);
  add_first_error(json, r.totals.first_error);
  json.add_bool("interrupted", r.interrupted)
      .add_raw("login_refused_by_result", refusals_json(r.login_results, auth_result_name))
      .add_raw("send_refused_by_result", refusals_json(r.send_results, chat_result_name));
  fmt::print("{}\n", json.str());
  std::fflush(stdout);
  print_no_connection_notice(o.common, c);
}

}  // namespace citadel::bench
