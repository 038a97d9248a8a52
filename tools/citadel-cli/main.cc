// citadel-cli: an interactive terminal client for the Citadel server, and a
// scriptable one.
//
//   citadel-cli [--connect HOST:PORT|URL] [--transport tcp|ws|tls|wss] [--tls-ca FILE]
//               [--json] [--timeout-ms N] [--heartbeat-ms N]
//               [--no-reconnect] [--max-tries N] [--backoff-base-ms N] [--backoff-cap-ms N]
//   citadel-cli --admin HOST:PORT [--admin-token T] plugins list|load PATH|rollback TYPE
//   citadel-cli --admin HOST:PORT [--admin-token T] config show|reload
//   citadel-cli --admin HOST:PORT [--admin-token T] conflicts list [LIMIT [AFTER_ID]]|dismiss ID
//   citadel-cli --admin HOST:PORT [--admin-token T] fleet | fleet nodes
//
// The transport is tcp (raw frames) unless --transport or the URL's scheme
// (tcp://, ws://, tls://, wss://) says otherwise. TLS does not verify the
// server's certificate unless --tls-ca FILE is given.
//
// Reads one command per line from stdin (`help` lists them). On a terminal it
// shows a prompt; otherwise it reads a script:
//
//   printf 'ping\nquit\n' | citadel-cli --connect 127.0.0.1:7777 --json
//
// With --json every event is one JSON object on its own line of stdout:
// connecting, connected, disconnected, reconnecting, gave_up, pong, echo,
// frame, reply, sent, error, push, session, session_info, failed, watch,
// mute, unmute, muted, help (docs/client.md lists their fields).
//
// Exit codes: 0 at end of input or `quit` (whatever the commands did),
// 1 bad arguments, 2 a fatal setup error. With --admin: 0 when the admin port
// answered 2xx, 3 when it answered anything else (the body says why), 2 when
// it did not answer.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "admin_request.h"
#include "command_line.h"
#include "output.h"
#include "session.h"

namespace {

using namespace std::chrono_literals;
namespace cli = citadel::cli;

constexpr int kExitBadArguments = 1;

struct Flags {
  std::string connect;
  std::string transport = "tcp";
  std::string tls_ca;
  bool json = false;
  uint32_t timeout_ms = 5000;
  uint32_t heartbeat_ms = 10000;
  bool no_reconnect = false;
  uint32_t max_tries = 0;
  uint32_t backoff_base_ms = 200;
  uint32_t backoff_cap_ms = 10000;
  std::string admin;  // HOST:PORT of an admin port: run one operator command
  std::string admin_token;
  std::vector<std::string> command;
};

citadel::client::ClientOptions client_options(const Flags& f) {
  citadel::client::ClientOptions o;
  o.connect_timeout = std::chrono::milliseconds(f.timeout_ms);
  o.request_timeout = std::chrono::milliseconds(f.timeout_ms);
  o.heartbeat_interval = std::chrono::milliseconds(f.heartbeat_ms);
  o.dead_after = 3 * o.heartbeat_interval;
  o.auto_reconnect = !f.no_reconnect;
  o.backoff.max_tries = f.max_tries;
  o.backoff.base = std::chrono::milliseconds(f.backoff_base_ms);
  o.backoff.cap = std::chrono::milliseconds(f.backoff_cap_ms);
  o.transport = citadel::client::transport::parse_transport(f.transport)
                    .value_or(citadel::client::transport::Transport::kTcp);
  o.tls_ca_file = f.tls_ca;
  return o;
}

// --admin: one request, its body on stdout; exit 0 on a 2xx answer, 3 on
// any other, 1 on bad arguments, 2 when the admin port did not answer.
int run_admin(const Flags& f) {
  if (f.admin.empty()) {
    std::fprintf(stderr, "citadel-cli: a command needs --admin HOST:PORT\n");
    return kExitBadArguments;
  }
  std::string why;
  const cli::AdminCommand command = cli::parse_admin_command(f.command, &why);
  if (command.method.empty()) {
    std::fprintf(stderr, "citadel-cli: %s\n", why.c_str());
    return kExitBadArguments;
  }
  const cli::AdminResult r = cli::send_admin_request(f.admin, f.admin_token, command, f.timeout_ms);
  if (r.status == 0) {
    std::fprintf(stderr, "citadel-cli: %s\n", r.body.c_str());
    return 2;
  }
  std::fwrite(r.body.data(), 1, r.body.size(), stdout);
  if (r.body.empty() || r.body.back() != '\n') std::fputc('\n', stdout);
  return r.status >= 200 && r.status < 300 ? 0 : 3;
}

int run(int argc, char** argv) {
  CLI::App app{"citadel-cli: interactive and scriptable client for the Citadel server"};
  Flags f;
  app.add_option("--connect", f.connect,
                 "connect at start to HOST:PORT, or to a URL: tcp://H:P, ws://H:P/, tls://H:P, "
                 "wss://H:P/");
  app.add_option("--transport", f.transport,
                 "for HOST:PORT targets: tcp (raw frames), ws (WebSocket), tls (frames in TLS) or "
                 "wss (WebSocket in TLS)")
      ->capture_default_str()
      ->check(CLI::IsMember({"tcp", "ws", "tls", "wss"}));
  app.add_option("--tls-ca", f.tls_ca,
                 "tls, wss: verify the server's certificate against this PEM file (and that it "
                 "names the host); without it the certificate is not checked")
      ->check(CLI::ExistingFile);
  app.add_flag("--json", f.json, "one JSON object per event on stdout");
  app.add_option("--timeout-ms", f.timeout_ms, "connect and request timeout")
      ->capture_default_str()
      ->check(CLI::Range(1u, 600'000u));
  app.add_option("--heartbeat-ms", f.heartbeat_ms,
                 "PING interval; no frame for 3 intervals means the peer is dead")
      ->capture_default_str()
      ->check(CLI::Range(10u, 600'000u));
  app.add_flag("--no-reconnect", f.no_reconnect, "do not reconnect after a loss");
  app.add_option("--max-tries", f.max_tries, "reconnect attempts in a row; 0 = forever")
      ->capture_default_str();
  app.add_option("--backoff-base-ms", f.backoff_base_ms, "first reconnect delay ceiling")
      ->capture_default_str()
      ->check(CLI::Range(1u, 3'600'000u));
  app.add_option("--backoff-cap-ms", f.backoff_cap_ms, "largest reconnect delay")
      ->capture_default_str()
      ->check(CLI::Range(1u, 3'600'000u));
  app.add_option("--admin", f.admin,
                 "run one operator command against this admin port (HOST:PORT) and exit: plugins "
                 "list | plugins load PATH | plugins rollback TYPE | config show | config reload | "
                 "conflicts list [LIMIT [AFTER_ID]] | conflicts dismiss ID | fleet | fleet nodes");
  app.add_option("--admin-token", f.admin_token, "the admin port's bearer token (admin.token)");
  app.add_option("command", f.command, "with --admin: the operator command");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : kExitBadArguments;
  }

  if (!f.admin.empty() || !f.command.empty()) return run_admin(f);

  const citadel::client::ClientOptions options = client_options(f);
  std::optional<citadel::client::transport::Endpoint> target;
  if (!f.connect.empty()) {
    std::string why;
    target = citadel::client::transport::parse_endpoint(f.connect, options.transport, &why);
    if (!target) {
      std::fprintf(stderr, "citadel-cli: --connect %s: expected HOST:PORT or a URL (%s)\n",
                   f.connect.c_str(), why.c_str());
      return kExitBadArguments;
    }
  }

  const bool interactive = ::isatty(STDIN_FILENO) == 1;
  cli::Output out(stdout, f.json);
  cli::Session session(out, options);
  if (interactive) out.human_only("citadel-cli: type help for the commands, quit to leave");
  if (target) session.connect_and_wait(*target);

  std::string line;
  for (;;) {
    if (interactive) out.prompt("citadel> ");
    if (!std::getline(std::cin, line)) break;
    if (!session.execute(cli::split_command(line))) break;
  }
  session.shutdown();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "citadel-cli: fatal: %s\n", e.what());
    return 2;
  }
}
