// Rows of the end-of-run summary that every scenario prints the same way
// (stderr), and the JSON fields they share. Defined in report.cc.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "bench_messages.h"
#include "histogram.h"
#include "json_line.h"
#include "options.h"
#include "stats_board.h"

namespace citadel::bench {

// "  <label>  p50 .. p90 .. p99 .. p99.9 .. max .. mean .." in microseconds.
void print_latency_row(const Histogram& h, std::string_view label);
// Error counts, disconnects, the first ERROR frame, server PINGs.
void print_error_rows(const WorkerSnapshot& totals);
void print_connect_row(const CommonOptions& o, const ClientCounters& c, double connect_s);
// Says so on stderr when not a single connection could be made.
void print_no_connection_notice(const CommonOptions& o, const ClientCounters& c);
// first_error_code / first_error_text (null when none).
void add_first_error(JsonLine& json, const ServerError& e);

// Replies counted by result code (AuthResult or ChatResult; slot 0 is Ok).
using ResultCounts = std::array<uint64_t, kResultSlots>;
using ResultNamer = std::string_view (*)(uint16_t);
// The refusals (every code but Ok): "ServerBusy 3, InternalError 1", or "none".
std::string refusals_text(const ResultCounts& counts, ResultNamer name);
// The same as a JSON object: {"ServerBusy":3,"InternalError":1}.
std::string refusals_json(const ResultCounts& counts, ResultNamer name);
uint64_t refusals_total(const ResultCounts& counts);

}  // namespace citadel::bench
