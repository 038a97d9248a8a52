#include "server/server.h"

#include <sys/resource.h>

#include <filesystem>
#include <stdexcept>
#include <system_error>

#include <spdlog/spdlog.h>

#include "net/acceptor.h"
#include "net/connection.h"
#include "net/tls/tls_context.h"
#include "net/websocket/handshake.h"

namespace citadel::server {

namespace {

// web.root's default: the demo bundle the build puts beside the binary
// (build/bin/citadel -> build/web/demo), found from the binary itself so it
// does not depend on the working directory.
std::string default_web_root() {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "web/demo";
  return (exe.parent_path().parent_path() / "web" / "demo").lexically_normal().string();
}

}  // namespace

uint64_t open_file_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return 1u << 20;
  return rl.rlim_cur;
}

// The loops exist from construction (services bind to the service loop
// before start); their threads and the listener start in start().
namespace {
net::LiveConnectionOptions live_options(const ops::Config& c) {
  net::LiveConnectionOptions live;
  live.idle_timeout = std::chrono::milliseconds(c.limits.idle_timeout_ms);
  live.login_timeout = std::chrono::milliseconds(c.limits.login_timeout_ms);
  live.websocket_handshake_timeout = std::chrono::milliseconds(c.websocket.handshake_timeout_ms);
  live.websocket_pings_per_second = c.websocket.max_pings_per_second;
  live.tls_handshake_timeout = std::chrono::milliseconds(c.tls.handshake_timeout_ms);
  return live;
}
}  // namespace

void Server::apply_live_limits(const ops::Config& config) {
  const net::LiveConnectionOptions live = live_options(config);
  for (const auto& loop : loops_) loop->apply_live_options(live);
}

Server::Server(ops::Config config)
    : config_(std::move(config)),
      limits_(config_.limits.effective_max_connections(open_file_limit()),
              config_.limits.max_connections_per_ip) {
  net::ConnectionOptions options;
  options.max_payload_bytes = config_.limits.max_payload_bytes;
  options.output_queue_bytes = config_.limits.output_queue_bytes;
  options.idle_timeout = std::chrono::milliseconds(config_.limits.idle_timeout_ms);
  options.login_timeout = std::chrono::milliseconds(config_.limits.login_timeout_ms);
  options.protocol_errors_logged_per_second = config_.log.protocol_errors_per_second;
  options.batched_sends = config_.server.batched_sends;
  options.wake_coalesce = std::chrono::microseconds(config_.server.wake_coalesce_us);
  if (config_.websocket.enabled) {
    websocket_ =
        std::make_unique<net::websocket::HandshakeConfig>(ops::websocket_handshake_config(config_));
    options.websocket = websocket_.get();
    options.websocket_handshake_timeout =
        std::chrono::milliseconds(config_.websocket.handshake_timeout_ms);
    options.websocket_pings_per_second = config_.websocket.max_pings_per_second;
    if (config_.web.enabled) {
      websocket_->static_site = &web_site_;
      web_root_is_default_ = config_.web.root.empty();
      web_root_ = web_root_is_default_ ? default_web_root() : config_.web.root;
    }
  }
  const uint32_t threads = config_.effective_threads();
  if (config_.tls.enabled) {
    tls_ = std::make_unique<net::tls::ContextStore>(net::tls::TlsConfig{
        config_.tls.certificate_file, config_.tls.private_key_file, config_.tls.min_version});
    options.tls = tls_.get();
    options.tls_handshake_timeout = std::chrono::milliseconds(config_.tls.handshake_timeout_ms);
    // Each loop gets its share, rounded up: at least one each.
    options.tls_max_handshakes_per_loop =
        (config_.tls.max_concurrent_handshakes + threads - 1) / threads;
  }
  options.dispatcher = &router_;
  options.limits = &limits_;
  options.on_closed = [this](uint64_t connection_id, uint64_t user_id) {
    if (connection_closed_) connection_closed_(connection_id, user_id);
  };
  for (uint32_t i = 0; i < threads; ++i) {
    loops_.push_back(std::make_unique<net::EventLoop>(i, options));
  }
  outbox_ = std::make_unique<LocalOutbox>(io_loops());
}

Server::~Server() {
  stop();
}

void Server::start() {
  if (tls_) {
    if (auto problem = tls_->load()) throw std::runtime_error("tls: " + *problem);
  }
  if (config_.web.enabled && !websocket_) {
    spdlog::warn(
        "web: not served: static files are read by the WebSocket handshake reader, and "
        "websocket.enabled is false");
  }
  if (!web_root_.empty()) {
    if (auto problem = reload_web()) {
      // A root the operator named must work; the default one is only there
      // once the demo is built, and the game does not need it.
      if (!web_root_is_default_) throw std::runtime_error("web.root: " + *problem);
      web_site_.set(net::http::StaticSite::make(config_.web.path, {}).site);
      spdlog::warn("web: nothing to serve under {}: {} (build the demo: scripts/build-web-demo.sh)",
                   config_.web.path, *problem);
    }
  }
  std::vector<net::EventLoop*> io_loops;
  for (auto& loop : loops_) io_loops.push_back(loop.get());
  acceptor_ = std::make_unique<net::Acceptor>(*loops_[0], io_loops, config_.server.host,
                                              config_.server.port, limits_);
  port_ = acceptor_->port();
  const std::pair<uint16_t, net::PortWires> transport_ports[] = {
      {config_.websocket.port, net::PortWires::kWebSocketOnly},
      {config_.tls.port, net::PortWires::kTlsOnly}};
  for (const auto& [port, wires] : transport_ports) {
    if (port == 0) continue;
    transport_acceptors_.push_back(std::make_unique<net::Acceptor>(
        *loops_[0], io_loops, config_.server.host, port, limits_, wires));
    spdlog::info("listening on {}:{} for {} only", config_.server.host, port,
                 wires == net::PortWires::kTlsOnly ? "TLS" : "WebSocket");
  }
  for (auto& loop : loops_) loop->start();
  loops_[0]->post([this] {
    acceptor_->start_in_loop();
    for (auto& a : transport_acceptors_) a->start_in_loop();
  });
  started_ = true;
  spdlog::info("listening on {}:{} ({} I/O threads, max {} connections, {} per address)",
               config_.server.host, port_, loops_.size(), limits_.max_total(),
               limits_.per_address_max() == 0 ? std::string("no cap")
                                              : std::to_string(limits_.per_address_max()));
  if (tls_) {
    // Sessions run over memory BIOs so the loop's batched sends keep working;
    // kernel TLS would need the socket handed to OpenSSL instead.
    spdlog::info("TLS on the game port (TLS {}+); kernel TLS {}", config_.tls.min_version,
                 net::tls::kernel_tls_available()
                     ? "is available in this kernel but not used (Citadel encrypts in user space)"
                     : "is not available in this kernel (no 'tls' in tcp_available_ulp)");
  }
}

std::optional<std::string> Server::reload_tls() {
  if (!tls_) return std::nullopt;
  return tls_->load();
}

std::optional<std::string> Server::reload_web() {
  if (web_root_.empty()) return std::nullopt;
  net::http::LoadedFiles loaded = net::http::load_static_directory(web_root_);
  if (!loaded.problem.empty()) return loaded.problem;
  const std::size_t count = loaded.files.size();
  net::http::StaticSite::Built built =
      net::http::StaticSite::make(config_.web.path, std::move(loaded.files));
  if (!built.site) return built.problem;
  spdlog::info("web: serving {} files ({} bytes) from {} at {}", count, built.site->total_bytes(),
               web_root_, config_.web.path);
  web_site_.set(std::move(built.site));
  return std::nullopt;
}

uint64_t Server::tls_reloads() const {
  return tls_ ? tls_->reloads() : 0;
}

uint64_t Server::tls_reload_failures() const {
  return tls_ ? tls_->reload_failures() : 0;
}

void Server::stop_accepting() {
  if (!started_) return;
  loops_[0]->post([this] {
    acceptor_->stop_in_loop();
    for (auto& a : transport_acceptors_) a->stop_in_loop();
  });
}

void Server::for_each_connection(std::function<void(net::Responder&)> f) {
  auto shared = std::make_shared<const std::function<void(net::Responder&)>>(std::move(f));
  for (auto& loop : loops_) {
    loop->post([l = loop.get(), shared] { l->for_each_connection_in_loop(*shared); });
  }
}

void Server::begin_shutdown() {
  if (!started_ || draining_.exchange(true)) return;
  spdlog::info("shutting down: stopped accepting, draining {} connections", active_connections());
  stop_accepting();
  for (auto& loop : loops_) {
    loop->post([l = loop.get()] { l->drain_in_loop(); });
  }
}

uint64_t Server::active_connections() const {
  uint64_t n = 0;
  for (const auto& loop : loops_) n += loop->active_connections();
  return n;
}

void Server::stop() {
  if (!started_) return;
  started_ = false;
  if (before_stop_) before_stop_();
  for (auto& loop : loops_) loop->stop_and_join();
  acceptor_.reset();
  transport_acceptors_.clear();
}

net::SharedBytes make_shared_frame(uint16_t cmd, std::span<const uint8_t> payload) {
  auto bytes = std::make_shared<std::vector<uint8_t>>();
  bytes->reserve(protocol::kHeaderBytes + payload.size());
  protocol::append_frame(*bytes, cmd, payload);
  return bytes;
}

net::StatsSnapshot Server::stats() const {
  net::StatsSnapshot s;
  for (const auto& loop : loops_) s.add(loop->stats());
  return s;
}

}  // namespace citadel::server
