// What a chat run measured, and its end-of-run output: the summary table on
// stderr and exactly one JSON line on stdout (scenario "chat").
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "bench_messages.h"
#include "fanout_tally.h"
#include "histogram.h"
#include "options.h"
#include "report_rows.h"
#include "stats_board.h"

namespace citadel::bench {

struct ChatRunResult {
  ChatOptions options;
  uint32_t threads = 1;
  uint32_t senders = 0;  // senders actually used (logged-in users)
  WorkerSnapshot totals;
  uint64_t logged_in = 0;         // users in the channel when sending started: receipts per message
  ResultCounts login_results{};   // login replies by AuthResult
  ResultCounts send_results{};    // ChatReply to each send, by ChatResult
  Histogram receipt_latency;      // send -> each receipt (measured messages)
  FanoutSummary fanout;           // send -> last receipt, per message
  uint64_t foreign_messages = 0;  // chat pushes that were not this run's
  uint64_t unexpected_frames = 0;
  uint64_t push_frame_bytes = 0;  // size of one of this run's ChatMessage frames, header included
  double login_s = 0;             // connecting and logging everyone in
  double send_s = 0;              // from the first send until sending stopped
  double run_s = 0;               // from the first send until the last receipt (or timeout)
  std::optional<double> server_cpu_s;             // over run_s
  std::vector<std::optional<double>> also_cpu_s;  // --also-pid, in order, over run_s
  double bench_cpu_s = 0;  // this process, over run_s: is the bench the busier side?
  bool interrupted = false;
};

void print_chat_report(const ChatRunResult& result);

}  // namespace citadel::bench
