// Per-message bookkeeping of the chat scenario: for each message the run sent
// (by sequence number), whether the server accepted it, how many members have
// received it, and when the first and the last did. Each worker keeps its own
// tally (no sharing on the hot path); once the workers have stopped, the
// tallies are merged and summarised: a message is complete when every member
// counted at the start has it, and "time until the last member has it" is
// taken over the complete messages.
#pragma once

#include <cstdint>
#include <vector>

#include "histogram.h"

namespace citadel::bench {

struct MessageTally {
  bool sent = false;
  bool rejected = false;  // the server answered the send with a ChatResult other than Ok
  uint32_t receipts = 0;
  int64_t send_ns = 0;   // steady_clock of the send (from the message text)
  int64_t first_ns = 0;  // earliest receipt, 0 = none yet
  int64_t last_ns = 0;   // latest receipt
};

class FanoutTally {
 public:
  void mark_sent(uint64_t seq, int64_t send_ns);
  void mark_rejected(uint64_t seq);
  // One member received message `seq` at `now_ns`.
  void record_receipt(uint64_t seq, int64_t send_ns, int64_t now_ns);
  // Adds another worker's tally into this one.
  void merge(const FanoutTally& other);

  const std::vector<MessageTally>& messages() const { return messages_; }

 private:
  MessageTally& at(uint64_t seq);
  std::vector<MessageTally> messages_;
};

// Exact figures over the complete messages (nearest rank, as c-fanout
// reports them, so the two compare like for like).
struct FanoutSummary {
  uint64_t sent = 0;        // warm-up included
  uint64_t rejected = 0;    // warm-up included
  uint64_t accepted = 0;    // measured (past the warm-up), sent and not rejected
  uint64_t complete = 0;    // accepted, and every expected member has it
  uint64_t incomplete = 0;  // accepted, some member never had it
  uint64_t receipts = 0;    // of the run's messages, by every member
  uint64_t duplicates = 0;  // receipts beyond `expected` for one message
  int64_t last_p50_ns = 0, last_p90_ns = 0, last_p99_ns = 0, last_max_ns = 0, last_min_ns = 0;
  double last_mean_ns = 0;
  int64_t first_p50_ns = 0;  // send -> first receipt, median
};

// `expected` = members each message should reach. Messages numbered below
// `first_measured` (the warm-up) count in sent, rejected and receipts only.
FanoutSummary summarize(const FanoutTally& tally, uint64_t expected, uint64_t first_measured = 0);

// Nearest-rank percentile of sorted values; 0 when empty.
int64_t nearest_rank(const std::vector<int64_t>& sorted, double percentile);

}  // namespace citadel::bench
