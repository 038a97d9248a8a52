#include "event_printer.h"

#include "app_commands.h"
#include "command_line.h"
#include "protocol/commands.h"
#include "protocol/wire.h"

namespace citadel::cli {

namespace proto = citadel::protocol;
using client::ClientState;
using client::Reply;
using client::RequestError;

namespace {

std::string_view as_text(std::span<const uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::string error_name(uint16_t code) {
  return std::string(proto::to_string(static_cast<proto::ErrorCode>(code)));
}

}  // namespace

EventPrinter::EventPrinter(Output& out) : out_(out) {}

void EventPrinter::reply(std::string_view command, uint16_t sent_cmd, const Reply& reply,
                         ReplyStyle style) {
  if (reply.error == RequestError::kServerError) {
    JsonLine json("error");
    json.str("command", command).num("id", static_cast<int64_t>(reply.id));
    json.num("code", reply.server_error_code)
        .str("name", error_name(reply.server_error_code))
        .str("text", reply.server_error_text);
    out_.event(json, std::string(command) + ": ERROR " + std::to_string(reply.server_error_code) +
                         " " + error_name(reply.server_error_code) + ": " +
                         std::string(reply.server_error_text));
    return;
  }
  if (!reply.ok()) {
    failed(command, client::to_string(reply.error));
    return;
  }
  const std::string_view text = as_text(reply.payload);
  const auto rtt_us = static_cast<int64_t>(reply.rtt.count());
  const std::string name = cmd_name(reply.cmd);
  switch (style) {
    case ReplyStyle::kPing:
    case ReplyStyle::kEcho: {
      const bool ping = style == ReplyStyle::kPing;
      JsonLine json(ping ? "pong" : "echo");
      json.num("id", static_cast<int64_t>(reply.id)).num("rtt_us", rtt_us);
      json.num("len", static_cast<int64_t>(reply.payload.size())).str("hex", to_hex(reply.payload));
      if (is_printable_ascii(text)) json.str("text", text);
      std::string human =
          (ping ? "PONG " : "ECHO ") + std::to_string(reply.payload.size()) + " bytes";
      if (!reply.payload.empty()) {
        human += is_printable_ascii(text) ? " \"" + std::string(text) + "\""
                                          : " " + to_hex(reply.payload);
      }
      out_.event(json, human + " in " + std::to_string(rtt_us) + " us");
      return;
    }
    case ReplyStyle::kRaw: {
      JsonLine json("frame");
      json.num("id", static_cast<int64_t>(reply.id))
          .num("cmd", reply.cmd)
          .str("cmd_hex", cmd_hex(reply.cmd));
      json.num("len", static_cast<int64_t>(reply.payload.size())).str("hex", to_hex(reply.payload));
      json.num("rtt_us", rtt_us);
      std::string human = "reply to " + cmd_hex(sent_cmd) + ": " + cmd_hex(reply.cmd);
      if (!name.empty()) human += " " + name;
      human += ", " + std::to_string(reply.payload.size()) + " bytes in " + std::to_string(rtt_us) +
               " us";
      describe_payload(json, human, reply.cmd, reply.payload);
      out_.event(json, human);
      return;
    }
    case ReplyStyle::kApp: {
      // e.g. say: ChatReply Ok in 85 us: {"request_id": 3}
      JsonLine json("reply");
      json.str("command", command).num("cmd", reply.cmd).str("name", name);
      const std::string result = reply_result_name(reply.cmd, reply.payload);
      if (!result.empty()) json.str("result", result);
      json.num("rtt_us", rtt_us);
      std::string human = std::string(command) + ": " + (name.empty() ? cmd_hex(reply.cmd) : name);
      if (!result.empty()) human += " " + result;
      human += " in " + std::to_string(rtt_us) + " us";
      // Bytes that do not decode are still given to a script, as hex; a
      // person gets their size rather than a screenful of digits.
      std::string described;
      if (describe_payload(json, described, reply.cmd, reply.payload)) {
        human += described;
      } else {
        json.str("hex", to_hex(reply.payload));
        human += ", " + std::to_string(reply.payload.size()) + " bytes";
      }
      out_.event(json, human);
      return;
    }
  }
}

void EventPrinter::push(const proto::FrameView& frame) {
  if (const auto it = muted_.find(frame.cmd); it != muted_.end()) {
    ++it->second;
    return;
  }
  if (!watch_) return;
  JsonLine json("push");
  json.num("cmd", frame.cmd).str("cmd_hex", cmd_hex(frame.cmd));
  const std::string name = cmd_name(frame.cmd);
  if (!name.empty()) json.str("name", name);
  json.num("len", static_cast<int64_t>(frame.payload.size())).str("hex", to_hex(frame.payload));
  std::string human = "push " + cmd_hex(frame.cmd);
  if (!name.empty()) human += " " + name;
  human += ", " + std::to_string(frame.payload.size()) + " bytes";
  describe_payload(json, human, frame.cmd, frame.payload);
  out_.event(json, human);
}

bool EventPrinter::describe_payload(JsonLine& json, std::string& human, uint16_t cmd,
                                    std::span<const uint8_t> payload) {
  if (cmd == proto::cmd::kError) {
    uint16_t code = 0;
    std::string_view text;
    if (!proto::parse_error_payload(payload, code, text)) return false;
    json.num("code", code).str("name", error_name(code)).str("text", text);
    human += ": ERROR " + std::to_string(code) + " " + error_name(code) + ": " + std::string(text);
    return true;
  }
  if (proto::find_message_type(cmd) != nullptr) {
    std::string decoded;
    std::string error;
    if (codec_.to_json(cmd, payload, decoded, error)) {
      json.raw("json", decoded);
      human += ": " + decoded;
      return true;
    }
  }
  if (!payload.empty()) human += ": " + to_hex(payload);
  return false;
}

void EventPrinter::state(const client::StateEvent& event, std::string_view target,
                         std::string_view address) {
  const std::string where(target);
  switch (event.state) {
    case ClientState::kConnecting:
      out_.event(JsonLine("connecting").str("target", target).num("attempt", event.attempt),
                 "connecting to " + where +
                     (event.attempt > 0 ? " (attempt " + std::to_string(event.attempt) + ")"
                                        : std::string()));
      return;
    case ClientState::kConnected: {
      // The transport: a URL target names it ("wss://..."); HOST:PORT is tcp.
      const std::size_t scheme_end = where.find("://");
      const std::string transport =
          scheme_end == std::string::npos ? "tcp" : where.substr(0, scheme_end);
      out_.event(JsonLine("connected")
                     .str("address", address)
                     .boolean("reconnected", event.reconnected)
                     .str("transport", transport),
                 "connected to " + std::string(address) +
                     (transport == "tcp" ? "" : " over " + transport) +
                     (event.reconnected ? " (reconnected)" : ""));
      return;
    }
    case ClientState::kDisconnected:
      out_.event(JsonLine("disconnected").str("reason", event.reason),
                 "disconnected: " + std::string(event.reason));
      return;
    case ClientState::kReconnecting:
      out_.event(JsonLine("reconnecting")
                     .num("attempt", event.attempt)
                     .num("delay_ms", static_cast<int64_t>(event.delay.count())),
                 "reconnecting: attempt " + std::to_string(event.attempt) + " in " +
                     std::to_string(event.delay.count()) + " ms");
      return;
    case ClientState::kGaveUp:
      out_.event(JsonLine("gave_up").num("attempts", event.attempt),
                 "gave up after " + std::to_string(event.attempt) + " reconnect attempts");
      return;
    case ClientState::kIdle:
      return;
  }
}

void EventPrinter::session(const client::SessionEvent& event) {
  const std::string kind(client::to_string(event.kind));
  JsonLine json("session");
  json.str("kind", kind).num("user_id", static_cast<int64_t>(event.user_id));
  json.str("username", event.username);
  std::string human = "session " + kind;
  if (event.user_id != 0) human += ": user " + std::to_string(event.user_id);
  if (!event.username.empty()) {
    human += ' ';
    human += event.username;
  }
  if (event.kind == client::SessionEventKind::kLost) {
    // 0: not refused by an AuthReply (ERROR 11, or an ERROR answering Resume).
    json.str("result", event.auth_result != 0 ? client::auth_result_name(event.auth_result) : "");
    human += " (" + std::string(event.message) + ")";
  }
  if (event.kind == client::SessionEventKind::kResyncRequired) {
    human += " (some missed pushes were dropped: rejoin channels to re-read them)";
  }
  json.str("message", event.message);
  out_.event(json, human);
}

void EventPrinter::failed(std::string_view command, std::string_view reason) {
  out_.event(JsonLine("failed").str("command", command).str("reason", reason),
             std::string(command) + ": " + std::string(reason));
}

void EventPrinter::set_muted(uint16_t cmd, bool muted) {
  if (muted) {
    muted_.try_emplace(cmd, 0);
  } else {
    muted_.erase(cmd);
  }
}

}  // namespace citadel::cli
