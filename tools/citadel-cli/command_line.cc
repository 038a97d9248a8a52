#include "command_line.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "protocol/commands.h"
#include "protocol/wire.h"

namespace citadel::cli {

namespace proto = citadel::protocol;

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::pair<std::string_view, std::string_view> split_first_word(std::string_view rest) {
  rest = trim(rest);
  const auto end = std::find_if(rest.begin(), rest.end(), is_space);
  const std::string_view first(rest.data(), static_cast<std::size_t>(end - rest.begin()));
  return {first, trim(rest.substr(first.size()))};
}

CommandLine split_command(std::string_view line) {
  line = trim(line);
  if (line.empty() || line.front() == '#') return {};
  const auto [first, rest] = split_first_word(line);
  CommandLine out;
  out.name.assign(first);
  std::transform(out.name.begin(), out.name.end(), out.name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  out.rest.assign(rest);
  return out;
}

std::optional<HostPort> parse_host_port(std::string_view text) {
  text = trim(text);
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
      port > 65535 || host.empty()) {
    return std::nullopt;
  }
  return HostPort{std::string(host), static_cast<uint16_t>(port)};
}

std::optional<uint16_t> parse_cmd(std::string_view text) {
  text = trim(text);
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    text.remove_prefix(2);
    base = 16;
  }
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value > 0xFFFF) {
    return std::nullopt;
  }
  return static_cast<uint16_t>(value);
}

std::optional<std::vector<uint8_t>> parse_hex(std::string_view text) {
  std::vector<uint8_t> out;
  int high = -1;
  for (const char c : text) {
    if (is_space(c)) {
      if (high >= 0) return std::nullopt;  // a byte split by a space
      continue;
    }
    const int d = hex_digit(c);
    if (d < 0) return std::nullopt;
    if (high < 0) {
      high = d;
    } else {
      out.push_back(static_cast<uint8_t>(high * 16 + d));
      high = -1;
    }
  }
  if (high >= 0) return std::nullopt;
  return out;
}

std::string to_hex(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xF]);
  }
  return out;
}

std::optional<uint16_t> reply_cmd_for(uint16_t request_cmd) {
  switch (request_cmd) {
    case proto::cmd::kPing:
      return proto::cmd::kPong;
    case proto::cmd::kEcho:
      return proto::cmd::kEcho;
    case proto::cmd::kGuestLogin:
    case proto::cmd::kRegister:
    case proto::cmd::kLogin:
    case proto::cmd::kResume:
    case proto::cmd::kLogout:
      return proto::cmd::kAuthReply;
    case proto::cmd::kChatCreate:
    case proto::cmd::kChatJoin:
    case proto::cmd::kChatLeave:
    case proto::cmd::kChatSend:
    case proto::cmd::kChatPrivate:
    case proto::cmd::kChatMembers:
    case proto::cmd::kChatOnlineCount:
      return proto::cmd::kChatReply;
    case proto::cmd::kRoomJoin:
    case proto::cmd::kRoomLeave:
    case proto::cmd::kMatchFind:
    case proto::cmd::kMatchCancel:
      return proto::cmd::kRoomReply;
    case proto::cmd::kStorageRead:
    case proto::cmd::kStorageWrite:
    case proto::cmd::kStorageDelete:
    case proto::cmd::kStorageList:
      return proto::cmd::kStorageReply;
    case proto::cmd::kLeaderboardSubmit:
    case proto::cmd::kLeaderboardTop:
    case proto::cmd::kLeaderboardAround:
    case proto::cmd::kLeaderboardRecords:
    case proto::cmd::kLeaderboardMine:
    case proto::cmd::kLeaderboardDelete:
      return proto::cmd::kLeaderboardReply;
    default:
      return std::nullopt;
  }
}

bool is_one_way(uint16_t cmd) {
  return cmd == proto::cmd::kArenaInput || cmd == proto::cmd::kLockstepInput;
}

std::string cmd_hex(uint16_t cmd) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string s = "0x";
  for (int shift = 12; shift >= 0; shift -= 4) s.push_back(kDigits[(cmd >> shift) & 0xF]);
  return s;
}

std::string cmd_name(uint16_t cmd) {
  switch (cmd) {
    case proto::cmd::kPing:
      return "PING";
    case proto::cmd::kPong:
      return "PONG";
    case proto::cmd::kEcho:
      return "ECHO";
    case proto::cmd::kError:
      return "ERROR";
    default:
      break;
  }
  if (const proto::MessageType* type = proto::find_message_type(cmd)) {
    return std::string(type->table);
  }
  return {};
}

std::optional<uint16_t> parse_cmd_or_name(std::string_view text) {
  text = trim(text);
  if (const std::optional<uint16_t> number = parse_cmd(text)) return number;
  const auto same = [](std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) ==
                    std::tolower(static_cast<unsigned char>(y));
           });
  };
  for (const uint16_t c :
       {proto::cmd::kPing, proto::cmd::kPong, proto::cmd::kEcho, proto::cmd::kError}) {
    if (same(text, cmd_name(c))) return c;
  }
  for (const proto::MessageType& type : proto::message_types()) {
    if (same(text, type.table)) return type.cmd;
  }
  return std::nullopt;
}

}  // namespace citadel::cli
