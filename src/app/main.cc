// citadel: the game server binary. Reads the config (YAML file, then flags),
// starts the server and the admin HTTP server, and on SIGINT/SIGTERM drains
// and exits 0.
//
// Exit codes: 0 clean shutdown, 1 could not start (e.g. port in use),
// 2 bad command line or config.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#include <unistd.h>  // environ

#include "app/config_file_watch.h"
#include "app/node.h"
#include "app/watchdog.h"
#include "ops/config.h"
#include "ops/config_env.h"
#include "ops/crash_report.h"
#include "ops/logging.h"
#include "ops/service_manager.h"
#include "server/server.h"

namespace {

using citadel::ops::Config;
using citadel::ops::ConfigError;

struct Flags {
  std::string config_file;
  std::optional<std::string> host;
  std::optional<uint32_t> port;
  std::optional<uint32_t> threads;
  std::optional<std::string> log_level;
  std::optional<std::string> log_format;
  std::optional<uint32_t> admin_port;
  std::string port_file;
  bool print_config = false;
  bool config_keys = false;
  // CITADEL_<SECTION>__<KEY> variables (ops/config_env.h), read at start.
  std::vector<citadel::ops::ConfigVariable> variables;
};

// The environment's values, then the command line's, over a config read
// from the file: at start and again on every reload, so both keep winning
// over the file.
void apply_overrides(const Flags& flags, Config& config) {
  citadel::ops::apply_config_variables(flags.variables, config);
  if (flags.host) config.server.host = *flags.host;
  if (flags.port) {
    if (*flags.port > 65535) throw ConfigError("--port: must be between 0 and 65535");
    config.server.port = static_cast<uint16_t>(*flags.port);
  }
  if (flags.threads) config.server.threads = *flags.threads;
  if (flags.log_level) config.log.level = *flags.log_level;
  if (flags.log_format) config.log.format = *flags.log_format;
  if (flags.admin_port) {
    if (*flags.admin_port > 65535) throw ConfigError("--admin-port: must be between 0 and 65535");
    config.admin.port = static_cast<uint16_t>(*flags.admin_port);
  }
}

Config effective_config(const Flags& flags) {
  Config config =
      flags.config_file.empty() ? Config{} : citadel::ops::load_config_file(flags.config_file);
  apply_overrides(flags, config);
  citadel::ops::validate(config);
  return config;
}

// Written via a temporary file and a rename, so a reader never sees it half-written.
void write_port_file(const std::string& path, uint16_t port) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port << "\n";
    if (!out) throw std::runtime_error("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path);
}

std::string stats_line(const citadel::net::StatsSnapshot& s) {
  return fmt::format(
      "connections_opened={} connections_closed={} frames_in={} frames_out={} bytes_in={} "
      "bytes_out={} read_calls={} write_calls={} protocol_errors={} unknown_commands={} "
      "slow_consumer_disconnects={} idle_timeouts={} rejected_server_full={} rejected_per_ip={} "
      "accept_errors={}",
      s.connections_opened, s.connections_closed, s.frames_in, s.frames_out, s.bytes_in,
      s.bytes_out, s.read_calls, s.write_calls, s.protocol_errors(), s.unknown_commands,
      s.slow_consumer_disconnects, s.idle_timeouts, s.rejected_server_full, s.rejected_per_ip,
      s.accept_errors);
}

// Waits for SIGINT/SIGTERM (or a drain asked for on the admin port:
// `stop_requested` is set to what starts the stop, on the control thread).
// A gateway or game node first drains out of the fleet (docs/fleet.md
// "Draining") until drained or fleet.drain_timeout_ms passes; then every
// node drains its connections until they have closed or
// shutdown.drain_timeout_ms passes. A second signal cuts either short.
void run_until_signalled(citadel::app::Node& node, boost::asio::io_context& control,
                         boost::asio::signal_set& signals,
                         const citadel::ops::ServiceManager& service_manager,
                         std::function<void(std::string)>& stop_requested) {
  citadel::server::Server& server = node.server();
  boost::asio::steady_timer poll(control);
  std::chrono::steady_clock::time_point deadline;
  bool stopping = false;

  std::function<void()> poll_drained = [&] {
    if (server.active_connections() == 0 || std::chrono::steady_clock::now() >= deadline) {
      if (server.active_connections() != 0) {
        spdlog::warn("drain deadline passed with {} connections open; closing them",
                     server.active_connections());
      }
      control.stop();
      return;
    }
    poll.expires_after(std::chrono::milliseconds(10));
    poll.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) poll_drained();
    });
  };

  auto shut_down = [&] {
    deadline = std::chrono::steady_clock::now() +
               std::chrono::milliseconds(server.config().shutdown.drain_timeout_ms);
    server.begin_shutdown();
    poll_drained();
  };

  // The fleet's drain first: polled, like the connections' below.
  std::chrono::steady_clock::time_point fleet_deadline;
  std::function<void()> poll_fleet_drained = [&] {
    if (node.drained()) {
      spdlog::info("fleet: drained");
      return shut_down();
    }
    if (std::chrono::steady_clock::now() >= fleet_deadline) {
      node.drain_deadline_passed();
      return shut_down();
    }
    poll.expires_after(std::chrono::milliseconds(50));
    poll.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) poll_fleet_drained();
    });
  };

  stop_requested = [&](std::string why) {
    if (stopping) return;
    stopping = true;
    // Before the drain: systemd then counts TimeoutStopSec from here and
    // `systemctl status` says the server is stopping, not failing.
    service_manager.stopping();
    // A drain asked for on the admin port has begun already.
    if (node.begin_drain(why) || node.draining()) {
      fleet_deadline = std::chrono::steady_clock::now() + node.drain_timeout();
      return poll_fleet_drained();
    }
    shut_down();
  };

  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    spdlog::info("received signal {}", signo);
    signals.async_wait([&](const boost::system::error_code& e, int) {
      if (!e) {
        spdlog::warn("second signal: stopping now");
        control.stop();
      }
    });
    stop_requested(signo == SIGTERM ? "SIGTERM" : "SIGINT");
  });
  control.run();
}

// SIGHUP reloads the config (its live keys), the TLS certificate and the
// web files. Runs on the control thread, never on a game loop.
void reload_on_sighup(citadel::app::Node& node, boost::asio::signal_set& reload_signals) {
  reload_signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    node.reload_on_signal();
    reload_on_sighup(node, reload_signals);
  });
}

}  // namespace

int main(int argc, char** argv) {
  // Uptime and process_start_time_seconds count from here.
  citadel::ops::admin::AdminSources admin_sources;
  admin_sources.version = CITADEL_VERSION;
  CLI::App app{"Citadel game server"};
  Flags flags;
  app.add_option("-c,--config", flags.config_file, "YAML config file")->check(CLI::ExistingFile);
  app.add_option("--host", flags.host, "address to listen on (server.host)");
  app.add_option("-p,--port", flags.port, "port to listen on; 0 picks a free one (server.port)");
  app.add_option("-t,--threads", flags.threads, "I/O threads; 0 = one per core (server.threads)");
  app.add_option("--log-level", flags.log_level, "trace|debug|info|warn|error|off (log.level)");
  app.add_option("--log-format", flags.log_format, "text|json (log.format)");
  app.add_option("--admin-port", flags.admin_port,
                 "admin HTTP port for /health, /metrics, /debug/profile; 0 disables (admin.port)");
  app.add_option("--port-file", flags.port_file,
                 "write the bound port to this file once listening");
  app.add_flag("--print-config", flags.print_config, "print the effective config as YAML and exit");
  app.add_flag("--config-keys", flags.config_keys,
               "print every config key (default, range, whether a reload applies it) as a "
               "Markdown table and exit");
  app.set_version_flag("--version", std::string("citadel ") + CITADEL_VERSION);
  app.footer(
      "Any config key may also be set in the environment: CITADEL_ and the key's path in upper "
      "case, each '.' written as '__' (server.port: CITADEL_SERVER__PORT). Order: the file, "
      "then the environment, then these flags.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  if (flags.config_keys) {
    std::cout << citadel::ops::config_keys().markdown(Config{});
    return 0;
  }
  Config config;
  try {
    flags.variables = citadel::ops::config_variables(environ);
    config = effective_config(flags);
    if (flags.print_config) {
      std::cout << citadel::ops::to_yaml(config);
      return 0;
    }
    citadel::ops::setup_logging(config.log);
    if (config.crash.enabled)
      citadel::ops::install_crash_reporter(config.crash.directory, CITADEL_VERSION);
  } catch (const std::exception& e) {
    std::cerr << "citadel: config error: " << e.what() << "\n";
    return 2;
  }

  std::signal(SIGPIPE, SIG_IGN);
  // The signal handlers are installed before any thread starts, so a signal
  // arriving during start-up is not lost (it waits, blocked, until below).
  boost::asio::io_context control;
  boost::asio::signal_set signals(control, SIGINT, SIGTERM);
  boost::asio::signal_set reload_signals(control, SIGHUP);
  // Block the shutdown and reload signals in every thread: the loop threads
  // inherit this mask, so only the control loop's signal_sets see them.
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);

  // systemd's notifications (READY, RELOADING, STOPPING, WATCHDOG); no-ops
  // when not started by systemd with Type=notify.
  const citadel::ops::ServiceManager service_manager;
  // Destroyed at the end of main, after node->stop() below.
  std::unique_ptr<citadel::app::Node> node;
  // Control thread: starts the node's stop (run_until_signalled sets it).
  std::function<void(std::string)> stop_requested;
  try {
    node = std::make_unique<citadel::app::Node>(citadel::app::Node::Options{
        config, flags.config_file, [flags](Config& c) { apply_overrides(flags, c); },
        &service_manager,
        [&control, &stop_requested] {
          // The admin thread: the stop runs on the control thread.
          boost::asio::post(control, [&stop_requested] {
            if (stop_requested) stop_requested("POST /fleet/drain");
          });
        }});
    // The admin server starts before the port file is written, so whoever
    // waits for that file finds the admin server's outcome already logged.
    node->start(std::move(admin_sources));
    if (!flags.port_file.empty()) write_port_file(flags.port_file, node->port());
  } catch (const std::exception& e) {
    spdlog::critical("cannot start: {}", e.what());
    return 1;
  }
  pthread_sigmask(SIG_UNBLOCK, &mask, nullptr);

  reload_on_sighup(*node, reload_signals);
  std::unique_ptr<citadel::app::ConfigFileWatch> file_watch;
  if (config.reload.watch_file && !flags.config_file.empty()) {
    try {
      file_watch = std::make_unique<citadel::app::ConfigFileWatch>(
          control, flags.config_file, [&node] { node->reload_on_file_change(); });
      file_watch->start();
      spdlog::info("reloading the config whenever {} changes", flags.config_file);
    } catch (const std::system_error& e) {
      spdlog::error(
          "reload.watch_file: cannot watch {}: {}; SIGHUP and POST /config/reload still "
          "reload",
          flags.config_file, e.what());
    }
  }
  // READY at the same point as the port file: the game port listens and the
  // admin server has started (or logged why not), so units ordered After=
  // this one find a server that accepts connections.
  service_manager.ready(node->ready_status());
  citadel::app::Watchdog watchdog(control, service_manager, node->server());
  watchdog.start();
  run_until_signalled(*node, control, signals, service_manager, stop_requested);
  node->stop();
  spdlog::info("stopped: {}", stats_line(node->server().stats()));
  spdlog::default_logger()->flush();
  return 0;
}
