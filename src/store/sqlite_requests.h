// The requests SqliteStore queues for its writer thread. Each carries its
// inputs, its completion callback and the result the writer fills in; the
// callback runs only after the batch's transaction has committed (or failed),
// so a reported account id is never one that a rollback took back.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "store/account_store.h"
#include "store/chat_history_store.h"

namespace citadel::store::sqlite {

struct CreateAccountRequest {
  std::string username;
  std::string password_hash;
  std::string device_id;
  AccountStore::CreateAccountCallback done;
  CreateAccountResult result;
};

struct FindByUsernameRequest {
  std::string username;
  AccountStore::FindAccountCallback done;
  FindAccountResult result;
};

struct FindByIdRequest {
  int64_t account_id = 0;
  AccountStore::FindAccountCallback done;
  FindAccountResult result;
};

struct GuestLoginRequest {
  std::string device_id;
  AccountStore::GuestLoginCallback done;
  GuestLoginResult result;
};

// Fire-and-forget: no callback, no result.
struct AppendHistoryRequest {
  std::string channel;
  ChatMessage message;
};

struct LoadHistoryRequest {
  std::string channel;
  uint32_t limit = 0;
  ChatHistoryStore::HistoryCallback done;
  HistoryResult result;
};

using Request = std::variant<CreateAccountRequest, FindByUsernameRequest, FindByIdRequest,
                             GuestLoginRequest, AppendHistoryRequest, LoadHistoryRequest>;

// True for requests that write: a batch of only reads needs no write lock.
bool is_write(const Request& request);

// Marks the request failed: error set, any value already filled dropped.
void fail(Request& request, StoreError error);

// Runs the request's callback (if it has one) with its result. A callback
// that throws is a bug in the caller; it is logged and the store carries on.
void complete(Request& request);

}  // namespace citadel::store::sqlite
