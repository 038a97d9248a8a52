#include "session.h"

#include <charconv>
#include <future>
#include <thread>
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

constexpr std::string_view kHelpHead =
    "commands:\n"
    "  connect HOST:PORT   connect; reconnects automatically with backoff, and resumes the "
    "session\n"
    "  connect URL         the same over ws://H:P/, wss://H:P/, tls://H:P or tcp://H:P\n"
    "  ping [TEXT]         PING (TEXT up to 64 bytes); prints the PONG and the round trip\n"
    "  echo TEXT           ECHO; prints what came back\n"
    "  send CMD PAYLOAD    raw message: CMD as 0x0100 or 256; PAYLOAD as hex (de ad be ef)\n"
    "                      or, for application cmds, JSON ({\"request_id\": 1, ...})\n";
constexpr std::string_view kHelpTail =
    "  session             what the client remembers: user, last push id, token or not\n"
    "  sleep MS            pause the script (pushes still print as they arrive)\n"
    "  watch on|off        print pushes as they arrive (on by default)\n"
    "  mute [CMD]          hide pushes of CMD (name or number); alone: list the muted\n"
    "                      (ArenaState and LockstepFrame, 20-30 a second, start muted)\n"
    "  unmute CMD          show them again\n"
    "  close               close the connection (no reconnect)\n"
    "  help                this text\n"
    "  quit                close and exit (so does end of input)";

// Pushes that come many times a second while in a room: hidden until asked for.
constexpr uint16_t kMutedAtStart[] = {proto::cmd::kArenaState, proto::cmd::kLockstepFrame};

std::string help_text() {
  std::string text(kHelpHead);
  constexpr std::size_t kColumn = 20;  // as in kHelpHead
  for (const AppCommandHelp& h : app_command_help()) {
    text += "  ";
    text += h.usage;
    // A long usage gets its text on the next line, in the column.
    text += h.usage.size() < kColumn ? std::string(kColumn - h.usage.size(), ' ')
                                     : "\n" + std::string(kColumn + 2, ' ');
    text += h.text;
    text += "\n";
  }
  text += kHelpTail;
  return text;
}

}  // namespace

Session::Session(Output& out, client::ClientOptions options)
    : out_(out), options_(std::move(options)) {
  io_.call([this] {
    printer_ = std::make_unique<EventPrinter>(out_);
    for (const uint16_t cmd : kMutedAtStart) printer_->set_muted(cmd, true);
    client_ = std::make_unique<client::Client>(io_.io(), options_);
    client_->set_state_handler([this](const client::StateEvent& event) {
      std::string target;
      {
        std::lock_guard lock(mutex_);
        target = target_;
      }
      printer_->state(event, target, client_->remote_address());
      if (event.state == ClientState::kConnected || event.state == ClientState::kDisconnected ||
          event.state == ClientState::kGaveUp) {
        note_settled();  // a connect attempt has an outcome
      }
    });
    client_->set_push_handler([this](const proto::FrameView& frame) { printer_->push(frame); });
    client_->set_session_handler(
        [this](const client::SessionEvent& event) { printer_->session(event); });
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
    std::string why;
    const auto target = client::transport::parse_endpoint(command.rest, options_.transport, &why);
    if (!target) {
      printer_->failed(name,
                       "usage: connect HOST:PORT or URL (e.g. connect 127.0.0.1:7777, "
                       "connect wss://127.0.0.1:7777/): " +
                           why);
    } else {
      connect_and_wait(*target);
    }
  } else if (name == "ping" || name == "echo") {
    send_and_wait(name, name == "ping" ? ReplyStyle::kPing : ReplyStyle::kEcho,
                  name == "ping" ? proto::cmd::kPing : proto::cmd::kEcho,
                  std::vector<uint8_t>(command.rest.begin(), command.rest.end()), std::nullopt);
  } else if (name == "send") {
    send_raw(command);
  } else if (name == "resume") {
    resume_and_wait();
  } else if (name == "session") {
    show_session();
  } else if (name == "sleep") {
    uint32_t ms = 0;
    const std::string& text = command.rest;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || ms > 600'000) {
      printer_->failed(name, "usage: sleep MS (0 to 600000)");
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    }
  } else if (name == "watch") {
    if (command.rest == "on" || command.rest == "off") {
      const bool on = command.rest == "on";
      io_.call([this, on] { printer_->set_watch(on); });
      out_.event(JsonLine("watch").boolean("on", on), on ? "pushes: shown" : "pushes: hidden");
    } else {
      printer_->failed(name, "usage: watch on|off");
    }
  } else if (name == "mute" || name == "unmute") {
    mute(command, name == "mute");
  } else if (name == "close") {
    io_.call([this] { client_->close(); });
  } else if (std::optional<AppParse> app = build_app_request(command, counters_)) {
    if (!app->request) {
      printer_->failed(name, app->error);
    } else {
      send_app(command, *app->request);
    }
  } else {
    printer_->failed(name, "unknown command (try help)");
  }
  return true;
}

void Session::connect_and_wait(const client::transport::Endpoint& target) {
  uint64_t before = 0;
  {
    std::lock_guard lock(mutex_);
    before = settled_events_;
    target_ = target.transport == client::transport::Transport::kTcp
                  ? client::transport::host_port(target)
                  : client::transport::to_url(target);
  }
  io_.post([this, target] { client_->connect(target); });
  std::unique_lock lock(mutex_);
  // Bounded: the client gives up on an attempt after connect_timeout.
  if (!settled_cv_.wait_for(lock, options_.connect_timeout + 2s,
                            [&] { return settled_events_ != before; })) {
    lock.unlock();
    printer_->failed("connect", "no outcome within the connect timeout");
  }
}

void Session::note_settled() {
  {
    std::lock_guard lock(mutex_);
    ++settled_events_;
  }
  settled_cv_.notify_all();
}

void Session::send_raw(const CommandLine& command) {
  const auto [cmd_text, payload_text] = split_first_word(command.rest);
  const std::optional<uint16_t> cmd = parse_cmd(cmd_text);
  if (!cmd) {
    printer_->failed("send",
                     "usage: send CMD PAYLOAD, CMD as 0x0100 or 256, PAYLOAD as hex or JSON");
    return;
  }
  std::vector<uint8_t> payload;
  if (!payload_text.empty() && payload_text.front() == '{') {
    std::string error;
    if (!encode_codec_.to_binary(*cmd, payload_text, payload, error)) {
      printer_->failed("send", "JSON payload for " + cmd_hex(*cmd) + ": " + error);
      return;
    }
  } else if (std::optional<std::vector<uint8_t>> bytes = parse_hex(payload_text)) {
    payload = std::move(*bytes);
  } else {
    printer_->failed("send", "payload is neither hex (e.g. de ad be ef) nor JSON ({...})");
    return;
  }
  if (is_one_way(*cmd)) {
    send_one_way("send", *cmd, std::move(payload), std::string(payload_text));
    return;
  }
  // Matched by position: the request_id (if any) is whatever the user typed.
  send_and_wait("send", ReplyStyle::kRaw, *cmd, std::move(payload), std::nullopt);
}

void Session::send_app(const CommandLine& command, const AppRequest& request) {
  std::vector<uint8_t> payload;
  std::string error;
  if (!encode_codec_.to_binary(request.cmd, request.json, payload, error)) {
    printer_->failed(command.name, error);  // e.g. a device id the schema cannot hold
    return;
  }
  if (request.one_way) {
    send_one_way(command.name, request.cmd, std::move(payload), request.json);
    return;
  }
  const uint32_t request_id = counters_.next_request_id++;
  send_and_wait(command.name, ReplyStyle::kApp, request.cmd, std::move(payload), request_id);
}

void Session::send_and_wait(std::string command, ReplyStyle style, uint16_t cmd,
                            std::vector<uint8_t> payload, std::optional<uint64_t> reply_key) {
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> printed = done->get_future();
  io_.post([this, command, style, cmd, payload = std::move(payload), reply_key, done] {
    client_->request(
        cmd, payload, reply_cmd_for(cmd),
        [this, command, style, cmd, done](const Reply& r) {
          printer_->reply(command, cmd, r, style);
          done->set_value();
        },
        reply_key);
  });
  // The client answers every request within request_timeout (reply, ERROR or
  // a failure), after at most another request_timeout held behind a resume;
  // the margin only guards against a bug turning into a hang.
  if (printed.wait_for(2 * options_.request_timeout + 2s) != std::future_status::ready) {
    printer_->failed(command, "no answer from the client library (bug)");
  }
}

void Session::send_one_way(const std::string& command, uint16_t cmd, std::vector<uint8_t> payload,
                           const std::string& detail) {
  const RequestError result =
      io_.call([this, cmd, &payload] { return client_->send(cmd, payload); });
  if (result != RequestError::kNone) {
    printer_->failed(command, client::to_string(result));
    return;
  }
  const std::string name = cmd_name(cmd);
  JsonLine json("sent");
  json.str("command", command).num("cmd", cmd).str("name", name);
  if (!detail.empty() && detail.front() == '{') json.raw("json", detail);
  out_.event(json, command + ": sent " + (name.empty() ? cmd_hex(cmd) : name) + " " + detail);
}

void Session::resume_and_wait() {
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> printed = done->get_future();
  io_.post([this, done] {
    client_->resume([this, done](const client::AuthOutcome& o) {
      printer_->reply("resume", proto::cmd::kResume, o.reply, ReplyStyle::kApp);
      done->set_value();
    });
  });
  if (printed.wait_for(2 * options_.request_timeout + 2s) != std::future_status::ready) {
    printer_->failed("resume", "no answer from the client library (bug)");
  }
}

void Session::mute(const CommandLine& command, bool muted) {
  const std::string& name = command.name;
  if (command.rest.empty() && muted) {
    const auto list = io_.call([this] { return printer_->muted(); });
    std::string human = "muted:";
    std::string names;
    for (const auto& [cmd, hidden] : list) {
      const std::string n = cmd_name(cmd).empty() ? cmd_hex(cmd) : cmd_name(cmd);
      human += " " + n + " (" + std::to_string(hidden) + " hidden)";
      names += (names.empty() ? "" : ",") + n;
    }
    if (list.empty()) human += " nothing";
    out_.event(JsonLine("muted").str("cmds", names), human);
    return;
  }
  const std::optional<uint16_t> cmd = parse_cmd_or_name(command.rest);
  if (!cmd) {
    printer_->failed(name, "usage: " + name + " CMD (a name such as ArenaState, or 0x0311)");
    return;
  }
  io_.call([this, c = *cmd, muted] { printer_->set_muted(c, muted); });
  const std::string n = cmd_name(*cmd).empty() ? cmd_hex(*cmd) : cmd_name(*cmd);
  out_.event(JsonLine(name).num("cmd", *cmd).str("name", n),
             n + (muted ? ": pushes hidden" : ": pushes shown"));
}

void Session::show_session() {
  const client::SessionInfo s = io_.call([this] { return client_->session(); });
  JsonLine json("session_info");
  json.num("user_id", static_cast<int64_t>(s.user_id)).str("username", s.username);
  json.boolean("logged_in", s.logged_in).boolean("has_token", !s.token.empty());
  json.num("last_push_id", static_cast<int64_t>(s.last_push_id));
  std::string human;
  if (s.token.empty()) {
    human = "session: none";
  } else {
    human = "session: user " + std::to_string(s.user_id) + " " + s.username +
            (s.logged_in ? ", logged in" : ", not logged in on this connection (resumable)") +
            ", last push id " + std::to_string(s.last_push_id);
  }
  out_.event(json, human);
}

void Session::help() {
  const std::string text = help_text();
  out_.human_only(text);
  if (out_.json()) {
    out_.event(JsonLine("help").str("text", text), {});
  }
}

}  // namespace citadel::cli
