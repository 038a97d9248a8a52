#include "fanout_tally.h"

#include <algorithm>
#include <cmath>

namespace citadel::bench {

MessageTally& FanoutTally::at(uint64_t seq) {
  if (seq >= messages_.size()) {
    // Sequence numbers are dense from 0, so this grows like push_back.
    messages_.resize(std::max<std::size_t>(seq + 1, messages_.size() * 2));
  }
  return messages_[seq];
}

void FanoutTally::mark_sent(uint64_t seq, int64_t send_ns) {
  MessageTally& m = at(seq);
  m.sent = true;
  m.send_ns = send_ns;
}

void FanoutTally::mark_rejected(uint64_t seq) {
  at(seq).rejected = true;
}

void FanoutTally::record_receipt(uint64_t seq, int64_t send_ns, int64_t now_ns) {
  MessageTally& m = at(seq);
  m.send_ns = send_ns;
  ++m.receipts;
  if (m.first_ns == 0 || now_ns < m.first_ns) m.first_ns = now_ns;
  m.last_ns = std::max(m.last_ns, now_ns);
}

void FanoutTally::merge(const FanoutTally& other) {
  if (other.messages_.size() > messages_.size()) messages_.resize(other.messages_.size());
  for (std::size_t i = 0; i < other.messages_.size(); ++i) {
    const MessageTally& b = other.messages_[i];
    MessageTally& a = messages_[i];
    a.sent = a.sent || b.sent;
    a.rejected = a.rejected || b.rejected;
    if (a.send_ns == 0) a.send_ns = b.send_ns;
    a.receipts += b.receipts;
    if (b.first_ns != 0 && (a.first_ns == 0 || b.first_ns < a.first_ns)) a.first_ns = b.first_ns;
    a.last_ns = std::max(a.last_ns, b.last_ns);
  }
}

int64_t nearest_rank(const std::vector<int64_t>& sorted, double percentile) {
  if (sorted.empty()) return 0;
  const auto n = static_cast<double>(sorted.size());
  auto rank = static_cast<std::size_t>(std::ceil(percentile / 100.0 * n));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

FanoutSummary summarize(const FanoutTally& tally, uint64_t expected, uint64_t first_measured) {
  FanoutSummary s;
  std::vector<int64_t> last, first;
  const std::vector<MessageTally>& messages = tally.messages();
  for (std::size_t seq = 0; seq < messages.size(); ++seq) {
    const MessageTally& m = messages[seq];
    s.receipts += m.receipts;
    if (!m.sent) continue;
    ++s.sent;
    if (m.rejected) {
      ++s.rejected;
      continue;
    }
    if (seq < first_measured) continue;
    ++s.accepted;
    if (m.receipts > expected) s.duplicates += m.receipts - expected;
    if (expected > 0 && m.receipts >= expected) {
      ++s.complete;
      last.push_back(m.last_ns - m.send_ns);
      first.push_back(m.first_ns - m.send_ns);
    } else {
      ++s.incomplete;
    }
  }
  std::sort(last.begin(), last.end());
  std::sort(first.begin(), first.end());
  s.last_p50_ns = nearest_rank(last, 50);
  s.last_p90_ns = nearest_rank(last, 90);
  s.last_p99_ns = nearest_rank(last, 99);
  s.last_min_ns = last.empty() ? 0 : last.front();
  s.last_max_ns = last.empty() ? 0 : last.back();
  double sum = 0;
  for (int64_t v : last) sum += static_cast<double>(v);
  s.last_mean_ns = last.empty() ? 0 : sum / static_cast<double>(last.size());
  s.first_p50_ns = nearest_rank(first, 50);
  return s;
}

}  // namespace citadel::bench
