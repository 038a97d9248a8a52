// The `arena` and `lockstep` subcommands: their options (room_options.h) on
// the command line, their checks, and the run. Kept out of main.cc so the
// room scenarios add a few lines there, not a screenful.
#pragma once

#include <netinet/in.h>

#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "room_options.h"

namespace citadel::bench {

struct RoomCommands {
  RoomLoadOptions arena;
  RoomLoadOptions lockstep;
  CLI::App* arena_app = nullptr;
  CLI::App* lockstep_app = nullptr;

  bool parsed() const { return arena_app->parsed() || lockstep_app->parsed(); }
  // The parsed subcommand's options (parsed() must hold).
  RoomLoadOptions& selected() { return arena_app->parsed() ? arena : lockstep; }
  // Checks CLI11 cannot do alone; "" if fine.
  std::string check() const;
  // Runs the parsed scenario; sets `title` for --plot.
  int run(const sockaddr_in& server, std::FILE* csv, std::string& title);
};

using AddCommonOptions = void (*)(CLI::App&, CommonOptions&);

// Adds both subcommands to `app`; `add_common` adds --host, --port, ... .
void add_room_commands(CLI::App& app, RoomCommands& rooms, AddCommonOptions add_common);

}  // namespace citadel::bench
