// The Citadel client: one logical connection to a server, kept alive.
//
//   - connect with a timeout; requests with client-side ids, answered by
//     callbacks (matching rules: pending_requests.h); frames that answer no
//     request go to the push callback;
//   - a PING every heartbeat_interval, and a close + reconnect when nothing at
//     all arrives for dead_after;
//   - automatic reconnect with exponential backoff and jitter (backoff.h).
//     On a reconnect, requests still waiting fail with kDisconnected: nothing
//     is resent behind the caller's back;
//   - state changes reported to a callback: connecting, connected,
//     disconnected(reason), reconnecting(attempt, delay), gave_up.
//
// Session resume: when the server has Resume (0x0103), send it from the state
// callback on kConnected when `StateEvent::reconnected` is true, before any
// other request; replies and pushes then flow as usual.
//
// Thread contract: a Client runs on one io_context (given, or owned through
// IoThread). Every method must be called on the thread running it (from a
// callback, or via boost::asio::post / IoThread::call), and every callback
// runs there. Callbacks may call any method, including close().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>

#include "client/client_options.h"
#include "client/pending_requests.h"
#include "client/reply.h"
#include "protocol/wire.h"

namespace citadel::client {

enum class ClientState : uint8_t {
  kIdle,        // never connected, or close() was called
  kConnecting,  // an attempt is under way
  kConnected,
  kDisconnected,  // reported on every loss or failed attempt, before any reconnect
  kReconnecting,  // waiting `delay` before attempt `attempt`
  kGaveUp,        // max_tries attempts failed in a row; connect() starts again
};
std::string_view to_string(ClientState s);

struct StateEvent {
  ClientState state = ClientState::kIdle;
  std::string_view reason;             // kDisconnected: why
  uint32_t attempt = 0;                // kConnecting, kReconnecting: 0 for the first connect
  std::chrono::milliseconds delay{0};  // kReconnecting
  bool reconnected = false;            // kConnected: an earlier connection was lost
};

struct ClientStats {
  uint64_t frames_received = 0;
  uint64_t frames_sent = 0;
  uint64_t replies = 0;       // requests answered (reply or server ERROR)
  uint64_t late_replies = 0;  // answers that came after their request timed out
  uint64_t pushes = 0;        // frames that answered no request
  uint64_t timeouts = 0;      // requests that timed out
  uint64_t connections = 0;   // connections established
  uint64_t dead_peer_closes = 0;
  std::chrono::microseconds last_heartbeat_rtt{0};
};

using PushCallback = std::function<void(const protocol::FrameView&)>;
using StateCallback = std::function<void(const StateEvent&)>;

class Client {
 public:
  explicit Client(boost::asio::io_context& io, ClientOptions options = {});
  // Closes; drops waiting requests WITHOUT calling them back (their owners may
  // be gone too). Call close() first to have them told kClosed.
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void set_push_handler(PushCallback callback);
  void set_state_handler(StateCallback callback);
  // Hook for payload-level request ids; see PendingRequests::set_key_reader.
  void set_reply_key_reader(uint16_t reply_cmd, PendingRequests::KeyReader reader);

  // Starts connecting (and, with auto_reconnect, keeps connected) to host:port.
  // A connection already open is closed first.
  void connect(std::string host, uint16_t port);
  // Closes for good: no reconnect; waiting requests fail with kClosed.
  void close();

  // Sends cmd+payload and calls `callback` once with the reply or the reason
  // there is none. reply_cmd: the cmd that answers it (nullopt: whatever frame
  // comes next). reply_key: the payload-level id, for reply cmds with a key
  // reader. Never calls back from inside this call (failures are posted).
  RequestId request(uint16_t cmd, std::span<const uint8_t> payload,
                    std::optional<uint16_t> reply_cmd, ReplyCallback callback,
                    std::optional<uint64_t> reply_key = std::nullopt);
  // PING (payload up to 64 bytes) answered by PONG; ECHO answered by ECHO.
  RequestId ping(std::span<const uint8_t> payload, ReplyCallback callback);
  RequestId echo(std::span<const uint8_t> payload, ReplyCallback callback);

  ClientState state() const;
  const ClientStats& stats() const;
  // "host:port" of the open connection, or "".
  std::string remote_address() const;
  std::size_t pending_requests() const;

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace citadel::client
