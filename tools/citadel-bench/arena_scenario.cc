#include "arena_scenario.h"

#include <fmt/format.h>

#include "bench_messages.h"
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
  fmt::print(stderr,
             "  {:<14} {} tick numbers missing between a player's states (longest run {})\n",
             "tick gaps", r.game.tick_gaps, r.game.tick_gap_max);
  print_latency_row(r.latency, "input->ack (us)");
  const ResumeCounts& rc = r.resumes;
  if (options.resume) {
    fmt::print(stderr,
               "  {:<14} {} drops, {} reconnects, {} Resume sent ({} Ok; refused: {}), {} "
               "Rejoined, {} back in their room, {} lost ({} gave up)\n",
               "resume", rc.drops, rc.reconnects, r.sessions.resumes_sent, r.sessions.resumes_ok,
               refusals_text(r.sessions.resume_results, auth_result_name), rc.rejoined, rc.resumed,
               rc.drops - rc.resumed, rc.gave_up);
    print_latency_row(r.gaps, "gap (us)");
  }
  if (rc.moved > 0) {
    fmt::print(stderr,
               "  {:<14} {} rooms moved under their players (Rejoined without a drop), {} of "
               "those players saw their room again\n",
               "moved", rc.moved, rc.moved_back);
    print_latency_row(r.moved_gaps, "moved gap (us)");
  }
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
      .add("states_per_player_s", pushes_per_player_s(r), 2)
      .add("tick_gaps", r.game.tick_gaps)
      .add("tick_gap_max", r.game.tick_gap_max);
  add_latency_fields(json, r.latency, "");
  if (options.resume) {
    json.add("drops", rc.drops)
        .add("reconnects", rc.reconnects)
        .add("resumes_sent", r.sessions.resumes_sent)
        .add("resumes_ok", r.sessions.resumes_ok)
        .add("rejoined", rc.rejoined)
        .add("resumed", rc.resumed)
        .add("resume_refused", rc.refused)
        .add("resume_gave_up", rc.gave_up)
        .add("resume_lost", rc.drops - rc.resumed)
        .add_raw("resume_refused_by_result",
                 refusals_json(r.sessions.resume_results, auth_result_name));
    add_latency_fields(json, r.gaps, "gap_");
  }
  json.add("rejoined_total", rc.rejoined).add("moved", rc.moved).add("moved_back", rc.moved_back);
  if (rc.moved > 0) add_latency_fields(json, r.moved_gaps, "moved_gap_");
  add_cost_fields(json, r);
  add_outcome_fields(json, r, "bad_states");
  fmt::print("{}\n", json.str());
  std::fflush(stdout);
  print_no_connection_notice(options.common, c);
  return code;
}

}  // namespace citadel::bench
