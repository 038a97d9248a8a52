#include "net/event_loop.h"

#include <sys/eventfd.h>

#include <spdlog/spdlog.h>

#include <time.h>

#include <cstdio>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "net/connection.h"

namespace citadel::net {

// Drains the eventfd that other threads write to wake the loop.
class EventLoop::Wakeup final : public IoHandler {
 public:
  explicit Wakeup(int fd) : fd_(fd) {}
  void handle_events_in_loop(uint32_t) override {
    uint64_t value = 0;
    [[maybe_unused]] const ssize_t n = ::read(fd_, &value, sizeof value);
  }

 private:
  int fd_;
};

namespace {
[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}
}  // namespace

EventLoop::EventLoop(uint32_t index, const ConnectionOptions& options)
    : index_(index),
      options_(options),
      epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)),
      wakeup_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      protocol_error_log_(options.protocol_errors_logged_per_second),
      read_buffer_(kReadBufferBytes) {
  if (!epoll_fd_.valid()) throw_errno("epoll_create1");
  if (!wakeup_fd_.valid()) throw_errno("eventfd");
  wakeup_handler_ = std::make_unique<Wakeup>(wakeup_fd_.get());
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = static_cast<IoHandler*>(wakeup_handler_.get());
  if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, wakeup_fd_.get(), &ev) != 0) {
    throw_errno("epoll_ctl(eventfd)");
  }
}

EventLoop::~EventLoop() {
  if (thread_.joinable()) stop_and_join();
}

void EventLoop::start() {
  thread_ = std::thread([this] {
    thread_id_ = std::this_thread::get_id();
    run();
  });
  while (thread_id_.load() == std::thread::id{}) std::this_thread::yield();
}

void EventLoop::stop_and_join() {
  assert(!is_in_loop_thread());
  stop_.store(true);
  wake();
  if (thread_.joinable()) thread_.join();
}

void EventLoop::assert_in_loop_thread() const {
  if (!is_in_loop_thread()) {
    spdlog::critical("loop {}: called from a foreign thread", index_);
    // Also straight to stderr: the log may be a file, or buffered.
    std::fprintf(stderr, "citadel: loop %u: called from a foreign thread\n", index_);
    std::abort();
  }
}

void EventLoop::post(Functor f) {
  bool must_wake = false;
  {
    std::lock_guard lock(pending_mutex_);
    pending_.push_back(std::move(f));
    // One eventfd write per batch of posts from other threads; posts from the
    // loop itself run at the end of this turn without a wake-up.
    if (!wake_pending_ && !is_in_loop_thread()) must_wake = wake_pending_ = true;
  }
  if (must_wake) wake();
}

void EventLoop::wake() {
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(wakeup_fd_.get(), &one, sizeof one);
}

void EventLoop::add_fd_in_loop(int fd, uint32_t events, IoHandler* handler) {
  CITADEL_ASSERT_IN_LOOP(*this);
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) throw_errno("epoll_ctl(ADD)");
}

void EventLoop::modify_fd_in_loop(int fd, uint32_t events, IoHandler* handler) {
  CITADEL_ASSERT_IN_LOOP(*this);
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_MOD, fd, &ev) != 0) throw_errno("epoll_ctl(MOD)");
}

void EventLoop::remove_fd_in_loop(int fd) {
  CITADEL_ASSERT_IN_LOOP(*this);
  ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

TimerQueue::TimerId EventLoop::run_at_in_loop(Clock::time_point deadline, Functor f) {
  CITADEL_ASSERT_IN_LOOP(*this);
  return timers_.add(deadline, std::move(f));
}

const timespec* EventLoop::next_timeout(timespec& storage) const {
  if (!flush_list_.empty() || !read_again_.empty()) {
    storage = {0, 0};
    return &storage;
  }
  {
    std::lock_guard lock(pending_mutex_);
    if (!pending_.empty()) {
      storage = {0, 0};
      return &storage;
    }
  }
  const auto next = timers_.next_deadline();
  if (!next) return nullptr;
  const auto wait = std::max(Clock::duration::zero(), *next - Clock::now());
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count();
  storage.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
  storage.tv_nsec = static_cast<long>(ns % 1'000'000'000);
  return &storage;
}

void EventLoop::run() {
  begin_in_loop();
  while (!stop_.load(std::memory_order_relaxed)) {
    timespec storage{};
    const timespec* timeout = next_timeout(storage);
    if (options_.wake_coalesce.count() > 0) timeout = coalesce_wakeup(timeout, storage);
    turn_in_loop(timeout);
  }
  end_in_loop();
}

// Only the threaded loop coalesces (tests that drive turns by hand decide
// their own waits), and only when the turn would block: with work already
// pending (timeout zero) it runs at once. The sleep is a plain absolute
// clock_nanosleep on CLOCK_MONOTONIC (what steady_clock reads): I/O that
// arrives meanwhile waits in the socket buffers and is read in the next
// turn, many sockets' worth per epoll_pwait2, and a wake-up from another
// thread (a post) waits the same way.
const timespec* EventLoop::coalesce_wakeup(const timespec* timeout, timespec& storage) {
  if (timeout != nullptr && timeout->tv_sec == 0 && timeout->tv_nsec == 0) return timeout;
  auto until = now_ + options_.wake_coalesce;
  if (const auto next = timers_.next_deadline()) until = std::min(until, *next);
  const auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(until.time_since_epoch()).count();
  if (until <= Clock::now() || ns <= 0) return timeout;
  const timespec at{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, nullptr) == EINTR) {
  }
  stats_.coalesced_sleeps.add();
  return next_timeout(storage);
}

void EventLoop::begin_in_loop() {
  if (options_.batched_sends) {
    send_batch_ = std::make_unique<SendBatch>(kSendBatchEntries);
    if (!send_batch_->available()) send_batch_.reset();
  }
  schedule_sweep_in_loop();
  schedule_lag_probe_in_loop();
}

// One turn: wait for I/O or the next timer, handle every ready descriptor,
// run due timers, then the functors posted meanwhile (which is where output
// queued outside a read batch is flushed: once per connection per turn).
std::size_t EventLoop::turn_in_loop(const timespec* timeout) {
  epoll_event events[kMaxEventsPerWait];
  const int n = wait_for_events(events, timeout);
  now_ = Clock::now();
  // Listed last turn; this turn's reads may list others, for the next.
  read_again_scratch_.swap(read_again_);
  handle_events(events, n);
  std::size_t work = static_cast<std::size_t>(n);
  work += poll_again_before_timers(events);
  work += run_reads_again();
  work += timers_.run_due(now_);
  work += run_pending_functors();
  work += run_scheduled_flushes();
  closed_this_turn_.clear();
  return work;
}

int EventLoop::wait_for_events(epoll_event* events, const timespec* timeout) {
  const int n = ::epoll_pwait2(epoll_fd_.get(), events, kMaxEventsPerWait, timeout, nullptr);
  if (n < 0 && errno != EINTR) {
    spdlog::critical("loop {}: epoll_pwait2 failed: {}", index_, std::strerror(errno));
    std::abort();
  }
  return std::max(n, 0);
}

void EventLoop::handle_events(const epoll_event* events, int n) {
  for (int i = 0; i < n; ++i) {
    static_cast<IoHandler*>(events[i].data.ptr)->handle_events_in_loop(events[i].events);
  }
}

// When a timer is due this turn (a room's tick), the input that arrived
// while this turn's events were handled is read before it runs, with a
// non-blocking poll or two. Otherwise an input that lands in that window
// just misses its room's tick and waits a whole tick period for the next:
// on a loop busy enough that handling a turn's events takes a millisecond,
// that is 2 % of a 20 Hz room's inputs answered 50 ms late. Bounded, so a
// flood of input cannot hold the timers back.
std::size_t EventLoop::poll_again_before_timers(epoll_event* events) {
  const auto next = timers_.next_deadline();
  if (!next || *next > now_) return 0;
  std::size_t handled = 0;
  for (int round = 0; round < kPollsBeforeTimers; ++round) {
    const timespec zero{0, 0};
    const int n = wait_for_events(events, &zero);
    if (n == 0) break;
    handle_events(events, n);
    handled += static_cast<std::size_t>(n);
  }
  stats_.events_before_timers.add(handled);
  return handled;
}

void EventLoop::end_in_loop() {
  // Close what is left, still on the loop's thread.
  read_again_.clear();
  read_again_scratch_.clear();
  auto remaining = std::move(connections_);
  for (auto& [id, conn] : remaining) conn->abort_in_loop(CloseReason::kServerStopped);
  closed_this_turn_.clear();
}

void EventLoop::attach_for_testing() {
  assert(!thread_.joinable());
  thread_id_ = std::this_thread::get_id();
  begin_in_loop();
}

std::size_t EventLoop::run_turn_for_testing(std::chrono::nanoseconds max_wait) {
  assert_in_loop_thread();
  timespec timeout{};
  timeout.tv_sec = static_cast<time_t>(max_wait.count() / 1'000'000'000);
  timeout.tv_nsec = static_cast<long>(max_wait.count() % 1'000'000'000);
  return turn_in_loop(&timeout);
}

void EventLoop::detach_for_testing() {
  assert_in_loop_thread();
  end_in_loop();
  thread_id_ = std::thread::id{};
}

std::size_t EventLoop::run_pending_functors() {
  std::vector<Functor> batch;
  {
    std::lock_guard lock(pending_mutex_);
    batch.swap(pending_);
    wake_pending_ = false;
  }
  for (auto& f : batch) f();
  const std::size_t ran = batch.size();
  // Keep the vector's capacity for the next turn instead of reallocating.
  batch.clear();
  std::lock_guard lock(pending_mutex_);
  if (pending_.empty()) pending_.swap(batch);
  return ran;
}

// The connections whose read filled the buffer last turn, after this turn's
// events. One may be listed again by its read here, for the next turn.
std::size_t EventLoop::run_reads_again() {
  for (auto& conn : read_again_scratch_) conn->read_more_in_loop();
  const std::size_t reads = read_again_scratch_.size();
  read_again_scratch_.clear();
  return reads;
}

std::size_t EventLoop::run_scheduled_flushes() {
  // Swap out first: a flush may close a connection, which must not touch the
  // list being walked. Capacity is kept for the next turn.
  flush_scratch_.swap(flush_list_);
  const std::size_t flushed = flush_scratch_.size();
  if (send_batch_ && flush_scratch_.size() > 1) {
    flush_batched();
  } else {
    for (auto& conn : flush_scratch_) conn->run_scheduled_flush_in_loop();
  }
  flush_scratch_.clear();
  // The ring failed (logged): from now on, one sendmsg per connection.
  if (send_batch_ && !send_batch_->available()) send_batch_.reset();
  return flushed;
}

// The flush list in submissions of up to kSendBatchEntries sends: every send
// of a submission finishes before it returns, then each connection applies
// its result (which may close it or arm EPOLLOUT, as after a sendmsg).
void EventLoop::flush_batched() {
  const unsigned submissions = send_batch_->send_all(
      flush_scratch_,
      [](const std::shared_ptr<Connection>& conn, SendRequest& request) {
        return conn->prepare_send_in_loop(request) ? conn->fd() : -1;
      },
      [](const std::shared_ptr<Connection>& conn, const SendRequest& request, int result) {
        conn->complete_send_in_loop(request, result);
      });
  stats_.send_batches.add(submissions);
}

void EventLoop::adopt_in_loop(UniqueFd fd, boost::asio::ip::address peer, PortWires wires) {
  CITADEL_ASSERT_IN_LOOP(*this);
  const uint64_t id = (uint64_t{index_} << 48) | next_sequence_++;
  auto conn = std::make_shared<Connection>(*this, std::move(fd), id, std::move(peer), wires);
  connections_.emplace(id, conn);
  stats_.connections_opened.add();
  stats_.active_connections.add();
  conn->start_in_loop();
}

Connection* EventLoop::find_in_loop(uint64_t connection_id) {
  CITADEL_ASSERT_IN_LOOP(*this);
  auto it = connections_.find(connection_id);
  return it == connections_.end() || !it->second->is_open() ? nullptr : it->second.get();
}

Responder* EventLoop::responder_in_loop(uint64_t connection_id) {
  if (node_slot_of(connection_id) != 0) {
    CITADEL_ASSERT_IN_LOOP(*this);
    auto it = remote_responders_.find(connection_id);
    return it == remote_responders_.end() ? nullptr : it->second;
  }
  return find_in_loop(connection_id);
}

void EventLoop::add_remote_responder_in_loop(uint64_t connection_id, Responder* responder) {
  CITADEL_ASSERT_IN_LOOP(*this);
  remote_responders_[connection_id] = responder;
}

void EventLoop::remove_remote_responder_in_loop(uint64_t connection_id) {
  CITADEL_ASSERT_IN_LOOP(*this);
  remote_responders_.erase(connection_id);
}

void EventLoop::forget_in_loop(uint64_t connection_id) {
  CITADEL_ASSERT_IN_LOOP(*this);
  if (auto it = connections_.find(connection_id); it != connections_.end()) {
    closed_this_turn_.push_back(std::move(it->second));
    connections_.erase(it);
    stats_.connections_closed.add();
    stats_.active_connections.sub();
  }
}

void EventLoop::drain_in_loop() {
  CITADEL_ASSERT_IN_LOOP(*this);
  std::vector<std::shared_ptr<Connection>> all;
  all.reserve(connections_.size());
  for (auto& [id, conn] : connections_) all.push_back(conn);
  for (auto& conn : all) {
    conn->close_after_flush_in_loop(protocol::ErrorCode::kShuttingDown, "server shutting down",
                                    CloseReason::kShutdown);
  }
}

void EventLoop::for_each_connection_in_loop(const std::function<void(Responder&)>& f) {
  CITADEL_ASSERT_IN_LOOP(*this);
  // A copy: `f` may close a connection, which erases it from the map.
  std::vector<std::shared_ptr<Connection>> all;
  all.reserve(connections_.size());
  for (auto& [id, conn] : connections_) all.push_back(conn);
  for (auto& conn : all) f(*conn);
}

void EventLoop::apply_live_options(const LiveConnectionOptions& live) {
  post([this, live] {
    options_.idle_timeout = live.idle_timeout;
    options_.login_timeout = live.login_timeout;
    options_.websocket_handshake_timeout = live.websocket_handshake_timeout;
    options_.websocket_pings_per_second = live.websocket_pings_per_second;
    options_.tls_handshake_timeout = live.tls_handshake_timeout;
  });
}

// Idle and linger deadlines are checked by one sweep per loop rather than a
// timer per connection: re-arming a timer on every frame would cost a tree
// operation per message, while a sweep over 20,000 connections is ~0.1 ms.
void EventLoop::schedule_sweep_in_loop() {
  using namespace std::chrono_literals;
  // A quarter of the shortest deadline, within 10 ms .. 1 s: deadlines are
  // met to within ~25%, and idle loops wake at most once a second.
  std::chrono::milliseconds period = options_.close_linger / 2;
  for (const auto deadline : {options_.idle_timeout, options_.login_timeout}) {
    if (deadline.count() > 0) period = std::min<std::chrono::milliseconds>(period, deadline / 4);
  }
  period = std::clamp<std::chrono::milliseconds>(period, 10ms, 1000ms);
  run_at_in_loop(Clock::now() + period, [this] {
    sweep_in_loop();
    schedule_sweep_in_loop();
  });
}

// A timer every 100 ms that records how late it fired: if handlers or a
// flood of events hold the loop, every connection on it waits that long too.
void EventLoop::schedule_lag_probe_in_loop() {
  const auto deadline = Clock::now() + std::chrono::milliseconds(100);
  run_at_in_loop(deadline, [this, deadline] {
    const auto late = std::max(Clock::duration::zero(), Clock::now() - deadline);
    stats_.loop_lag.observe_ns(
        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(late).count()));
    schedule_lag_probe_in_loop();
  });
}

void EventLoop::sweep_in_loop() {
  const auto now = Clock::now();
  std::vector<std::shared_ptr<Connection>> due;
  for (auto& [id, conn] : connections_) {
    if (conn->deadline_passed_in_loop(now)) due.push_back(conn);
  }
  for (auto& conn : due) conn->on_deadline_in_loop(now);
}

}  // namespace citadel::net
