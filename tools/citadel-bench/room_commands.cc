#include "room_commands.h"

#include <fmt/format.h>

#include "arena_scenario.h"
#include "lockstep_scenario.h"

namespace citadel::bench {
namespace {

void add_room_options(CLI::App& cmd, RoomLoadOptions& o) {
  cmd.add_option("--players", o.common.connections, "players (the same as --connections)")
      ->check(CLI::Range(1u, 10'000'000u));
  cmd.add_option("--input-hz", o.input_hz, "inputs per second per player")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 1000.0));
  cmd.add_option("--warmup", o.warmup_s, "seconds run but not measured, once every player is in")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  cmd.add_option("--room-type", o.room_type, "room type to join-or-create")->capture_default_str();
  cmd.add_flag("--join-storm", o.join_storm,
               "connect and log in everyone first, then send every RoomJoin within "
               "--join-window seconds; report the joins, then play for --duration");
  cmd.add_option("--join-window", o.join_window_s, "--join-storm: seconds to spread the joins over")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 3600.0));
  cmd.add_option("--join-timeout", o.join_timeout_s,
                 "--join-storm: a join unanswered this long after the window has timed out")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 3600.0));
  cmd.add_option("--server-pid", o.server_pid,
                 "server process: report its CPU time over the window and VmRSS before "
                 "connecting and once everyone is in")
      ->check(CLI::Range(1, 1 << 30));
}

}  // namespace

void add_room_commands(CLI::App& app, RoomCommands& rooms, AddCommonOptions add_common) {
  rooms.arena.common.connections = 1000;
  rooms.arena.common.duration_s = 60;
  rooms.arena.common.connect_rate_per_s = 1000;
  rooms.arena_app = app.add_subcommand(
      "arena",
      "arena demo players: log in, join-or-create arena rooms, send inputs at 20 Hz; "
      "input-to-ack latency, room tick rates");
  add_common(*rooms.arena_app, rooms.arena.common);
  add_room_options(*rooms.arena_app, rooms.arena);

  rooms.lockstep.game = RoomGame::kLockstep;
  rooms.lockstep.room_type = "lockstep";
  rooms.lockstep.input_hz = 10;
  rooms.lockstep.common.connections = 2000;
  rooms.lockstep.common.duration_s = 30;
  rooms.lockstep.common.connect_rate_per_s = 1000;
  rooms.lockstep_app = app.add_subcommand(
      "lockstep",
      "lockstep players: join-or-create lockstep rooms, send small inputs; jitter of frame "
      "arrivals, input-to-frame latency");
  add_common(*rooms.lockstep_app, rooms.lockstep.common);
  add_room_options(*rooms.lockstep_app, rooms.lockstep);
}

std::string RoomCommands::check() const {
  const RoomLoadOptions& o = arena_app->parsed() ? arena : lockstep;
  if (o.room_type.empty()) return "--room-type must not be empty";
  return "";
}

int RoomCommands::run(const sockaddr_in& server, std::FILE* csv, std::string& title) {
  if (arena_app->parsed()) {
    title = fmt::format("citadel-bench arena: {} players (acks/s, input-to-ack latency)",
                        arena.common.connections);
    return run_arena(arena, server, csv);
  }
  title = fmt::format("citadel-bench lockstep: {} players (inputs framed/s, input-to-frame)",
                      lockstep.common.connections);
  return run_lockstep(lockstep, server, csv);
}

}  // namespace citadel::bench
