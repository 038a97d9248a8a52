#include "pipelined_worker.h"

#include <algorithm>

#include "protocol/commands.h"
#include "scenario_setup.h"

namespace citadel::bench {

namespace proto = citadel::protocol;

namespace {}  // namespace

PipelinedWorker::PipelinedWorker(FrameClientConfig config, uint32_t depth, std::string_view prefix,
                                 uint32_t index, RunControl& control, StatsBoard& board,
                                 double rate_per_s)
    : depth_(depth),
      rate_per_s_(rate_per_s),
      ids_(prefix, index),
      control_(control),
      board_(board),
      conns_(config.connections),
      client_(std::move(config), *this) {
  for (Conn& c : conns_) c.slots.resize(depth_);
}

void PipelinedWorker::run_in_thread() {
  Clock::time_point next_publish = Clock::now();
  while (!control_.stop.load(std::memory_order_relaxed)) {
    const Clock::time_point now = Clock::now();
    if (client_.connecting()) client_.start_due_connects(now);
    if (!going_ && control_.go.load(std::memory_order_acquire)) start_requests();
    Clock::duration wait = client_.connecting() ? Clock::duration(kConnectPollPeriod)
                                                : Clock::duration(kIdlePollPeriod);
    if (going_ && rate_per_s_ > 0) wait = std::min(wait, send_due(now));
    client_.flush_writes();
    resolved_.store(logins_ok_conns_ + failed_conns_ + client_.counters().connect_failed,
                    std::memory_order_relaxed);
    live_logged_in_.store(logged_in_now_, std::memory_order_relaxed);
    if (now >= next_publish) {
      publish();
      next_publish = now + kPublishPeriod;
    }
    client_.poll(wait);
  }
  publish();
}

void PipelinedWorker::on_sent(ConnId id, Clock::time_point at) {
  Conn& c = conns_[id];
  if (!c.stamp_pending) return;
  c.stamp_pending = false;
  for (Slot& s : c.slots) {
    if (s.stamp_pending) {
      s.sent_at = at;
      s.stamp_pending = false;
    }
  }
}

void PipelinedWorker::on_close(ConnId id) {
  Conn& c = conns_[id];
  for (Slot& s : c.slots) {
    if (s.request_id != 0) --in_flight_;
    s.request_id = 0;
  }
  if (c.logged_in) --logged_in_now_;
  c.logged_in = false;
  if (!c.resolved) {
    c.resolved = true;
    ++failed_conns_;
  }
}

void PipelinedWorker::on_frame(ConnId id, const proto::FrameView& frame, Clock::time_point now) {
  if (frame.cmd == proto::cmd::kError) return;  // counted by the client
  if (frame.cmd == reply_cmd()) {
    on_reply(id, frame, now);
  } else if (frame.cmd == proto::cmd::kAuthReply) {
    on_login_reply(id, frame);
  } else {
    ++unexpected_;
  }
}

void PipelinedWorker::on_login_reply(ConnId id, const proto::FrameView& frame) {
  Conn& c = conns_[id];
  const auto reply = decode_auth_reply(frame.payload);
  if (!reply || c.login_request == 0 || reply->request_id != c.login_request) {
    ++unexpected_;
    return;
  }
  c.login_request = 0;
  if (reply->result != kAuthOk) {
    ++logins_refused_;
    send_login(id);  // a server busy creating accounts: try again as another guest
    return;
  }
  c.logged_in = true;
  ++logged_in_now_;
  if (!c.resolved) {
    c.resolved = true;
    ++logins_ok_conns_;
  }
  if (going_ && rate_per_s_ == 0) fill(id);
}

void PipelinedWorker::on_reply(ConnId id, const proto::FrameView& frame, Clock::time_point now) {
  Conn& c = conns_[id];
  const auto reply = decode_reply(frame.payload);
  if (!reply) {
    ++unexpected_;
    return;
  }
  // Replies come back in request order, so the match is usually the oldest
  // slot; a linear look over `depth` slots stays cheap either way.
  const auto slot = std::find_if(c.slots.begin(), c.slots.end(),
                                 [&](const Slot& s) { return s.request_id == reply->request_id; });
  if (reply->request_id == 0 || slot == c.slots.end()) {
    ++unexpected_;
    return;
  }
  slot->request_id = 0;
  --in_flight_;
  const bool ok = reply->result == 0;
  const bool measured = now >= window_start_ && now < window_end_;
  if (ok) {
    ++replies_ok_;
    recorder_.record(now - slot->sent_at, now);
    if (measured) {
      by_kind_[slot->kind].record(now - slot->sent_at);
      if (reply->flagged) ++flagged_;
    }
  } else {
    ++replies_refused_;
  }
  if (measured) ++results_[slot->kind][std::min<std::size_t>(reply->result, kResultSlots - 1)];
  if (rate_per_s_ == 0) send_request(id, *slot);
}

void PipelinedWorker::send_login(ConnId id) {
  Conn& c = conns_[id];
  c.login_request = c.next_request++;
  client_.send(id, proto::cmd::kGuestLogin, encoder_.guest_login(c.login_request, ids_.next()));
}

void PipelinedWorker::fill(ConnId id) {
  for (Slot& s : conns_[id].slots) {
    if (s.request_id == 0) send_request(id, s);
  }
}

void PipelinedWorker::send_request(ConnId id, Slot& slot,
                                   std::optional<Clock::time_point> scheduled) {
  Conn& c = conns_[id];
  if (!c.logged_in || !client_.is_open(id)) return;
  slot.request_id = c.next_request++;
  if (c.next_request == 0) c.next_request = 1;  // 0 marks a free slot
  ++in_flight_;
  const Request request = next_request(id, slot.request_id);
  slot.kind = std::min<uint8_t>(request.kind, kRequestKinds - 1);
  if (scheduled) {
    slot.sent_at = *scheduled;
  } else {
    slot.stamp_pending = true;
    slot.sent_at = Clock::now();  // replaced by the send's own time in on_sent
    c.stamp_pending = true;
  }
  client_.send(id, request.cmd, request.payload);
  ++requests_sent_;
}

Clock::duration PipelinedWorker::send_due(Clock::time_point now) {
  const auto at = [this](uint64_t n) {
    return go_at_ + std::chrono::duration_cast<Clock::duration>(
                        std::chrono::duration<double>(static_cast<double>(n) / rate_per_s_));
  };
  const double elapsed = std::chrono::duration<double>(now - go_at_).count();
  const auto due = static_cast<uint64_t>(elapsed * rate_per_s_);
  for (; scheduled_ < due; ++scheduled_) {
    const Clock::time_point when = at(scheduled_);
    if (!send_to_free_slot(when) && when >= window_start_ && when < window_end_) ++missed_;
  }
  return std::max(Clock::duration::zero(), at(scheduled_) - now);
}

bool PipelinedWorker::send_to_free_slot(Clock::time_point scheduled) {
  if (in_flight_ >= logged_in_now_ * depth_) return false;
  const auto n = static_cast<ConnId>(conns_.size());
  for (ConnId k = 0; k < n; ++k) {
    const ConnId id = next_conn_;
    next_conn_ = next_conn_ + 1 == n ? 0 : next_conn_ + 1;
    Conn& c = conns_[id];
    if (!c.logged_in) continue;
    for (Slot& s : c.slots) {
      if (s.request_id == 0) {
        send_request(id, s, scheduled);
        return s.request_id != 0;
      }
    }
  }
  return false;
}

void PipelinedWorker::start_requests() {
  going_ = true;
  go_at_ = Clock::now();
  window_start_ =
      Clock::time_point(Clock::duration(control_.measure_start.load(std::memory_order_relaxed)));
  window_end_ =
      Clock::time_point(Clock::duration(control_.measure_end.load(std::memory_order_relaxed)));
  recorder_.set_window(window_start_, window_end_);
  if (rate_per_s_ > 0) return;  // the open loop sends from run_in_thread
  for (ConnId id = 0; id < client_.size(); ++id) fill(id);
}

ClientCounters PipelinedWorker::merged_counters() const {
  ClientCounters c = client_.counters();
  c.requests_sent = requests_sent_;
  c.replies_ok = replies_ok_;
  c.replies_mismatched = replies_refused_ + unexpected_;  // "errors" on the progress line
  c.open_answered = logged_in_now_;
  return c;
}

void PipelinedWorker::publish() {
  board_.publish(merged_counters(), client_.first_error(), 0, recorder_.interval());
}

}  // namespace citadel::bench
