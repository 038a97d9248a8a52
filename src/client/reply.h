// What a request's callback receives: the reply frame, a server ERROR, or the
// reason the request failed on our side.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

#include "protocol/wire.h"

namespace citadel::client {

// Client-side id of a request, unique per Client and never 0.
using RequestId = uint64_t;

enum class RequestError : uint8_t {
  kNone,            // `cmd`/`payload` are the reply
  kServerError,     // the server answered with ERROR: see server_error_code/text
  kTimeout,         // no reply within request_timeout
  kDisconnected,    // the connection was lost first; the request is not resent
  kNotConnected,    // there was no connection to send it on
  kTooManyPending,  // max_pending_requests already await replies
  kOutputFull,      // max_output_bytes already queued for the socket
  kClosed,          // close() was called, or the Client was destroyed
  kNoSession,       // resume() with no remembered token
};
std::string_view to_string(RequestError e);

// Valid only during the callback: payload and text point into the read buffer.
struct Reply {
  RequestId id = 0;
  RequestError error = RequestError::kNone;
  uint16_t cmd = 0;                    // the frame that answered (kNone, kServerError)
  std::span<const uint8_t> payload;    // its payload
  uint16_t server_error_code = 0;      // kServerError
  std::string_view server_error_text;  // kServerError
  std::chrono::microseconds rtt{0};    // send to reply (kNone, kServerError)

  bool ok() const { return error == RequestError::kNone; }
};

using ReplyCallback = std::function<void(const Reply&)>;

// ERROR codes that end the connection (docs/protocol.md): these are about
// the connection, not an answer to the oldest request, so they are never
// matched to one. Every other code (3 unknown_command, 8 bad_payload,
// 9 not_authenticated, and codes added later) answers the oldest request.
bool closes_connection(protocol::ErrorCode code);

}  // namespace citadel::client
