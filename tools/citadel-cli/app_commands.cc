#include "app_commands.h"

#include <array>
#include <charconv>
#include <cmath>

#include "ops/json_escape.h"
#include "protocol/auth_generated.h"
#include "protocol/chat_generated.h"
#include "protocol/commands.h"
#include "protocol/leaderboard_generated.h"
#include "protocol/rooms_generated.h"
#include "protocol/storage_generated.h"
#include "protocol/verified_payload.h"

namespace citadel::cli {

namespace proto = citadel::protocol;
namespace cmd = citadel::protocol::cmd;

namespace {

// One flat JSON object, fields in the order added.
class JsonObject {
 public:
  JsonObject& str(std::string_view key, std::string_view value) {
    start(key);
    ops::append_json_quoted(text_, value);
    return *this;
  }
  JsonObject& num(std::string_view key, int64_t value) {
    start(key);
    text_ += std::to_string(value);
    return *this;
  }
  JsonObject& real(std::string_view key, float value) {
    start(key);
    std::array<char, 32> buf{};
    const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value);
    text_.append(buf.data(), ec == std::errc() ? end : buf.data());
    return *this;
  }
  // A JSON value written as is (an array, a nested object).
  JsonObject& raw(std::string_view key, std::string_view json) {
    start(key);
    text_ += json;
    return *this;
  }
  JsonObject& boolean(std::string_view key, bool value) {
    start(key);
    text_ += value ? "true" : "false";
    return *this;
  }
  std::string done() const { return text_ + "}"; }

 private:
  void start(std::string_view key) {
    text_ += text_.size() == 1 ? "" : ",";
    ops::append_json_quoted(text_, key);
    text_ += ":";
  }
  std::string text_ = "{";
};

constexpr std::array kHelp = {
    AppCommandHelp{"guest DEVICE_ID", "guest login (device id: 8 to 128 bytes)"},
    AppCommandHelp{"register USER PASSWORD", "create an account and log in"},
    AppCommandHelp{"login USER PASSWORD", "log in"},
    AppCommandHelp{"logout", "end the session (no resume)"},
    AppCommandHelp{"resume", "resume the remembered session now (automatic on reconnect)"},
    AppCommandHelp{"say TEXT", "chat in the world channel"},
    AppCommandHelp{"chat create|join|leave|members CHANNEL", "named channels"},
    AppCommandHelp{"chat send CHANNEL TEXT", "chat in a named channel"},
    AppCommandHelp{"tell USER TEXT", "private message (USER: a name, or #ID)"},
    AppCommandHelp{"online", "how many users are online"},
    AppCommandHelp{"join ROOM_TYPE [ROOM_ID]", "join a room (no id: join-or-create)"},
    AppCommandHelp{"create ROOM_TYPE", "open a new room and join it"},
    AppCommandHelp{"leave", "leave the room"},
    AppCommandHelp{"match ROOM_TYPE MODE SKILL", "queue for a match"},
    AppCommandHelp{"unmatch", "leave the match queue"},
    AppCommandHelp{"move DX DY", "arena input (-1..1 each); the input seq rises by itself"},
    AppCommandHelp{"lb submit BOARD SCORE [SUBSCORE [METADATA]]", "submit a leaderboard score"},
    AppCommandHelp{"lb top|prev BOARD [LIMIT [CURSOR]]",
                   "a page in rank order (prev: the period before the last reset)"},
    AppCommandHelp{"lb around|mine BOARD [LIMIT]", "the records around you; your own record"},
    AppCommandHelp{"lb records BOARD USER_ID...", "these players' records"},
    AppCommandHelp{"lb delete BOARD", "delete your record of the current period"},
    AppCommandHelp{"storage write COLLECTION KEY [@VERSION|@absent] [read=0-2] [write=0-1] JSON",
                   "write one of your storage objects (JSON: an object)"},
    AppCommandHelp{"storage read COLLECTION KEY [#USER_ID]", "read a storage object"},
    AppCommandHelp{"storage delete COLLECTION KEY [@VERSION]", "delete one of your objects"},
    AppCommandHelp{"storage list COLLECTION [#USER_ID] [LIMIT] [CURSOR]",
                   "a page of a user's objects (yours without #USER_ID)"},
};

AppParse usage(std::string_view name) {
  for (const AppCommandHelp& h : kHelp) {
    if (h.usage.substr(0, h.usage.find(' ')) == name) {
      return {std::nullopt, "usage: " + std::string(h.usage)};
    }
  }
  return {std::nullopt, "usage: see help"};
}

AppParse request(uint16_t c, const JsonObject& json) {
  return {AppRequest{c, json.done(), false}, {}};
}

bool valid_words(std::string_view a, std::string_view b) {
  return !a.empty() && !b.empty();
}

std::optional<int64_t> parse_int(std::string_view text, int64_t min, int64_t max) {
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < min || v > max) {
    return std::nullopt;
  }
  return v;
}

std::optional<float> parse_float(std::string_view text) {
  float v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v)) {
    return std::nullopt;
  }
  return v;
}

AppParse chat(const CommandLine& line, uint32_t id) {
  const auto [verb, rest] = split_first_word(line.rest);
  static constexpr std::array<std::pair<std::string_view, uint16_t>, 4> kChannelVerbs = {{
      {"create", cmd::kChatCreate},
      {"join", cmd::kChatJoin},
      {"leave", cmd::kChatLeave},
      {"members", cmd::kChatMembers},
  }};
  for (const auto& [name, c] : kChannelVerbs) {
    if (verb != name) continue;
    const auto [channel, extra] = split_first_word(rest);
    if (channel.empty() || !extra.empty()) return usage("chat");
    return request(c, JsonObject().num("request_id", id).str("channel", channel));
  }
  if (verb == "send") {
    const auto [channel, text] = split_first_word(rest);
    if (!valid_words(channel, text)) return usage("chat");
    return request(cmd::kChatSend,
                   JsonObject().num("request_id", id).str("channel", channel).str("text", text));
  }
  return usage("chat");
}

// lb submit|top|prev|around|mine|records|delete BOARD ...
AppParse leaderboard(const CommandLine& line, uint32_t id) {
  const auto [verb, after_verb] = split_first_word(line.rest);
  const auto [board, rest] = split_first_word(after_verb);
  if (board.empty()) return usage("lb");
  JsonObject json;
  json.num("request_id", id).str("board_id", board);
  const auto [first, more] = split_first_word(rest);
  const auto [second, tail] = split_first_word(more);
  if (verb == "submit") {
    const auto score = parse_int(first, INT64_MIN, INT64_MAX);
    if (!score) return usage("lb");
    json.num("score", *score);
    if (!second.empty()) {
      const auto subscore = parse_int(second, INT64_MIN, INT64_MAX);
      if (!subscore) return usage("lb");
      json.num("subscore", *subscore);
    }
    if (!tail.empty()) json.str("metadata", tail);  // the rest of the line, spaces included
    return request(cmd::kLeaderboardSubmit, json);
  }
  if (verb == "top" || verb == "prev" || verb == "around") {
    if (!first.empty()) {
      const auto limit = parse_int(first, 1, 100);
      if (!limit) return usage("lb");
      json.num("limit", *limit);
    } else {
      json.num("limit", 10);
    }
    if (verb == "around") {
      if (!second.empty()) return usage("lb");
      return request(cmd::kLeaderboardAround, json);
    }
    if (!tail.empty()) return usage("lb");
    if (!second.empty()) json.str("cursor", second);
    if (verb == "prev") json.str("period", "Previous");
    return request(cmd::kLeaderboardTop, json);
  }
  if (verb == "mine") {
    if (!rest.empty()) return usage("lb");
    return request(cmd::kLeaderboardMine, json);
  }
  if (verb == "delete") {
    if (!rest.empty()) return usage("lb");
    return request(cmd::kLeaderboardDelete, json);
  }
  if (verb == "records") {
    std::string ids = "[";
    std::string_view left = rest;
    while (!left.empty()) {
      const auto [word, next] = split_first_word(left);
      const auto user_id = parse_int(word, 1, INT64_MAX);
      if (!user_id) return usage("lb");
      if (ids.size() > 1) ids += ',';
      ids += std::to_string(*user_id);
      left = next;
    }
    if (ids.size() == 1) return usage("lb");
    return request(cmd::kLeaderboardRecords, json.raw("user_ids", ids + "]"));
  }
  return usage("lb");
}

// A JSON array of one object. (Appended, not `"[" + ... + "]"`, which trips
// GCC 12's false-positive -Wrestrict, GCC bug 105329.)
std::string array_of(const JsonObject& item) {
  std::string out = "[";
  out += item.done();
  out += ']';
  return out;
}

// "@7" is version 7; "@absent" (write only) is if_absent.
struct Condition {
  int64_t version = 0;
  bool if_absent = false;
};
std::optional<Condition> parse_condition(std::string_view word, bool absent_allowed) {
  if (word.size() < 2 || word.front() != '@') return std::nullopt;
  if (absent_allowed && word == "@absent") return Condition{0, true};
  const auto version = parse_int(word.substr(1), 1, INT64_MAX);
  if (!version) return std::nullopt;
  return Condition{*version, false};
}

// storage write|read|delete|list: one object per command, in the JSON form
// of storage.fbs (docs/protocol.md, "Storage").
AppParse storage(const CommandLine& line, uint32_t id) {
  const auto [verb, rest] = split_first_word(line.rest);
  if (verb == "write") {
    const auto [collection, after_collection] = split_first_word(rest);
    auto [key, tail] = split_first_word(after_collection);
    if (collection.empty() || key.empty()) return usage("storage");
    JsonObject item;
    item.str("collection", collection).str("key", key);
    // Options until the JSON, which is the rest of the line.
    while (!tail.empty() && tail.front() != '{') {
      const auto [word, more] = split_first_word(tail);
      if (const auto condition = parse_condition(word, true)) {
        if (condition->if_absent) {
          item.boolean("if_absent", true);
        } else {
          item.num("version", condition->version);
        }
      } else if (word.starts_with("read=")) {
        const auto read = parse_int(word.substr(5), 0, 2);
        if (!read) return usage("storage");
        item.num("permission_read", *read);
      } else if (word.starts_with("write=")) {
        const auto write = parse_int(word.substr(6), 0, 1);
        if (!write) return usage("storage");
        item.num("permission_write", *write);
      } else {
        return usage("storage");
      }
      tail = more;
    }
    if (tail.empty()) return usage("storage");
    item.str("value", tail);  // sent as given: the server checks it
    return request(cmd::kStorageWrite,
                   JsonObject().num("request_id", id).raw("objects", array_of(item)));
  }
  if (verb == "read" || verb == "delete") {
    const auto [collection, after_collection] = split_first_word(rest);
    const auto [key, after_key] = split_first_word(after_collection);
    const auto [option, extra] = split_first_word(after_key);
    if (collection.empty() || key.empty() || !extra.empty()) return usage("storage");
    JsonObject item;
    item.str("collection", collection).str("key", key);
    if (!option.empty()) {
      if (verb == "read") {
        const auto user_id =
            option.front() == '#' ? parse_int(option.substr(1), 1, INT64_MAX) : std::nullopt;
        if (!user_id) return usage("storage");
        item.num("user_id", *user_id);
      } else {
        const auto condition = parse_condition(option, false);
        if (!condition) return usage("storage");
        item.num("version", condition->version);
      }
    }
    return request(verb == "read" ? cmd::kStorageRead : cmd::kStorageDelete,
                   JsonObject().num("request_id", id).raw("objects", array_of(item)));
  }
  if (verb == "list") {
    auto [collection, tail] = split_first_word(rest);
    if (collection.empty()) return usage("storage");
    JsonObject json;
    json.num("request_id", id).str("collection", collection);
    while (!tail.empty()) {
      const auto [word, more] = split_first_word(tail);
      if (word.front() == '#') {
        const auto user_id = parse_int(word.substr(1), 1, INT64_MAX);
        if (!user_id) return usage("storage");
        json.num("user_id", *user_id);
      } else if (const auto limit = parse_int(word, 1, 100)) {
        json.num("limit", *limit);
      } else {
        json.str("cursor", word);  // opaque: the server checks it
      }
      tail = more;
    }
    return request(cmd::kStorageList, json);
  }
  return usage("storage");
}

}  // namespace

std::span<const AppCommandHelp> app_command_help() {
  return kHelp;
}

std::optional<AppParse> build_app_request(const CommandLine& line, AppCounters& counters) {
  const std::string& name = line.name;
  const uint32_t id = counters.next_request_id;
  const auto [first, rest] = split_first_word(line.rest);

  if (name == "guest") {
    if (first.empty() || !rest.empty()) return usage(name);
    return request(cmd::kGuestLogin, JsonObject().num("request_id", id).str("device_id", first));
  }
  if (name == "register" || name == "login") {
    // The password is the rest of the line, spaces included.
    if (!valid_words(first, rest)) return usage(name);
    return request(name == "login" ? cmd::kLogin : cmd::kRegister,
                   JsonObject().num("request_id", id).str("username", first).str("password", rest));
  }
  if (name == "logout" || name == "leave" || name == "unmatch" || name == "online") {
    if (!line.rest.empty()) return usage(name);
    const uint16_t c = name == "logout"    ? cmd::kLogout
                       : name == "leave"   ? cmd::kRoomLeave
                       : name == "unmatch" ? cmd::kMatchCancel
                                           : cmd::kChatOnlineCount;
    return request(c, JsonObject().num("request_id", id));
  }
  if (name == "say") {
    if (line.rest.empty()) return usage(name);
    return request(
        cmd::kChatSend,
        JsonObject().num("request_id", id).str("channel", "world").str("text", line.rest));
  }
  if (name == "chat") return chat(line, id);
  if (name == "lb") return leaderboard(line, id);
  if (name == "storage") return storage(line, id);
  if (name == "tell") {
    if (!valid_words(first, rest)) return usage(name);
    JsonObject json;
    json.num("request_id", id);
    if (first.size() > 1 && first.front() == '#') {
      const auto user_id = parse_int(first.substr(1), 1, INT64_MAX);
      if (!user_id) return usage(name);
      json.num("to_user_id", *user_id);
    } else {
      json.str("to_username", first);
    }
    return request(cmd::kChatPrivate, json.str("text", rest));
  }
  if (name == "join") {
    const auto [room_id_text, extra] = split_first_word(rest);
    if (first.empty() || !extra.empty()) return usage(name);
    JsonObject json;
    json.num("request_id", id).str("room_type", first);
    if (!room_id_text.empty()) {
      const auto room_id = parse_int(room_id_text, 1, INT64_MAX);
      if (!room_id) return usage(name);
      json.num("room_id", *room_id);
    }
    return request(cmd::kRoomJoin, json);
  }
  if (name == "create") {
    if (first.empty() || !rest.empty()) return usage(name);
    return request(
        cmd::kRoomJoin,
        JsonObject().num("request_id", id).str("room_type", first).boolean("create", true));
  }
  if (name == "match") {
    const auto [mode, skill_rest] = split_first_word(rest);
    const auto [skill_text, extra] = split_first_word(skill_rest);
    const auto skill = parse_int(skill_text, INT32_MIN, INT32_MAX);
    if (first.empty() || mode.empty() || !skill || !extra.empty()) return usage(name);
    return request(cmd::kMatchFind, JsonObject()
                                        .num("request_id", id)
                                        .str("room_type", first)
                                        .str("mode", mode)
                                        .num("skill", *skill));
  }
  if (name == "move") {
    const auto [dy_text, extra] = split_first_word(rest);
    const auto dx = parse_float(first);
    const auto dy = parse_float(dy_text);
    if (!dx || !dy || !extra.empty()) return usage(name);
    const uint32_t seq = counters.next_arena_seq++;
    AppParse parse =
        request(cmd::kArenaInput, JsonObject().num("seq", seq).real("dx", *dx).real("dy", *dy));
    parse.request->one_way = true;
    return parse;
  }
  return std::nullopt;
}

std::string reply_result_name(uint16_t c, std::span<const uint8_t> payload) {
  switch (c) {
    case cmd::kAuthReply:
      if (const auto* r = proto::verified_root<msg::AuthReply>(payload)) {
        return msg::EnumNameAuthResult(r->result());
      }
      break;
    case cmd::kChatReply:
      if (const auto* r = proto::verified_root<msg::ChatReply>(payload)) {
        return msg::EnumNameChatResult(r->result());
      }
      break;
    case cmd::kRoomReply:
      if (const auto* r = proto::verified_root<msg::RoomReply>(payload)) {
        return msg::EnumNameRoomResult(r->result());
      }
      break;
    case cmd::kMatchResult:
      if (const auto* r = proto::verified_root<msg::MatchResult>(payload)) {
        return msg::EnumNameRoomResult(r->result());
      }
      break;
    case cmd::kLeaderboardReply:
      if (const auto* r = proto::verified_root<msg::LeaderboardReply>(payload)) {
        return msg::EnumNameLeaderboardResult(r->result());
      }
      break;
    case cmd::kStorageReply:
      if (const auto* r = proto::verified_root<msg::StorageReply>(payload)) {
        return msg::EnumNameStorageResult(r->result());
      }
      break;
    default:
      break;
  }
  return {};
}

}  // namespace citadel::cli
