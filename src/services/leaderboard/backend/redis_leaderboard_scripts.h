// The Lua scripts of the Redis leaderboard backend (EVALSHA; layout and
// reasons in redis_leaderboard_backend.h). Each runs atomically in Redis, so
// a submit's read-modify-write and a page's reads see one state.
//
// Lua numbers are doubles, so no int64 score ever becomes one: the scripts
// take a score as two 32-bit halves (hi signed, lo unsigned), add and
// subtract them half by half with exact overflow checks, and compare the
// order-mapped halves numerically (Lua's string `<` uses strcoll, not bytes).
// Times (ms) and sequence numbers are Lua numbers: exact below 2^53.
#pragma once

#include <string>

namespace citadel::services::redis_scripts {

// KEYS[1] meta. ARGV: order, op, max_metadata_bytes, max_records, schedule,
// current start, current end ("none": open-ended). Returns 0, or 2
// (kBoardExists) when the board is there already.
const std::string& create_script();
// KEYS[1] meta. ARGV: t, last, next, prevfire (the period arguments, see
// PeriodArgs), then 8 per submission: user (8 bytes), username, score hi,
// score lo, subscore hi, subscore lo, has metadata (0/1), metadata. Returns
// 1 (an integer) for an unknown board, else one element per submission: its error code
// (an integer), or the record as that submission left it (one string, laid
// out as redis_submit_reply.h says).
const std::string& submit_script();
// KEYS[1] meta. ARGV: t, last, next, prevfire, period ("c"/"p"), op, args.
// Ops: info; check limit; range limit first; cursor limit key24 after
// inclusive period_start; around limit user; records user...; rank user.
// Returns {error} or {0, total, start, end, first, boundary, flat records
// (member, num_submissions, created, updated, name, metadata, rank) ...};
// info returns {0, cur_start, cur_end, cur_count, prev_start, prev_end,
// prev_count} (prev_* "" before the first reset).
const std::string& read_script();
// KEYS[1] meta. ARGV: t, last, next, prevfire, user (8 bytes). Deletes the
// user's record of the current period (after the lazy reset): its sorted-set
// member and its hash field. Returns {1} for an unknown board, {6}
// (kNotFound) without a record, else {0}.
const std::string& delete_script();

}  // namespace citadel::services::redis_scripts
