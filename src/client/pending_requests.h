// The requests awaiting a reply on one connection, and the rule that decides
// whether an incoming frame answers one of them or is a push.
//
// The server answers the requests of one connection in the order they came
// (docs/protocol.md), so by default a frame answers the OLDEST pending request
// without a key (see below) if its cmd is the reply that request expects
// (PING -> PONG, ECHO -> ECHO), and an ERROR that does not end the connection
// answers the oldest request whatever it expected. Anything else is a push.
//
// Payload-level request ids (FlatBuffers replies carry the request_id the
// client chose): register a KeyReader for a reply cmd, and give requests a
// reply_key. A frame of that cmd is then matched by key anywhere in the
// queue, not by position; one whose key no request was sent with falls back
// to positional matching. Keyed requests take no part in positional
// matching: the server answers asynchronous requests (logins, chat) when
// their work is done, so a PONG may overtake an AuthReply, and the PING
// behind the login must still get its PONG.
//
// Bounded by the Client (max_pending_requests). Not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "client/client_options.h"
#include "client/reply.h"
#include "protocol/wire.h"

namespace citadel::client {

struct PendingRequest {
  RequestId id = 0;
  uint16_t cmd = 0;                   // what was sent
  std::optional<uint16_t> reply_cmd;  // nullopt: the next non-ERROR frame answers it
  std::optional<uint64_t> reply_key;  // payload-level id, for reply cmds with a KeyReader
  SteadyClock::time_point sent_at;
  SteadyClock::time_point deadline;
  ReplyCallback callback;
  // Already told kTimeout. The slot stays until the late reply arrives and
  // is dropped then; removing it would pair the next reply with the wrong request.
  bool timed_out = false;
};

class PendingRequests {
 public:
  // Reads a payload-level request id out of a reply payload; nullopt if the
  // payload has none (or is malformed).
  using KeyReader = std::function<std::optional<uint64_t>(std::span<const uint8_t> payload)>;

  void set_key_reader(uint16_t reply_cmd, KeyReader reader);

  void add(PendingRequest request);
  // The request `frame` answers, removed from the queue; nullopt: a push.
  std::optional<PendingRequest> take_reply(const protocol::FrameView& frame);
  // Marks every live request whose deadline has passed as timed out and
  // returns them (callbacks moved out, to be called once by the caller).
  std::vector<PendingRequest> take_expired(SteadyClock::time_point now);
  // Everything, for failing on disconnect or close; the queue is empty after.
  std::vector<PendingRequest> take_all();

  // Earliest deadline among requests not yet timed out.
  std::optional<SteadyClock::time_point> next_deadline() const;

  std::size_t size() const { return queue_.size(); }  // counts timed-out slots too
  bool empty() const { return queue_.empty(); }

 private:
  std::optional<PendingRequest> pop_front();
  PendingRequest take(std::deque<PendingRequest>::iterator it);
  // Matched by key: it has one, and its reply cmd has a KeyReader.
  bool keyed(const PendingRequest& r) const;

  std::deque<PendingRequest> queue_;
  std::unordered_map<uint16_t, KeyReader> key_readers_;
};

}  // namespace citadel::client
