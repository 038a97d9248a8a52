// The requests a queued store (SQLite, PostgreSQL) hands to its store thread.
// Each carries its inputs, its completion callback and the result the store
// thread fills in; the callback runs only after the batch's transaction has
// committed (or failed), so a reported account id is never one that a
// rollback took back. Backend-neutral: the backends differ only in how they
// run a batch.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "store/account_store.h"
#include "store/chat_history_store.h"
#include "store/leaderboard_store.h"
#include "store/object_store.h"

namespace citadel::store {

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
  ChatHistoryStore::AppendCallback done;  // may be empty
  HistoryAppendResult result;
};

struct LoadHistoryRequest {
  std::string channel;
  uint32_t limit = 0;
  ChatHistoryStore::HistoryCallback done;
  HistoryResult result;
};

struct SaveLeaderboardRequest {
  LeaderboardBoardRow board;
  LeaderboardStore::WriteCallback done;
  LeaderboardWriteResult result;
};

struct SaveLeaderboardRecordRequest {
  LeaderboardRecordRow record;
  LeaderboardStore::WriteCallback done;
  LeaderboardWriteResult result;
};

struct DeleteLeaderboardRecordRequest {
  std::string board_id;
  int64_t period_start_unix_ms = 0;
  int64_t user_id = 0;
  LeaderboardStore::WriteCallback done;
  LeaderboardWriteResult result;
};

struct LoadLeaderboardsRequest {
  LeaderboardStore::LoadCallback done;
  LeaderboardLoadResult result;
};

// Player storage objects (object_store.h).
struct ReadObjectsRequest {
  std::vector<ObjectId> ids;
  ObjectStore::ReadCallback done;
  ObjectReadResult result;
};

struct WriteObjectsRequest {
  std::vector<ObjectWrite> writes;
  ObjectStore::WriteCallback done;
  ObjectWriteResult result;
};

struct DeleteObjectsRequest {
  std::vector<ObjectDelete> deletes;
  ObjectStore::WriteCallback done;
  ObjectWriteResult result;
};

struct ListObjectsRequest {
  ObjectListQuery query;
  ObjectStore::ListCallback done;
  ObjectListResult result;
};

using Request =
    std::variant<CreateAccountRequest, FindByUsernameRequest, FindByIdRequest, GuestLoginRequest,
                 AppendHistoryRequest, LoadHistoryRequest, SaveLeaderboardRequest,
                 SaveLeaderboardRecordRequest, LoadLeaderboardsRequest, ReadObjectsRequest,
                 WriteObjectsRequest, DeleteObjectsRequest, ListObjectsRequest,
                 DeleteLeaderboardRecordRequest>;

// A request as it sits in the queue: with the time it was accepted, so the
// store can report request latency (queue wait plus transaction).
struct QueuedRequest {
  Request request;
  std::chrono::steady_clock::time_point queued_at;
};

// True for requests that write: a batch of only reads needs no write lock.
bool is_write(const Request& request);

// Marks the request failed: error set, any value already filled dropped.
void fail(Request& request, StoreError error);

// Forgets any result filled in so far (a batch that is run again).
void reset_result(Request& request);

// The request's error, kOk for a fire-and-forget append.
StoreError error_of(const Request& request);

// Runs the request's callback (if it has one) with its result. A callback
// that throws is a bug in the caller; it is logged and the store carries on.
void complete(Request& request);

}  // namespace citadel::store
