// One event loop: an epoll instance run by exactly one thread, owning the
// connections assigned to it for their whole life (muduo's one-loop-per-thread).
// Other threads reach a loop only through post(), the one thread-safe entry
// point; every `_in_loop` method must run on the loop's thread.
//
// Why not Boost.Asio's io_context: its reactor re-arms a descriptor with
// epoll_ctl(EPOLL_CTL_MOD) on every async_wait, one extra syscall per read
// (measured: +2 us per request, 20% below the C reference), and its
// speculative async_read_some avoids that only by holding a buffer per
// pending read, which idle connections cannot afford. See docs/architecture.md.
#pragma once

#include <sys/epoll.h>

#include <boost/asio/ip/address.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <unordered_map>
#include <vector>

#include "net/connection_options.h"
#include "net/loop_clock.h"
#include "net/loop_stats.h"
#include "net/send_batch.h"
#include "net/timer_queue.h"
#include "net/unique_fd.h"
#include "ops/logging.h"

// Checks that an *_in_loop method runs on the thread of the loop that owns
// its object, aborting with a log line if not. On in Debug builds and in
// the sanitizer builds (CITADEL_THREAD_CHECKS, scripts/build.sh asan|tsan);
// compiled away in Release, where the compare would sit on the message path.
#if !defined(NDEBUG) || defined(CITADEL_THREAD_CHECKS)
#define CITADEL_ASSERT_IN_LOOP(loop) (loop).assert_in_loop_thread()
#define CITADEL_THREAD_CHECKS_ON 1
#else
#define CITADEL_ASSERT_IN_LOOP(loop) static_cast<void>(0)
#define CITADEL_THREAD_CHECKS_ON 0
#endif

namespace citadel::net {

// Whether CITADEL_ASSERT_IN_LOOP checks anything in this build.
inline constexpr bool kThreadChecks = CITADEL_THREAD_CHECKS_ON != 0;

class Connection;
class Responder;

// Something registered with a loop's epoll set.
class IoHandler {
 public:
  // Loop thread. `events` is the epoll event mask.
  virtual void handle_events_in_loop(uint32_t events) = 0;

 protected:
  ~IoHandler() = default;
};

class EventLoop {
 public:
  using Clock = LoopClock;  // steady_clock, or a test's fake (net/loop_clock.h)
  using Functor = std::function<void()>;

  EventLoop(uint32_t index, const ConnectionOptions& options);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Starts the loop's thread. Call once.
  void start();
  // Stops the loop and joins its thread; connections still open are closed
  // abruptly. Safe from any thread except the loop's own.
  void stop_and_join();

  // ---- driving the loop by hand (deterministic tests, fuzz targets) ----
  // Instead of start(): the calling thread becomes the loop's thread and
  // makes the turns itself, so the test decides when I/O, timers and posted
  // tasks run (several loops may share that thread). With a fake LoopClock
  // nothing is due until the test moves time.
  void attach_for_testing();
  // One turn, waiting at most max_wait for I/O. Returns how many I/O events,
  // timers, posted tasks and flushes it handled: 0 means the loop is idle.
  std::size_t run_turn_for_testing(std::chrono::nanoseconds max_wait);
  // Closes the connections left, as the thread does when the loop stops.
  void detach_for_testing();

  // Runs f on the loop's thread, after the current batch of I/O events.
  // Safe from any thread.
  void post(Functor f);

  uint32_t index() const { return index_; }
  bool is_in_loop_thread() const { return std::this_thread::get_id() == thread_id_.load(); }
  void assert_in_loop_thread() const;

  const LoopStats& stats() const { return stats_; }
  // Connections on this loop; read from other threads only as a gauge.
  uint64_t active_connections() const { return stats_.active_connections.get(); }

  // ---- loop thread only ----
  void add_fd_in_loop(int fd, uint32_t events, IoHandler* handler);
  void modify_fd_in_loop(int fd, uint32_t events, IoHandler* handler);
  void remove_fd_in_loop(int fd);
  TimerQueue::TimerId run_at_in_loop(Clock::time_point deadline, Functor f);
  bool cancel_timer_in_loop(const TimerQueue::TimerId& id) {
    CITADEL_ASSERT_IN_LOOP(*this);
    return timers_.cancel(id);
  }

  LoopStats& mutable_stats() { return stats_; }
  const ConnectionOptions& options() const { return options_; }
  // A reload's new limits (any thread): the loop takes them on its own
  // thread; connections see them from their next check (the idle and login
  // deadlines from the next sweep).
  void apply_live_options(const LiveConnectionOptions& live);
  // Scratch space every connection on this loop reads into: idle connections
  // hold no read buffer of their own.
  std::span<uint8_t> read_buffer_in_loop() {
    CITADEL_ASSERT_IN_LOOP(*this);
    return read_buffer_;
  }
  // TLS connections on this loop still in their handshake (the cap is per
  // loop: no counter shared between threads).
  uint32_t& tls_handshakes_in_loop() {
    CITADEL_ASSERT_IN_LOOP(*this);
    return tls_handshakes_;
  }
  // Where a TLS connection gathers a turn's plaintext for its one SSL_write.
  // Separate from the read buffer, which may hold the plaintext being
  // dispatched when a handler closes the connection (and so flushes it).
  std::vector<uint8_t>& tls_scratch_in_loop() {
    CITADEL_ASSERT_IN_LOOP(*this);
    return tls_scratch_;
  }
  ops::LogRateLimiter& protocol_error_log_in_loop() {
    CITADEL_ASSERT_IN_LOOP(*this);
    return protocol_error_log_;
  }
  // The time at the start of this loop turn (one clock read per turn).
  Clock::time_point now() const { return now_; }

  // Queues conn's output to be written at the end of this turn, after the
  // posted functors: a broadcast to thousands of connections costs one list
  // append each, no lock and no allocation, and one write per connection.
  void schedule_flush_in_loop(std::shared_ptr<Connection> conn) {
    CITADEL_ASSERT_IN_LOOP(*this);
    flush_list_.push_back(std::move(conn));
  }

  // A connection whose last read filled the read buffer: read it again next
  // turn (connections are edge-triggered; see Connection::read_in_loop).
  void read_again_in_loop(std::shared_ptr<Connection> conn) {
    CITADEL_ASSERT_IN_LOOP(*this);
    read_again_.push_back(std::move(conn));
  }

  // Takes ownership of a freshly accepted, non-blocking socket.
  void adopt_in_loop(UniqueFd fd, boost::asio::ip::address peer, PortWires wires = PortWires::kAll);
  // The open connection with this id, or nullptr.
  Connection* find_in_loop(uint64_t connection_id);
  // The same, through the transport seam (for code above net/), and also
  // for a remote connection registered below.
  Responder* responder_in_loop(uint64_t connection_id);
  // A connection id: [node slot: 8 bits][loop index: 8 bits][sequence: 48].
  // The loop that owns the connection, or that answers for it.
  static uint32_t loop_of(uint64_t connection_id) {
    return static_cast<uint32_t>(connection_id >> 48) & 0xFF;
  }
  // 0 for a socket of this process; else the connection is a socket of
  // another process (a fleet's gateway), reached through a link whose slot
  // this is, and a Responder registered on this loop answers for it.
  static uint32_t node_slot_of(uint64_t connection_id) {
    return static_cast<uint32_t>(connection_id >> 56);
  }
  // Remote connections (node slot non-zero) this loop answers for: whoever
  // registers one keeps the Responder alive until it removes it. Routes,
  // the Outbox and rooms reach them by id as they reach this loop's own.
  void add_remote_responder_in_loop(uint64_t connection_id, Responder* responder);
  void remove_remote_responder_in_loop(uint64_t connection_id);
  // Called by a connection as it closes. The object is kept until the end of
  // the turn, so events already returned for it in this batch stay safe.
  void forget_in_loop(uint64_t connection_id);
  // Graceful shutdown: every connection gets an ERROR(shutting down) after
  // its queued output, then is closed.
  void drain_in_loop();
  // Every open connection of this loop (its sockets, not remote players),
  // through the transport seam: e.g. a fleet node that drains telling each
  // client where to reconnect.
  void for_each_connection_in_loop(const std::function<void(Responder&)>& f);

 private:
  class Wakeup;
  void run();
  // run() is begin, turns until stopped, end; a test calls them one by one.
  void begin_in_loop();
  std::size_t turn_in_loop(const timespec* timeout);
  // epoll_pwait2 into `events` (kMaxEventsPerWait); the count, 0 on EINTR.
  int wait_for_events(epoll_event* events, const timespec* timeout);
  void handle_events(const epoll_event* events, int n);
  std::size_t poll_again_before_timers(epoll_event* events);
  void end_in_loop();
  std::size_t run_pending_functors();
  std::size_t run_scheduled_flushes();
  std::size_t run_reads_again();
  void flush_batched();
  void wake();
  void schedule_sweep_in_loop();
  void sweep_in_loop();
  void schedule_lag_probe_in_loop();
  // How long epoll may sleep: until the next timer, zero if work is
  // pending, null (forever) if neither.
  const timespec* next_timeout(timespec& storage) const;
  // options_.wake_coalesce: if this loop's last turn began less than that
  // long ago and it is about to block, sleeps until that much has passed
  // (or the next timer is due) and returns the timeout recomputed.
  const timespec* coalesce_wakeup(const timespec* timeout, timespec& storage);

  static constexpr std::size_t kReadBufferBytes = 64 * 1024;
  static constexpr int kMaxEventsPerWait = 256;
  // Non-blocking polls at most before a turn's due timers (see
  // poll_again_before_timers).
  static constexpr int kPollsBeforeTimers = 2;
  // Sends per io_uring submission; a larger flush list takes several.
  static constexpr unsigned kSendBatchEntries = 256;

  const uint32_t index_;
  ConnectionOptions options_;  // the live part changes on this loop's thread only
  UniqueFd epoll_fd_;
  UniqueFd wakeup_fd_;
  std::unique_ptr<Wakeup> wakeup_handler_;
  std::thread thread_;
  std::atomic<std::thread::id> thread_id_{};
  std::atomic<bool> stop_{false};

  mutable std::mutex pending_mutex_;
  std::vector<Functor> pending_;  // guarded by pending_mutex_
  bool wake_pending_ = false;     // guarded by pending_mutex_

  TimerQueue timers_;
  Clock::time_point now_ = Clock::now();
  LoopStats stats_;
  ops::LogRateLimiter protocol_error_log_;
  std::vector<uint8_t> read_buffer_;
  std::vector<uint8_t> tls_scratch_;
  uint32_t tls_handshakes_ = 0;
  uint64_t next_sequence_ = 1;
  std::unordered_map<uint64_t, std::shared_ptr<Connection>> connections_;
  std::unordered_map<uint64_t, Responder*> remote_responders_;
  std::vector<std::shared_ptr<Connection>> closed_this_turn_;
  std::vector<std::shared_ptr<Connection>> flush_list_;
  std::vector<std::shared_ptr<Connection>> flush_scratch_;
  std::vector<std::shared_ptr<Connection>> read_again_;
  std::vector<std::shared_ptr<Connection>> read_again_scratch_;
  // Made on the loop's thread (an io_uring belongs to the thread that
  // submits); null when batched sends are off or the kernel refuses them.
  std::unique_ptr<SendBatch> send_batch_;
};

}  // namespace citadel::net
