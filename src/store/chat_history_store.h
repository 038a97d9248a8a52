// Chat history: the last N messages of each channel, persisted so a player
// who joins a channel gets recent context. Same thread contract as
// AccountStore (account_store.h): any thread may call; callbacks run on the
// store's thread and must not block.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "store/store_types.h"

namespace citadel::store {

class ChatHistoryStore {
 public:
  using HistoryCallback = std::function<void(HistoryResult)>;
  using AppendCallback = std::function<void(HistoryAppendResult)>;

  virtual ~ChatHistoryStore() = default;

  // Queued and written with the next batch; `done` (if set) runs on the
  // store's thread once the batch is committed (or failed), so a sender's
  // acknowledgement can wait until the message is on disk. Returns false
  // (and counts a drop) when the queue is full or the store is closing;
  // `done` then runs at once, on this thread, with kOverloaded or
  // kShuttingDown.
  virtual bool append(std::string channel, int64_t sender_id, std::string sender_name,
                      std::string text, int64_t sent_at_unix_ms, AppendCallback done = {}) = 0;

  // The newest min(limit, history_per_channel) messages of `channel`, oldest
  // first. Sees every append queued before this call.
  virtual void load_recent(std::string channel, uint32_t limit, HistoryCallback done) = 0;
};

}  // namespace citadel::store
