#include "leaderboard/leaderboards.h"

#include <algorithm>
#include <unordered_set>

#include "leaderboard/rank_key.h"

namespace citadel::leaderboard {
namespace {

bool valid_limit(uint32_t limit) {
  return limit >= 1 && limit <= kMaxPageSize;
}

}  // namespace

Leaderboards::Leaderboards(const CursorKey& cursor_key) : cursors_(cursor_key) {}

Leaderboards::~Leaderboards() {
  boards_.clear();  // before names_, which the boards' tables release into
}

Board* Leaderboards::find(std::string_view board_id) {
  auto it = boards_.find(board_id);
  return it == boards_.end() ? nullptr : it->second.get();
}

// ------------------------------------------------------------------ boards --

LeaderboardError Leaderboards::create_board(const BoardConfig& config, int64_t now_unix_ms) {
  if (find(config.id) != nullptr) return LeaderboardError::kBoardExists;
  Result<std::unique_ptr<Board>> made = Board::create(config, now_unix_ms, names_);
  if (!made.ok()) return made.error;
  boards_.emplace(config.id, std::move(made.value));
  return LeaderboardError::kOk;
}

LeaderboardError Leaderboards::delete_board(std::string_view board_id) {
  auto it = boards_.find(board_id);
  if (it == boards_.end()) return LeaderboardError::kUnknownBoard;
  boards_.erase(it);
  return LeaderboardError::kOk;
}

Result<BoardInfo> Leaderboards::board_info(std::string_view board_id, int64_t now_unix_ms) {
  Board* board = find(board_id);
  if (board == nullptr) return {LeaderboardError::kUnknownBoard};
  board->roll_over_if_due(now_unix_ms);
  return {LeaderboardError::kOk, board->info()};
}

std::vector<std::string> Leaderboards::board_ids() const {
  std::vector<std::string> ids;
  ids.reserve(boards_.size());
  for (const auto& [id, board] : boards_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

// ----------------------------------------------------------------- writes --

Result<SubmitResult> Leaderboards::submit(std::string_view board_id, const Submission& submission,
                                          int64_t now_unix_ms) {
  Board* board = find(board_id);
  if (board == nullptr) return {LeaderboardError::kUnknownBoard};
  return board->submit(submission, now_unix_ms);
}

void Leaderboards::submit_batch(std::string_view board_id, std::span<const Submission> submissions,
                                int64_t now_unix_ms, std::span<Result<SubmitResult>> results) {
  Board* board = find(board_id);
  if (board == nullptr) {
    for (Result<SubmitResult>& result : results) result = {LeaderboardError::kUnknownBoard};
    return;
  }
  board->submit_batch(submissions, now_unix_ms, results);
}

LeaderboardError Leaderboards::delete_record(std::string_view board_id, uint64_t user_id,
                                             Period period, int64_t now_unix_ms) {
  Board* board = find(board_id);
  if (board == nullptr) return LeaderboardError::kUnknownBoard;
  return board->remove(user_id, period, now_unix_ms);
}

std::vector<std::string> Leaderboards::roll_over_due(int64_t now_unix_ms) {
  std::vector<std::string> reset;
  for (auto& [id, board] : boards_) {
    if (board->roll_over_if_due(now_unix_ms)) reset.push_back(id);
  }
  std::sort(reset.begin(), reset.end());
  return reset;
}

// ------------------------------------------------------------------ reads --

Result<Leaderboards::PeriodView> Leaderboards::open_period(std::string_view board_id, Period period,
                                                           int64_t now_unix_ms) {
  Board* board = find(board_id);
  if (board == nullptr) return {LeaderboardError::kUnknownBoard};
  board->roll_over_if_due(now_unix_ms);
  const RecordTable* table = board->table(period);
  std::optional<PeriodInfo> info = board->period_info(period);
  if (table == nullptr || !info) return {LeaderboardError::kNoPreviousPeriod};
  return {LeaderboardError::kOk, {board, table, *info}};
}

Record Leaderboards::record_at(const RecordTable& table, uint32_t index, uint64_t rank) const {
  const StoredRecord& r = table.record(index);
  return {r.user_id,
          std::string(table.username(index)),
          r.score,
          r.subscore,
          r.num_submissions,
          std::string(table.metadata(index)),
          r.create_time_unix_ms,
          r.update_time_unix_ms,
          rank + 1};
}

std::string Leaderboards::cursor_for(const PeriodView& view, CursorPosition::Direction direction,
                                     bool inclusive, const RankKey& key) const {
  SortOrder order = view.board->config().order;
  CursorPosition position{direction,
                          inclusive,
                          view.info.start_unix_ms,
                          order_unmapped(key.score, order),
                          order_unmapped(key.subscore, order),
                          key.sequence};
  return cursors_.encode(view.board->config().id, position);
}

// Ranks [first, end) with their cursors; an empty page gets none (list()
// gives it its own).
RecordPage Leaderboards::page_of(const PeriodView& view, uint64_t first, uint64_t end) const {
  const RecordTable& table = *view.table;
  RecordPage page;
  page.total = table.size();
  // Three passes, so the cache misses of a page overlap instead of queueing:
  // the leaves give the record indices (records lie in no rank order, each a
  // miss), then the records give their names' and metadata's places, then
  // everything is read.
  std::vector<uint32_t> indices;
  indices.reserve(end - first);
  auto p = table.at(first);
  for (uint64_t rank = first; rank < end; ++rank, p = table.next(p)) {
    indices.push_back(table.index_at(p));
    table.prefetch_record(indices.back());
  }
  for (uint32_t index : indices) table.prefetch_strings(index);
  page.records.reserve(indices.size());
  for (std::size_t i = 0; i < indices.size(); ++i) {
    page.records.push_back(record_at(table, indices[i], first + i));
  }
  if (indices.empty()) return page;
  if (end < table.size()) {
    page.next_cursor =
        cursor_for(view, CursorPosition::Direction::kAfter, false, table.key_of(indices.back()));
  }
  if (first > 0) {
    page.prev_cursor =
        cursor_for(view, CursorPosition::Direction::kBefore, false, table.key_of(indices.front()));
  }
  return page;
}

Result<RecordPage> Leaderboards::list(std::string_view board_id, const ListRequest& request,
                                      int64_t now_unix_ms) {
  Result<PeriodView> view = open_period(board_id, request.period, now_unix_ms);
  if (!view.ok()) return {view.error};
  if (!valid_limit(request.limit)) return {LeaderboardError::kInvalidLimit};
  const RecordTable& table = *view.value.table;
  if (request.cursor.empty()) {
    return {LeaderboardError::kOk,
            page_of(view.value, 0, std::min<uint64_t>(request.limit, table.size()))};
  }
  Result<CursorPosition> decoded = cursors_.decode(board_id, request.cursor);
  if (!decoded.ok()) return {decoded.error};
  const CursorPosition& cursor = decoded.value;
  if (cursor.period_start_unix_ms != view.value.info.start_unix_ms) {
    return {LeaderboardError::kStaleCursor};
  }

  RankKey key = make_rank_key(view.value.board->config().order, cursor.score, cursor.subscore,
                              cursor.sequence);
  bool after = cursor.direction == CursorPosition::Direction::kAfter;
  // The boundary: how many records lie before the cursor's position.
  uint64_t boundary =
      after == cursor.inclusive ? table.count_less(key) : table.count_not_greater(key);
  uint64_t first = after ? boundary : boundary - std::min<uint64_t>(boundary, request.limit);
  uint64_t end = after ? std::min<uint64_t>(table.size(), boundary + request.limit) : boundary;
  Result<RecordPage> result{LeaderboardError::kOk, page_of(view.value, first, end)};
  if (first == end) {
    // Nothing on this side of the cursor: hand back its boundary, turned around.
    if (after && boundary > 0) {
      result.value.prev_cursor =
          cursor_for(view.value, CursorPosition::Direction::kBefore, !cursor.inclusive, key);
    } else if (!after && boundary < table.size()) {
      result.value.next_cursor =
          cursor_for(view.value, CursorPosition::Direction::kAfter, !cursor.inclusive, key);
    }
  }
  return result;
}

Result<RecordPage> Leaderboards::around(std::string_view board_id, uint64_t user_id, uint32_t limit,
                                        Period period, int64_t now_unix_ms) {
  Result<PeriodView> view = open_period(board_id, period, now_unix_ms);
  if (!view.ok()) return {view.error};
  if (!valid_limit(limit)) return {LeaderboardError::kInvalidLimit};
  const RecordTable& table = *view.value.table;
  std::optional<uint32_t> index = table.find(user_id);
  if (!index) return {LeaderboardError::kNotFound};

  uint64_t rank = table.rank_of(*index);  // 0-based
  uint64_t before = (limit - 1) / 2;
  uint64_t first = rank > before ? rank - before : 0;
  uint64_t end = std::min<uint64_t>(table.size(), first + limit);
  if (end - first < limit) first = end > limit ? end - limit : 0;
  return {LeaderboardError::kOk, page_of(view.value, first, end)};
}

Result<std::vector<Record>> Leaderboards::records_of(std::string_view board_id,
                                                     std::span<const uint64_t> user_ids,
                                                     Period period, int64_t now_unix_ms) {
  Result<PeriodView> view = open_period(board_id, period, now_unix_ms);
  if (!view.ok()) return {view.error};
  if (user_ids.size() > kMaxIdsPerQuery) return {LeaderboardError::kTooManyIds};
  const RecordTable& table = *view.value.table;
  Result<std::vector<Record>> result;
  std::unordered_set<uint64_t> seen;
  for (uint64_t user_id : user_ids) {
    if (!seen.insert(user_id).second) continue;
    if (std::optional<uint32_t> index = table.find(user_id)) {
      result.value.push_back(record_at(table, *index, table.rank_of(*index)));
    }
  }
  std::sort(result.value.begin(), result.value.end(),
            [](const Record& a, const Record& b) { return a.rank < b.rank; });
  return result;
}

Result<uint64_t> Leaderboards::rank_of(std::string_view board_id, uint64_t user_id, Period period,
                                       int64_t now_unix_ms) {
  Result<PeriodView> view = open_period(board_id, period, now_unix_ms);
  if (!view.ok()) return {view.error};
  std::optional<uint32_t> index = view.value.table->find(user_id);
  if (!index) return {LeaderboardError::kNotFound};
  return {LeaderboardError::kOk, view.value.table->rank_of(*index) + 1};
}

// ------------------------------------------------------------ persistence --

Result<RecordSnapshot> Leaderboards::record_snapshot(std::string_view board_id,
                                                     uint64_t user_id) const {
  auto it = boards_.find(board_id);
  if (it == boards_.end()) return {LeaderboardError::kUnknownBoard};
  const RecordTable* table = it->second->table(Period::kCurrent);
  std::optional<uint32_t> index = table->find(user_id);
  if (!index) return {LeaderboardError::kNotFound};
  const StoredRecord& r = table->record(*index);
  return {LeaderboardError::kOk,
          {r.user_id, std::string(table->username(*index)), r.score, r.subscore, r.num_submissions,
           std::string(table->metadata(*index)), r.create_time_unix_ms, r.update_time_unix_ms,
           r.sequence}};
}

Result<BoardSnapshot> Leaderboards::snapshot(std::string_view board_id) const {
  auto it = boards_.find(board_id);
  if (it == boards_.end()) return {LeaderboardError::kUnknownBoard};
  return {LeaderboardError::kOk, it->second->snapshot()};
}

LeaderboardError Leaderboards::restore(const BoardSnapshot& snapshot) {
  Result<std::unique_ptr<Board>> made = Board::restore(snapshot, names_);
  if (!made.ok()) return made.error;
  boards_.insert_or_assign(snapshot.config.id, std::move(made.value));
  return LeaderboardError::kOk;
}

std::size_t Leaderboards::memory_bytes() const {
  std::size_t total = names_.memory_bytes();
  for (const auto& [id, board] : boards_) total += board->memory_bytes();
  return total;
}

}  // namespace citadel::leaderboard
