// Command-line settings of each scenario, with their units and defaults.
// main.cc parses and bounds-checks them; the scenarios take them as given.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "client/transport/client_stream.h"

namespace citadel::bench {

struct CommonOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  // --also-port: more ports on `host` (plain TCP): connection i of a worker
  // goes to the (i mod N)th of [port, also_ports...], e.g. to spread players
  // over the gateways of a fleet.
  std::vector<uint16_t> also_ports;
  uint32_t connections = 64;
  uint32_t threads = 1;  // one epoll loop each; connections are split across them
  double duration_s = 10;
  double connect_rate_per_s = 5000;  // new connections per second, all threads together
  std::string csv_path;              // empty: no CSV
  std::string plot_path;             // empty: no PNG; else gnuplot draws the CSV here
  bool quiet = false;                // no progress line
  // tcp, ws, tls or wss (--transport, or the scheme of --url) and what the
  // handshakes need; main.cc builds `stream` from them (null for tcp).
  std::string transport_name = "tcp";  // as given to --transport
  client::transport::Transport transport = client::transport::Transport::kTcp;
  std::string ws_path = "/";
  std::string tls_ca_file;  // empty: the server's certificate is not verified
  std::shared_ptr<const client::transport::StreamSettings> stream;
};

struct EchoOptions {
  CommonOptions common;
  uint32_t depth = 16;          // requests in flight per connection
  uint32_t payload_bytes = 64;  // request payload size
  double warmup_s = 2;          // run but not measured, after connecting
  bool use_ping = false;        // --cmd ping: PING/PONG instead of ECHO
};

struct HoldOptions {
  CommonOptions common;
  double ping_interval_s = 5;  // per connection
  int server_pid = 0;          // 0: do not measure the server's memory
};

// login: persistent connections that log in as a new guest again and again
// (Logout + GuestLogin pipelined in one write); or, with --storm, new
// connections that each log in once and then hold.
struct LoginOptions {
  CommonOptions common;
  double warmup_s = 1;  // persistent mode: logins run but not measured
  bool storm = false;   // connect, log in once, hold for --duration
  int server_pid = 0;   // 0: do not read the server's memory and CPU time
};

// chat: `connections` users log in as guests (so all are in the world
// channel); `senders` of them send ChatSend to `channel`; every member's
// receipt of every message is timed.
struct ChatOptions {
  CommonOptions common;
  uint32_t senders = 1;
  double rate = 10;              // messages/s, all senders together; 0 = one at a time
  uint32_t messages = 0;         // stop after this many (0: send for --duration)
  uint32_t warmup_messages = 0;  // the first ones are sent but not measured
  uint32_t text_bytes = 64;      // message text length (at least the tag, 64)
  double gap_ms = 10;            // --rate 0: pause after a message has reached everyone
  double drain_timeout_s = 10;   // longest wait for a message to reach everyone
  std::string channel = "world";
  int server_pid = 0;  // 0: do not read the server's CPU time
  // --also-pid: more server processes (a fleet's other nodes) whose CPU time
  // is read over the same span as server_pid's, reported in this order.
  std::vector<int> also_pids;
};

// leaderboard: `connections` players log in as new guests, then each keeps
// `depth` LeaderboardSubmit requests in flight, a random score each, to one
// board; replies are matched by request_id.
struct LeaderboardOptions {
  CommonOptions common;
  uint32_t depth = 4;           // submits in flight per connection
  std::string board = "bench";  // must exist on the server (leaderboards.boards)
  double warmup_s = 2;          // submits run but not measured, after every login
  int server_pid = 0;           // 0: do not read the server's CPU time
  // Open loop: submits/s offered over all players, each sent at its
  // scheduled time to the next player with a free slot (--depth caps a
  // player's in flight) and timed from that time; 0: closed loop.
  double rate = 0;
};

// storage: `connections` players log in as new guests, then each keeps `depth`
// storage requests in flight on its own objects: StorageWrite of a small JSON
// object (~100 bytes) or, a `read_ratio` share of them, StorageRead of one.
struct StorageOptions {
  CommonOptions common;
  uint32_t depth = 4;     // requests in flight per connection
  double read_ratio = 0;  // 0..1: share of the requests that are reads
  uint32_t keys = 1;      // objects per player (key "k0".."k<keys-1>"), round robin
  std::string collection = "bench";
  double warmup_s = 2;  // requests run but not measured, after every login
  int server_pid = 0;   // 0: do not read the server's CPU time
  // Open loop: requests/s offered over all players, as for leaderboard.
  double rate = 0;
};

}  // namespace citadel::bench
