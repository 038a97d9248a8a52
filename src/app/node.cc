#include "app/node.h"

#include <boost/asio/ip/address.hpp>
#include <boost/system/system_error.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <future>

#include "app/fleet_chat.h"
#include "app/fleet_drain.h"
#include "app/fleet_metrics.h"
#include "app/fleet_session_link.h"
#include "app/recovery_metrics.h"
#include "app/redis_metrics.h"
#include "app/room_metrics.h"
#include "app/store_conflicts_admin.h"
#include "app/store_metrics.h"
#include "fleet/membership/fleet_settings.h"
#include "fleet/membership/membership.h"
#include "ops/admin/admin_server.h"
#include "ops/crash_report.h"
#include "ops/json_escape.h"
#include "ops/logging.h"
#include "ops/service_manager.h"
#include "server/builtin_handlers.h"
#include "server/server.h"
#include "services/services.h"
#include "store/store_config.h"

namespace citadel::app {
namespace {

rooms::RoomTypeOptions room_type_options(const ops::RoomTypeConfig& c,
                                         uint64_t output_queue_bytes) {
  rooms::RoomTypeOptions o;
  o.tick_hz = c.tick_hz;
  o.max_players = c.max_players;
  o.empty_ttl = std::chrono::milliseconds(c.empty_ttl_ms);
  o.input_queue = c.input_queue;
  o.input_queue_bytes = ops::effective_input_queue_bytes(c, output_queue_bytes);
  o.match_size = c.match_size;
  o.match_initial_window = c.match_initial_window;
  o.match_widen_per_second = c.match_widen_per_second;
  o.match_timeout = std::chrono::milliseconds(c.match_timeout_ms);
  return o;
}

services::ChatConfig chat_config(const ops::ChatLimitsConfig& c) {
  services::ChatConfig chat;
  chat.max_message_bytes = c.max_message_bytes;
  chat.messages_per_second = c.messages_per_second;
  chat.message_burst = c.message_burst;
  chat.max_channels_per_user = c.max_channels_per_user;
  chat.history_on_join = c.history_on_join;
  chat.presence_max_members = c.presence_max_members;
  return chat;
}

// recovery.path, or by default the file beside the SQLite store (so a
// server given a data directory keeps both there), else in the working
// directory.
std::string recovery_path(const ops::Config& config) {
  if (!config.recovery.path.empty()) return config.recovery.path;
  constexpr const char* kFile = "citadel-recovery.db";
  if (config.store.backend != "sqlite" || config.store.path == ":memory:") return kFile;
  return (std::filesystem::path(config.store.path).parent_path() / kFile).string();
}

services::ServicesConfig services_config(const ops::Config& config) {
  services::ServicesConfig s;
  // validate() accepted only these two spellings.
  s.store.backend =
      store::parse_store_backend(config.store.backend).value_or(store::StoreBackend::kSqlite);
  s.store.sqlite.path = config.store.path;
  s.store.postgres.url = config.store.postgres.url;
  s.store.postgres.max_batch = config.store.postgres.max_batch;
  s.store.postgres.queue_capacity = config.store.postgres.queue_capacity;
  s.store.postgres.batch_timeout_ms = config.store.postgres.batch_timeout_ms;
  s.store.postgres.reconnect_interval_ms = config.store.postgres.reconnect_interval_ms;
  const auto& wb = config.store.write_behind;
  s.store.write_behind = {wb.enabled,   wb.path,    wb.flush_interval_ms,
                          wb.max_batch, wb.writers, wb.max_pending};
  s.token_secret_file = config.auth.token_secret_file;
  s.session.grace = std::chrono::milliseconds(config.auth.session_grace_ms);
  s.hasher.threads = config.auth.hash_threads;
  s.chat = chat_config(config.chat);
  s.rooms.executor_threads = config.rooms.executor_threads;
  s.rooms.tick_slot = std::chrono::microseconds(config.rooms.tick_slot_us);
  s.recovery.enabled = config.recovery.enabled;
  s.recovery.path = recovery_path(config);
  s.recovery.snapshot_every_ticks = config.recovery.snapshot_every_ticks;
  s.recovery.session_flush = std::chrono::milliseconds(config.recovery.session_flush_ms);
  s.leaderboards = services::leaderboard_config(config.leaderboards);
  s.leaderboards.redis_url = config.redis.url;
  s.storage.max_value_bytes = config.storage.max_value_bytes;
  s.storage.max_objects_per_batch = config.storage.max_objects_per_batch;
  s.arena = room_type_options(config.rooms.arena, config.limits.output_queue_bytes);
  s.arena_transfer_east = config.rooms.arena_transfer_east;
  s.lockstep = room_type_options(config.rooms.lockstep, config.limits.output_queue_bytes);
  return s;
}

rooms::PluginOptions plugin_options(const ops::Config& c) {
  rooms::PluginOptions o;
  o.scratch_dir = c.rooms.plugin_scratch_dir.empty()
                      ? std::filesystem::temp_directory_path() / "citadel-plugins"
                      : std::filesystem::path(c.rooms.plugin_scratch_dir);
  o.rollback_window = std::chrono::milliseconds(c.rooms.plugin_rollback_window_ms);
  o.min_faults = c.rooms.plugin_rollback_faults;
  return o;
}

ops::admin::ReloadAnswer plugin_answer(const rooms::PluginRegistry::Outcome& outcome) {
  std::string json = outcome.ok ? "{\"ok\":true,\"message\":" : "{\"ok\":false,\"error\":";
  ops::append_json_quoted(json, outcome.message);
  json += "}";
  return {outcome.ok, std::move(json)};
}

// A request body as one line: trailing whitespace (curl -d adds none, a
// here-doc adds a newline) is not part of a path or a name.
std::string trimmed(std::string body) {
  while (!body.empty() && std::isspace(static_cast<unsigned char>(body.back()))) body.pop_back();
  std::size_t start = 0;
  while (start < body.size() && std::isspace(static_cast<unsigned char>(body[start]))) ++start;
  return body.substr(start);
}

// Starts the admin HTTP server, or returns null if it is disabled or cannot
// bind. A failed bind is logged, not fatal: the admin port is a side channel,
// and refusing game traffic over it would turn a port clash (two servers on
// one host, a node exporter on 9100) into an outage. A probe or scrape of the
// missing endpoint then shows the problem.
std::unique_ptr<ops::admin::AdminServer> start_admin(const ops::Config& config,
                                                     server::Server& server,
                                                     ops::admin::AdminSources sources,
                                                     ops::admin::MetricsCollector collector,
                                                     std::function<bool()> fleet_draining) {
  if (config.admin.port == 0) {
    spdlog::info("admin server disabled (admin.port 0)");
    return nullptr;
  }
  sources.event_loops = config.effective_threads();
  sources.max_connections = server.max_connections();
  sources.stats = [&server] { return server.stats(); };
  // A fleet node that drains is as unready as one shutting down: 503.
  sources.draining = [&server, fleet_draining = std::move(fleet_draining)] {
    return server.draining() || (fleet_draining && fleet_draining());
  };
  auto admin = std::make_unique<ops::admin::AdminServer>(config.admin, std::move(sources));
  admin->add_metrics_collector(std::move(collector));
  try {
    admin->start();
  } catch (const boost::system::system_error& e) {
    spdlog::error(
        "admin: cannot listen on {}:{}: {}; /health, /metrics, /config and /debug/profile are "
        "unavailable",
        config.admin.host, config.admin.port, e.code().message());
    return nullptr;
  }
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(config.admin.host, ec);
  if (!ec && !address.is_loopback() && config.admin.token.empty()) {
    spdlog::warn(
        "admin: listening on {} without admin.token: anyone who can reach it can read "
        "metrics, reload the config and take CPU profiles",
        config.admin.host);
  }
  return admin;
}

bool is_wildcard(const std::string& host) {
  return host == "0.0.0.0" || host == "::" || host.empty();
}

// The host other nodes and clients reach this node at: fleet.advertise_host,
// else server.host unless it is a wildcard, else the host name.
std::string advertise_host(const ops::Config& config) {
  if (!config.fleet.advertise_host.empty()) return config.fleet.advertise_host;
  if (!is_wildcard(config.server.host)) return config.server.host;
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) == 0 && name[0] != '\0') return name;
  return "127.0.0.1";
}

}  // namespace

Node::Node(Options options)
    : config_(std::move(options.config)), service_manager_(options.service_manager) {
  if (config_.crash.enabled) {
    const ops::CrashReportFound found = ops::find_crash_reports(config_.crash.directory);
    crash_reports_found_ = found.count;
    if (found.count > 0) {
      spdlog::warn("{} crash report(s) in {}; the newest: {}", found.count, config_.crash.directory,
                   found.newest);
    }
  }
  server_ = std::make_unique<server::Server>(config_);
  server::register_builtin_handlers(server_->router());
  services::ServicesConfig services = services_config(config_);
  plugins_ = std::make_unique<rooms::PluginRegistry>(plugin_options(config_));
  for (const auto& path : config_.rooms.plugins) {
    // A plugin that cannot load stops the start (rooms.plugins names what
    // the node must serve): PluginError says which file and why.
    services.extra_room_types.push_back(plugins_->load_at_start(
        path, room_type_options(ops::RoomTypeConfig{}, config_.limits.output_queue_bytes)));
  }
  // A gateway's rooms are on game nodes: it forwards their commands.
  services.rooms_here = !is_gateway(config_);
  services_ = std::make_unique<services::Services>(*server_, std::move(services));
  plugins_->attach(services_->rooms());
  if (!config_.fleet.etcd.empty()) {
    node_id_ = config_.fleet.node_id.empty() ? fleet::generated_node_id() : config_.fleet.node_id;
    if (is_gateway(config_) || is_game_node(config_)) {
      fleet_role_ = std::make_unique<FleetRole>(config_, node_id_, *server_, *services_);
      drain_ = std::make_unique<FleetDrain>(
          config_, node_id_, *server_,
          [rooms = &services_->rooms()] { return uint64_t{rooms->stats().rooms_open}; });
      drain_requested_ = std::move(options.drain_requested);
    }
  }
  reloader_ = std::make_unique<ConfigReloader>(
      config_,
      ConfigReloader::Sources{std::move(options.config_file), std::move(options.apply_overrides),
                              [this](const ops::Config& c) { apply_live(c); }});
}

Node::~Node() {
  stop();
}

void Node::start(ops::admin::AdminSources admin_sources) {
  server_->start();
  admin_sources.create_leaderboard = [boards = &services_->leaderboards()](auto body, auto done) {
    boards->create_board_from_json(std::move(body), std::move(done));
  };
  admin_sources.delete_leaderboard_record = [boards = &services_->leaderboards()](
                                                std::string board_id, uint64_t user_id, auto done) {
    boards->delete_record_for_admin(std::move(board_id), user_id, std::move(done));
  };
  if (const auto store = services_config(config_).store;
      store.backend == store::StoreBackend::kPostgres && store.write_behind.enabled) {
    conflicts_ = std::make_unique<store::wb::ConflictAdmin>(store.postgres);
    wire_store_conflicts(admin_sources, *conflicts_);
  }
  admin_sources.config_status = [this] { return reloader_->status_json(); };
  admin_sources.plugins_status = [this] { return plugins_->status_json(); };
  admin_sources.plugins_load = [this](std::string body) {
    return plugin_answer(plugins_->load(trimmed(std::move(body))));
  };
  admin_sources.plugins_rollback = [this](std::string body) {
    return plugin_answer(
        plugins_->rollback(trimmed(std::move(body)), "asked for (POST /plugins/rollback)"));
  };
  server_->service_loop().post([this] { check_plugin_rollbacks_in_loop(); });
  admin_sources.config_reload = [this] {
    const ConfigReloader::Outcome outcome = notified_reload("POST /config/reload");
    return ops::admin::ReloadAnswer{outcome.ok, ConfigReloader::outcome_json(outcome)};
  };
  if (!config_.fleet.etcd.empty()) start_fleet(admin_sources);
  admin_ = start_admin(
      config_, *server_, std::move(admin_sources),
      [rooms = &services_->rooms(), store = &services_->store(), services = services_.get(),
       reloader = reloader_.get(), crashes = crash_reports_found_, plugins = plugins_.get(),
       membership = membership_.get(), role = fleet_role_.get(), fleet_chat = fleet_chat_.get(),
       fleet_sessions = fleet_sessions_.get(),
       drain = drain_.get()](ops::admin::MetricsWriter& out) {
        write_room_metrics(out, rooms->stats());
        if (membership) write_fleet_metrics(out, *membership);
        if (role) role->write_metrics(out);
        if (drain) drain->write_metrics(out);
        if (fleet_chat) write_fleet_chat_metrics(out, *fleet_chat);
        if (fleet_sessions) write_fleet_session_metrics(out, fleet_sessions->stats());
        const auto p = plugins->counters();
        out.counter("citadel_plugin_swaps_total", "Plugin room types swapped to a new version.",
                    p.swaps);
        out.counter("citadel_plugin_rollbacks_total",
                    "Plugin swaps rolled back (asked for or automatic).", p.rollbacks);
        out.counter("citadel_plugin_automatic_rollbacks_total",
                    "Plugin swaps rolled back because the new version's rooms faulted.",
                    p.automatic_rollbacks);
        out.counter("citadel_plugin_load_failures_total",
                    "Plugin libraries refused (file, symbol, SDK version, info, factory).",
                    p.load_failures);
        out.counter("citadel_plugin_unloads_total",
                    "Plugin libraries unloaded after their last room closed.", p.unloaded);
        write_store_metrics(out, store->backend(), store->stats());
        write_recovery_metrics(out, *services);
        if (const auto* redis = services->leaderboards().redis_stats()) {
          write_redis_metrics(out, *redis);
        }
        reloader->write_metrics(out);
        out.gauge("citadel_crash_reports",
                  "Crash reports found in crash.directory at start (earlier "
                  "crashes of this node).",
                  static_cast<double>(crashes));
      },
      [this] { return draining(); });
}

void Node::start_fleet(ops::admin::AdminSources& admin_sources) {
  const ops::FleetConfig& f = config_.fleet;
  fleet::Membership::Options options;
  options.etcd_url = f.etcd;
  options.cluster = f.cluster;
  options.lease_ttl_seconds = f.lease_ttl_ms / 1000;
  const std::string host = advertise_host(config_);
  fleet::NodeRecord& self = options.self;
  self.id = node_id_;
  self.role = f.role;
  self.game_address = host + ":" + std::to_string(server_->port());
  // A game node takes links before it registers: gateways dial what its
  // record says.
  if (const uint16_t link_port = fleet_role_ ? fleet_role_->start() : 0; link_port != 0) {
    self.link_address = host + ":" + std::to_string(link_port);
  }
  if (config_.admin.port != 0) {
    self.admin_address = (is_wildcard(config_.admin.host) ? host : config_.admin.host) + ":" +
                         std::to_string(config_.admin.port);
  }
  self.pid = getpid();
  self.version = admin_sources.version;
  self.started_at = fleet::utc_now_rfc3339();
  options.draining = [this] { return server_->draining() || draining(); };
  // The load figure, read on the service loop about once a second: only
  // counters that any thread may read.
  membership_ = std::make_unique<fleet::Membership>(
      server_->service_loop(), std::move(options),
      [server = server_.get(), rooms = &services_->rooms()] {
        const auto room_stats = rooms->stats();
        return fleet::NodeLoad{server->stats().active_connections, room_stats.rooms_open,
                               room_stats.players};
      });
  if (drain_) drain_->attach(*membership_);
  if (fleet_role_) {
    fleet_role_->attach(*membership_);
    membership_->on_table(
        [role = fleet_role_.get()](const fleet::FleetTable& table) { role->on_table(table); });
  }
  // With redis.url too, chat reaches the other nodes (app/fleet_chat.h).
  const bool chat_across = !config_.redis.url.empty();
  if (chat_across) follow_fleet_nodes(services_->chat(), *membership_);
  membership_->on_change([this](bool member) {
    if (fleet_sessions_) fleet_sessions_->on_membership_in_loop(member);
  });
  // A node id held by a live node throws here: the start fails, naming it.
  membership_->start(std::chrono::seconds(3));
  if (chat_across) {
    fleet_chat_ =
        start_fleet_chat(config_, server_->service_loop(), services_->chat(), *membership_);
  }
  start_fleet_sessions();
  admin_sources.fleet_status = [m = membership_.get()] { return m->summary_json(); };
  admin_sources.fleet_nodes = [m = membership_.get()] { return m->nodes_json(); };
  admin_sources.fleet_member = [m = membership_.get()] { return m->is_member(); };
  admin_sources.fleet_drain = [this] {
    if (!drain_) {
      return ops::admin::ReloadAnswer{
          false,
          "{\"ok\":false,\"error\":\"only gateways and game nodes drain (fleet.role gateway or "
          "game); stop this node with SIGTERM\"}\n"};
    }
    const bool started = begin_drain("POST /fleet/drain");
    if (started && drain_requested_) drain_requested_();
    return ops::admin::ReloadAnswer{
        true, fmt::format("{{\"ok\":true,\"draining\":true,\"started\":{},\"role\":\"{}\","
                          "\"timeout_ms\":{}}}\n",
                          started, config_.fleet.role, drain_->timeout().count())};
  };
}

bool Node::begin_drain(std::string_view why) {
  return drain_ && drain_->begin(why);
}

bool Node::draining() const {
  return drain_ && drain_->draining();
}

bool Node::drained() const {
  return drain_ && drain_->done();
}

std::chrono::milliseconds Node::drain_timeout() const {
  return drain_ ? drain_->timeout() : std::chrono::milliseconds(0);
}

void Node::drain_deadline_passed() {
  if (!drain_) return;
  if (drain_->is_gateway()) {
    spdlog::warn("fleet: drain deadline passed with {} clients still connected",
                 server_->active_connections());
    return;
  }
  if (fleet_role_) fleet_role_->rooms_left_at_deadline();
}

// Runs `f` on the service loop and waits for it: the link lives there.
static void run_on_service_loop(server::Server& server, std::function<void()> f) {
  std::promise<void> done;
  server.service_loop().post([&] {
    f();
    done.set_value();
  });
  done.get_future().wait();
}

void Node::start_fleet_sessions() {
  run_on_service_loop(*server_, [this] {
    fleet_sessions_ = std::make_unique<FleetSessionLink>(*membership_, services_->sessions(),
                                                         config_.fleet.cluster);
  });
}

// Before the membership stops: its client goes with it. The records go
// with the lease it revokes, so a client of this node may resume on another.
void Node::stop_fleet_sessions() {
  if (!fleet_sessions_) return;
  run_on_service_loop(*server_, [this] {
    services_->sessions().clear_fleet_in_loop();
    fleet_sessions_->shutdown_in_loop();  // the link stays: /metrics reads its counters
  });
}

uint16_t Node::port() const {
  return server_->port();
}

void Node::check_plugin_rollbacks_in_loop() {
  plugins_->check_rollbacks(std::chrono::steady_clock::now());
  server_->service_loop().run_at_in_loop(net::EventLoop::Clock::now() + std::chrono::seconds(1),
                                         [this] { check_plugin_rollbacks_in_loop(); });
}

std::string Node::ready_status() const {
  return fmt::format("serving on port {}, config version {}", server_->port(),
                     reloader_->version());
}

ConfigReloader::Outcome Node::notified_reload(std::string_view trigger) {
  if (service_manager_) service_manager_->reloading();
  ConfigReloader::Outcome outcome = reloader_->reload(trigger);
  // READY even when the reload failed: the server keeps serving on the
  // running config, and systemd must not wait for a READY that never comes.
  if (service_manager_) service_manager_->ready(ready_status());
  return outcome;
}

void Node::apply_live(const ops::Config& c) {
  ops::set_log_level(c.log.level);
  // Each listed library is loaded on the reloading thread (control or
  // admin, never a game loop) and its type swapped when its version differs
  // from the running one.
  for (const auto& path : c.rooms.plugins) {
    const auto outcome = plugins_->load(path);
    if (!outcome.ok) spdlog::error("reload: rooms.plugins: {}", outcome.message);
  }
  server_->apply_live_limits(c);
  services_->chat().apply_limits(chat_config(c.chat));
  for (const auto& [name, type] :
       {std::pair{"arena", &c.rooms.arena}, std::pair{"lockstep", &c.rooms.lockstep}}) {
    services_->rooms().apply_type_limits(name, type->max_players,
                                         std::chrono::milliseconds(type->empty_ttl_ms));
  }
}

void Node::reload_on_file_change() {
  notified_reload("file change");
}

void Node::reload_on_signal() {
  if (service_manager_) service_manager_->reloading();
  reloader_->reload("SIGHUP");
  if (!server_->web_root().empty()) {
    if (auto problem = server_->reload_web()) {
      spdlog::error("SIGHUP: web files not reloaded, keeping the running ones: {}", *problem);
    }
  }
  if (config_.tls.enabled) {
    if (auto problem = server_->reload_tls()) {
      spdlog::error("SIGHUP: TLS certificate not reloaded, keeping the running one: {}", *problem);
    } else {
      spdlog::info("SIGHUP: TLS certificate reloaded from {}", config_.tls.certificate_file);
    }
  }
  // After the web files and the certificate too: `systemctl reload` returns
  // once everything SIGHUP reloads is in place.
  if (service_manager_) service_manager_->ready(ready_status());
}

void Node::stop() {
  if (stopped_) return;
  stopped_ = true;
  // First, while the loops still run: the lease is revoked, so the other
  // nodes see this one leave at once rather than after the TTL (the role's
  // etcd users and the session records before that: the membership's
  // client goes with it).
  if (fleet_role_) fleet_role_->stop_etcd();
  stop_fleet_sessions();
  if (membership_) membership_->stop();
  // Only after the drain: /health answers 503 throughout it.
  if (admin_) admin_->stop();
  // The links close while the loops still run (their players' hooks do).
  if (fleet_role_) fleet_role_->stop();
  server_->stop();
  services_->shutdown();
  // The loops are stopped: the chat service no longer calls it.
  fleet_chat_.reset();
}

}  // namespace citadel::app
