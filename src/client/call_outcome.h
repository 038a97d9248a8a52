// What the callback of a typed call (storage, leaderboards) receives: the
// decoded value, or a CallError that says why there is none. Unlike Reply,
// an outcome owns its data (strings are copied out of the frame), so it
// may be kept after the callback returns.
//
// A call fails in one of four ways:
//   kRequest        no reply came: timed out, connection lost, not connected,
//                   too many pending, ... (`request`, a RequestError);
//   kServerError    the server answered with ERROR instead (e.g. 9
//                   not_authenticated before a login): `server_error_code`,
//                   `server_error_text`;
//   kMalformedReply the reply did not verify as the expected table (a
//                   guard: a reply that does not verify has no request_id
//                   to match it by, so it is a push and the call times out);
//   kRefused        the reply's `result` is not Ok: `result` (the schema's
//                   enum, e.g. storage_result::kVersionConflict),
//                   `result_name` ("VersionConflict"), the server's
//                   `message`, and for a storage write or delete
//                   `failed_index`, the item refused.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "client/reply.h"

namespace citadel::client {

enum class CallErrorKind : uint8_t {
  kRequest,
  kServerError,
  kMalformedReply,
  kRefused,
};
std::string_view to_string(CallErrorKind kind);

struct CallError {
  CallErrorKind kind = CallErrorKind::kRequest;
  RequestError request = RequestError::kNone;  // kRequest: why no reply came
  uint16_t server_error_code = 0;              // kServerError
  std::string server_error_text;               // kServerError
  uint16_t result = 0;                         // kRefused: the reply's result code
  std::string_view result_name;  // kRefused: its name in the schema ("" if unknown); static
  std::string message;           // kRefused: the server's message
  int32_t failed_index = -1;     // kRefused, storage write/delete: the item refused, or -1

  bool timed_out() const {
    return kind == CallErrorKind::kRequest && request == RequestError::kTimeout;
  }
  bool refused(uint16_t code) const { return kind == CallErrorKind::kRefused && result == code; }
  // One line for logs: "refused: VersionConflict (7): a version or ...",
  // "server ERROR 9: not authenticated", "timed out", ...
  std::string describe() const;
};

// The error of a request that got no reply of its own (`!reply.ok()`).
CallError call_error_of(const Reply& reply);
// A reply that did not decode as the expected table.
CallError malformed_reply();
// A reply whose result is not Ok.
CallError refusal(uint16_t result, std::string_view result_name, std::string message,
                  int32_t failed_index = -1);

template <typename T>
struct CallOutcome {
  std::optional<T> value;            // set when the call succeeded
  CallError error;                   // when it did not
  std::chrono::microseconds rtt{0};  // send to reply, when a reply came

  bool ok() const { return value.has_value(); }
};

}  // namespace citadel::client
