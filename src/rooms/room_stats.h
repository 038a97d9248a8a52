// Counters of the rooms on one executor thread. Only that thread writes them
// (relaxed load + store, no locked instruction on the tick path); the admin
// thread sums the executors on each scrape.
#pragma once

#include "net/loop_stats.h"
#include "ops/histogram.h"

namespace citadel::rooms {

struct RoomStats {
  net::RelaxedCounter rooms_open;  // a gauge
  net::RelaxedCounter players;     // a gauge: seats taken in rooms on this executor
  net::RelaxedCounter rooms_created;
  net::RelaxedCounter rooms_faulted;  // closed because room code threw
  net::RelaxedCounter ticks;
  net::RelaxedCounter tick_overruns;  // ticks that took longer than their interval
  net::RelaxedCounter ticks_skipped;  // tick slots missed because the executor was late
  net::RelaxedCounter inputs;
  net::RelaxedCounter inputs_dropped;  // the room's input queue, or the player's share, was full
  net::RelaxedCounter input_bytes_dropped;  // their payload bytes
  net::RelaxedCounter snapshots;            // states handed to the recovery log
  net::RelaxedCounter rooms_restored;       // brought back from it at start
  net::RelaxedCounter transfers;            // players a room here transferred away
  ops::DurationHistogram tick_time;         // on_tick plus the inputs handed over before it
};

struct RoomStatsSnapshot {
  uint64_t rooms_open = 0, players = 0, rooms_created = 0, rooms_faulted = 0;
  uint64_t ticks = 0, tick_overruns = 0, ticks_skipped = 0, inputs = 0, inputs_dropped = 0;
  uint64_t input_bytes_dropped = 0, snapshots = 0, rooms_restored = 0, transfers = 0;
  uint64_t routes = 0;                   // connections routed to a room (set by the room service)
  uint64_t transfer_inputs_dropped = 0;  // held past the caps while a route moved (the same)
  ops::DurationHistogram::Snapshot tick_time;

  void add(const RoomStats& s) {
    rooms_open += s.rooms_open.get();
    players += s.players.get();
    rooms_created += s.rooms_created.get();
    rooms_faulted += s.rooms_faulted.get();
    ticks += s.ticks.get();
    tick_overruns += s.tick_overruns.get();
    ticks_skipped += s.ticks_skipped.get();
    inputs += s.inputs.get();
    inputs_dropped += s.inputs_dropped.get();
    input_bytes_dropped += s.input_bytes_dropped.get();
    snapshots += s.snapshots.get();
    rooms_restored += s.rooms_restored.get();
    transfers += s.transfers.get();
    s.tick_time.add_to(tick_time);
  }
};

}  // namespace citadel::rooms
