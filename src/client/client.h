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
//     disconnected(reason), reconnecting(attempt, delay), gave_up;
//   - typed calls for player storage and leaderboards (read, write, delete,
//     list; submit, top, around, records, mine, delete), answered by
//     callbacks with the decoded value or a CallError (call_outcome.h).
//
//   - the session: after a successful login (through login_guest/login/
//     register_account, or any GuestLogin/Register/Login request) the token
//     and the highest push_id seen are remembered. On every new connection
//     with a remembered token, the first frame sent is Resume; requests made
//     until it is answered are held and sent after it. The outcome goes to
//     the session callback: resumed (the missed pushes follow as pushes),
//     resync_required, or lost (the connection stays open, logged out).
//     Logout forgets the token.
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
#include <vector>

#include <boost/asio/io_context.hpp>

#include "client/call_outcome.h"
#include "client/client_options.h"
#include "client/leaderboard_messages.h"
#include "client/pending_requests.h"
#include "client/reply.h"
#include "client/session.h"
#include "client/storage_messages.h"
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
  uint64_t moves = 0;  // Reconnect pushes followed to another server
  std::chrono::microseconds last_heartbeat_rtt{0};
};

using PushCallback = std::function<void(const protocol::FrameView&)>;
using StateCallback = std::function<void(const StateEvent&)>;
using SessionCallback = std::function<void(const SessionEvent&)>;

// What an auth helper's callback receives. Valid during the callback only.
struct AuthOutcome {
  Reply reply;                          // how the request ended (error, rtt, ...)
  std::optional<AuthReplyFields> auth;  // the decoded AuthReply, if one came
  bool ok() const { return reply.ok() && auth && auth->ok(); }
};
using AuthCallback = std::function<void(const AuthOutcome&)>;

// What the storage and leaderboard calls' callbacks receive (call_outcome.h):
// the decoded value or a CallError. Owns its data.
using StorageReadCallback = std::function<void(const CallOutcome<std::vector<StorageObject>>&)>;
using StorageWriteCallback = std::function<void(const CallOutcome<std::vector<uint64_t>>&)>;
using StorageDeleteCallback = std::function<void(const CallOutcome<StorageDeleted>&)>;
using StorageListCallback = std::function<void(const CallOutcome<StoragePage>&)>;
using LeaderboardCallback = std::function<void(const CallOutcome<LeaderboardReplyFields>&)>;

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
  // Session events (session.h): logged_in, resumed, resync_required, lost,
  // logged_out. Called before the callback of the request that caused it.
  void set_session_handler(SessionCallback callback);
  // Hook for payload-level request ids; see PendingRequests::set_key_reader.
  void set_reply_key_reader(uint16_t reply_cmd, PendingRequests::KeyReader reader);

  // Starts connecting (and, with auto_reconnect, keeps connected) to host:port.
  // A connection already open is closed first. Over options.transport.
  void connect(std::string host, uint16_t port);
  // The same, over the endpoint's transport (and WebSocket path).
  void connect(const transport::Endpoint& endpoint);
  // Closes for good: no reconnect; waiting requests fail with kClosed. The
  // session is kept: a later connect() resumes it.
  void close();
  // Drops the connection as if the network had failed: waiting requests fail
  // with kDisconnected, then the usual reconnect (and resume) follows. For
  // tests and for applications that know better than the heartbeat.
  void drop_connection(std::string_view reason = "dropped by the application");

  // Sends cmd+payload and calls `callback` once with the reply or the reason
  // there is none. reply_cmd: the cmd that answers it (nullopt: whatever frame
  // comes next). reply_key: the payload-level id, for reply cmds with a key
  // reader. Never calls back from inside this call (failures are posted).
  RequestId request(uint16_t cmd, std::span<const uint8_t> payload,
                    std::optional<uint16_t> reply_cmd, ReplyCallback callback,
                    std::optional<uint64_t> reply_key = std::nullopt);
  // Sends a message that gets no reply (e.g. ArenaInput 0x0310). Returns
  // kNone once queued, else why not (kNotConnected, kOutputFull,
  // kTooManyPending while a resume holds it back). Should the server refuse
  // it with an ERROR, that ERROR is taken as the answer to the oldest
  // waiting request, or is a push if none waits: nothing marks it as this
  // message's.
  RequestError send(uint16_t cmd, std::span<const uint8_t> payload);
  // PING (payload up to 64 bytes) answered by PONG; ECHO answered by ECHO.
  RequestId ping(std::span<const uint8_t> payload, ReplyCallback callback);
  RequestId echo(std::span<const uint8_t> payload, ReplyCallback callback);

  // Logins. Each sends its request with a request_id the library chooses,
  // matches the AuthReply by it, and on success remembers the token (the
  // session callback hears logged_in first).
  RequestId login_guest(std::string_view device_id, AuthCallback callback);
  RequestId login(std::string_view username, std::string_view password, AuthCallback callback);
  RequestId register_account(std::string_view username, std::string_view password,
                             AuthCallback callback);
  // Resume with the remembered token now (the library does this by itself on
  // every new connection). Fails with kNoSession if there is no token.
  RequestId resume(AuthCallback callback);
  // Logout: the token is forgotten at once, so no resume can follow.
  RequestId logout(AuthCallback callback);
  // Hands the library a token from elsewhere (e.g. saved across restarts) to
  // resume on the next connection; forget_session() drops it.
  void set_session(std::string token, uint64_t last_push_id = 0);
  void forget_session();
  const SessionInfo& session() const;

  // Player storage (storage_messages.h; docs/protocol.md, "Storage"). Each
  // sends its request with a request_id the library chooses, matches the
  // StorageReply by it and calls back once with the value, or with a
  // CallError: no reply (kRequest: timed out, connection lost, ...), a
  // server ERROR (e.g. 9 before a login), a malformed reply, or the
  // StorageReply's refusal (kRefused: result, result_name, message,
  // failed_index). A write or delete is all or nothing.
  //
  // Read: the objects that exist and may be read, in request order (the
  // others are left out).
  RequestId storage_read(const std::vector<StorageObjectId>& objects, StorageReadCallback callback);
  // Write your objects: each one's new version, in request order. A failed
  // `version` or `if_absent` condition is refused with VersionConflict.
  RequestId storage_write(const std::vector<StorageWriteItem>& objects,
                          StorageWriteCallback callback);
  RequestId storage_delete(const std::vector<StorageDeleteItem>& objects,
                           StorageDeleteCallback callback);
  // One page of a user's objects by key; pass page.cursor back in
  // request.cursor for the next one.
  RequestId storage_list(const StorageListRequest& request, StorageListCallback callback);

  // Leaderboards (leaderboard_messages.h; docs/protocol.md, "Leaderboards").
  // The same matching and error model, with the LeaderboardReply as the
  // value: Submit and Mine put your record in records[0] (Submit: `taken`),
  // Top and Around a page with its cursors, Records those players' records,
  // Delete the records left in `total`.
  RequestId leaderboard_submit(const LeaderboardSubmitRequest& request,
                               LeaderboardCallback callback);
  RequestId leaderboard_top(const LeaderboardTopRequest& request, LeaderboardCallback callback);
  RequestId leaderboard_around(const LeaderboardAroundRequest& request,
                               LeaderboardCallback callback);
  RequestId leaderboard_records(const LeaderboardRecordsRequest& request,
                                LeaderboardCallback callback);
  RequestId leaderboard_mine(const LeaderboardMineRequest& request, LeaderboardCallback callback);
  // Deletes your record of the board's current period (NotRanked if none).
  RequestId leaderboard_delete(std::string_view board_id, LeaderboardCallback callback);

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
