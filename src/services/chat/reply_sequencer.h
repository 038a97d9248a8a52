// Keeps one user's chat replies in request order although some wait and
// others do not: a ChatJoin waits for its channel's history from storage,
// while a ChatSend behind it is answered at once. A reply that would
// overtake one still waiting is held until the waiting one is ready.
// Service loop only, like the rest of the chat state.
#pragma once

#include <cstdint>
#include <deque>
#include <utility>

#include "net/output_queue.h"

namespace citadel::services {

class ReplySequencer {
 public:
  using Ticket = uint64_t;

  // The place, in request order, of a reply that is not ready yet.
  Ticket reserve() {
    held_.push_back(Slot{});
    return first_ + held_.size() - 1;
  }
  // A reply ready now: sent at once unless a reply before it still waits.
  template <class Send>
  void ready(uint64_t connection_id, net::SharedBytes frame, Send&& send) {
    if (held_.empty()) return send(connection_id, std::move(frame));
    held_.push_back(Slot{connection_id, std::move(frame), true});
  }
  // The reserved reply is ready: it and every ready reply after it, up to
  // the next one still waiting, go out in order.
  template <class Send>
  void fill(Ticket ticket, uint64_t connection_id, net::SharedBytes frame, Send&& send) {
    if (ticket < first_ || ticket - first_ >= held_.size()) {
      return send(connection_id, std::move(frame));  // its place was given up (flush)
    }
    held_[ticket - first_] = Slot{connection_id, std::move(frame), true};
    while (!held_.empty() && held_.front().ready) {
      Slot slot = std::move(held_.front());
      held_.pop_front();
      ++first_;
      send(slot.connection_id, std::move(slot.frame));
    }
  }
  // Gives up the order (the session is ending): sends every ready reply now.
  // Replies still waiting are sent when they are ready, in no set order.
  template <class Send>
  void flush(Send&& send) {
    for (Slot& slot : held_) {
      if (slot.ready) send(slot.connection_id, std::move(slot.frame));
    }
    first_ += held_.size();
    held_.clear();
  }
  bool holding() const { return !held_.empty(); }

 private:
  struct Slot {
    uint64_t connection_id = 0;
    net::SharedBytes frame;
    bool ready = false;
  };
  std::deque<Slot> held_;
  Ticket first_ = 0;  // the ticket of held_.front()
};

}  // namespace citadel::services
