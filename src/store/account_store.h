// Accounts: the storage interface the auth service talks to. The embedded
// default is SqliteStore; PostgresStore implements the same calls on a
// database several nodes share (store_factory.h picks one).
//
// Thread contract (every implementation):
// - Every method is safe to call from any thread and never blocks on I/O.
// - `done` runs exactly once. It runs on the store's own thread: never block
//   in it, and post the result back to the caller's event loop
//   (EventLoop::post) instead of touching loop state from it.
// - When a request cannot be queued (kOverloaded, kShuttingDown), `done` runs
//   inline on the caller's thread before the method returns, so do not call
//   while holding a lock that `done` takes.
#pragma once

#include <functional>
#include <string>

#include "store/store_types.h"

namespace citadel::store {

class AccountStore {
 public:
  using CreateAccountCallback = std::function<void(CreateAccountResult)>;
  using FindAccountCallback = std::function<void(FindAccountResult)>;
  using GuestLoginCallback = std::function<void(GuestLoginResult)>;

  virtual ~AccountStore() = default;

  // Creates an account. `username` (unique, case-insensitive) and
  // `device_id` (unique) may each be empty, but not both (kInvalidArgument).
  // `password_hash` is stored as given. Errors: kUsernameTaken, kDeviceTaken.
  virtual void create_account(std::string username, std::string password_hash,
                              std::string device_id, CreateAccountCallback done) = 0;

  // Case-insensitive. value is nullopt when no account has this name.
  virtual void find_by_username(std::string username, FindAccountCallback done) = 0;

  virtual void find_by_id(int64_t account_id, FindAccountCallback done) = 0;

  // The guest path in one call: the account bound to `device_id`, created
  // (without username or password) when there is none.
  virtual void find_or_create_guest(std::string device_id, GuestLoginCallback done) = 0;
};

}  // namespace citadel::store
