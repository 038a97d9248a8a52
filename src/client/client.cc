#include "client/client.h"

#include <utility>
#include <vector>

#include <boost/asio/post.hpp>

#include "client/auth_messages.h"
#include "client/client_impl.h"
#include "client/transport/tls_client_context.h"
#include "protocol/commands.h"

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

Client::Impl::Impl(asio::io_context& io, ClientOptions options)
    : io_(io),
      options_(std::move(options)),
      schedule_(options_.backoff, nullptr, options_.random),
      reconnect_timer_(io),
      heartbeat_timer_(io),
      dead_timer_(io),
      request_timer_(io) {
  // Application replies echo the request_id: match them by it (pending_requests.h).
  for (const uint16_t cmd : keyed_reply_cmds()) {
    pending.set_key_reader(cmd, [cmd](std::span<const uint8_t> payload) {
      return read_reply_request_id(cmd, payload);
    });
  }
}

RequestId Client::Impl::keyed_request(
    uint16_t cmd, const std::function<std::vector<uint8_t>(uint32_t request_id)>& encode,
    uint16_t reply_cmd, ReplyCallback callback, bool bypass_hold) {
  const RequestId id = next_id_++;
  // The payload's request_id is the client-side id's low 32 bits: unique
  // among the requests in flight, which is all the matching needs.
  const auto request_id = static_cast<uint32_t>(id);
  return submit(id, cmd, encode(request_id), reply_cmd, std::move(callback), request_id,
                bypass_hold);
}

void Client::Impl::connect(std::string host, uint16_t port) {
  connect(transport::Endpoint{options_.transport, std::move(host), port, options_.ws_path});
}

void Client::Impl::connect(const transport::Endpoint& endpoint) {
  std::string host = endpoint.host;
  const uint16_t port = endpoint.port;
  stream_.reset();
  stream_error_.clear();
  if (endpoint.transport != transport::Transport::kTcp) {
    auto settings = std::make_shared<transport::StreamSettings>();
    settings->transport = endpoint.transport;
    settings->host = transport::host_port(endpoint);
    settings->path = endpoint.path;
    if (transport::uses_tls(endpoint.transport)) {
      if (auto problem = transport::make_client_context({options_.tls_ca_file, endpoint.host},
                                                        settings->tls_context)) {
        stream_error_ = "TLS setup failed: " + *problem;
      }
    }
    stream_ = std::move(settings);
  }
  stop_link();
  fail_all(RequestError::kDisconnected);
  host_ = std::move(host);
  port_ = port;
  transport_ = endpoint.transport;
  ws_path_ = endpoint.path;
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
  session_callback = nullptr;
  closed_by_user_ = true;
  stop_link();
  request_timer_.cancel();
  pending.take_all();  // dropped unanswered: see ~Client
  held_.clear();
}

void Client::Impl::drop_connection(std::string_view reason) {
  if (state != ClientState::kConnected || !connection) return;
  connection->close();
  handle_link_down(link_, std::string(reason));
}

// Closes the connection (if any) and every timer tied to it, silently.
void Client::Impl::stop_link() {
  ++link_;
  resuming_ = false;
  session.on_link_down();
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
  connection->start(host_, port_, options_.connect_timeout, stream_, stream_error_);
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
  // Resume goes out first, before the state callback can send anything.
  if (session.can_resume()) start_resume(link);
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
    if (frame.cmd == proto::cmd::kAuthReply) observe_auth_reply(request->cmd, frame);
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
    handle_goodbye(frame);
  } else {
    session.on_push(frame.cmd, frame.payload);
  }
  ++stats.pushes;
  if (push_callback) push_callback(frame);
  if (frame.cmd == proto::cmd::kReconnect && link == link_) handle_reconnect_notice(link, frame);
}

void Client::Impl::handle_reconnect_notice(uint64_t link, const proto::FrameView& frame) {
  if (!options_.follow_reconnect || closed_by_user_) return;
  const std::optional<ReconnectNotice> notice = decode_reconnect(frame.payload);
  // No address: no other server is known; this one closes at its
  // deadline and the usual reconnect (and resume) follows.
  if (!notice || notice->address.empty()) return;
  std::optional<transport::Endpoint> to = transport::parse_endpoint(notice->address, transport_);
  if (!to) return;  // not host:port: stay, as without an address
  to->path = ws_path_;
  const std::string why = "server asked to reconnect to " + notice->address +
                          (notice->message.empty() ? "" : ": " + notice->message);
  boost::asio::post(io_, [weak = weak_from_this(), link, to = std::move(*to), why] {
    if (auto self = weak.lock()) self->move_to(link, to, why);
  });
}

void Client::Impl::move_to(uint64_t link, const transport::Endpoint& to, const std::string& why) {
  if (link != link_ || closed_by_user_ || state != ClientState::kConnected) return;
  ++stats.moves;
  state = ClientState::kDisconnected;
  emit(event_of(ClientState::kDisconnected, why));
  if (link != link_ || closed_by_user_) return;  // the callback called close() or connect()
  // connect() keeps the session: the new connection's first frame is Resume.
  connect(to);
}

// An ERROR that answers no request: if it ends the connection, it becomes
// the disconnect reason. ERROR 11 also ends the session: a newer login took
// it over, so a resume could only be refused.
void Client::Impl::handle_goodbye(const proto::FrameView& frame) {
  uint16_t code = 0;
  std::string_view text;
  if (!proto::parse_error_payload(frame.payload, code, text) ||
      !closes_connection(static_cast<proto::ErrorCode>(code))) {
    return;
  }
  server_goodbye_ = "server sent ERROR " + std::to_string(code) + " (" +
                    std::string(proto::to_string(static_cast<proto::ErrorCode>(code))) +
                    "): " + std::string(text);
  if (static_cast<proto::ErrorCode>(code) == proto::ErrorCode::kLoggedInElsewhere &&
      session.can_resume()) {
    session_lost(0, server_goodbye_);
  }
}

void Client::Impl::handle_link_down(uint64_t link, const std::string& reason) {
  if (link != link_) return;
  connection.reset();
  heartbeat_timer_.cancel();
  dead_timer_.cancel();
  resuming_ = false;
  session.on_link_down();
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
  // Never held behind a resume: a PING needs no login, and keeps the link alive.
  submit(
      next_id_++, proto::cmd::kPing, {}, proto::cmd::kPong,
      [weak = weak_from_this()](const Reply& reply) {
        auto self = weak.lock();
        if (self && reply.ok()) self->stats.last_heartbeat_rtt = reply.rtt;
      },
      std::nullopt, true);
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

RequestId Client::Impl::submit(RequestId id, uint16_t cmd, std::span<const uint8_t> payload,
                               std::optional<uint16_t> reply_cmd, ReplyCallback callback,
                               std::optional<uint64_t> reply_key, bool bypass_hold) {
  // However it is sent (helper or raw), a Logout ends the session here and
  // now: a reconnect before its reply must not resume it.
  if (cmd == proto::cmd::kLogout) session.forget();
  if (!resuming_ || bypass_hold) {
    send_now(id, cmd, payload, reply_cmd, std::move(callback), reply_key);
  } else if (pending.size() + held_.size() >= options_.max_pending_requests) {
    fail_later(id, RequestError::kTooManyPending, std::move(callback));
  } else {
    held_.push_back({id, cmd, std::vector<uint8_t>(payload.begin(), payload.end()), reply_cmd,
                     std::move(callback), reply_key});
  }
  return id;
}

RequestError Client::Impl::send(uint16_t cmd, std::span<const uint8_t> payload) {
  if (resuming_) {
    if (pending.size() + held_.size() >= options_.max_pending_requests) {
      return RequestError::kTooManyPending;
    }
    HeldRequest held;
    held.cmd = cmd;
    held.payload.assign(payload.begin(), payload.end());
    held.one_way = true;
    held_.push_back(std::move(held));
    return RequestError::kNone;
  }
  if (state != ClientState::kConnected || !connection) return RequestError::kNotConnected;
  if (!connection->send_frame(cmd, payload)) return RequestError::kOutputFull;
  ++stats.frames_sent;
  return RequestError::kNone;
}

void Client::Impl::send_now(RequestId id, uint16_t cmd, std::span<const uint8_t> payload,
                            std::optional<uint16_t> reply_cmd, ReplyCallback callback,
                            std::optional<uint64_t> reply_key) {
  if (state != ClientState::kConnected || !connection) {
    fail_later(id, RequestError::kNotConnected, std::move(callback));
    return;
  }
  if (pending.size() >= options_.max_pending_requests) {
    fail_later(id, RequestError::kTooManyPending, std::move(callback));
    return;
  }
  // Stamped before sending: Asio may write at once, inside send_frame, and
  // the round trip includes that write.
  const SteadyClock::time_point t = now();
  if (!connection->send_frame(cmd, payload)) {
    fail_later(id, RequestError::kOutputFull, std::move(callback));
    return;
  }
  ++stats.frames_sent;
  const SteadyClock::time_point deadline = t + options_.request_timeout;
  pending.add({id, cmd, reply_cmd, reply_key, t, deadline, std::move(callback)});
  arm_request_timer(deadline);
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
  // the lists being failed. Sent requests first: they were made earlier.
  std::vector<PendingRequest> all = pending.take_all();
  std::deque<HeldRequest> held = std::exchange(held_, {});
  for (PendingRequest& r : all) {
    if (r.callback) r.callback(failure(r.id, error));
  }
  for (HeldRequest& r : held) {
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
void Client::set_session_handler(SessionCallback callback) {
  impl_->session_callback = std::move(callback);
}
void Client::set_reply_key_reader(uint16_t reply_cmd, PendingRequests::KeyReader reader) {
  impl_->pending.set_key_reader(reply_cmd, std::move(reader));
}
void Client::connect(const transport::Endpoint& endpoint) {
  impl_->connect(endpoint);
}

void Client::connect(std::string host, uint16_t port) {
  impl_->connect(std::move(host), port);
}
void Client::close() {
  impl_->close();
}
void Client::drop_connection(std::string_view reason) {
  impl_->drop_connection(reason);
}

RequestId Client::request(uint16_t cmd, std::span<const uint8_t> payload,
                          std::optional<uint16_t> reply_cmd, ReplyCallback callback,
                          std::optional<uint64_t> reply_key) {
  return impl_->request(cmd, payload, reply_cmd, std::move(callback), reply_key);
}
RequestError Client::send(uint16_t cmd, std::span<const uint8_t> payload) {
  return impl_->send(cmd, payload);
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
