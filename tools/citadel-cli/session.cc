#include "session.h"

#include <future>
#include <utility>

#include "protocol/commands.h"
#include "protocol/wire.h"

namespace citadel::cli {

namespace proto = citadel::protocol;
using client::ClientState;
using client::Reply;
using client::RequestError;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view kHelp =
    "commands:\n"
    "  connect HOST:PORT   connect; reconnects automatically with backoff\n"
    "  ping [TEXT]         PING (TEXT up to 64 bytes); prints the PONG and the round trip\n"
    "  echo TEXT           ECHO; prints what came back\n"
    "  send CMD PAYLOAD    raw request: CMD as 0x0100 or 256; PAYLOAD as hex (de ad be ef)\n"
    "                      or, for application cmds, JSON ({\"request_id\": 1, ...})\n"
    "  watch on|off        print pushes as they arrive (on by default)\n"
    "  close               close the connection (no reconnect)\n"
    "  login, chat, join   not supported by this server yet\n"
    "  help                this text\n"
    "  quit                close and exit (so does end of input)";

std::string cmd_hex(uint16_t cmd) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string s = "0x";
  for (int shift = 12; shift >= 0; shift -= 4) s.push_back(kDigits[(cmd >> shift) & 0xF]);
  return s;
}

std::string_view as_text(std::span<const uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// Commands with a name in the protocol tables: "PONG", "AuthReply", ...
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

}  // namespace

Session::Session(Output& out, client::ClientOptions options)
    : out_(out), options_(std::move(options)) {
  io_.call([this] {
    client_ = std::make_unique<client::Client>(io_.io(), options_);
    client_->set_state_handler(
        [this](const client::StateEvent& event) { print_state_in_loop(event); });
    client_->set_push_handler([this](const proto::FrameView& frame) {
      if (watch_.load(std::memory_order_relaxed)) print_push_in_loop(frame);
    });
  });
}

Session::~Session() {
  shutdown();
}

void Session::shutdown() {
  {
    std::lock_guard lock(mutex_);
    if (shut_down_) return;
    shut_down_ = true;
  }
  io_.call([this] {
    client_->close();
    client_.reset();
  });
  io_.stop();
}

bool Session::execute(const CommandLine& command) {
  const std::string& name = command.name;
  if (name.empty()) return true;
  if (name == "quit" || name == "exit") return false;
  if (name == "help" || name == "?") {
    help();
  } else if (name == "connect") {
    const std::optional<HostPort> target = parse_host_port(command.rest);
    if (!target) {
      failed(name, "usage: connect HOST:PORT (e.g. connect 127.0.0.1:7777)");
    } else {
      connect_and_wait(*target);
    }
  } else if (name == "ping") {
    send_and_wait(Kind::kPing, proto::cmd::kPing,
                  std::vector<uint8_t>(command.rest.begin(), command.rest.end()));
  } else if (name == "echo") {
    send_and_wait(Kind::kEcho, proto::cmd::kEcho,
                  std::vector<uint8_t>(command.rest.begin(), command.rest.end()));
  } else if (name == "send") {
    const auto [cmd_text, payload_text] = split_first_word(command.rest);
    const std::optional<uint16_t> cmd = parse_cmd(cmd_text);
    if (!cmd) {
      failed(name, "usage: send CMD PAYLOAD, CMD as 0x0100 or 256, PAYLOAD as hex or JSON");
      return true;
    }
    std::vector<uint8_t> payload;
    if (!payload_text.empty() && payload_text.front() == '{') {
      std::string error;
      if (!encode_codec_.to_binary(*cmd, payload_text, payload, error)) {
        failed(name, "JSON payload for " + cmd_hex(*cmd) + ": " + error);
        return true;
      }
    } else if (std::optional<std::vector<uint8_t>> bytes = parse_hex(payload_text)) {
      payload = std::move(*bytes);
    } else {
      failed(name, "payload is neither hex (e.g. de ad be ef) nor JSON ({...})");
      return true;
    }
    send_and_wait(Kind::kSend, *cmd, std::move(payload));
  } else if (name == "watch") {
    if (command.rest == "on" || command.rest == "off") {
      watch_ = command.rest == "on";
      out_.event(JsonLine("watch").boolean("on", watch_),
                 watch_ ? "pushes: shown" : "pushes: hidden");
    } else {
      failed(name, "usage: watch on|off");
    }
  } else if (name == "close") {
    io_.call([this] { client_->close(); });
  } else if (name == "login" || name == "chat" || name == "join") {
    out_.event(JsonLine("unsupported")
                   .str("command", name)
                   .str("text", "not supported by this server yet"),
               name + ": not supported by this server yet");
  } else {
    failed(name, "unknown command (try help)");
  }
  return true;
}

void Session::connect_and_wait(const HostPort& target) {
  uint64_t before = 0;
  {
    std::lock_guard lock(mutex_);
    before = settled_events_;
    target_ = target.host + ":" + std::to_string(target.port);
  }
  io_.post([this, target] { client_->connect(target.host, target.port); });
  std::unique_lock lock(mutex_);
  // Bounded: the client gives up on an attempt after connect_timeout.
  if (!settled_cv_.wait_for(lock, options_.connect_timeout + 2s,
                            [&] { return settled_events_ != before; })) {
    lock.unlock();
    failed("connect", "no outcome within the connect timeout");
  }
}

void Session::send_and_wait(Kind kind, uint16_t cmd, std::vector<uint8_t> payload) {
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> printed = done->get_future();
  io_.post([this, kind, cmd, payload = std::move(payload), done] {
    client_->request(cmd, payload, reply_cmd_for(cmd), [this, kind, cmd, done](const Reply& r) {
      print_reply_in_loop(kind, cmd, r);
      done->set_value();
    });
  });
  // The client answers every request within request_timeout (reply, ERROR or
  // a failure); the margin only guards against a bug turning into a hang.
  if (printed.wait_for(options_.request_timeout + 2s) != std::future_status::ready) {
    failed(cmd_name(cmd), "no answer from the client library (bug)");
  }
}

void Session::print_reply_in_loop(Kind kind, uint16_t sent_cmd, const Reply& reply) {
  const std::string command = kind == Kind::kPing ? "ping" : kind == Kind::kEcho ? "echo" : "send";
  if (reply.error == RequestError::kServerError) {
    JsonLine json("error");
    json.str("command", command).num("id", static_cast<int64_t>(reply.id));
    json.num("code", reply.server_error_code)
        .str("name", proto::to_string(static_cast<proto::ErrorCode>(reply.server_error_code)))
        .str("text", reply.server_error_text);
    out_.event(
        json,
        command + ": ERROR " + std::to_string(reply.server_error_code) + " " +
            std::string(proto::to_string(static_cast<proto::ErrorCode>(reply.server_error_code))) +
            ": " + std::string(reply.server_error_text));
    return;
  }
  if (!reply.ok()) {
    failed(command, client::to_string(reply.error));
    return;
  }
  const std::string_view text = as_text(reply.payload);
  const auto rtt_us = static_cast<int64_t>(reply.rtt.count());
  if (kind == Kind::kPing || kind == Kind::kEcho) {
    JsonLine json(kind == Kind::kPing ? "pong" : "echo");
    json.num("id", static_cast<int64_t>(reply.id)).num("rtt_us", rtt_us);
    json.num("len", static_cast<int64_t>(reply.payload.size())).str("hex", to_hex(reply.payload));
    if (is_printable_ascii(text)) json.str("text", text);
    std::string human =
        (kind == Kind::kPing ? "PONG " : "ECHO ") + std::to_string(reply.payload.size()) + " bytes";
    if (!reply.payload.empty()) {
      human +=
          is_printable_ascii(text) ? " \"" + std::string(text) + "\"" : " " + to_hex(reply.payload);
    }
    out_.event(json, human + " in " + std::to_string(rtt_us) + " us");
    return;
  }
  JsonLine json("frame");
  json.num("id", static_cast<int64_t>(reply.id))
      .num("cmd", reply.cmd)
      .str("cmd_hex", cmd_hex(reply.cmd));
  json.num("len", static_cast<int64_t>(reply.payload.size())).str("hex", to_hex(reply.payload));
  json.num("rtt_us", rtt_us);
  std::string human = "reply to " + cmd_hex(sent_cmd) + ": " + cmd_hex(reply.cmd);
  if (std::string name = cmd_name(reply.cmd); !name.empty()) human += " " + name;
  human +=
      ", " + std::to_string(reply.payload.size()) + " bytes in " + std::to_string(rtt_us) + " us";
  describe_payload_in_loop(json, human, reply.cmd, reply.payload);
  out_.event(json, human);
}

void Session::print_push_in_loop(const proto::FrameView& frame) {
  JsonLine json("push");
  json.num("cmd", frame.cmd).str("cmd_hex", cmd_hex(frame.cmd));
  json.num("len", static_cast<int64_t>(frame.payload.size())).str("hex", to_hex(frame.payload));
  std::string human = "push " + cmd_hex(frame.cmd);
  if (std::string name = cmd_name(frame.cmd); !name.empty()) human += " " + name;
  human += ", " + std::to_string(frame.payload.size()) + " bytes";
  describe_payload_in_loop(json, human, frame.cmd, frame.payload);
  out_.event(json, human);
}

void Session::describe_payload_in_loop(JsonLine& json, std::string& human, uint16_t cmd,
                                       std::span<const uint8_t> payload) {
  if (cmd == proto::cmd::kError) {
    uint16_t code = 0;
    std::string_view text;
    if (proto::parse_error_payload(payload, code, text)) {
      const std::string_view name = proto::to_string(static_cast<proto::ErrorCode>(code));
      json.num("code", code).str("name", name).str("text", text);
      human +=
          ": ERROR " + std::to_string(code) + " " + std::string(name) + ": " + std::string(text);
    }
    return;
  }
  if (proto::find_message_type(cmd) != nullptr) {
    std::string decoded;
    std::string error;
    if (decode_codec_.to_json(cmd, payload, decoded, error)) {
      json.raw("json", decoded);
      human += ": " + decoded;
      return;
    }
  }
  if (!payload.empty()) human += ": " + to_hex(payload);
}

void Session::print_state_in_loop(const client::StateEvent& event) {
  std::string target;
  {
    std::lock_guard lock(mutex_);
    target = target_;
  }
  switch (event.state) {
    case ClientState::kConnecting:
      out_.event(JsonLine("connecting").str("target", target).num("attempt", event.attempt),
                 "connecting to " + target +
                     (event.attempt > 0 ? " (attempt " + std::to_string(event.attempt) + ")"
                                        : std::string()));
      return;
    case ClientState::kConnected: {
      const std::string address = client_->remote_address();
      out_.event(
          JsonLine("connected").str("address", address).boolean("reconnected", event.reconnected),
          "connected to " + address + (event.reconnected ? " (reconnected)" : ""));
      break;
    }
    case ClientState::kDisconnected:
      out_.event(JsonLine("disconnected").str("reason", event.reason),
                 "disconnected: " + std::string(event.reason));
      break;
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
      break;
    case ClientState::kIdle:
      return;
  }
  // Connected, disconnected or gave up: a connect attempt has an outcome.
  {
    std::lock_guard lock(mutex_);
    ++settled_events_;
  }
  settled_cv_.notify_all();
}

void Session::failed(std::string_view command, std::string_view reason) {
  out_.event(JsonLine("failed").str("command", command).str("reason", reason),
             std::string(command) + ": " + std::string(reason));
}

void Session::help() {
  out_.human_only(kHelp);
  if (out_.json()) {
    out_.event(JsonLine("help").str("text", kHelp), {});
  }
}

}  // namespace citadel::cli
