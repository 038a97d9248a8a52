#include "store/store_types.h"

namespace citadel::store {

std::string_view to_string(StoreError error) {
  switch (error) {
    case StoreError::kOk:
      return "ok";
    case StoreError::kUsernameTaken:
      return "username taken";
    case StoreError::kDeviceTaken:
      return "device taken";
    case StoreError::kInvalidArgument:
      return "invalid argument";
    case StoreError::kOverloaded:
      return "overloaded";
    case StoreError::kShuttingDown:
      return "shutting down";
    case StoreError::kStorageError:
      return "storage error";
    case StoreError::kBacklogFull:
      return "write-behind backlog full";
  }
  return "unknown";
}

}  // namespace citadel::store
