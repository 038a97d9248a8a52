#include "protocol/wire.h"

namespace citadel::protocol {

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::kBadMagic:
      return "bad_magic";
    case ErrorCode::kFrameTooLarge:
      return "frame_too_large";
    case ErrorCode::kUnknownCommand:
      return "unknown_command";
    case ErrorCode::kServerFull:
      return "server_full";
    case ErrorCode::kTooManyFromAddress:
      return "too_many_from_address";
    case ErrorCode::kIdleTimeout:
      return "idle_timeout";
    case ErrorCode::kShuttingDown:
      return "shutting_down";
    case ErrorCode::kBadPayload:
      return "bad_payload";
    case ErrorCode::kNotAuthenticated:
      return "not_authenticated";
    case ErrorCode::kLoginTimeout:
      return "login_timeout";
    case ErrorCode::kLoggedInElsewhere:
      return "logged_in_elsewhere";
    case ErrorCode::kNotInRoom:
      return "not_in_room";
  }
  return "unknown";
}

}  // namespace citadel::protocol
