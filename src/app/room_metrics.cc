#include "app/room_metrics.h"

namespace citadel::app {

void write_room_metrics(ops::admin::MetricsWriter& out, const rooms::RoomStatsSnapshot& s) {
  using ops::admin::MetricType;
  out.gauge("citadel_rooms_open", "Rooms running now.", static_cast<double>(s.rooms_open));
  out.gauge("citadel_room_players", "Seats taken in running rooms.",
            static_cast<double>(s.players));
  out.counter("citadel_room_input_bytes_dropped_total",
              "Payload bytes of room inputs dropped (the room's queue or the player's share full).",
              s.input_bytes_dropped);
  out.gauge("citadel_room_routes",
            "Connections whose inputs are routed to a room (one per connected player).",
            static_cast<double>(s.routes));
  out.counter("citadel_rooms_created_total", "Rooms opened.", s.rooms_created);
  out.counter("citadel_room_faults_total",
              "Rooms closed because their code threw; each fault closes that room alone.",
              s.rooms_faulted);
  out.counter("citadel_room_ticks_total", "Room ticks run (all rooms).", s.ticks);
  out.counter("citadel_room_tick_overruns_total", "Ticks that took longer than their interval.",
              s.tick_overruns);
  out.counter("citadel_room_ticks_skipped_total",
              "Tick slots skipped because the executor was late by a whole interval or more.",
              s.ticks_skipped);
  out.counter("citadel_room_inputs_total", "Inputs queued for rooms.", s.inputs);
  out.counter("citadel_room_inputs_dropped_total",
              "Inputs dropped because the room's input queue, or the player's fair share of it, "
              "was full.",
              s.inputs_dropped);
  out.counter("citadel_room_transfers_total",
              "Players rooms here handed to another room (RoomContext::transfer).", s.transfers);
  out.counter("citadel_room_transfer_inputs_dropped_total",
              "Inputs dropped while a transferred player's route moved (more than 256 held).",
              s.transfer_inputs_dropped);
  out.counter("citadel_room_snapshots_total",
              "Room states handed to the recovery log (recovery.snapshot_every_ticks).",
              s.snapshots);
  out.family("citadel_room_tick_seconds", MetricType::kHistogram,
             "Time one tick took: its queued inputs and on_tick.");
  out.histogram_seconds(s.tick_time);
}

}  // namespace citadel::app
