#include "client/pending_requests.h"

#include <algorithm>
#include <utility>

namespace citadel::client {

namespace proto = citadel::protocol;

void PendingRequests::set_key_reader(uint16_t reply_cmd, KeyReader reader) {
  if (reader) {
    key_readers_[reply_cmd] = std::move(reader);
  } else {
    key_readers_.erase(reply_cmd);
  }
}

void PendingRequests::add(PendingRequest request) {
  queue_.push_back(std::move(request));
}

std::optional<PendingRequest> PendingRequests::pop_front() {
  if (queue_.empty()) return std::nullopt;
  return take(queue_.begin());
}

PendingRequest PendingRequests::take(std::deque<PendingRequest>::iterator it) {
  PendingRequest found = std::move(*it);
  queue_.erase(it);
  return found;
}

bool PendingRequests::keyed(const PendingRequest& r) const {
  return r.reply_key && r.reply_cmd && key_readers_.contains(*r.reply_cmd);
}

std::optional<PendingRequest> PendingRequests::take_reply(const proto::FrameView& frame) {
  if (frame.cmd == proto::cmd::kError) {
    uint16_t code = 0;
    std::string_view text;
    // A malformed ERROR (no code) still answers: the server meant to refuse something.
    if (proto::parse_error_payload(frame.payload, code, text) &&
        closes_connection(static_cast<proto::ErrorCode>(code))) {
      return std::nullopt;
    }
    return pop_front();
  }

  if (auto reader = key_readers_.find(frame.cmd); reader != key_readers_.end()) {
    if (const std::optional<uint64_t> key = reader->second(frame.payload)) {
      const auto it = std::find_if(queue_.begin(), queue_.end(), [&](const PendingRequest& r) {
        return r.reply_cmd == frame.cmd && r.reply_key == key;
      });
      if (it != queue_.end()) return take(it);
      // No request sent with that key: it may answer one sent without a key.
    }
  }

  // Positional matching among the requests without a key: a keyed request is
  // answered whenever its reply comes, so it must not hold up the others
  // (a PONG may well overtake a slow login's reply).
  const auto oldest = std::find_if(queue_.begin(), queue_.end(),
                                   [&](const PendingRequest& r) { return !keyed(r); });
  if (oldest == queue_.end()) return std::nullopt;
  if (oldest->reply_cmd && *oldest->reply_cmd != frame.cmd) return std::nullopt;
  return take(oldest);
}

std::vector<PendingRequest> PendingRequests::take_expired(SteadyClock::time_point now) {
  std::vector<PendingRequest> expired;
  for (PendingRequest& r : queue_) {
    if (r.timed_out || r.deadline > now) continue;
    r.timed_out = true;
    PendingRequest copy;
    copy.id = r.id;
    copy.cmd = r.cmd;
    copy.reply_cmd = r.reply_cmd;
    copy.sent_at = r.sent_at;
    copy.deadline = r.deadline;
    copy.callback = std::exchange(r.callback, nullptr);
    copy.timed_out = true;
    expired.push_back(std::move(copy));
  }
  return expired;
}

std::vector<PendingRequest> PendingRequests::take_all() {
  std::vector<PendingRequest> all(std::make_move_iterator(queue_.begin()),
                                  std::make_move_iterator(queue_.end()));
  queue_.clear();
  return all;
}

std::optional<SteadyClock::time_point> PendingRequests::next_deadline() const {
  std::optional<SteadyClock::time_point> next;
  for (const PendingRequest& r : queue_) {
    if (!r.timed_out && (!next || r.deadline < *next)) next = r.deadline;
  }
  return next;
}

}  // namespace citadel::client
