#include "ops/admin/admin_server.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <spdlog/spdlog.h>

#include "ops/admin/http_session.h"
#include "ops/asio_no_throw.h"

namespace citadel::ops::admin {
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// After accept() fails for lack of descriptors, wait before trying again
// rather than spin on a listener that stays readable.
constexpr auto kAcceptErrorPause = std::chrono::milliseconds(100);

// Counts a session open for as long as its coroutine lives (also when the
// coroutine is destroyed unfinished at shutdown).
class SessionSlot {
 public:
  explicit SessionSlot(uint32_t& open) : open_(open) { ++open_; }
  ~SessionSlot() { --open_; }
  SessionSlot(const SessionSlot&) = delete;
  SessionSlot& operator=(const SessionSlot&) = delete;

 private:
  uint32_t& open_;
};

asio::awaitable<void> run_session(tcp::socket socket, const AdminConfig& config,
                                  Endpoints& endpoints, uint32_t& open_sessions) {
  SessionSlot slot(open_sessions);
  co_await serve_http_session(std::move(socket), config, endpoints);
}

asio::awaitable<void> accept_loop(tcp::acceptor acceptor, const AdminConfig& config,
                                  Endpoints& endpoints, uint32_t& open_sessions) {
  const auto executor = co_await asio::this_coro::executor;
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kNoThrow);
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {
      spdlog::warn("admin: accept failed: {}", ec.message());
      asio::steady_timer pause(executor, kAcceptErrorPause);
      co_await pause.async_wait(kNoThrow);
      continue;
    }
    // Bounded: past the cap a new connection is closed at once, so a flood
    // of clients cannot take the admin thread's memory or descriptors.
    if (open_sessions >= config.max_connections) {
      spdlog::debug("admin: {} connections open (admin.max_connections); closing a new one",
                    open_sessions);
      continue;  // `socket` closes here
    }
    asio::co_spawn(executor, run_session(std::move(socket), config, endpoints, open_sessions),
                   [](const std::exception_ptr& e) {
                     if (!e) return;
                     try {
                       std::rethrow_exception(e);
                     } catch (const std::exception& ex) {
                       spdlog::error("admin: connection ended with an error: {}", ex.what());
                     }
                   });
  }
}

}  // namespace

AdminServer::AdminServer(AdminConfig config, AdminSources sources)
    : config_(std::move(config)), sources_(std::move(sources)) {}

AdminServer::~AdminServer() {
  stop();
}

void AdminServer::add_metrics_collector(MetricsCollector collector) {
  collectors_.push_back(std::move(collector));
}

void AdminServer::start() {
  io_ = std::make_unique<asio::io_context>(1);
  endpoints_ = std::make_unique<Endpoints>(config_, sources_, collectors_);
  const tcp::endpoint at(asio::ip::make_address(config_.host), config_.port);
  tcp::acceptor acceptor(*io_);
  acceptor.open(at.protocol());
  acceptor.set_option(tcp::acceptor::reuse_address(true));
  acceptor.bind(at);  // throws system_error, e.g. "Address already in use"
  acceptor.listen(asio::socket_base::max_listen_connections);
  port_ = acceptor.local_endpoint().port();
  asio::co_spawn(*io_, accept_loop(std::move(acceptor), config_, *endpoints_, open_sessions_),
                 asio::detached);
  thread_ = std::thread([this] { io_->run(); });
  spdlog::info("admin listening on {}:{} (/health, /metrics, /config, /debug/profile; {})",
               config_.host, port_, config_.token.empty() ? "no token" : "bearer token required");
}

void AdminServer::stop() {
  if (!io_) return;
  io_->stop();
  if (thread_.joinable()) thread_.join();
  // Destroys the coroutines still suspended (the listener, open connections,
  // a running profile), releasing their sockets and stopping the profiler.
  io_.reset();
  endpoints_.reset();
}

}  // namespace citadel::ops::admin
