// Rows and JSON fields that the arena and lockstep reports share: how the
// players got in, the rooms' tick rates, the server's CPU and memory per
// player, and the bench's own load (so a saturated load generator is seen).
#pragma once

#include <string_view>

#include "json_line.h"
#include "room_run.h"

namespace citadel::bench {

// Players connected, logged in, joined; join latency; storm figures; rooms.
void print_room_rows(const RoomRunResult& r);
// Server CPU and RSS per player, the bench's CPU and input lag.
void print_cost_rows(const RoomRunResult& r);
// The same facts as JSON fields, after "scenario".
void add_room_fields(JsonLine& json, const RoomRunResult& r);
void add_cost_fields(JsonLine& json, const RoomRunResult& r);
// The closing JSON fields both reports share: errors, ERROR frames, pushes
// that did not decode (under `bad_pushes_field`), unexpected replies, the
// first server error, interruption and join refusals by result.
void add_outcome_fields(JsonLine& json, const RoomRunResult& r, std::string_view bad_pushes_field);
// p50_us ... mean_us of `h` under `prefix` ("" -> p50_us, "jitter_" -> jitter_p50_us).
void add_latency_fields(JsonLine& json, const Histogram& h, std::string_view prefix);

// Pushes (states or frames) received per player per second in the window.
double pushes_per_player_s(const RoomRunResult& r);

}  // namespace citadel::bench
