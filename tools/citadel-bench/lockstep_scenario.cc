#include "lockstep_scenario.h"

#include <fmt/format.h>

#include "json_line.h"
#include "report_rows.h"
#include "room_report.h"
#include "room_run.h"

namespace citadel::bench {

int run_lockstep(const RoomLoadOptions& options, const sockaddr_in& server, std::FILE* csv) {
  RoomRunResult r;
  const int code = run_room_load(options, server, csv, r);
  const ClientCounters& c = r.totals.counters;

  fmt::print(stderr,
             "citadel-bench lockstep  {}:{}  {} players, inputs at {:.0f} Hz, {} thread(s)\n",
             options.common.host, options.common.port, options.common.connections, options.input_hz,
             r.threads);
  print_room_rows(r);
  fmt::print(stderr, "  {:<14} {:.1f} s after {:.1f} s warm-up{}\n", "measured", r.duration_s,
             options.warmup_s, r.interrupted ? " (interrupted)" : "");
  fmt::print(stderr, "  {:<14} {:.2f} per player per second; {} missing, {} out of order\n",
             "frames", pushes_per_player_s(r), r.game.frame_gaps, r.game.frames_out_of_order);
  print_latency_row(r.jitter, "jitter (us)");
  fmt::print(stderr, "  {:<14} {} sent in the window, {} seen in a frame, {} never seen\n",
             "inputs", r.game.inputs_measured, r.latency.count(), r.game.inputs_evicted);
  print_latency_row(r.latency, "input->frame");
  print_cost_rows(r);
  print_error_rows(r.totals);

  JsonLine json;
  json.add("scenario", "lockstep")
      .add("transport", std::string_view(client::transport::to_string(r.options.common.transport)));
  add_room_fields(json, r);
  json.add("frames_per_player_s", pushes_per_player_s(r), 2)
      .add("frames_measured", r.game.pushes_measured)
      .add("frame_gaps", r.game.frame_gaps)
      .add("frames_out_of_order", r.game.frames_out_of_order);
  add_latency_fields(json, r.jitter, "jitter_");
  json.add("inputs_sent", r.game.inputs_measured)
      .add("inputs_framed", r.latency.count())
      .add("inputs_never_framed", r.game.inputs_evicted);
  add_latency_fields(json, r.latency, "input_");
  add_cost_fields(json, r);
  add_outcome_fields(json, r, "bad_frames");
  fmt::print("{}\n", json.str());
  std::fflush(stdout);
  print_no_connection_notice(options.common, c);
  return code;
}

}  // namespace citadel::bench
