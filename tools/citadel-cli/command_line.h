// Parsing of what the user types: one command per line, and the value
// formats the commands take (HOST:PORT, a cmd id, a hex payload). Pure
// functions, unit-tested in tests/client/cli_parse_test.cc.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace citadel::cli {

struct CommandLine {
  std::string name;  // lower-cased first word; empty for a blank line or a comment
  std::string rest;  // everything after the first word, trimmed
};
// Splits "ping hello there" into {"ping", "hello there"}. A line starting
// with '#' is a comment (empty name), so scripts can carry notes.
CommandLine split_command(std::string_view line);

// Splits `rest` at its first run of whitespace: "0x0100 {..}" -> "0x0100", "{..}".
std::pair<std::string_view, std::string_view> split_first_word(std::string_view rest);

struct HostPort {
  std::string host;
  uint16_t port = 0;
};
// "127.0.0.1:7777", "localhost:7777", "[::1]:7777". Port 1..65535.
std::optional<HostPort> parse_host_port(std::string_view text);

// "0x0100", "0X00ff", "256": 0..65535.
std::optional<uint16_t> parse_cmd(std::string_view text);

// Hex digits, optionally separated by spaces ("deadbeef", "de ad be ef");
// an even number of digits. nullopt on anything else.
std::optional<std::vector<uint8_t>> parse_hex(std::string_view text);
std::string to_hex(std::span<const uint8_t> bytes);

// The cmd that answers a request cmd, as docs/protocol.md lists them; nullopt
// if unknown (then whatever frame comes next answers it).
std::optional<uint16_t> reply_cmd_for(uint16_t request_cmd);
// Messages that get no reply at all (ArenaInput, LockstepInput).
bool is_one_way(uint16_t cmd);

// "0x0210".
std::string cmd_hex(uint16_t cmd);
// "PONG", "AuthReply", ...; "" for a cmd without a name.
std::string cmd_name(uint16_t cmd);
// A cmd as a number (see parse_cmd) or by name, any case ("ArenaState", "pong").
std::optional<uint16_t> parse_cmd_or_name(std::string_view text);

}  // namespace citadel::cli
