// The leaderboard engine: boards by id, submits, ranked queries with signed
// cursors, scheduled resets, snapshots. Pure: no I/O, no threads, no clock;
// every call that depends on time takes `now` (Unix ms, UTC). Not
// thread-safe: one owner (the service loop) calls it.
//
// THE RULES. A second implementation (the Redis backend) must give the same
// results for the same calls; docs/leaderboards.md explains them at length.
//
// Order. Rank 1 holds the best (score, subscore) pair: the highest score on
// a descending board, the lowest on an ascending one; equal scores are
// ordered by subscore in the same direction. Equal pairs are ordered by
// sequence, lower first: every write that changes a record's pair gives it
// the board's next sequence number (one counter per board, across periods,
// never reused), so of two equal pairs the one reached first ranks higher. A
// write that leaves the pair as it was keeps the record's sequence. Ranks
// are positions 1..N: no two records share one.
//
// Submit (player, score, subscore, username, metadata) at time t, in order:
//  1. username over kMaxUsernameBytes: kUsernameTooLong; metadata given and
//     over the board's max_metadata_bytes: kMetadataTooLarge.
//  2. The board resets if one is due (below).
//  3. No record for the player in the current period: kBoardFull if the
//     period holds max_records; else a record with pair (score, subscore)
//     (for decr: (-score, -subscore), kScoreOutOfRange if either is
//     INT64_MIN), num_submissions 1, created and updated at t, the username
//     (none if empty), the metadata (none if absent or empty), the next
//     sequence. created = taken = true.
//  4. A record (S, U) exists. The operator decides the new pair and whether
//     the submission is taken:
//       best  taken only if (score, subscore) ranks strictly above (S, U):
//             then the pair becomes (score, subscore); else it stays;
//       set   taken; the pair becomes (score, subscore);
//       incr  taken; (S + score, U + subscore);
//       decr  taken; (S - score, U - subscore), no floor at zero.
//     incr/decr leaving int64: kScoreOutOfRange. Then, taken or not,
//     num_submissions += 1 (saturating), update time = t, and a non-empty
//     username replaces the name. If taken and the pair changed, the next
//     sequence. If taken and metadata is given, it replaces the metadata
//     ("" clears it).
//  An error changes nothing, the submission count included.
//
// Pages. A page is a run of consecutive ranks of one period, in rank order;
// limit is 1..kMaxPageSize (else kInvalidLimit). A cursor holds a sort key K
// (score, subscore, sequence) and a direction: "after K" is the first
// `limit` records whose key is after K, "before K" the last `limit` before
// it (K itself included when the cursor is inclusive). No cursor: from rank
// 1. A page's next_cursor is "after its last key" when a record follows the
// page, its prev_cursor "before its first key" when one precedes it, else
// empty. An empty page read through a cursor hands back that cursor's
// boundary, turned around: from "after K" (exclusive) the prev_cursor is
// "before K, inclusive" (none if nothing precedes), and symmetrically. Since
// a cursor holds a key, not a rank, paging an unchanged period in either
// direction yields every record exactly once; a record that moves while a
// client pages is missed or seen twice only if it crossed the cursor's key.
// A cursor is signed with the board id and bound to its period's start
// (cursor.h): anything altered, truncated or made for another board is
// kBadCursor; a genuine cursor whose period start differs from the period
// read is kStaleCursor. (After one reset, a cursor of the old current period
// therefore reads on in the previous period.)
//
// Around a player: kNotFound without a record. With the player at rank r of
// N, the page holds the `limit` consecutive ranks from
// r - floor((limit - 1) / 2), moved back to end at N when it would pass N,
// and clipped at 1: limit 5 at r 10 is 8..12, at r 2 it is 1..5, at r = N it
// is N-4..N. Cursors as for any page.
//
// Records of players: up to kMaxIdsPerQuery ids (else kTooManyIds); players
// without a record are left out, a repeated id counts once; rank order.
//
// Resets. With a schedule (cron, UTC), periods run from one fire time to the
// next; the first period starts at the last fire at or before the board's
// creation. A call at time t at or past the current period's end makes the
// period containing t current (empty, starting at the last fire <= t), and
// the period just before it the previous one: the old current period when
// exactly one fire time passed, else an empty period (nobody wrote in it).
// One previous period is kept; kNoPreviousPeriod until the first reset. A t
// earlier than a reset already made undoes nothing. Without a schedule a
// board has one period, from its creation, forever. Reads with the same t
// see the same period as writes: every call below that takes now resets
// first, so a lazy reset (here) and a timed one (roll_over_due) agree.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "leaderboard/board.h"
#include "leaderboard/cursor.h"
#include "leaderboard/leaderboard_types.h"
#include "leaderboard/snapshot.h"
#include "leaderboard/username_pool.h"

namespace citadel::leaderboard {

struct ListRequest {
  uint32_t limit = 100;
  std::string_view cursor;  // empty: from rank 1
  Period period = Period::kCurrent;
};

class Leaderboards {
 public:
  // Cursors are signed with cursor_key (keep it secret and the same across
  // restarts, or cursors handed out before are refused as kBadCursor).
  explicit Leaderboards(const CursorKey& cursor_key);
  ~Leaderboards();
  Leaderboards(const Leaderboards&) = delete;
  Leaderboards& operator=(const Leaderboards&) = delete;

  // kBoardExists, kInvalidBoardId, kInvalidSchedule, kInvalidConfig.
  LeaderboardError create_board(const BoardConfig& config, int64_t now_unix_ms);
  LeaderboardError delete_board(std::string_view board_id);
  Result<BoardInfo> board_info(std::string_view board_id, int64_t now_unix_ms);
  std::vector<std::string> board_ids() const;

  Result<SubmitResult> submit(std::string_view board_id, const Submission& submission,
                              int64_t now_unix_ms);
  // Submits in order, with the results submit() would give one by one, at a
  // fraction of the cost when there are many (see Board::submit_batch): the
  // service submits everything one loop turn received in one call. results
  // must be as long as submissions; kUnknownBoard fills them all.
  void submit_batch(std::string_view board_id, std::span<const Submission> submissions,
                    int64_t now_unix_ms, std::span<Result<SubmitResult>> results);
  LeaderboardError delete_record(std::string_view board_id, uint64_t user_id, Period period,
                                 int64_t now_unix_ms);

  Result<RecordPage> list(std::string_view board_id, const ListRequest& request,
                          int64_t now_unix_ms);
  Result<RecordPage> around(std::string_view board_id, uint64_t user_id, uint32_t limit,
                            Period period, int64_t now_unix_ms);
  Result<std::vector<Record>> records_of(std::string_view board_id,
                                         std::span<const uint64_t> user_ids, Period period,
                                         int64_t now_unix_ms);
  // The player's 1-based rank.
  Result<uint64_t> rank_of(std::string_view board_id, uint64_t user_id, Period period,
                           int64_t now_unix_ms);

  // Resets every board that is due; returns their ids (so the caller can
  // persist the period that ended). A timer at each board's
  // next_reset_unix_ms keeps the cost of a reset off the submit path.
  std::vector<std::string> roll_over_due(int64_t now_unix_ms);

  // One player's record of the current period as a snapshot holds it (with
  // its sequence), so a store can persist a submit as one row instead of the
  // whole board. kNotFound without one. No reset is applied first.
  Result<RecordSnapshot> record_snapshot(std::string_view board_id, uint64_t user_id) const;
  // The board as it stands (no reset is applied first).
  Result<BoardSnapshot> snapshot(std::string_view board_id) const;
  // Creates the board from a snapshot, replacing one with the same id. On
  // any error the engine is unchanged.
  LeaderboardError restore(const BoardSnapshot& snapshot);

  // Heap bytes of every board and of the shared names.
  std::size_t memory_bytes() const;

 private:
  struct IdHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view id) const { return std::hash<std::string_view>{}(id); }
  };
  using BoardMap = std::unordered_map<std::string, std::unique_ptr<Board>, IdHash, std::equal_to<>>;

  // What a read works on: the board (reset first if due), one period's
  // records and that period's bounds.
  struct PeriodView {
    const Board* board = nullptr;
    const RecordTable* table = nullptr;
    PeriodInfo info;
  };

  Board* find(std::string_view board_id);
  // kUnknownBoard, or kNoPreviousPeriod when the board has not reset yet.
  Result<PeriodView> open_period(std::string_view board_id, Period period, int64_t now_unix_ms);
  Record record_at(const RecordTable& table, uint32_t index, uint64_t rank) const;
  // Fills page.records with ranks [first, end) and sets both cursors.
  RecordPage page_of(const PeriodView& view, uint64_t first, uint64_t end) const;
  std::string cursor_for(const PeriodView& view, CursorPosition::Direction direction,
                         bool inclusive, const RankKey& key) const;

  // Declared before boards_: boards hold references to the names.
  UsernamePool names_;
  CursorCodec cursors_;
  BoardMap boards_;
};

}  // namespace citadel::leaderboard
