// citadel: the game server binary. Reads the config (YAML file, then flags),
// starts the server and the admin HTTP server, and on SIGINT/SIGTERM drains
// and exits 0.
//
// Exit codes: 0 clean shutdown, 1 could not start (e.g. port in use),
// 2 bad command line or config.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
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

#include "app/room_metrics.h"
#include "app/store_metrics.h"
#include "ops/admin/admin_server.h"
#include "ops/config.h"
#include "ops/logging.h"
#include "server/builtin_handlers.h"
#include "server/server.h"
#include "services/services.h"
#include "store/store_config.h"

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
};

Config effective_config(const Flags& flags) {
  Config config =
      flags.config_file.empty() ? Config{} : citadel::ops::load_config_file(flags.config_file);
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

// Waits for SIGINT/SIGTERM, then drains until every connection has closed or
// the drain deadline passes. A second signal cuts the drain short.
void run_until_signalled(citadel::server::Server& server, boost::asio::io_context& control,
                         boost::asio::signal_set& signals) {
  boost::asio::steady_timer poll(control);
  std::chrono::steady_clock::time_point deadline;

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

  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    spdlog::info("received signal {}", signo);
    deadline = std::chrono::steady_clock::now() +
               std::chrono::milliseconds(server.config().shutdown.drain_timeout_ms);
    server.begin_shutdown();
    signals.async_wait([&](const boost::system::error_code& e, int) {
      if (!e) {
        spdlog::warn("second signal: stopping now");
        control.stop();
      }
    });
    poll_drained();
  });
  control.run();
}

// SIGHUP reloads what can be reloaded without a restart: the TLS
// certificate and key, and the static files of web.root. A file that fails
// to load changes nothing. Runs on the control thread, never on a game loop.
void reload_on_sighup(citadel::server::Server& server, boost::asio::signal_set& reload_signals) {
  reload_signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    if (!server.web_root().empty()) {
      if (auto problem = server.reload_web()) {
        spdlog::error("SIGHUP: web files not reloaded, keeping the running ones: {}", *problem);
      }
    }
    if (server.config().tls.enabled) {
      if (auto problem = server.reload_tls()) {
        spdlog::error("SIGHUP: TLS certificate not reloaded, keeping the running one: {}",
                      *problem);
      } else {
        spdlog::info("SIGHUP: TLS certificate reloaded from {}",
                     server.config().tls.certificate_file);
      }
    } else if (server.web_root().empty()) {
      spdlog::info("SIGHUP: nothing to reload (TLS is off and no web files are served)");
    }
    reload_on_sighup(server, reload_signals);
  });
}

citadel::rooms::RoomTypeOptions room_type_options(const citadel::ops::RoomTypeConfig& c,
                                                  uint64_t output_queue_bytes) {
  citadel::rooms::RoomTypeOptions o;
  o.tick_hz = c.tick_hz;
  o.max_players = c.max_players;
  o.empty_ttl = std::chrono::milliseconds(c.empty_ttl_ms);
  o.input_queue = c.input_queue;
  o.input_queue_bytes = citadel::ops::effective_input_queue_bytes(c, output_queue_bytes);
  o.match_size = c.match_size;
  o.match_initial_window = c.match_initial_window;
  o.match_widen_per_second = c.match_widen_per_second;
  o.match_timeout = std::chrono::milliseconds(c.match_timeout_ms);
  return o;
}

citadel::services::ServicesConfig services_config(const Config& config) {
  citadel::services::ServicesConfig s;
  // validate() accepted only these two spellings.
  s.store.backend = citadel::store::parse_store_backend(config.store.backend)
                        .value_or(citadel::store::StoreBackend::kSqlite);
  s.store.sqlite.path = config.store.path;
  s.store.postgres.url = config.store.postgres.url;
  s.store.postgres.max_batch = config.store.postgres.max_batch;
  s.store.postgres.queue_capacity = config.store.postgres.queue_capacity;
  s.store.postgres.batch_timeout_ms = config.store.postgres.batch_timeout_ms;
  s.store.postgres.reconnect_interval_ms = config.store.postgres.reconnect_interval_ms;
  s.token_secret_file = config.auth.token_secret_file;
  s.session.grace = std::chrono::milliseconds(config.auth.session_grace_ms);
  s.hasher.threads = config.auth.hash_threads;
  s.chat.max_message_bytes = config.chat.max_message_bytes;
  s.chat.messages_per_second = config.chat.messages_per_second;
  s.chat.message_burst = config.chat.message_burst;
  s.chat.max_channels_per_user = config.chat.max_channels_per_user;
  s.chat.history_on_join = config.chat.history_on_join;
  s.chat.presence_max_members = config.chat.presence_max_members;
  s.storage.max_value_bytes = config.storage.max_value_bytes;
  s.storage.max_objects_per_batch = config.storage.max_objects_per_batch;
  s.rooms.executor_threads = config.rooms.executor_threads;
  s.arena = room_type_options(config.rooms.arena, config.limits.output_queue_bytes);
  s.lockstep = room_type_options(config.rooms.lockstep, config.limits.output_queue_bytes);
  return s;
}

// Starts the admin HTTP server, or returns null if it is disabled or cannot
// bind. A failed bind is logged, not fatal: the admin port is a side channel,
// and refusing game traffic over it would turn a port clash (two servers on
// one host, a node exporter on 9100) into an outage. A probe or scrape of the
// missing endpoint then shows the problem.
std::unique_ptr<citadel::ops::admin::AdminServer> start_admin(
    const Config& config, citadel::server::Server& server,
    citadel::ops::admin::AdminSources sources, citadel::ops::admin::MetricsCollector collector) {
  if (config.admin.port == 0) {
    spdlog::info("admin server disabled (admin.port 0)");
    return nullptr;
  }
  sources.event_loops = config.effective_threads();
  sources.max_connections = server.max_connections();
  sources.stats = [&server] { return server.stats(); };
  sources.draining = [&server] { return server.draining(); };
  auto admin = std::make_unique<citadel::ops::admin::AdminServer>(config.admin, std::move(sources));
  admin->add_metrics_collector(std::move(collector));
  try {
    admin->start();
  } catch (const boost::system::system_error& e) {
    spdlog::error(
        "admin: cannot listen on {}:{}: {}; /health, /metrics and /debug/profile are "
        "unavailable",
        config.admin.host, config.admin.port, e.code().message());
    return nullptr;
  }
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(config.admin.host, ec);
  if (!ec && !address.is_loopback() && config.admin.token.empty()) {
    spdlog::warn(
        "admin: listening on {} without admin.token: anyone who can reach it can read "
        "metrics and take CPU profiles",
        config.admin.host);
  }
  return admin;
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
  app.set_version_flag("--version", std::string("citadel ") + CITADEL_VERSION);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  Config config;
  try {
    config = effective_config(flags);
    if (flags.print_config) {
      std::cout << citadel::ops::to_yaml(config);
      return 0;
    }
    citadel::ops::setup_logging(config.log);
  } catch (const ConfigError& e) {
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

  citadel::server::Server server(config);
  citadel::server::register_builtin_handlers(server.router());
  std::unique_ptr<citadel::ops::admin::AdminServer> admin;
  // Destroyed after server.stop() below: its timers run on the server's loops.
  std::unique_ptr<citadel::services::Services> services;
  try {
    services = std::make_unique<citadel::services::Services>(server, services_config(config));
    server.start();
    // Started before the port file is written, so whoever waits for that
    // file finds the admin server's outcome already logged.
    admin = start_admin(config, server, std::move(admin_sources),
                        [rooms = &services->rooms(),
                         store = &services->store()](citadel::ops::admin::MetricsWriter& out) {
                          citadel::app::write_room_metrics(out, rooms->stats());
                          citadel::app::write_store_metrics(out, store->backend(), store->stats());
                        });
    if (!flags.port_file.empty()) write_port_file(flags.port_file, server.port());
  } catch (const std::exception& e) {
    spdlog::critical("cannot start: {}", e.what());
    return 1;
  }
  pthread_sigmask(SIG_UNBLOCK, &mask, nullptr);

  reload_on_sighup(server, reload_signals);
  run_until_signalled(server, control, signals);
  // Only after the drain: /health answers 503 throughout it.
  if (admin) admin->stop();
  server.stop();
  spdlog::info("stopped: {}", stats_line(server.stats()));
  spdlog::default_logger()->flush();
  return 0;
}
