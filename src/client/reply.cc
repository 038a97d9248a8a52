#include "client/reply.h"

namespace citadel::client {

std::string_view to_string(RequestError e) {
  switch (e) {
    case RequestError::kNone:
      return "ok";
    case RequestError::kServerError:
      return "server error";
    case RequestError::kTimeout:
      return "timed out";
    case RequestError::kDisconnected:
      return "connection lost before the reply (not resent)";
    case RequestError::kNotConnected:
      return "not connected";
    case RequestError::kTooManyPending:
      return "too many requests awaiting replies";
    case RequestError::kOutputFull:
      return "output queue full";
    case RequestError::kClosed:
      return "client closed";
    case RequestError::kNoSession:
      return "no session to resume";
  }
  return "unknown";
}

bool closes_connection(protocol::ErrorCode code) {
  using protocol::ErrorCode;
  switch (code) {
    case ErrorCode::kBadMagic:
    case ErrorCode::kFrameTooLarge:
    case ErrorCode::kServerFull:
    case ErrorCode::kTooManyFromAddress:
    case ErrorCode::kIdleTimeout:
    case ErrorCode::kShuttingDown:
    case ErrorCode::kLoginTimeout:
    case ErrorCode::kLoggedInElsewhere:
      return true;
    case ErrorCode::kUnknownCommand:
    case ErrorCode::kBadPayload:
    case ErrorCode::kNotAuthenticated:
    case ErrorCode::kNotInRoom:
      return false;
  }
  return false;
}

}  // namespace citadel::client
