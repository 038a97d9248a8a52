// Client::Impl: the state behind a Client, shared by client.cc (connection,
// requests, heartbeat, reconnect) and client_session.cc (logins, the
// remembered session and its resume). Private to the library.
//
// All state lives here, owned by shared_ptr so that handlers still queued in
// the io_context after the Client is gone find it through a weak_ptr (and do
// nothing) instead of touching freed memory.
//
// Every connection attempt gets a new link id. Handlers carry the id they were
// armed for and return early if it is not current: a timer or socket handler
// already queued when its connection was replaced cannot act on the new one.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "client/backoff.h"
#include "client/client.h"
#include "client/connection.h"
#include "client/session.h"
#include "client/transport/client_stream.h"

namespace citadel::client {

class Client::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(boost::asio::io_context& io, ClientOptions options);

  void connect(std::string host, uint16_t port);
  void connect(const transport::Endpoint& endpoint);
  void close();
  void detach();
  void drop_connection(std::string_view reason);
  RequestError send(uint16_t cmd, std::span<const uint8_t> payload);
  RequestId request(uint16_t cmd, std::span<const uint8_t> payload,
                    std::optional<uint16_t> reply_cmd, ReplyCallback callback,
                    std::optional<uint64_t> reply_key) {
    return submit(next_id_++, cmd, payload, reply_cmd, std::move(callback), reply_key, false);
  }

  // Sends a request whose payload `encode` builds around a request_id the
  // library chooses (the client-side id's low 32 bits: unique among the
  // requests in flight), matched by that id in the `reply_cmd` reply. The
  // auth, storage and leaderboard calls go through here.
  RequestId keyed_request(uint16_t cmd,
                          const std::function<std::vector<uint8_t>(uint32_t request_id)>& encode,
                          uint16_t reply_cmd, ReplyCallback callback, bool bypass_hold = false);

  // client_session.cc
  // Sends an auth request (GuestLogin, Register, Login, Resume, Logout) whose
  // payload `encode` builds around the request id, keyed by that id; the
  // AuthReply is decoded for `callback`.
  RequestId auth_request(uint16_t cmd,
                         const std::function<std::vector<uint8_t>(uint32_t request_id)>& encode,
                         AuthCallback callback, bool bypass_hold = false);
  RequestId resume(AuthCallback callback);
  RequestId logout(AuthCallback callback);
  void set_session(std::string token, uint64_t last_push_id);
  void forget_session();

  PushCallback push_callback;
  StateCallback state_callback;
  SessionCallback session_callback;
  PendingRequests pending;
  SessionState session;
  ClientState state = ClientState::kIdle;
  ClientStats stats;
  std::shared_ptr<Connection> connection;

 private:
  // A request made while the session is being resumed: sent once the
  // Resume is answered, so that it reaches a logged-in connection.
  struct HeldRequest {
    RequestId id = 0;
    uint16_t cmd = 0;
    std::vector<uint8_t> payload;
    std::optional<uint16_t> reply_cmd;
    ReplyCallback callback;
    std::optional<uint64_t> reply_key;
    bool one_way = false;  // sent with send(): no reply, no pending slot
  };

  static SteadyClock::time_point now() { return SteadyClock::now(); }

  // client.cc
  RequestId submit(RequestId id, uint16_t cmd, std::span<const uint8_t> payload,
                   std::optional<uint16_t> reply_cmd, ReplyCallback callback,
                   std::optional<uint64_t> reply_key, bool bypass_hold);
  void send_now(RequestId id, uint16_t cmd, std::span<const uint8_t> payload,
                std::optional<uint16_t> reply_cmd, ReplyCallback callback,
                std::optional<uint64_t> reply_key);
  void start_attempt(uint32_t attempt);
  void handle_link_up(uint64_t link);
  void handle_frame(uint64_t link, const protocol::FrameView& frame);
  void handle_goodbye(const protocol::FrameView& frame);
  // A Reconnect push naming another server: move there (posted, so the
  // connection delivering the frame is not closed under its own read).
  void handle_reconnect_notice(uint64_t link, const protocol::FrameView& frame);
  void move_to(uint64_t link, const transport::Endpoint& to, const std::string& why);
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

  // client_session.cc
  void start_resume(uint64_t link);
  void resume_answered(uint64_t link, const Reply& reply);
  void release_held();
  void observe_auth_reply(uint16_t request_cmd, const protocol::FrameView& frame);
  void session_lost(uint16_t auth_result, std::string_view message);
  void emit_session(SessionEventKind kind, uint16_t auth_result = 0, std::string_view message = {});

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

  boost::asio::io_context& io_;
  ClientOptions options_;
  ReconnectSchedule schedule_;
  boost::asio::steady_timer reconnect_timer_;
  boost::asio::steady_timer heartbeat_timer_;
  boost::asio::steady_timer dead_timer_;
  boost::asio::steady_timer request_timer_;
  std::optional<SteadyClock::time_point> request_timer_at_;

  std::string host_;
  uint16_t port_ = 0;
  // The transport and WebSocket path of the last connect(): a move to
  // another server keeps them.
  transport::Transport transport_ = transport::Transport::kTcp;
  std::string ws_path_ = "/";
  // The wire above TCP for host_ (null: plain TCP), made at connect(), and
  // why it could not be (e.g. an unreadable CA file).
  std::shared_ptr<const transport::StreamSettings> stream_;
  std::string stream_error_;
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

  // Session resume: true from sending the automatic Resume on a new
  // connection until its answer; requests made meanwhile wait in held_.
  bool resuming_ = false;
  std::deque<HeldRequest> held_;
};

}  // namespace citadel::client
