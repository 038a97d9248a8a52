#include "redis/redis_client.h"

#include <spdlog/spdlog.h>
#include <sys/epoll.h>

#include <algorithm>
#include <array>
#include <vector>

namespace citadel::redis {
namespace {

constexpr std::string_view kNotConnected = "redis: not connected";
constexpr std::string_view kConnectionLost = "redis: connection lost";
constexpr std::string_view kTooMany = "redis: too many requests in flight";
constexpr std::string_view kClosed = "redis: client closed";
constexpr std::string_view kConnectTimeout = "redis: connect timed out";
constexpr std::string_view kAuthRefused = "redis: authentication refused";
constexpr std::size_t kStackArgs = 16;

RedisClient* self_of(const redisAsyncContext* ac) {
  return static_cast<RedisClient*>(ac->data);
}

}  // namespace

// One request's callback, handed to hiredis as privdata.
struct RedisClient::Pending {
  Callback done;
  bool counted = true;  // false: the client's own (SELECT), not in in_flight()
};

RedisClient::RedisClient(net::EventLoop& loop, RedisUrl url, Options options)
    : loop_(loop),
      url_(std::move(url)),
      options_(options),
      backoff_(options.reconnect_min),
      alive_(std::make_shared<RedisClient*>(this)),
      stats_(options.stats ? options.stats : std::make_shared<RedisClientStats>()) {
  connect();
}

RedisClient::~RedisClient() {
  destroying_ = true;
  alive_.reset();
  if (ctx_ != nullptr) {
    failure_ = kClosed;
    // Closing the socket takes it out of the epoll set: no loop call, so the
    // client may be destroyed after its loop stopped.
    fd_ = -1;
    redisAsyncFree(ctx_);  // completes what is in flight; on_cleanup unregisters the fd
  }
}

void RedisClient::connect() {
  state_ = State::kConnecting;
  const uint64_t attempt = ++attempt_;
  redisAsyncContext* ac = redisAsyncConnect(url_.host.c_str(), url_.port);
  if (ac == nullptr || ac->err) {
    if (!warned_)
      spdlog::warn("redis: cannot connect to {}:{}: {}", url_.host, url_.port,
                   ac ? ac->errstr : "out of memory");
    warned_ = true;
    count_failure();
    if (ac != nullptr) redisAsyncFree(ac);
    schedule_reconnect();
    return;
  }
  ctx_ = ac;
  ac->data = this;
  fd_ = ac->c.fd;
  loop_.add_fd_in_loop(fd_, 0, this);
  ac->ev.data = this;
  ac->ev.addRead = &on_add_read;
  ac->ev.delRead = &on_del_read;
  ac->ev.addWrite = &on_add_write;
  ac->ev.delWrite = &on_del_write;
  ac->ev.cleanup = &on_cleanup;
  redisAsyncSetConnectCallback(ac, &on_connect);  // asks for writability: the connect's end
  redisAsyncSetDisconnectCallback(ac, &on_disconnect);
  queue_handshake(ac);
  std::weak_ptr<RedisClient*> alive = alive_;
  loop_.run_at_in_loop(net::EventLoop::Clock::now() + options_.connect_timeout, [alive, attempt] {
    auto self = alive.lock();
    if (!self) return;
    RedisClient& client = **self;
    if (client.attempt_ == attempt && client.state_ == State::kConnecting && client.ctx_) {
      spdlog::warn("redis: connecting to {}:{} timed out", client.url_.host, client.url_.port);
      client.count_failure();
      client.drop(kConnectTimeout);
    }
  });
}

void RedisClient::queue_handshake(redisAsyncContext* ac) {
  // Both are queued before any request (command() refuses until the
  // connection is marked up): hiredis sends them first, in this order.
  if (!url_.password.empty()) {
    std::vector<const char*> argv = {"AUTH"};
    std::vector<size_t> lens = {4};
    if (!url_.user.empty()) {
      argv.push_back(url_.user.c_str());
      lens.push_back(url_.user.size());
    }
    argv.push_back(url_.password.c_str());
    lens.push_back(url_.password.size());
    auto pending = std::make_unique<Pending>(Pending{
        [this](const RedisResult& r) {
          if (r.reply == nullptr) return;  // the connection went first: on_cleanup retries
          if (r.ok()) return mark_connected();
          stats_->auth_failures.fetch_add(1, std::memory_order_relaxed);
          count_failure();
          // Redis's error text names no password; the URL is not logged.
          if (!warned_) {
            spdlog::error(
                "redis: {}:{} refused AUTH{}{}: {} (check the user and password in redis.url; "
                "retrying every {} ms at most)",
                url_.host, url_.port, url_.user.empty() ? "" : " as user ", url_.user,
                r.error_text(), options_.reconnect_max.count());
          }
          warned_ = true;
          drop(kAuthRefused);  // deferred by hiredis until this callback returns
        },
        false});
    if (redisAsyncCommandArgv(ac, &on_reply, pending.get(), static_cast<int>(argv.size()),
                              argv.data(), lens.data()) == REDIS_OK) {
      pending.release();
    }
  }
  if (url_.db != 0) {
    const std::string db = std::to_string(url_.db);
    const char* argv[] = {"SELECT", db.c_str()};
    const size_t lens[] = {6, db.size()};
    auto pending = std::make_unique<Pending>(Pending{[](const RedisResult& r) {
                                                       if (r.reply != nullptr && !r.ok())
                                                         spdlog::error("redis: SELECT failed: {}",
                                                                       r.error_text());
                                                     },
                                                     false});
    if (redisAsyncCommandArgv(ac, &on_reply, pending.get(), 2, argv, lens) == REDIS_OK) {
      pending.release();
    }
  }
}

void RedisClient::mark_connected() {
  state_ = State::kConnected;
  warned_ = false;
  backoff_ = options_.reconnect_min;
  stats_->connected.store(true, std::memory_order_relaxed);
  stats_->connections.fetch_add(1, std::memory_order_relaxed);
  if (++connections_ > 1) spdlog::info("redis: reconnected to {}:{}", url_.host, url_.port);
  if (connected_hook_) connected_hook_();
}

void RedisClient::count_failure() {
  stats_->connect_failures.fetch_add(1, std::memory_order_relaxed);
}

void RedisClient::schedule_reconnect() {
  state_ = State::kIdle;
  stats_->connected.store(false, std::memory_order_relaxed);
  if (destroying_) return;
  std::weak_ptr<RedisClient*> alive = alive_;
  loop_.run_at_in_loop(net::EventLoop::Clock::now() + backoff_, [alive] {
    if (auto self = alive.lock(); self && (*self)->state_ == State::kIdle) (*self)->connect();
  });
  backoff_ = std::min(backoff_ * 2, options_.reconnect_max);
}

void RedisClient::drop(std::string_view why) {
  if (ctx_ == nullptr) return;
  failure_ = why;
  redisAsyncFree(ctx_);  // on_reply fails each pending request, on_cleanup plans the reconnect
  failure_ = kConnectionLost;
}

void RedisClient::command(std::span<const std::string_view> args, Callback done) {
  if (state_ != State::kConnected || ctx_ == nullptr) return done({nullptr, kNotConnected});
  if (in_flight_ >= options_.max_in_flight) return done({nullptr, kTooMany});
  std::array<const char*, kStackArgs> argv_small;
  std::array<size_t, kStackArgs> lens_small;
  std::vector<const char*> argv_big;
  std::vector<size_t> lens_big;
  const char** argv = argv_small.data();
  size_t* lens = lens_small.data();
  if (args.size() > kStackArgs) {
    argv_big.resize(args.size());
    lens_big.resize(args.size());
    argv = argv_big.data();
    lens = lens_big.data();
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    argv[i] = args[i].data();
    lens[i] = args[i].size();
  }
  auto pending = std::make_unique<Pending>(Pending{std::move(done)});
  if (redisAsyncCommandArgv(ctx_, &on_reply, pending.get(), static_cast<int>(args.size()), argv,
                            lens) != REDIS_OK) {
    return pending->done({nullptr, kNotConnected});
  }
  pending.release();  // on_reply takes it back
  ++in_flight_;
}

void RedisClient::handle_events_in_loop(uint32_t events) {
  if (ctx_ != nullptr && (events & (EPOLLIN | EPOLLERR | EPOLLHUP))) redisAsyncHandleRead(ctx_);
  // The read may have freed the context (the connection failed or closed).
  if (ctx_ != nullptr && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) redisAsyncHandleWrite(ctx_);
}

void RedisClient::update_interest() {
  if (fd_ < 0) return;
  const uint32_t mask = (want_read_ ? EPOLLIN : 0u) | (want_write_ ? EPOLLOUT : 0u);
  loop_.modify_fd_in_loop(fd_, mask, this);
}

void RedisClient::on_add_read(void* self) {
  auto* c = static_cast<RedisClient*>(self);
  if (c->want_read_) return;
  c->want_read_ = true;
  c->update_interest();
}

void RedisClient::on_del_read(void* self) {
  auto* c = static_cast<RedisClient*>(self);
  if (!c->want_read_) return;
  c->want_read_ = false;
  c->update_interest();
}

void RedisClient::on_add_write(void* self) {
  auto* c = static_cast<RedisClient*>(self);
  if (c->want_write_) return;
  c->want_write_ = true;
  c->update_interest();
}

void RedisClient::on_del_write(void* self) {
  auto* c = static_cast<RedisClient*>(self);
  if (!c->want_write_) return;
  c->want_write_ = false;
  c->update_interest();
}

void RedisClient::on_cleanup(void* self) {
  // hiredis is freeing the context (after failing its pending callbacks).
  auto* c = static_cast<RedisClient*>(self);
  if (c->fd_ >= 0) c->loop_.remove_fd_in_loop(c->fd_);
  c->fd_ = -1;
  c->want_read_ = c->want_write_ = false;
  c->ctx_ = nullptr;
  c->schedule_reconnect();
}

void RedisClient::on_connect(const redisAsyncContext* ac, int status) {
  RedisClient* c = self_of(ac);
  if (status != REDIS_OK) {
    // Once per outage: the retries that follow fail the same way.
    if (!c->warned_) {
      spdlog::warn("redis: cannot connect to {}:{}: {} (retrying every {} ms at most)",
                   c->url_.host, c->url_.port, ac->errstr ? ac->errstr : "?",
                   c->options_.reconnect_max.count());
    }
    c->warned_ = true;
    c->failure_ = kConnectionLost;
    c->count_failure();
    return;  // hiredis frees the context next: on_cleanup plans the retry
  }
  // With a password the connection is up once AUTH is accepted (queue_handshake).
  if (!c->url_.password.empty()) return;
  c->mark_connected();
}

void RedisClient::on_disconnect(const redisAsyncContext* ac, int status) {
  RedisClient* c = self_of(ac);
  if (status != REDIS_OK && !c->destroying_) {
    spdlog::warn("redis: lost the connection to {}:{}: {}", c->url_.host, c->url_.port,
                 ac->errstr ? ac->errstr : "?");
  }
}

void RedisClient::on_reply(redisAsyncContext* ac, void* reply, void* privdata) {
  std::unique_ptr<Pending> pending(static_cast<Pending*>(privdata));
  RedisClient* c = self_of(ac);
  if (pending->counted) --c->in_flight_;
  const auto* r = static_cast<const redisReply*>(reply);
  // No reply: the context is going away. Refuse new requests from here on,
  // including any this callback makes.
  if (r == nullptr) c->state_ = State::kIdle;
  if (pending->done) pending->done(RedisResult{r, r == nullptr ? c->failure_ : std::string_view()});
}

}  // namespace citadel::redis
