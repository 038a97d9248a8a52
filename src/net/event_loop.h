// One event loop: an io_context run by exactly one thread, owning the
// connections assigned to it for their whole life. Other threads reach a loop
// only by posting work to it (post() is the one thread-safe entry point); all
// `_in_loop` methods must run on the loop's thread and assert it.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <thread>
#include <unordered_map>
#include <vector>

#include "net/connection_options.h"
#include "net/loop_stats.h"
#include "ops/logging.h"

namespace citadel::net {

class Connection;

class EventLoop {
 public:
  EventLoop(uint32_t index, const ConnectionOptions& options);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Starts the loop's thread. Call once.
  void start();
  // Stops the loop and joins its thread; connections still open are closed
  // abruptly. Safe from any thread except the loop's own.
  void stop_and_join();

  // Runs f on the loop's thread, later. Safe to call from other threads.
  template <class F>
  void post(F&& f) {
    boost::asio::post(context_, std::forward<F>(f));
  }

  boost::asio::io_context& context() { return context_; }
  uint32_t index() const { return index_; }
  bool is_in_loop_thread() const { return std::this_thread::get_id() == thread_id_; }
  void assert_in_loop_thread() const;

  const LoopStats& stats() const { return stats_; }
  // Connections on this loop; read from other threads only as a gauge.
  uint64_t active_connections() const { return stats_.active_connections.get(); }

  // ---- loop thread only ----
  LoopStats& mutable_stats() { return stats_; }
  const ConnectionOptions& options() const { return options_; }
  // Scratch space every connection on this loop reads into: idle connections
  // hold no read buffer of their own.
  std::span<uint8_t> read_buffer_in_loop() { return read_buffer_; }
  ops::LogRateLimiter& protocol_error_log_in_loop() { return protocol_error_log_; }
  std::chrono::steady_clock::time_point now() const { return std::chrono::steady_clock::now(); }

  // Takes ownership of a freshly accepted socket and starts serving it.
  void adopt_in_loop(boost::asio::ip::tcp::socket socket, boost::asio::ip::address peer);
  // Called by a connection as it closes.
  void forget_in_loop(uint64_t connection_id);
  // Graceful shutdown: every connection gets an ERROR(shutting down) after
  // its queued output, then is closed.
  void drain_in_loop();

 private:
  void schedule_sweep_in_loop();
  void sweep_in_loop();

  static constexpr std::size_t kReadBufferBytes = 64 * 1024;

  const uint32_t index_;
  const ConnectionOptions options_;
  boost::asio::io_context context_{1};  // one thread per context: no reactor hand-off
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  boost::asio::steady_timer sweep_timer_;
  std::thread thread_;
  std::atomic<std::thread::id> thread_id_{};

  LoopStats stats_;
  ops::LogRateLimiter protocol_error_log_;
  std::vector<uint8_t> read_buffer_;
  uint64_t next_sequence_ = 1;
  std::unordered_map<uint64_t, std::shared_ptr<Connection>> connections_;
};

}  // namespace citadel::net
