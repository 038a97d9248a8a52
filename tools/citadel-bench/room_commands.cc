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
  cmd.add_option("--input-step-us", o.input_step_us,
                 "wake for inputs at most once per this many microseconds, sending every input "
                 "due by then (0: each at its own due time)")
      ->capture_default_str()
      ->check(CLI::Range(0u, 1'000'000u));
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
  cmd.add_option("--also-pid", o.also_pids,
                 "another server process (repeatable; a fleet's gateway and game nodes): its "
                 "CPU time over the window, as also_cpu_s in the JSON line, in this order")
      ->check(CLI::Range(1, 1 << 30));
  cmd.add_flag("--resume", o.resume,
               "arena: a player whose connection drops reconnects (backoff with jitter) and "
               "resumes its session with its token; reports each player's gap between states");
  cmd.add_option("--reconnect-base-ms", o.reconnect_base_ms,
                 "--resume: first backoff cap; each attempt doubles it (full jitter)")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 60'000.0));
  cmd.add_option("--reconnect-max-ms", o.reconnect_max_ms, "--resume: largest backoff cap")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 600'000.0));
  cmd.add_option("--resume-give-up", o.resume_give_up_s,
                 "--resume: seconds after a drop when a player stops trying (lost)")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 3600.0));
  cmd.add_option("--drop-after", o.drop_after_s,
                 "seconds into the window when the bench drops every player's connection itself "
                 "(to try --resume without a server restart); 0: never")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  cmd.add_option("--window-file", o.window_file,
                 "write the measured window's start and end (Unix seconds) to this file once "
                 "it is set, for a script that acts inside it");
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
  if (o.resume && o.game != RoomGame::kArena) return "--resume is for the arena scenario";
  if (o.reconnect_max_ms < o.reconnect_base_ms) {
    return "--reconnect-max-ms must not be below --reconnect-base-ms";
  }
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
