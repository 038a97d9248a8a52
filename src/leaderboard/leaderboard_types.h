// Values shared by the leaderboard engine and its callers: board settings,
// errors, a submission, a record as a query returns it, a page of records.
// Plain data. The rules that give these values their meaning are in
// leaderboards.h and docs/leaderboards.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace citadel::leaderboard {

// Which end of the board is rank 1.
enum class SortOrder : uint8_t {
  kDescending = 0,  // higher is better (points)
  kAscending = 1,   // lower is better (lap times)
};

// How a submission combines with the record a player already has.
enum class ScoreOperator : uint8_t {
  kBest = 0,       // keep the better (score, subscore) pair
  kSet = 1,        // overwrite
  kIncrement = 2,  // add score and subscore
  kDecrement = 3,  // subtract score and subscore
};

enum class LeaderboardError : uint8_t {
  kOk = 0,
  kUnknownBoard,      // no board has this id
  kBoardExists,       // create: a board with this id already exists
  kInvalidBoardId,    // empty, longer than kMaxBoardIdBytes, or not printable ASCII
  kInvalidSchedule,   // the reset schedule is not a valid cron expression, or never fires
  kInvalidConfig,     // a board limit out of its allowed range
  kNotFound,          // the player has no record in that period
  kNoPreviousPeriod,  // the board has not reset yet, so there is no previous period
  kBadCursor,         // malformed, tampered with, or made for another board
  kStaleCursor,       // genuine, but made for a period other than the one read
  kInvalidLimit,      // a page size of 0 or over kMaxPageSize
  kTooManyIds,        // more than kMaxIdsPerQuery players asked for at once
  kUsernameTooLong,   // over kMaxUsernameBytes
  kMetadataTooLarge,  // over the board's max_metadata_bytes
  kScoreOutOfRange,   // increment or decrement would leave int64_t
  kBoardFull,         // a new player on a board that holds max_records already
  kBadSnapshot,       // restore: the snapshot breaks an invariant (see snapshot.h)
};

std::string_view to_string(LeaderboardError error);
std::string_view to_string(SortOrder order);
std::string_view to_string(ScoreOperator op);

// One result shape for every call, as in store/store_types.h: an error, and a
// value that is meaningful only when error == kOk.
template <class T>
struct Result {
  LeaderboardError error = LeaderboardError::kOk;
  T value{};

  bool ok() const { return error == LeaderboardError::kOk; }
};

inline constexpr std::size_t kMaxBoardIdBytes = 128;
inline constexpr std::size_t kMaxUsernameBytes = 64;
// Ceiling for a board's max_metadata_bytes.
inline constexpr uint32_t kMaxMetadataBytesLimit = 16 * 1024;
// Records are numbered with 32-bit indices; this leaves room for the free list.
inline constexpr uint32_t kMaxRecordsLimit = 1u << 31;
inline constexpr uint32_t kMaxPageSize = 1000;
inline constexpr std::size_t kMaxIdsPerQuery = 1000;

struct BoardConfig {
  std::string id;  // 1..kMaxBoardIdBytes bytes, 0x21..0x7e
  SortOrder order = SortOrder::kDescending;
  ScoreOperator op = ScoreOperator::kBest;
  std::string reset_schedule;          // cron, 5 fields, UTC; empty: never resets
  uint32_t max_metadata_bytes = 2048;  // per record; 0..kMaxMetadataBytesLimit
  uint32_t max_records = 10'000'000;   // per period; 1..kMaxRecordsLimit

  bool operator==(const BoardConfig&) const = default;
};

// Which period of a board a query reads.
enum class Period : uint8_t {
  kCurrent = 0,
  kPrevious = 1,  // the period just before the current one (after a reset)
};

struct Submission {
  uint64_t user_id = 0;
  std::string_view username;  // empty: keep the record's name (a new record gets none)
  int64_t score = 0;
  int64_t subscore = 0;
  // nullopt: keep the record's metadata. A value (even empty) replaces it
  // when the submission is taken (see leaderboards.h).
  std::optional<std::string_view> metadata;
};

// What a submission did. Cheap on purpose (no strings): the submit path is
// the hot one. Read the full record with records_of when it is needed.
struct SubmitResult {
  uint64_t rank = 0;  // 1-based, after the submission
  int64_t score = 0;  // the record's score and subscore after the submission
  int64_t subscore = 0;
  uint32_t num_submissions = 0;
  bool created = false;  // the player had no record in this period
  bool taken = false;    // the submission was applied (false only for a best that did not beat)
};

struct Record {
  uint64_t user_id = 0;
  std::string username;
  int64_t score = 0;
  int64_t subscore = 0;
  uint32_t num_submissions = 0;
  std::string metadata;
  int64_t create_time_unix_ms = 0;
  int64_t update_time_unix_ms = 0;
  uint64_t rank = 0;  // 1-based

  bool operator==(const Record&) const = default;
};

struct RecordPage {
  std::vector<Record> records;  // in rank order
  std::string next_cursor;      // empty: nothing after this page
  std::string prev_cursor;      // empty: nothing before this page
  uint64_t total = 0;           // records in the period read
};

struct PeriodInfo {
  int64_t start_unix_ms = 0;
  int64_t end_unix_ms = 0;  // exclusive; kNoEnd while the period is open-ended
  uint64_t records = 0;
};

inline constexpr int64_t kNoEnd = INT64_MAX;

struct BoardInfo {
  BoardConfig config;
  PeriodInfo current;                  // end = the next reset, kNoEnd without a schedule
  std::optional<PeriodInfo> previous;  // nullopt until the first reset
};

}  // namespace citadel::leaderboard
