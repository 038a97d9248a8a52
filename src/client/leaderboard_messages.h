// The leaderboard messages (schemas/leaderboard.fbs), typed: plain structs
// for LeaderboardSubmit, LeaderboardTop, LeaderboardAround,
// LeaderboardRecords, LeaderboardMine and LeaderboardDelete, their encoders,
// and the decoder of LeaderboardReply. The decoder runs the FlatBuffers
// verifier first: these are bytes from the network. The wire contract is
// docs/protocol.md, "Leaderboards"; the rules (operators, ties, cursors,
// resets) are docs/leaderboards.md.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace citadel::client {

// LeaderboardReply result codes (the LeaderboardResult enum in
// schemas/leaderboard.fbs; the numbers are part of the protocol and never
// change).
namespace leaderboard_result {
inline constexpr uint16_t kOk = 0;
inline constexpr uint16_t kNoSuchBoard = 1;
inline constexpr uint16_t kBadCursor = 2;
inline constexpr uint16_t kStaleCursor = 3;
inline constexpr uint16_t kRateLimited = 4;
inline constexpr uint16_t kMetadataTooLarge = 5;
inline constexpr uint16_t kInvalidMetadata = 6;
inline constexpr uint16_t kTooManyIds = 7;
inline constexpr uint16_t kInvalidLimit = 8;
inline constexpr uint16_t kNotRanked = 9;
inline constexpr uint16_t kNoPreviousPeriod = 10;
inline constexpr uint16_t kScoreOutOfRange = 11;
inline constexpr uint16_t kBoardFull = 12;
inline constexpr uint16_t kServerBusy = 13;
inline constexpr uint16_t kInternalError = 14;
}  // namespace leaderboard_result
// The enum's name for a result code ("NotRanked"), or "" if unknown.
std::string_view leaderboard_result_name(uint16_t result);

// Which period of a board a read is about (LeaderboardPeriod; the numbers
// are protocol).
enum class LeaderboardPeriod : uint8_t {
  kCurrent = 0,
  kPrevious = 1,  // the period before the board's last reset
};

struct LeaderboardSubmitRequest {
  std::string board_id;
  int64_t score = 0;
  int64_t subscore = 0;
  // nullopt: keep the record's metadata; set (even ""): replace it when taken.
  std::optional<std::string> metadata{};
};

// A page in rank order, from rank 1 or from a cursor.
struct LeaderboardTopRequest {
  std::string board_id;
  uint32_t limit = 10;                  // 1..100
  std::optional<std::string> cursor{};  // a reply's next_cursor or prev_cursor; nullopt: rank 1
  LeaderboardPeriod period = LeaderboardPeriod::kCurrent;
};

// The page centred on the caller.
struct LeaderboardAroundRequest {
  std::string board_id;
  uint32_t limit = 10;  // 1..100
  LeaderboardPeriod period = LeaderboardPeriod::kCurrent;
};

// These players' records, in rank order (players without one are left out).
struct LeaderboardRecordsRequest {
  std::string board_id;
  std::vector<uint64_t> user_ids;  // up to 100
  LeaderboardPeriod period = LeaderboardPeriod::kCurrent;
};

// The caller's own record and rank.
struct LeaderboardMineRequest {
  std::string board_id;
  LeaderboardPeriod period = LeaderboardPeriod::kCurrent;
};

struct LeaderboardRecord {
  uint64_t rank = 0;  // 1-based, in the period read
  uint64_t user_id = 0;
  std::string username;
  int64_t score = 0;
  int64_t subscore = 0;
  uint32_t num_submissions = 0;
  std::string metadata;
  int64_t create_unix_ms = 0;
  int64_t update_unix_ms = 0;

  bool operator==(const LeaderboardRecord&) const = default;
};

// A decoded LeaderboardReply (cmd 0x0505), copied out of the frame.
struct LeaderboardReplyFields {
  uint32_t request_id = 0;
  uint16_t result = 0;
  std::string message;
  std::string board_id;
  // Submit and Mine: your record; Top, Around, Records: the page in rank
  // order; Delete: none.
  std::vector<LeaderboardRecord> records;
  std::optional<std::string> next_cursor;  // Top/Around: nullopt when nothing follows
  std::optional<std::string> prev_cursor;  // nullopt when nothing precedes
  uint64_t total = 0;                      // records in the period read
  LeaderboardPeriod period = LeaderboardPeriod::kCurrent;
  int64_t period_start_unix_ms = 0;
  int64_t period_end_unix_ms = 0;  // exclusive; 0 while the period has no end
  bool taken = false;  // Submit: the score changed the record (a best that did not beat: false)

  bool ok() const { return result == leaderboard_result::kOk; }
  bool operator==(const LeaderboardReplyFields&) const = default;
};
// nullopt if the payload is not a valid LeaderboardReply.
std::optional<LeaderboardReplyFields> decode_leaderboard_reply(std::span<const uint8_t> payload);

std::vector<uint8_t> encode_leaderboard_submit(uint32_t request_id,
                                               const LeaderboardSubmitRequest& request);
std::vector<uint8_t> encode_leaderboard_top(uint32_t request_id,
                                            const LeaderboardTopRequest& request);
std::vector<uint8_t> encode_leaderboard_around(uint32_t request_id,
                                               const LeaderboardAroundRequest& request);
std::vector<uint8_t> encode_leaderboard_records(uint32_t request_id,
                                                const LeaderboardRecordsRequest& request);
std::vector<uint8_t> encode_leaderboard_mine(uint32_t request_id,
                                             const LeaderboardMineRequest& request);
std::vector<uint8_t> encode_leaderboard_delete(uint32_t request_id, std::string_view board_id);

}  // namespace citadel::client
