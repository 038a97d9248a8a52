// citadel-bench: load generator for the Citadel server.
//
//   citadel-bench echo --host H --port P --connections 64 --depth 16 --payload 64
//                      --duration 10 --warmup 2 --threads 1 [--cmd echo|ping] [--csv F]
//                      [--plot F.png] [--quiet]
//   citadel-bench hold --host H --port P --connections 19000 --ping-interval 5
//                      --duration 30 --connect-rate 5000 --threads 1 [--server-pid PID]
//                      [--csv F] [--plot F.png] [--quiet]
//   citadel-bench login --host H --port P --connections 64 --duration 10 --warmup 1
//                       [--storm] [--server-pid PID] [--threads 1] [--csv F] [--plot F.png]
//   citadel-bench chat  --host H --port P --connections 1000 --senders 1 --rate 10
//                       [--messages N] [--warmup-messages W] [--text-bytes 64] [--gap-ms 10]
//                       [--drain-timeout 10] [--channel world] [--server-pid PID] ...
//   citadel-bench arena    --host H --port P --players 1000 --input-hz 20 --duration 60
//                          --warmup 2 --connect-rate 1000 [--join-storm [--join-window 1]
//                          [--join-timeout 10]] [--room-type arena] [--server-pid PID] ...
//   citadel-bench lockstep --host H --port P --players 2000 --input-hz 10 --duration 30 ...
//   citadel-bench leaderboard --host H --port P --connections 1000 --depth 4 --board bench
//                             --duration 10 --warmup 2 [--threads 1] [--server-pid PID] ...
//   citadel-bench storage --host H --port P --connections 1000 --depth 4 [--read-ratio 0]
//                         [--keys 1] [--collection bench] --duration 10 --warmup 2 ...
//
// Every scenario runs over any transport of the game port: --transport
// tcp|ws|tls|wss (default tcp), or --url ws://H:P/ (tcp://, ws://, tls://,
// wss://) in place of --host and --port. TLS does not verify the server's
// certificate unless --tls-ca FILE is given (then the chain must verify
// against FILE and the certificate must name --host).
//
// Exit codes: 0 the run completed (errors it counted are in the report; a run
// cut short by Ctrl-C also reports, with "interrupted":true), 1 bad arguments
// (also: --plot without gnuplot installed), 2 no connection could be opened,
// 3 the bench itself could not set up, 4 the run completed but --plot could
// not draw it. Scripts depend on this interface and on the JSON line; extend
// it, do not change it.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "chat_scenario.h"
#include "chat_text.h"
#include "client/transport/endpoint.h"
#include "client/transport/tls_client_context.h"
#include "echo_scenario.h"
#include "hold_scenario.h"
#include "interrupt.h"
#include "leaderboard_scenario.h"
#include "login_scenario.h"
#include "options.h"
#include "plot.h"
#include "protocol/wire.h"
#include "room_commands.h"
#include "storage_scenario.h"
#include "system_info.h"

namespace citadel::bench {
namespace {

namespace proto = citadel::protocol;

constexpr int kExitBadArguments = 1;
constexpr int kExitPlotFailed = 4;
// More than this many requests in flight per connection only fills buffers.
constexpr uint32_t kMaxDepth = 4096;
constexpr uint32_t kMaxThreads = 64;
// Leaderboard and storage replies are matched by a look over the connection's slots.
constexpr uint32_t kMaxBoardDepth = 256;

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

// Set by --url (one per subcommand; only the parsed one is read).
std::string g_url;

void add_common_options(CLI::App& cmd, CommonOptions& o) {
  cmd.add_option("--host", o.host, "server address (IPv4)")->capture_default_str();
  cmd.add_option("--port", o.port, "server TCP port (required unless --url)")
      ->check(CLI::Range(1, 65535));
  cmd.add_option("--also-port", o.also_ports,
                 "another server port on --host (tcp only; repeatable): connections go round "
                 "robin over --port and these, e.g. players spread over a fleet's gateways")
      ->check(CLI::Range(1, 65535));
  cmd.add_option("--transport", o.transport_name,
                 "tcp (raw frames), ws (WebSocket), tls (frames in TLS) or wss (WebSocket in TLS)")
      ->capture_default_str()
      ->check(CLI::IsMember({"tcp", "ws", "tls", "wss"}));
  cmd.add_option("--url", g_url,
                 "the server as a URL instead of --host/--port/--transport: tcp://H:P, ws://H:P/, "
                 "tls://H:P or wss://H:P/ (a ws path is the upgrade's request target)");
  cmd.add_option("--tls-ca", o.tls_ca_file,
                 "tls, wss: verify the server's certificate against this PEM file (and that it "
                 "names --host); without it the certificate is not checked")
      ->check(CLI::ExistingFile);
  cmd.add_option("--connections", o.connections, "connections to open")
      ->capture_default_str()
      ->check(CLI::Range(1u, 10'000'000u));
  cmd.add_option("--threads", o.threads, "worker threads (one epoll loop each)")
      ->capture_default_str()
      ->check(CLI::Range(1u, kMaxThreads));
  cmd.add_option("--duration", o.duration_s, "seconds to run (measured / held)")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 86400.0));
  cmd.add_option("--connect-rate", o.connect_rate_per_s, "new connections per second")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 1e7));
  cmd.add_option("--csv", o.csv_path,
                 "write one row per second: second,requests,rps,p50_us,p99_us,connected,errors "
                 "(requests per second; connected now; errors since start)");
  cmd.add_option("--plot", o.plot_path,
                 "draw requests/s and p50/p99 latency per second to this PNG with gnuplot "
                 "(Debian package gnuplot-nox); uses the --csv rows, or a temp CSV");
  cmd.add_flag("--quiet", o.quiet, "no progress line on stderr");
}

// Checks what CLI11 cannot check alone. Returns an error message, or "".
std::string check_fd_budget(const CommonOptions& o) {
  const uint64_t limit = raise_fd_limit();
  const uint64_t reserved = kReservedFds + o.threads;  // plus one epoll set per thread
  const uint64_t usable = limit > reserved ? limit - reserved : 0;
  if (o.connections <= usable) return "";
  const uint64_t processes = (o.connections + usable - 1) / std::max<uint64_t>(usable, 1);
  return fmt::format(
      "--connections {} needs more file descriptors than this process may open "
      "(RLIMIT_NOFILE {}, {} kept in reserve): at most {} connections per process. "
      "Run {} citadel-bench processes with --connections {} each instead.",
      o.connections, limit, reserved, usable, processes,
      (o.connections + processes - 1) / std::max<uint64_t>(processes, 1));
}

int fail(const std::string& message) {
  fmt::print(stderr, "citadel-bench: error: {}\n", message);
  return kExitBadArguments;
}

// Applies --url, then builds what the handshakes need. An error message, or "".
std::string set_up_transport(CommonOptions& o) {
  namespace tr = client::transport;
  o.transport = tr::parse_transport(o.transport_name).value_or(tr::Transport::kTcp);
  if (!g_url.empty()) {
    std::string why;
    const auto endpoint = tr::parse_endpoint(g_url, o.transport, &why);
    if (!endpoint) return "--url " + g_url + ": " + why;
    if (g_url.find("://") == std::string::npos) {
      return "--url " + g_url + ": expected a URL such as ws://127.0.0.1:7777/";
    }
    o.host = endpoint->host;
    o.port = endpoint->port;
    o.transport = endpoint->transport;
    o.ws_path = endpoint->path;
  }
  if (o.port == 0) return "--port (or --url) is required";
  if (!o.also_ports.empty() && o.transport != tr::Transport::kTcp) {
    return "--also-port is for --transport tcp";
  }
  if (!o.tls_ca_file.empty() && !tr::uses_tls(o.transport)) {
    return "--tls-ca is for --transport tls or wss";
  }
  if (o.transport == tr::Transport::kTcp) return "";
  auto settings = std::make_shared<tr::StreamSettings>();
  settings->transport = o.transport;
  settings->host = tr::host_port({o.transport, o.host, o.port, o.ws_path});
  settings->path = o.ws_path;
  if (tr::uses_tls(o.transport)) {
    if (auto problem = tr::make_client_context({o.tls_ca_file, o.host}, settings->tls_context)) {
      return *problem;
    }
  }
  o.stream = std::move(settings);
  return "";
}

int run(int argc, char** argv) {
  CLI::App app{
      "citadel-bench: load generator for the Citadel server (frames over tcp, ws, tls or wss)"};
  app.require_subcommand(1);

  EchoOptions echo;
  std::string echo_cmd = "echo";
  CLI::App* echo_app =
      app.add_subcommand("echo", "keep --depth requests in flight per connection; measure latency");
  add_common_options(*echo_app, echo.common);
  echo_app->add_option("--depth", echo.depth, "requests in flight per connection")
      ->capture_default_str()
      ->check(CLI::Range(1u, kMaxDepth));
  echo_app->add_option("--payload", echo.payload_bytes, "request payload bytes")
      ->capture_default_str()
      ->check(CLI::Range(0u, proto::kDefaultMaxPayloadBytes));
  echo_app->add_option("--warmup", echo.warmup_s, "seconds run but not measured")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  echo_app->add_option("--cmd", echo_cmd, "request type: echo (ECHO) or ping (PING/PONG)")
      ->capture_default_str()
      ->check(CLI::IsMember({"echo", "ping"}));

  HoldOptions hold;
  hold.common.connections = 19000;
  hold.common.duration_s = 30;
  CLI::App* hold_app =
      app.add_subcommand("hold", "open many idle connections that PING now and then; hold them");
  add_common_options(*hold_app, hold.common);
  hold_app
      ->add_option("--ping-interval", hold.ping_interval_s, "seconds between PINGs per connection")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 3600.0));
  hold_app
      ->add_option("--server-pid", hold.server_pid,
                   "server process: report its VmRSS before and after connecting")
      ->check(CLI::Range(1, 1 << 30));

  LoginOptions login;
  CLI::App* login_app = app.add_subcommand(
      "login",
      "guest logins, each a new account: persistent connections looping Logout+GuestLogin, "
      "or (--storm) new connections that log in once and hold");
  add_common_options(*login_app, login.common);
  login_app->add_option("--warmup", login.warmup_s, "seconds run but not measured")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  login_app->add_flag("--storm", login.storm,
                      "each connection logs in once on connect and holds; --duration is the hold "
                      "after every login has an outcome");
  login_app
      ->add_option("--server-pid", login.server_pid,
                   "server process: report its CPU time (and, with --storm, VmRSS before and "
                   "after the logins)")
      ->check(CLI::Range(1, 1 << 30));

  ChatOptions chat;
  chat.common.connections = 1000;
  CLI::App* chat_app = app.add_subcommand(
      "chat", "users log in and join a channel; senders chat; time every member's receipt");
  add_common_options(*chat_app, chat.common);
  chat_app->add_option("--senders", chat.senders, "users that send (in turn)")
      ->capture_default_str()
      ->check(CLI::Range(1u, 10'000'000u));
  chat_app
      ->add_option("--rate", chat.rate,
                   "messages per second, all senders together; 0 = one at a time, each after "
                   "the previous reached everyone (needs --messages)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e6));
  chat_app
      ->add_option("--messages", chat.messages,
                   "stop after this many messages, once all are delivered (0: send for --duration)")
      ->capture_default_str()
      ->check(CLI::Range(0u, 10'000'000u));
  chat_app
      ->add_option("--warmup-messages", chat.warmup_messages,
                   "the first messages are sent but left out of the figures")
      ->capture_default_str()
      ->check(CLI::Range(0u, 10'000'000u));
  chat_app->add_option("--text-bytes", chat.text_bytes, "message text length")
      ->capture_default_str()
      ->check(CLI::Range(static_cast<uint32_t>(kMaxChatTagBytes), 65536u));
  chat_app
      ->add_option("--gap-ms", chat.gap_ms,
                   "--rate 0: pause between one message reaching everyone and the next")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 60000.0));
  chat_app
      ->add_option("--drain-timeout", chat.drain_timeout_s,
                   "seconds to wait for a message to reach everyone before counting it lost")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 3600.0));
  chat_app->add_option("--channel", chat.channel, "channel to send to (every user is in world)")
      ->capture_default_str();
  chat_app
      ->add_option("--server-pid", chat.server_pid,
                   "server process: report its CPU time while messages flow")
      ->check(CLI::Range(1, 1 << 30));
  chat_app
      ->add_option("--also-pid", chat.also_pids,
                   "another server process (repeatable; a fleet's other nodes): its CPU time "
                   "while messages flow, as also_cpu_s in the JSON line, in this order")
      ->check(CLI::Range(1, 1 << 30));

  LeaderboardOptions board;
  board.common.connections = 1000;
  CLI::App* board_app = app.add_subcommand(
      "leaderboard",
      "players log in as guests, then each keeps --depth LeaderboardSubmit requests in flight "
      "to one board (a random score each); measure submits/s and latency");
  add_common_options(*board_app, board.common);
  board_app->add_option("--depth", board.depth, "submits in flight per connection")
      ->capture_default_str()
      ->check(CLI::Range(1u, kMaxBoardDepth));
  board_app->add_option("--board", board.board, "board id (must exist on the server)")
      ->capture_default_str();
  board_app->add_option("--warmup", board.warmup_s, "seconds run but not measured")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  board_app
      ->add_option("--server-pid", board.server_pid,
                   "server process: report its CPU time over the measured window")
      ->check(CLI::Range(1, 1 << 30));
  board_app
      ->add_option("--rate", board.rate,
                   "open loop: submits/s offered over all players, timed from their scheduled "
                   "send (0: closed loop, --depth in flight each)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e8));

  StorageOptions storage;
  storage.common.connections = 1000;
  CLI::App* storage_app = app.add_subcommand(
      "storage",
      "players log in as guests, then each keeps --depth storage requests in flight on its own "
      "objects (StorageWrite of a ~100-byte JSON object, StorageRead with --read-ratio); "
      "measure ops/s and latency");
  add_common_options(*storage_app, storage.common);
  storage_app->add_option("--depth", storage.depth, "requests in flight per connection")
      ->capture_default_str()
      ->check(CLI::Range(1u, kMaxBoardDepth));
  storage_app
      ->add_option("--read-ratio", storage.read_ratio,
                   "share of the requests that are StorageRead (0: writes only, 1: reads only)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  storage_app
      ->add_option("--keys", storage.keys, "objects per player, written and read round robin")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1000u));
  storage_app->add_option("--collection", storage.collection, "collection of the objects")
      ->capture_default_str();
  storage_app->add_option("--warmup", storage.warmup_s, "seconds run but not measured")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  storage_app
      ->add_option("--server-pid", storage.server_pid,
                   "server process: report its CPU time over the measured window")
      ->check(CLI::Range(1, 1 << 30));
  storage_app
      ->add_option("--rate", storage.rate,
                   "open loop: requests/s offered over all players, timed from their scheduled "
                   "send (0: closed loop, --depth in flight each)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e8));

  RoomCommands rooms;  // arena, lockstep
  add_room_commands(app, rooms, add_common_options);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help, or the error with a usage hint
    return code == 0 ? 0 : kExitBadArguments;
  }

  CommonOptions& common = echo_app->parsed()      ? echo.common
                          : hold_app->parsed()    ? hold.common
                          : login_app->parsed()   ? login.common
                          : rooms.parsed()        ? rooms.selected().common
                          : board_app->parsed()   ? board.common
                          : storage_app->parsed() ? storage.common
                                                  : chat.common;
  if (chat_app->parsed()) {
    if (chat.rate == 0 && chat.messages == 0) {
      return fail("chat --rate 0 (one message at a time) needs --messages N");
    }
    if (chat.warmup_messages > 0 && chat.messages > 0 && chat.warmup_messages >= chat.messages) {
      return fail("chat --warmup-messages must be below --messages");
    }
  }
  echo.use_ping = echo_cmd == "ping";
  if (echo_app->parsed() && echo.use_ping && echo.payload_bytes > proto::kMaxPingPayloadBytes) {
    return fail(fmt::format("--cmd ping carries at most {} payload bytes (got --payload {})",
                            proto::kMaxPingPayloadBytes, echo.payload_bytes));
  }
  if (rooms.parsed()) {
    if (std::string message = rooms.check(); !message.empty()) return fail(message);
  }
  if (std::string message = set_up_transport(common); !message.empty()) return fail(message);
  if (std::string message = check_fd_budget(common); !message.empty()) return fail(message);
  const auto server = resolve_ipv4(common.host, common.port);
  if (!server)
    return fail(fmt::format("--host {}: not an IPv4 address or known name", common.host));
  const int server_pid = hold_app->parsed()      ? hold.server_pid
                         : login_app->parsed()   ? login.server_pid
                         : chat_app->parsed()    ? chat.server_pid
                         : rooms.parsed()        ? rooms.selected().server_pid
                         : board_app->parsed()   ? board.server_pid
                         : storage_app->parsed() ? storage.server_pid
                                                 : 0;
  if (server_pid > 0 && (!read_vm_rss_kb(server_pid) || !read_cpu_seconds(server_pid))) {
    return fail(fmt::format("--server-pid {}: cannot read /proc/{}/status and /proc/{}/stat",
                            server_pid, server_pid, server_pid));
  }
  const std::vector<int>& also_pids = chat_app->parsed() ? chat.also_pids
                                      : rooms.parsed()   ? rooms.selected().also_pids
                                                         : std::vector<int>{};
  for (const int pid : also_pids) {
    if (!read_cpu_seconds(pid)) {
      return fail(fmt::format("--also-pid {}: cannot read /proc/{}/stat", pid, pid));
    }
  }
  // Checked before the run, so a missing gnuplot does not waste one.
  std::optional<std::string> gnuplot;
  std::unique_ptr<TempCsv> temp_csv;
  if (!common.plot_path.empty()) {
    gnuplot = find_gnuplot();
    if (!gnuplot) {
      return fail(fmt::format(
          "--plot {}: gnuplot not found on PATH; install it (apt-get install gnuplot-nox, "
          "or scripts/install-deps.sh)",
          common.plot_path));
    }
    if (common.csv_path.empty()) {
      temp_csv = std::make_unique<TempCsv>();
      common.csv_path = temp_csv->path();
    }
  }
  FilePtr csv;
  if (!common.csv_path.empty()) {
    csv.reset(std::fopen(common.csv_path.c_str(), "w"));
    if (!csv) return fail(fmt::format("--csv {}: cannot open for writing", common.csv_path));
  }

  install_interrupt_handlers();
  int code = 0;
  std::string title;
  if (echo_app->parsed()) {
    code = run_echo(echo, *server, csv.get());
    title = fmt::format("citadel-bench echo: {} connections, depth {}", echo.common.connections,
                        echo.depth);
  } else if (hold_app->parsed()) {
    code = run_hold(hold, *server, csv.get());
    title = fmt::format("citadel-bench hold: {} connections", hold.common.connections);
  } else if (login_app->parsed()) {
    code = run_login(login, *server, csv.get());
    title = login.storm ? fmt::format("citadel-bench login --storm: {} connections (logins/s)",
                                      login.common.connections)
                        : fmt::format("citadel-bench login: {} connections (logins/s)",
                                      login.common.connections);
  } else if (rooms.parsed()) {
    code = rooms.run(*server, csv.get(), title);
  } else if (board_app->parsed()) {
    code = run_leaderboard(board, *server, csv.get());
    title = fmt::format("citadel-bench leaderboard: {} players, depth {} (submits/s)",
                        board.common.connections, board.depth);
  } else if (storage_app->parsed()) {
    code = run_storage(storage, *server, csv.get());
    title = fmt::format("citadel-bench storage: {} players, depth {}, read ratio {:.2f} (ops/s)",
                        storage.common.connections, storage.depth, storage.read_ratio);
  } else {
    code = run_chat(chat, *server, csv.get());
    title = fmt::format("citadel-bench chat: {} users (receipts/s, receipt latency)",
                        chat.common.connections);
  }
  csv.reset();  // flushed and closed before gnuplot reads it
  if (!gnuplot || code != 0) return code;
  if (std::string error = plot_csv(*gnuplot, common.csv_path, common.plot_path, title);
      !error.empty()) {
    fmt::print(stderr, "citadel-bench: --plot {}: {}\n", common.plot_path, error);
    return kExitPlotFailed;
  }
  if (!common.quiet) fmt::print(stderr, "citadel-bench: plot written to {}\n", common.plot_path);
  return code;
}

}  // namespace
}  // namespace citadel::bench

int main(int argc, char** argv) {
  try {
    return citadel::bench::run(argc, argv);
  } catch (const std::exception& e) {
    // Setup failures (no epoll set, out of memory): not a bad argument, not a
    // connection failure; report and use a code scripts will not mistake.
    fmt::print(stderr, "citadel-bench: fatal: {}\n", e.what());
    return 3;
  }
}
