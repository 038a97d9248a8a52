#include "client/client.h"

#include <utility>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "client/backoff.h"
#include "client/connection.h"

namespace citadel::client {

namespace asio = boost::asio;
namespace proto = citadel::protocol;
using std::chrono::duration_cast;
using std::chrono::microseconds;
using std::chrono::milliseconds;

std::string_view to_string(ClientState s) {
  switch (s) {
    case ClientState::kIdle:
      return "idle";
    case ClientState::kConnecting:
      return "connecting";
    case ClientState::kConnected:
      return "connected";
    case ClientState::kDisconnected:
      return "disconnected";
    case ClientState::kReconnecting:
      return "reconnecting";
    case ClientState::kGaveUp:
      return "gave_up";
  }
  return "unknown";
}

// All state lives here, owned by shared_ptr so that handlers still queued in
// the io_context after the Client is gone find it through a weak_ptr (and do
// nothing) instead of touching freed memory.
//
// Every connection attempt gets a new link id. Handlers carry the id they were
// armed for and return early if it is not current: a timer or socket handler
// already queued when its connection was replaced cannot act on the new one.
class Client::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(asio::io_context& io, ClientOptions options)
      : io_(io),
        options_(std::move(options)),
        schedule_(options_.backoff, nullptr, options_.random),
        reconnect_timer_(io),
        heartbeat_timer_(io),
        dead_timer_(io),
        request_timer_(io) {}

  void connect(std::string host, uint16_t port);
  void close();
  void detach();
  RequestId request(uint16_t cmd, std::span<const uint8_t> payload,
                    std::optional<uint16_t> reply_cmd, ReplyCallback callback,
                    std::optional<uint64_t> reply_key);

  PushCallback push_callback;
  StateCallback state_callback;
  PendingRequests pending;
  ClientState state = ClientState::kIdle;
  ClientStats stats;
  std::shared_ptr<Connection> connection;

 private:
  static SteadyClock::time_point now() { return SteadyClock::now(); }

  void start_attempt(uint32_t attempt);
  void handle_link_up(uint64_t link);
  void handle_frame(uint64_t link, const proto::FrameView& frame);
  void handle_link_down(uint64_t link, const std::string& reason);
  void arm_heartbeat(uint64_t link, SteadyClock::time_point at);
  void heartbeat_due(uint64_t link);
  void arm_dead_check(uint64_t link, SteadyClock::time_point at);
  void dead_check_due(uint64_t link);
  void arm_request_timer(SteadyClock::time_point at);
  void requests_due();
  void stop_link();
  void fail_all(RequestError error);
  void fail_later(RequestId id, RequestError error, ReplyCallback callback);
  void emit(const StateEvent& event) {
    if (state_callback) state_callback(event);
  }
  static StateEvent event_of(ClientState state, std::string_view reason = {}) {
    StateEvent e;
    e.state = state;
    e.reason = reason;
    return e;
  }
  static Reply failure(RequestId id, RequestError error) {
    Reply r;
    r.id = id;
    r.error = error;
    return r;
  }

  asio::io_context& io_;
  ClientOptions options_;
  ReconnectSchedule schedule_;
  asio::steady_timer reconnect_timer_;
  asio::steady_timer heartbeat_timer_;
  asio::steady_timer dead_timer_;
  asio::steady_timer request_timer_;
  std::optional<SteadyClock::time_point> request_timer_at_;

  std::string host_;
  uint16_t port_ = 0;
  uint64_t link_ = 0;  // id of the current connection attempt
  RequestId next_id_ = 1;
  bool closed_by_user_ = false;
  bool detached_ = false;
  bool had_connection_ = false;
  SteadyClock::time_point last_received_;
  SteadyClock::time_point next_heartbeat_;
  // An ERROR that ends the connection (e.g. 7 shutting_down) arrives just
  // before the close; it is the real reason, so it leads the disconnect reason.
  std::string server_goodbye_;
};

void Client::Impl::connect(std::string host, uint16_t port) {
  stop_link();
  fail_all(RequestError::kDisconnected);
  host_ = std::move(host);
  port_ = port;
  closed_by_user_ = false;
  had_connection_ = false;
  schedule_.reset();
  start_attempt(0);
}

void Client::Impl::close() {
  const ClientState before = state;
  closed_by_user_ = true;
  stop_link();
  state = ClientState::kIdle;
  if (before == ClientState::kConnecting || before == ClientState::kConnected ||
      before == ClientState::kReconnecting) {
    emit(event_of(ClientState::kDisconnected, "closed by client"));
  }
  fail_all(RequestError::kClosed);
}

void Client::Impl::detach() {
  detached_ = true;
  push_callback = nullptr;
  state_callback = nullptr;
  closed_by_user_ = true;
  stop_link();
  request_timer_.cancel();
  pending.take_all();  // dropped unanswered: see ~Client
}

// Closes the connection (if any) and every timer tied to it, silently.
void Client::Impl::stop_link() {
  ++link_;
  reconnect_timer_.cancel();
  heartbeat_timer_.cancel();
  dead_timer_.cancel();
  if (connection) {
    connection->close();
    connection.reset();
  }
}

void Client::Impl::start_attempt(uint32_t attempt) {
  const uint64_t link = ++link_;
  state = ClientState::kConnecting;
  StateEvent event = event_of(ClientState::kConnecting);
  event.attempt = attempt;
  emit(event);
  if (link != link_) return;  // the callback called close() or connect()

  std::weak_ptr<Impl> weak = weak_from_this();
  Connection::Callbacks callbacks;
  callbacks.on_connected = [weak, link] {
    if (auto self = weak.lock()) self->handle_link_up(link);
  };
  callbacks.on_frame = [weak, link](const proto::FrameView& frame) {
    if (auto self = weak.lock()) self->handle_frame(link, frame);
  };
  callbacks.on_closed = [weak, link](const std::string& reason) {
    if (auto self = weak.lock()) self->handle_link_down(link, reason);
  };
  connection = std::make_shared<Connection>(io_.get_executor(), options_.max_payload_bytes,
                                            options_.max_output_bytes, std::move(callbacks));
  connection->start(host_, port_, options_.connect_timeout);
}

void Client::Impl::handle_link_up(uint64_t link) {
  if (link != link_) return;
  state = ClientState::kConnected;
  ++stats.connections;
  schedule_.on_connected();
  server_goodbye_.clear();
  const bool reconnected = had_connection_;
  had_connection_ = true;
  last_received_ = now();
  if (options_.heartbeat_interval.count() > 0) {
    next_heartbeat_ = last_received_ + options_.heartbeat_interval;
    arm_heartbeat(link, next_heartbeat_);
  }
  if (options_.dead_after.count() > 0) arm_dead_check(link, last_received_ + options_.dead_after);
  StateEvent event = event_of(ClientState::kConnected);
  event.reconnected = reconnected;
  emit(event);
}

void Client::Impl::handle_frame(uint64_t link, const proto::FrameView& frame) {
  if (link != link_) return;
  const SteadyClock::time_point t = now();
  last_received_ = t;
  ++stats.frames_received;

  // PING goes either way (docs/protocol.md): answer the server's, and never
  // take one as a reply.
  if (frame.cmd == proto::cmd::kPing) {
    if (connection && connection->send_frame(proto::cmd::kPong, frame.payload)) {
      ++stats.frames_sent;
    }
    return;
  }

  if (std::optional<PendingRequest> request = pending.take_reply(frame)) {
    ++stats.replies;
    if (request->timed_out) {
      ++stats.late_replies;
      return;
    }
    Reply reply;
    reply.id = request->id;
    reply.cmd = frame.cmd;
    reply.payload = frame.payload;
    reply.rtt = duration_cast<microseconds>(t - request->sent_at);
    if (frame.cmd == proto::cmd::kError) {
      reply.error = RequestError::kServerError;
      proto::parse_error_payload(frame.payload, reply.server_error_code, reply.server_error_text);
    }
    if (request->callback) request->callback(reply);
    return;
  }

  if (frame.cmd == proto::cmd::kError) {
    uint16_t code = 0;
    std::string_view text;
    if (proto::parse_error_payload(frame.payload, code, text) &&
        closes_connection(static_cast<proto::ErrorCode>(code))) {
      server_goodbye_ = "server sent ERROR " + std::to_string(code) + " (" +
                        std::string(proto::to_string(static_cast<proto::ErrorCode>(code))) +
                        "): " + std::string(text);
    }
  }
  ++stats.pushes;
  if (push_callback) push_callback(frame);
}

void Client::Impl::handle_link_down(uint64_t link, const std::string& reason) {
  if (link != link_) return;
  connection.reset();
  heartbeat_timer_.cancel();
  dead_timer_.cancel();
  const std::string why = server_goodbye_.empty() ? reason : server_goodbye_ + "; " + reason;
  server_goodbye_.clear();

  state = ClientState::kDisconnected;
  emit(event_of(ClientState::kDisconnected, why));
  if (link != link_) return;  // the callback called close() or connect()
  fail_all(RequestError::kDisconnected);
  if (link != link_ || closed_by_user_ || !options_.auto_reconnect) return;

  const std::optional<ReconnectAttempt> next = schedule_.on_link_down();
  if (!next) {
    state = ClientState::kGaveUp;
    StateEvent event = event_of(ClientState::kGaveUp);
    event.attempt = schedule_.failures();
    emit(event);
    return;
  }
  state = ClientState::kReconnecting;
  reconnect_timer_.expires_after(next->delay);
  reconnect_timer_.async_wait(
      [weak = weak_from_this(), link, number = next->number](const boost::system::error_code& ec) {
        auto self = weak.lock();
        if (ec || !self || link != self->link_ || self->state != ClientState::kReconnecting) return;
        self->start_attempt(number);
      });
  StateEvent event = event_of(ClientState::kReconnecting);
  event.attempt = next->number;
  event.delay = next->delay;
  emit(event);
}

void Client::Impl::arm_heartbeat(uint64_t link, SteadyClock::time_point at) {
  heartbeat_timer_.expires_at(at);
  heartbeat_timer_.async_wait([weak = weak_from_this(), link](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->heartbeat_due(link);
  });
}

void Client::Impl::heartbeat_due(uint64_t link) {
  if (link != link_ || state != ClientState::kConnected) return;
  // By deadline, so the period does not drift; after a stall, skip the
  // missed beats rather than sending them in a burst.
  next_heartbeat_ += options_.heartbeat_interval;
  if (next_heartbeat_ <= now()) next_heartbeat_ = now() + options_.heartbeat_interval;
  arm_heartbeat(link, next_heartbeat_);
  if (pending.size() >= options_.max_pending_requests) return;  // the link is busy anyway
  request(
      proto::cmd::kPing, {}, proto::cmd::kPong,
      [weak = weak_from_this()](const Reply& reply) {
        auto self = weak.lock();
        if (self && reply.ok()) self->stats.last_heartbeat_rtt = reply.rtt;
      },
      std::nullopt);
}

void Client::Impl::arm_dead_check(uint64_t link, SteadyClock::time_point at) {
  dead_timer_.expires_at(at);
  dead_timer_.async_wait([weak = weak_from_this(), link](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->dead_check_due(link);
  });
}

// Re-armed lazily: a frame only stamps last_received_, and the timer, when it
// fires, moves itself to last_received_ + dead_after. No timer work per frame.
void Client::Impl::dead_check_due(uint64_t link) {
  if (link != link_ || state != ClientState::kConnected) return;
  if (now() - last_received_ < options_.dead_after) {
    arm_dead_check(link, last_received_ + options_.dead_after);
    return;
  }
  ++stats.dead_peer_closes;
  if (connection) connection->close();
  handle_link_down(link, "dead peer: nothing received for " +
                             std::to_string(options_.dead_after.count()) + " ms");
}

RequestId Client::Impl::request(uint16_t cmd, std::span<const uint8_t> payload,
                                std::optional<uint16_t> reply_cmd, ReplyCallback callback,
                                std::optional<uint64_t> reply_key) {
  const RequestId id = next_id_++;
  if (state != ClientState::kConnected || !connection) {
    fail_later(id, RequestError::kNotConnected, std::move(callback));
  } else if (pending.size() >= options_.max_pending_requests) {
    fail_later(id, RequestError::kTooManyPending, std::move(callback));
  } else {
    // Stamped before sending: Asio may write at once, inside send_frame, and
    // the round trip includes that write.
    const SteadyClock::time_point t = now();
    if (!connection->send_frame(cmd, payload)) {
      fail_later(id, RequestError::kOutputFull, std::move(callback));
      return id;
    }
    ++stats.frames_sent;
    const SteadyClock::time_point deadline = t + options_.request_timeout;
    pending.add({id, cmd, reply_cmd, reply_key, t, deadline, std::move(callback)});
    arm_request_timer(deadline);
  }
  return id;
}

void Client::Impl::arm_request_timer(SteadyClock::time_point at) {
  if (request_timer_at_ && *request_timer_at_ <= at) return;  // an earlier wake-up will do
  request_timer_at_ = at;
  request_timer_.expires_at(at);
  request_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->requests_due();
  });
}

void Client::Impl::requests_due() {
  request_timer_at_.reset();
  std::vector<PendingRequest> expired = pending.take_expired(now());
  stats.timeouts += expired.size();
  if (auto next = pending.next_deadline()) arm_request_timer(*next);
  for (PendingRequest& r : expired) {
    if (r.callback) r.callback(failure(r.id, RequestError::kTimeout));
  }
}

void Client::Impl::fail_all(RequestError error) {
  // Taken out first: a callback may send new requests, which must not land in
  // the list being failed.
  std::vector<PendingRequest> all = pending.take_all();
  for (PendingRequest& r : all) {
    if (r.callback) r.callback(failure(r.id, error));
  }
}

void Client::Impl::fail_later(RequestId id, RequestError error, ReplyCallback callback) {
  if (!callback) return;
  asio::post(io_, [weak = weak_from_this(), id, error, callback = std::move(callback)] {
    auto self = weak.lock();
    if (self && !self->detached_) callback(failure(id, error));
  });
}

Client::Client(asio::io_context& io, ClientOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(options))) {}

Client::~Client() {
  impl_->detach();
}

void Client::set_push_handler(PushCallback callback) {
  impl_->push_callback = std::move(callback);
}
void Client::set_state_handler(StateCallback callback) {
  impl_->state_callback = std::move(callback);
}
void Client::set_reply_key_reader(uint16_t reply_cmd, PendingRequests::KeyReader reader) {
  impl_->pending.set_key_reader(reply_cmd, std::move(reader));
}
void Client::connect(std::string host, uint16_t port) {
  impl_->connect(std::move(host), port);
}
void Client::close() {
  impl_->close();
}

RequestId Client::request(uint16_t cmd, std::span<const uint8_t> payload,
                          std::optional<uint16_t> reply_cmd, ReplyCallback callback,
                          std::optional<uint64_t> reply_key) {
  return impl_->request(cmd, payload, reply_cmd, std::move(callback), reply_key);
}
RequestId Client::ping(std::span<const uint8_t> payload, ReplyCallback callback) {
  return request(proto::cmd::kPing, payload, proto::cmd::kPong, std::move(callback));
}
RequestId Client::echo(std::span<const uint8_t> payload, ReplyCallback callback) {
  return request(proto::cmd::kEcho, payload, proto::cmd::kEcho, std::move(callback));
}

ClientState Client::state() const {
  return impl_->state;
}
const ClientStats& Client::stats() const {
  return impl_->stats;
}
std::string Client::remote_address() const {
  return impl_->connection ? impl_->connection->remote_address() : std::string();
}
std::size_t Client::pending_requests() const {
  return impl_->pending.size();
}

}  // namespace citadel::client
