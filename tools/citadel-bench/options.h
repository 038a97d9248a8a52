// Command-line settings of each scenario, with their units and defaults.
// main.cc parses and bounds-checks them; the scenarios take them as given.
#pragma once

#include <cstdint>
#include <string>

namespace citadel::bench {

struct CommonOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  uint32_t connections = 64;
  uint32_t threads = 1;  // one epoll loop each; connections are split across them
  double duration_s = 10;
  double connect_rate_per_s = 5000;  // new connections per second, all threads together
  std::string csv_path;              // empty: no CSV
  std::string plot_path;             // empty: no PNG; else gnuplot draws the CSV here
  bool quiet = false;                // no progress line
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

}  // namespace citadel::bench
