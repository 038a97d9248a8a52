// Values and errors shared by every storage backend (SQLite, PostgreSQL).
// Plain data: no backend type leaks through here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace citadel::store {

enum class StoreError : uint8_t {
  kOk = 0,
  kUsernameTaken,    // create_account: another account has this username (case-insensitive)
  kDeviceTaken,      // create_account: another account is bound to this device id
  kInvalidArgument,  // a required field is empty (e.g. a guest login without a device id)
  kOverloaded,       // the request queue is full; nothing was done, retry later
  kShuttingDown,     // the store is closing and accepts no new requests
  kStorageError,     // the database failed or could not be reached (I/O, disk full, an outage);
                     // logged by the store. For a write: not known to be done
  kBacklogFull,      // write-behind: too many acknowledged writes wait for the database
                     // (store.write_behind.max_pending); nothing was done, retry later
};

std::string_view to_string(StoreError error);

// One result shape for every call: an error, and a value that is meaningful
// only when error == kOk. (std::expected is C++23; the project is on C++20.)
template <class T>
struct StoreResult {
  StoreError error = StoreError::kOk;
  T value{};

  bool ok() const { return error == StoreError::kOk; }
};

struct Account {
  int64_t id = 0;
  std::string username;       // empty for a guest
  std::string password_hash;  // opaque string from the auth service; empty for a guest
  std::string device_id;      // empty when the account is not bound to a device
  int64_t created_at_unix_ms = 0;
};

struct GuestLogin {
  int64_t account_id = 0;
  bool created = false;  // true when this call created the account
};

struct ChatMessage {
  int64_t sender_id = 0;
  std::string sender_name;
  std::string text;
  int64_t sent_at_unix_ms = 0;
};

using CreateAccountResult = StoreResult<int64_t>;  // value: the new account id
using FindAccountResult = StoreResult<std::optional<Account>>;
using GuestLoginResult = StoreResult<GuestLogin>;
using HistoryResult = StoreResult<std::vector<ChatMessage>>;  // oldest first
using HistoryAppendResult = StoreResult<bool>;                // value: unused

}  // namespace citadel::store
