#include "arena_scenario.h"

#include <fmt/format.h>

#include "json_line.h"
#include "report_rows.h"
#include "room_report.h"
#include "room_run.h"

namespace citadel::bench {

int run_arena(const RoomLoadOptions& options, const sockaddr_in& server, std::FILE* csv) {
  RoomRunResult r;
  const int code = run_room_load(options, server, csv, r);
  const ClientCounters& c = r.totals.counters;

  fmt::print(stderr,
             "citadel-bench arena  {}:{}  {} players, inputs at {:.0f} Hz, {} thread(s){}\n",
             options.common.host, options.common.port, options.common.connections, options.input_hz,
             r.threads, options.join_storm ? ", join storm" : "");
  print_room_rows(r);
  fmt::print(stderr, "  {:<14} {:.1f} s after {:.1f} s warm-up{}\n", "measured", r.duration_s,
             options.warmup_s, r.interrupted ? " (interrupted)" : "");
  fmt::print(stderr,
             "  {:<14} {} sent in the window ({} whole run), {} acked in the window, {} "
             "never acked (gave up after {} later inputs)\n",
             "inputs", r.game.inputs_measured, r.game.inputs_sent, r.latency.count(),
             r.game.inputs_evicted, SeqTimeRing::kSlots);
  fmt::print(stderr, "  {:<14} {:.2f} per player per second ({} undecodable, {} other pushes)\n",
             "states", pushes_per_player_s(r), r.game.bad_pushes, r.game.other_pushes);
  print_latency_row(r.latency, "input->ack (us)");
  print_cost_rows(r);
  print_error_rows(r.totals);
  if (r.sessions.unexpected > 0) {
    fmt::print(stderr, "  {:<14} {}\n", "unexpected", r.sessions.unexpected);
  }

  JsonLine json;
  json.add("scenario", "arena")
      .add("transport", std::string_view(client::transport::to_string(r.options.common.transport)));
  add_room_fields(json, r);
  json.add("inputs_sent", r.game.inputs_measured)
      .add("inputs_sent_total", r.game.inputs_sent)
      .add("acks", r.latency.count())
      .add("inputs_never_acked", r.game.inputs_evicted)
      .add("states_per_player_s", pushes_per_player_s(r), 2);
  add_latency_fields(json, r.latency, "");
  add_cost_fields(json, r);
  add_outcome_fields(json, r, "bad_states");
  fmt::print("{}\n", json.str());
  std::fflush(stdout);
  print_no_connection_notice(options.common, c);
  return code;
}

}  // namespace citadel::bench
