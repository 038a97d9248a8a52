// citadel-bench: load generator for the Citadel server.
//
//   citadel-bench echo --host H --port P --connections 64 --depth 16 --payload 64
//                      --duration 10 --warmup 2 --threads 1 [--cmd echo|ping] [--csv F]
//                      [--plot F.png] [--quiet]
//   citadel-bench hold --host H --port P --connections 19000 --ping-interval 5
//                      --duration 30 --connect-rate 5000 --threads 1 [--server-pid PID]
//                      [--csv F] [--plot F.png] [--quiet]
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

#include "echo_scenario.h"
#include "hold_scenario.h"
#include "interrupt.h"
#include "options.h"
#include "plot.h"
#include "protocol/wire.h"
#include "system_info.h"

namespace citadel::bench {
namespace {

namespace proto = citadel::protocol;

constexpr int kExitBadArguments = 1;
constexpr int kExitPlotFailed = 4;
// More than this many requests in flight per connection only fills buffers.
constexpr uint32_t kMaxDepth = 4096;
constexpr uint32_t kMaxThreads = 64;

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

void add_common_options(CLI::App& cmd, CommonOptions& o) {
  cmd.add_option("--host", o.host, "server address (IPv4)")->capture_default_str();
  cmd.add_option("--port", o.port, "server TCP port")->required()->check(CLI::Range(1, 65535));
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

int run(int argc, char** argv) {
  CLI::App app{"citadel-bench: load generator for the Citadel server (frame protocol over TCP)"};
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

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help, or the error with a usage hint
    return code == 0 ? 0 : kExitBadArguments;
  }

  CommonOptions& common = echo_app->parsed() ? echo.common : hold.common;
  echo.use_ping = echo_cmd == "ping";
  if (echo_app->parsed() && echo.use_ping && echo.payload_bytes > proto::kMaxPingPayloadBytes) {
    return fail(fmt::format("--cmd ping carries at most {} payload bytes (got --payload {})",
                            proto::kMaxPingPayloadBytes, echo.payload_bytes));
  }
  if (std::string message = check_fd_budget(common); !message.empty()) return fail(message);
  const auto server = resolve_ipv4(common.host, common.port);
  if (!server)
    return fail(fmt::format("--host {}: not an IPv4 address or known name", common.host));
  if (hold_app->parsed() && hold.server_pid > 0 && !read_vm_rss_kb(hold.server_pid)) {
    return fail(fmt::format("--server-pid {}: cannot read VmRSS from /proc/{}/status",
                            hold.server_pid, hold.server_pid));
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
  const int code =
      echo_app->parsed() ? run_echo(echo, *server, csv.get()) : run_hold(hold, *server, csv.get());
  csv.reset();  // flushed and closed before gnuplot reads it
  if (!gnuplot || code != 0) return code;
  const std::string title =
      echo_app->parsed()
          ? fmt::format("citadel-bench echo: {} connections, depth {}", echo.common.connections,
                        echo.depth)
          : fmt::format("citadel-bench hold: {} connections", hold.common.connections);
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
