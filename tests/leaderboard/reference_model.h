// A brute-force leaderboard written straight from the rules in
// leaderboards.h: records in a std::map, ranks by sorting all of them, and
// hourly resets by integer division. Slow and obviously right; the
// randomised test holds the engine to it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "leaderboard/leaderboard_types.h"

namespace citadel::leaderboard::testing {

class ReferenceBoard {
 public:
  static constexpr int64_t kHourMs = 3'600'000;

  ReferenceBoard(const BoardConfig& config, int64_t now)
      : config_(config), period_(now / kHourMs) {}

  struct Stored {
    Record record;
    uint64_t sequence = 0;
  };

  Result<SubmitResult> submit(const Submission& s, int64_t now) {
    if (s.username.size() > kMaxUsernameBytes) return {LeaderboardError::kUsernameTooLong};
    if (s.metadata && s.metadata->size() > config_.max_metadata_bytes) {
      return {LeaderboardError::kMetadataTooLarge};
    }
    advance(now);
    auto it = current_.find(s.user_id);
    if (it == current_.end()) {
      if (current_.size() >= config_.max_records) return {LeaderboardError::kBoardFull};
      __int128 score = s.score, subscore = s.subscore;
      if (config_.op == ScoreOperator::kDecrement) {
        score = -score;
        subscore = -subscore;
      }
      if (!fits(score) || !fits(subscore)) return {LeaderboardError::kScoreOutOfRange};
      Stored stored;
      stored.record = {s.user_id,
                       std::string(s.username),
                       int64_t(score),
                       int64_t(subscore),
                       1,
                       std::string(s.metadata.value_or("")),
                       now,
                       now,
                       0};
      stored.sequence = next_sequence_++;
      current_[s.user_id] = stored;
      return {LeaderboardError::kOk,
              {rank_in(current_, s.user_id), int64_t(score), int64_t(subscore), 1, true, true}};
    }
    Stored& stored = it->second;
    Record& r = stored.record;
    __int128 score = s.score, subscore = s.subscore;
    bool taken = true;
    switch (config_.op) {
      case ScoreOperator::kBest:
        taken = better(s.score, s.subscore, 0, r.score, r.subscore, 0);  // pairs only
        if (!taken) {
          score = r.score;
          subscore = r.subscore;
        }
        break;
      case ScoreOperator::kSet:
        break;
      case ScoreOperator::kIncrement:
        score = __int128(r.score) + s.score;
        subscore = __int128(r.subscore) + s.subscore;
        break;
      case ScoreOperator::kDecrement:
        score = __int128(r.score) - s.score;
        subscore = __int128(r.subscore) - s.subscore;
        break;
    }
    if (!fits(score) || !fits(subscore)) return {LeaderboardError::kScoreOutOfRange};
    if (r.num_submissions < UINT32_MAX) ++r.num_submissions;
    r.update_time_unix_ms = now;
    if (!s.username.empty()) r.username = std::string(s.username);
    if (taken && (int64_t(score) != r.score || int64_t(subscore) != r.subscore)) {
      r.score = int64_t(score);
      r.subscore = int64_t(subscore);
      stored.sequence = next_sequence_++;
    }
    if (taken && s.metadata) r.metadata = std::string(*s.metadata);
    return {LeaderboardError::kOk,
            {rank_in(current_, s.user_id), r.score, r.subscore, r.num_submissions, false, taken}};
  }

  LeaderboardError remove(uint64_t user, Period period, int64_t now) {
    advance(now);
    std::map<uint64_t, Stored>* table = table_of(period);
    if (table == nullptr) return LeaderboardError::kNoPreviousPeriod;
    return table->erase(user) == 1 ? LeaderboardError::kOk : LeaderboardError::kNotFound;
  }

  // All records of a period in rank order, ranks filled in; nullopt when the
  // period does not exist.
  std::optional<std::vector<Record>> ranked(Period period, int64_t now) {
    advance(now);
    std::map<uint64_t, Stored>* table = table_of(period);
    if (table == nullptr) return std::nullopt;
    std::vector<const Stored*> all;
    for (const auto& [user, stored] : *table) all.push_back(&stored);
    std::sort(all.begin(), all.end(), [&](const Stored* a, const Stored* b) {
      return better(a->record.score, a->record.subscore, a->sequence, b->record.score,
                    b->record.subscore, b->sequence);
    });
    std::vector<Record> out;
    for (const Stored* s : all) {
      out.push_back(s->record);
      out.back().rank = out.size();
    }
    return out;
  }

 private:
  static bool fits(__int128 v) { return v >= INT64_MIN && v <= INT64_MAX; }

  // Whether (score, subscore, sequence) a ranks strictly above b.
  bool better(int64_t a_score, int64_t a_sub, uint64_t a_seq, int64_t b_score, int64_t b_sub,
              uint64_t b_seq) const {
    bool descending = config_.order == SortOrder::kDescending;
    if (a_score != b_score) return descending ? a_score > b_score : a_score < b_score;
    if (a_sub != b_sub) return descending ? a_sub > b_sub : a_sub < b_sub;
    return a_seq < b_seq;
  }

  uint64_t rank_in(const std::map<uint64_t, Stored>& table, uint64_t user) const {
    const Stored& me = table.at(user);
    uint64_t above = 0;
    for (const auto& [id, other] : table) {
      if (id != user && better(other.record.score, other.record.subscore, other.sequence,
                               me.record.score, me.record.subscore, me.sequence)) {
        ++above;
      }
    }
    return above + 1;
  }

  // Hourly periods: period k is [k hours, k + 1 hours).
  void advance(int64_t now) {
    int64_t period = now / kHourMs;
    if (period <= period_) return;
    if (period == period_ + 1) {
      previous_ = std::move(current_);
    } else {
      previous_ = std::map<uint64_t, Stored>();
    }
    current_.clear();
    period_ = period;
  }

  std::map<uint64_t, Stored>* table_of(Period period) {
    if (period == Period::kCurrent) return &current_;
    return previous_ ? &*previous_ : nullptr;
  }

  BoardConfig config_;
  int64_t period_;
  uint64_t next_sequence_ = 0;
  std::map<uint64_t, Stored> current_;
  std::optional<std::map<uint64_t, Stored>> previous_;
};

}  // namespace citadel::leaderboard::testing
