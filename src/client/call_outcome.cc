#include "client/call_outcome.h"

#include <utility>

namespace citadel::client {

std::string_view to_string(CallErrorKind kind) {
  switch (kind) {
    case CallErrorKind::kRequest:
      return "request failed";
    case CallErrorKind::kServerError:
      return "server error";
    case CallErrorKind::kMalformedReply:
      return "malformed reply";
    case CallErrorKind::kRefused:
      return "refused";
  }
  return "unknown";
}

std::string CallError::describe() const {
  switch (kind) {
    case CallErrorKind::kRequest:
      return std::string(to_string(request));
    case CallErrorKind::kServerError:
      return "server ERROR " + std::to_string(server_error_code) + ": " + server_error_text;
    case CallErrorKind::kMalformedReply:
      return "malformed reply";
    case CallErrorKind::kRefused: {
      std::string out = "refused: ";
      out += result_name.empty() ? std::string("result") : std::string(result_name);
      out += " (" + std::to_string(result) + ")";
      if (!message.empty()) out += ": " + message;
      if (failed_index >= 0) out += " [item " + std::to_string(failed_index) + "]";
      return out;
    }
  }
  return "unknown";
}

CallError call_error_of(const Reply& reply) {
  CallError e;
  if (reply.error == RequestError::kServerError) {
    e.kind = CallErrorKind::kServerError;
    e.server_error_code = reply.server_error_code;
    e.server_error_text = std::string(reply.server_error_text);
  } else {
    e.kind = CallErrorKind::kRequest;
  }
  e.request = reply.error;
  return e;
}

CallError malformed_reply() {
  CallError e;
  e.kind = CallErrorKind::kMalformedReply;
  return e;
}

CallError refusal(uint16_t result, std::string_view result_name, std::string message,
                  int32_t failed_index) {
  CallError e;
  e.kind = CallErrorKind::kRefused;
  e.result = result;
  e.result_name = result_name;
  e.message = std::move(message);
  e.failed_index = failed_index;
  return e;
}

}  // namespace citadel::client
