#include "leaderboard/board.h"

#include <algorithm>
#include <cassert>
#include <iterator>
#include <unordered_set>
#include <vector>

#include "leaderboard/rank_key.h"

namespace citadel::leaderboard {
namespace {

constexpr int64_t kMillisPerSecond = 1000;

int64_t floor_seconds(int64_t unix_ms) {
  int64_t seconds = unix_ms / kMillisPerSecond;
  return (unix_ms % kMillisPerSecond < 0) ? seconds - 1 : seconds;
}

LeaderboardError check_config(const BoardConfig& config, std::optional<CronSchedule>& schedule) {
  if (config.id.empty() || config.id.size() > kMaxBoardIdBytes) {
    return LeaderboardError::kInvalidBoardId;
  }
  for (char c : config.id) {
    if (c < 0x21 || c > 0x7e) return LeaderboardError::kInvalidBoardId;
  }
  if (config.order != SortOrder::kDescending && config.order != SortOrder::kAscending) {
    return LeaderboardError::kInvalidConfig;
  }
  if (config.op > ScoreOperator::kDecrement) return LeaderboardError::kInvalidConfig;
  if (config.max_metadata_bytes > kMaxMetadataBytesLimit) return LeaderboardError::kInvalidConfig;
  if (config.max_records == 0 || config.max_records > kMaxRecordsLimit) {
    return LeaderboardError::kInvalidConfig;
  }
  schedule.reset();
  if (!config.reset_schedule.empty()) {
    CronParse parsed = CronSchedule::parse(config.reset_schedule);
    if (!parsed.schedule) return LeaderboardError::kInvalidSchedule;
    schedule = parsed.schedule;
  }
  return LeaderboardError::kOk;
}

// Whether (score, subscore) ranks strictly above (old_score, old_subscore).
bool beats(SortOrder order, int64_t score, int64_t subscore, int64_t old_score,
           int64_t old_subscore) {
  RankKey candidate = make_rank_key(order, score, subscore, 0);
  RankKey current = make_rank_key(order, old_score, old_subscore, 0);
  return candidate < current;
}

// Checks one period's records against the board and fills the table, in
// key order so the leaves come out full.
LeaderboardError restore_period(const PeriodSnapshot& period, const BoardConfig& config,
                                uint64_t next_sequence, RecordTable& table) {
  if (period.records.size() > config.max_records) return LeaderboardError::kBadSnapshot;
  std::unordered_set<uint64_t> users;
  std::unordered_set<uint64_t> sequences;
  std::vector<const RecordSnapshot*> sorted;
  sorted.reserve(period.records.size());
  for (const RecordSnapshot& r : period.records) {
    if (!users.insert(r.user_id).second || !sequences.insert(r.sequence).second ||
        r.sequence >= next_sequence || r.username.size() > kMaxUsernameBytes ||
        r.metadata.size() > config.max_metadata_bytes || r.num_submissions == 0) {
      return LeaderboardError::kBadSnapshot;
    }
    sorted.push_back(&r);
  }
  std::sort(sorted.begin(), sorted.end(), [&](const RecordSnapshot* a, const RecordSnapshot* b) {
    return make_rank_key(config.order, a->score, a->subscore, a->sequence) <
           make_rank_key(config.order, b->score, b->subscore, b->sequence);
  });
  for (const RecordSnapshot* r : sorted) {
    StoredRecord fields;
    fields.user_id = r->user_id;
    fields.score = r->score;
    fields.subscore = r->subscore;
    fields.sequence = r->sequence;
    fields.create_time_unix_ms = r->create_time_unix_ms;
    fields.update_time_unix_ms = r->update_time_unix_ms;
    fields.num_submissions = r->num_submissions;
    table.insert(fields, r->username, r->metadata);
  }
  return LeaderboardError::kOk;
}

PeriodSnapshot snapshot_period(const RecordTable& table, int64_t start, int64_t end) {
  PeriodSnapshot period{start, end, {}};
  period.records.reserve(table.size());
  for (auto p = table.at(0); !p.at_end(); p = table.next(p)) {
    uint32_t index = table.index_at(p);
    const StoredRecord& r = table.record(index);
    period.records.push_back({r.user_id, std::string(table.username(index)), r.score, r.subscore,
                              r.num_submissions, std::string(table.metadata(index)),
                              r.create_time_unix_ms, r.update_time_unix_ms, r.sequence});
  }
  return period;
}

}  // namespace

Board::Board(MadeByFactory, const BoardConfig& config, std::optional<CronSchedule> schedule,
             UsernamePool& names)
    : names_(names),
      config_(config),
      schedule_(schedule),
      current_(std::make_unique<RecordTable>(config.order, names)) {}

Result<std::unique_ptr<Board>> Board::create(const BoardConfig& config, int64_t now_unix_ms,
                                             UsernamePool& names) {
  std::optional<CronSchedule> schedule;
  if (LeaderboardError error = check_config(config, schedule); error != LeaderboardError::kOk) {
    return {error, nullptr};
  }
  auto board = std::make_unique<Board>(MadeByFactory{}, config, schedule, names);
  board->current_start_unix_ms_ = now_unix_ms;
  if (schedule) {
    int64_t now_seconds = floor_seconds(now_unix_ms);
    if (auto last = schedule->last_at_or_before(now_seconds)) {
      board->current_start_unix_ms_ = *last * kMillisPerSecond;
    }
    if (auto next = schedule->next_after(now_seconds)) {
      board->next_reset_unix_ms_ = *next * kMillisPerSecond;
    }
  }
  return {LeaderboardError::kOk, std::move(board)};
}

Result<std::unique_ptr<Board>> Board::restore(const BoardSnapshot& snapshot, UsernamePool& names) {
  std::optional<CronSchedule> schedule;
  if (LeaderboardError error = check_config(snapshot.config, schedule);
      error != LeaderboardError::kOk) {
    return {error, nullptr};
  }
  if (snapshot.previous && (snapshot.previous->start_unix_ms > snapshot.previous->end_unix_ms ||
                            snapshot.previous->end_unix_ms > snapshot.current.start_unix_ms)) {
    return {LeaderboardError::kBadSnapshot, nullptr};
  }
  auto board = std::make_unique<Board>(MadeByFactory{}, snapshot.config, schedule, names);
  board->next_sequence_ = snapshot.next_sequence;
  board->current_start_unix_ms_ = snapshot.current.start_unix_ms;
  if (schedule) {
    if (auto next = schedule->next_after(floor_seconds(snapshot.current.start_unix_ms))) {
      board->next_reset_unix_ms_ = *next * kMillisPerSecond;
    }
  }
  if (LeaderboardError error = restore_period(snapshot.current, snapshot.config,
                                              snapshot.next_sequence, *board->current_);
      error != LeaderboardError::kOk) {
    return {error, nullptr};
  }
  if (snapshot.previous) {
    board->previous_ = std::make_unique<RecordTable>(snapshot.config.order, names);
    board->previous_start_unix_ms_ = snapshot.previous->start_unix_ms;
    board->previous_end_unix_ms_ = snapshot.previous->end_unix_ms;
    if (LeaderboardError error = restore_period(*snapshot.previous, snapshot.config,
                                                snapshot.next_sequence, *board->previous_);
        error != LeaderboardError::kOk) {
      return {error, nullptr};
    }
  }
  return {LeaderboardError::kOk, std::move(board)};
}

bool Board::roll_over_if_due(int64_t now_unix_ms) {
  // kNoEnd: no schedule, or none of its fire times is left before 10000.
  if (next_reset_unix_ms_ == kNoEnd || now_unix_ms < next_reset_unix_ms_) return false;
  // next_reset is a fire time at or before now, so the last fire at or
  // before now exists and is at or after it.
  int64_t now_seconds = floor_seconds(now_unix_ms);
  int64_t start = schedule_->last_at_or_before(now_seconds).value() * kMillisPerSecond;
  std::optional<int64_t> next = schedule_->next_after(now_seconds);
  if (start == next_reset_unix_ms_) {
    // One reset passed: the period that just ended is the previous one.
    previous_ = std::move(current_);
    previous_start_unix_ms_ = current_start_unix_ms_;
  } else {
    // Two or more passed with no call in between: the period just before
    // this one had no submissions, so the previous period is empty.
    previous_ = std::make_unique<RecordTable>(config_.order, names_);
    previous_start_unix_ms_ =
        schedule_->last_at_or_before(start / kMillisPerSecond - 1).value() * kMillisPerSecond;
  }
  previous_end_unix_ms_ = start;
  current_ = std::make_unique<RecordTable>(config_.order, names_);
  current_start_unix_ms_ = start;
  next_reset_unix_ms_ = next ? *next * kMillisPerSecond : kNoEnd;
  return true;
}

Result<SubmitResult> Board::submit(const Submission& s, int64_t now_unix_ms) {
  if (s.username.size() > kMaxUsernameBytes) return {LeaderboardError::kUsernameTooLong};
  if (s.metadata && s.metadata->size() > config_.max_metadata_bytes) {
    return {LeaderboardError::kMetadataTooLarge};
  }
  roll_over_if_due(now_unix_ms);
  RecordTable& table = *current_;
  std::optional<uint32_t> found = table.find(s.user_id);

  if (!found) {
    if (table.size() >= config_.max_records) return {LeaderboardError::kBoardFull};
    StoredRecord fields;
    fields.user_id = s.user_id;
    fields.score = s.score;
    fields.subscore = s.subscore;
    if (config_.op == ScoreOperator::kDecrement) {  // from (0, 0)
      if (__builtin_sub_overflow(int64_t{0}, s.score, &fields.score) ||
          __builtin_sub_overflow(int64_t{0}, s.subscore, &fields.subscore)) {
        return {LeaderboardError::kScoreOutOfRange};
      }
    }
    fields.sequence = next_sequence_++;
    fields.create_time_unix_ms = now_unix_ms;
    fields.update_time_unix_ms = now_unix_ms;
    fields.num_submissions = 1;
    uint64_t rank = table.insert(fields, s.username, s.metadata.value_or(""));
    return {LeaderboardError::kOk, {rank + 1, fields.score, fields.subscore, 1, true, true}};
  }

  uint32_t index = *found;
  const StoredRecord& record = table.record(index);
  int64_t score = s.score;
  int64_t subscore = s.subscore;
  bool taken = true;
  switch (config_.op) {
    case ScoreOperator::kBest:
      taken = beats(config_.order, s.score, s.subscore, record.score, record.subscore);
      break;
    case ScoreOperator::kSet:
      break;
    case ScoreOperator::kIncrement:
      if (__builtin_add_overflow(record.score, s.score, &score) ||
          __builtin_add_overflow(record.subscore, s.subscore, &subscore)) {
        return {LeaderboardError::kScoreOutOfRange};
      }
      break;
    case ScoreOperator::kDecrement:
      if (__builtin_sub_overflow(record.score, s.score, &score) ||
          __builtin_sub_overflow(record.subscore, s.subscore, &subscore)) {
        return {LeaderboardError::kScoreOutOfRange};
      }
      break;
  }
  // The name is compared after the tree work, so its cache miss overlaps it.
  if (!s.username.empty()) table.prefetch_strings(index);
  table.count_submission(index, now_unix_ms);
  uint64_t rank;
  if (taken && (score != record.score || subscore != record.subscore)) {
    rank = table.reposition(index, score, subscore, next_sequence_++);
  } else {
    rank = table.rank_of(index);
  }
  if (!s.username.empty()) table.set_username(index, s.username);
  if (taken && s.metadata) table.set_metadata(index, *s.metadata);
  return {LeaderboardError::kOk,
          {rank + 1, record.score, record.subscore, record.num_submissions, false, taken}};
}

void Board::submit_batch(std::span<const Submission> submissions, int64_t now_unix_ms,
                         std::span<Result<SubmitResult>> results) {
  assert(results.size() == submissions.size());
  roll_over_if_due(now_unix_ms);
  for (std::size_t start = 0; start < submissions.size(); start += kBatchGroup) {
    std::size_t n = std::min(kBatchGroup, submissions.size() - start);
    prefetch_for(submissions.subspan(start, n));
    for (std::size_t i = start; i < start + n; ++i) {
      results[i] = submit(submissions[i], now_unix_ms);
    }
  }
}

void Board::prefetch_for(std::span<const Submission> group) const {
  const RecordTable& table = *current_;
  for (const Submission& s : group) table.prefetch_slot(s.user_id);
  for (const Submission& s : group) table.prefetch_record_of(s.user_id);
  RankKey keys[2 * kBatchGroup];
  std::size_t count = 0;
  for (const Submission& s : group) {
    if (count + 2 > std::size(keys)) break;
    std::optional<uint32_t> found = table.find(s.user_id);
    if (!found) {  // a new record: where it will go
      keys[count++] = make_rank_key(config_.order, s.score, s.subscore, next_sequence_);
      continue;
    }
    const StoredRecord& r = table.record(*found);
    if (!s.username.empty()) table.prefetch_strings(*found);
    keys[count++] = table.key_of(*found);
    int64_t score = s.score, subscore = s.subscore;
    if (config_.op == ScoreOperator::kIncrement) {
      if (__builtin_add_overflow(r.score, s.score, &score)) continue;
      if (__builtin_add_overflow(r.subscore, s.subscore, &subscore)) continue;
    } else if (config_.op == ScoreOperator::kDecrement) {
      if (__builtin_sub_overflow(r.score, s.score, &score)) continue;
      if (__builtin_sub_overflow(r.subscore, s.subscore, &subscore)) continue;
    }
    keys[count++] = make_rank_key(config_.order, score, subscore, next_sequence_);
  }
  table.prefetch_paths(std::span<const RankKey>(keys, count));
}

LeaderboardError Board::remove(uint64_t user_id, Period period, int64_t now_unix_ms) {
  roll_over_if_due(now_unix_ms);
  RecordTable* table = period == Period::kCurrent ? current_.get() : previous_.get();
  if (table == nullptr) return LeaderboardError::kNoPreviousPeriod;
  std::optional<uint32_t> found = table->find(user_id);
  if (!found) return LeaderboardError::kNotFound;
  table->erase(*found);
  return LeaderboardError::kOk;
}

const RecordTable* Board::table(Period period) const {
  return period == Period::kCurrent ? current_.get() : previous_.get();
}

std::optional<PeriodInfo> Board::period_info(Period period) const {
  if (period == Period::kCurrent) {
    return PeriodInfo{current_start_unix_ms_, next_reset_unix_ms_, current_->size()};
  }
  if (!previous_) return std::nullopt;
  return PeriodInfo{previous_start_unix_ms_, previous_end_unix_ms_, previous_->size()};
}

BoardInfo Board::info() const {
  return {config_, *period_info(Period::kCurrent), period_info(Period::kPrevious)};
}

BoardSnapshot Board::snapshot() const {
  BoardSnapshot snapshot;
  snapshot.config = config_;
  snapshot.next_sequence = next_sequence_;
  snapshot.current = snapshot_period(*current_, current_start_unix_ms_, next_reset_unix_ms_);
  if (previous_) {
    snapshot.previous = snapshot_period(*previous_, previous_start_unix_ms_, previous_end_unix_ms_);
  }
  return snapshot;
}

std::size_t Board::memory_bytes() const {
  return sizeof(Board) + current_->memory_bytes() + (previous_ ? previous_->memory_bytes() : 0);
}

}  // namespace citadel::leaderboard
