// citadel-cli's friendly commands (say, join, move, ...): each one turned
// into the application message it sends, as the JSON form that JsonCodec
// encodes. Pure functions, unit-tested in tests/client/cli_app_commands_test.cc.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "command_line.h"

namespace citadel::cli {

struct AppRequest {
  uint16_t cmd = 0;
  std::string json;      // the payload's JSON form
  bool one_way = false;  // no reply comes (ArenaInput): sent, not waited for
};

// What the commands need besides the line: the request id to put in the
// payload, and the arena input sequence, which rises by one per `move`.
struct AppCounters {
  uint32_t next_request_id = 1;
  uint32_t next_arena_seq = 1;
};

struct AppParse {
  std::optional<AppRequest> request;  // set on success
  std::string error;                  // else a usage message
};

// nullopt if `line.name` is not one of the friendly commands. A command
// that takes a request id uses counters.next_request_id (the caller
// increments it); `move` takes and advances next_arena_seq itself.
std::optional<AppParse> build_app_request(const CommandLine& line, AppCounters& counters);

// The names build_app_request knows, with their usage, for `help`.
struct AppCommandHelp {
  std::string_view usage;
  std::string_view text;
};
std::span<const AppCommandHelp> app_command_help();

// The `result` field of a reply (AuthReply, ChatReply, RoomReply,
// MatchResult, StorageReply) by its enum name ("Ok", "SessionGone", ...), or "" for other
// cmds or a payload that does not verify.
std::string reply_result_name(uint16_t cmd, std::span<const uint8_t> payload);

}  // namespace citadel::cli
