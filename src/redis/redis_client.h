// A Redis connection driven by one of our event loops: hiredis's async API
// (hiredis 0.14) with its socket registered in the loop's epoll set, so
// commands are pipelined (everything queued in a turn goes out in one write)
// and replies run their callbacks on the loop's thread. No thread of its own,
// no lock.
//
// Reconnects by itself: when the connection fails or drops, the requests in
// flight complete with "redis: connection lost", and until a new connection
// is up every new request completes at once with "redis: not connected"
// (never queued, so nothing waits or grows while Redis is away). Attempts
// follow a backoff from Options::reconnect_min to reconnect_max (doubling).
// In flight at most Options::max_in_flight requests: beyond that a request
// completes at once with "redis: too many requests in flight".
//
// With a password in the URL, AUTH (`AUTH password`, or `AUTH user
// password` for an ACL user) is the first command of every connection; the
// connection counts as up (connected(), the hook) only once Redis accepted
// it. A refused AUTH is logged as an error (the password never is), counted
// in RedisClientStats::auth_failures and handled like any failed attempt:
// the connection is closed and retried with the backoff.
//
// Loop thread only: construct and call it on the loop's thread (or, in
// tests, on the thread that drives the loop by hand); destroy it there or
// after the loop stopped. Destroying it completes the requests in flight
// with "redis: client closed".
#pragma once

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "net/event_loop.h"
#include "redis/redis_url.h"

namespace citadel::redis {

// What a command came back with: a reply (valid during the callback only;
// it may be an error reply, see ok()) or, without one, why not.
struct RedisResult {
  const redisReply* reply = nullptr;
  std::string_view error;  // set when reply is null

  // A reply that is not an error reply.
  bool ok() const { return reply != nullptr && reply->type != REDIS_REPLY_ERROR; }
  // The client's error, or the text of an error reply; empty when ok().
  std::string_view error_text() const {
    if (reply == nullptr) return error;
    if (reply->type == REDIS_REPLY_ERROR) return {reply->str, reply->len};
    return {};
  }
};

// What a client counts, for /metrics: written on the loop's thread, read
// from any (the admin thread).
struct RedisClientStats {
  std::atomic<bool> connected{false};
  std::atomic<uint64_t> connections{0};       // connections that came up (AUTH accepted)
  std::atomic<uint64_t> connect_failures{0};  // attempts that failed (refused, timed out, AUTH)
  std::atomic<uint64_t> auth_failures{0};     // attempts whose AUTH Redis refused
};

class RedisClient final : private net::IoHandler {
 public:
  using Callback = std::function<void(const RedisResult&)>;
  // Runs on the loop's thread each time a connection comes up (the first
  // included), before any request is accepted on it.
  using ConnectedHook = std::function<void()>;

  struct Options {
    std::chrono::milliseconds reconnect_min{50};
    std::chrono::milliseconds reconnect_max{2000};
    // A connect attempt that has not completed by then is abandoned.
    std::chrono::milliseconds connect_timeout{2000};
    std::size_t max_in_flight = 1 << 20;
    // Where the client counts; null: it keeps its own (stats()).
    std::shared_ptr<RedisClientStats> stats;
  };

  // Starts connecting at once.
  RedisClient(net::EventLoop& loop, RedisUrl url, Options options);
  RedisClient(net::EventLoop& loop, RedisUrl url) : RedisClient(loop, std::move(url), Options{}) {}
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Sends one command (binary-safe arguments, copied). `done` runs exactly
  // once: from a later loop turn with the reply, or before this returns
  // with the client's error (not connected, too many in flight).
  void command(std::span<const std::string_view> args, Callback done);

  bool connected() const { return state_ == State::kConnected; }
  net::EventLoop& loop() const { return loop_; }
  std::size_t in_flight() const { return in_flight_; }
  // Connections that came up so far (1 after the first).
  uint64_t connections() const { return connections_; }
  void set_connected_hook(ConnectedHook hook) { connected_hook_ = std::move(hook); }
  const RedisClientStats& stats() const { return *stats_; }

 private:
  enum class State { kIdle, kConnecting, kConnected };
  struct Pending;

  void connect();
  // Queues AUTH (when the URL has a password) and SELECT (db != 0) ahead
  // of every request of the new connection.
  void queue_handshake(redisAsyncContext* ac);
  // The connection is usable: counts it, resets the backoff, runs the hook.
  void mark_connected();
  // An attempt failed (counted for /metrics; the callers log).
  void count_failure();
  void schedule_reconnect();
  // Closes the context (its callbacks complete with `why`) and plans a
  // reconnect unless the client is being destroyed.
  void drop(std::string_view why);
  void handle_events_in_loop(uint32_t events) override;
  void update_interest();

  // hiredis hooks: ev.* take our `this` as privdata.
  static void on_add_read(void* self);
  static void on_del_read(void* self);
  static void on_add_write(void* self);
  static void on_del_write(void* self);
  static void on_cleanup(void* self);
  static void on_connect(const redisAsyncContext* ac, int status);
  static void on_disconnect(const redisAsyncContext* ac, int status);
  static void on_reply(redisAsyncContext* ac, void* reply, void* privdata);

  net::EventLoop& loop_;
  const RedisUrl url_;
  const Options options_;
  redisAsyncContext* ctx_ = nullptr;  // owned by hiredis once connecting; freed by it or drop()
  int fd_ = -1;                       // in the loop's epoll set while >= 0
  bool want_read_ = false;
  bool want_write_ = false;
  State state_ = State::kIdle;
  std::string_view failure_ = "redis: connection lost";  // what callbacks get when ctx_ dies
  bool destroying_ = false;
  bool warned_ = false;  // a failed attempt was logged since the last connection
  std::size_t in_flight_ = 0;
  uint64_t connections_ = 0;
  std::chrono::milliseconds backoff_;
  ConnectedHook connected_hook_;
  // Timers hold a weak pointer: a timer that fires after destruction does nothing.
  std::shared_ptr<RedisClient*> alive_;
  uint64_t attempt_ = 0;  // which connect attempt a connect-timeout timer belongs to
  std::shared_ptr<RedisClientStats> stats_;
};

}  // namespace citadel::redis
