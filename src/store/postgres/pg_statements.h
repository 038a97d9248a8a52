// The prepared statements of the PostgreSQL store, prepared once per
// connection. Parameters go in binary (exact lengths: a string is sent as its
// bytes, never cut at a NUL), results come back as text.
//
// Every request is one statement, so a batch is a pipeline of independent
// statements. Unique clashes do not raise errors (ON CONFLICT DO NOTHING):
// in PostgreSQL an error aborts the whole transaction, which would fail every
// other login in the batch.
#pragma once

#include <libpq-fe.h>

#include <array>
#include <vector>

#include "store/postgres/pg_handle.h"

namespace citadel::store::pg {

struct Statement {
  const char* name;
  const char* sql;
  std::vector<Oid> param_types;
};

namespace stmt {
inline constexpr const char* kCreateAccount = "citadel_create_account";
inline constexpr const char* kFindByUsername = "citadel_find_by_username";
inline constexpr const char* kFindById = "citadel_find_by_id";
inline constexpr const char* kGuestLogin = "citadel_guest_login";
inline constexpr const char* kAppendHistory = "citadel_append_history";
inline constexpr const char* kLoadHistory = "citadel_load_history";
inline constexpr const char* kTrimHistory = "citadel_trim_history";
inline constexpr const char* kSaveLeaderboard = "citadel_save_leaderboard";
inline constexpr const char* kSaveLeaderboardRecord = "citadel_save_leaderboard_record";
inline constexpr const char* kDeleteLeaderboardRecord = "citadel_delete_leaderboard_record";
inline constexpr const char* kLoadLeaderboards = "citadel_load_leaderboards";
}  // namespace stmt

#define CITADEL_PG_ACCOUNT_COLUMNS \
  "SELECT id, username, password_hash, device_id, created_at_ms FROM accounts "

inline const std::array<Statement, 11> kStatements = {{
    // The insert's own row is invisible to the rest of the statement (one
    // snapshot), so the EXISTS columns see only earlier accounts: they say
    // which unique key clashed when no id comes back.
    {stmt::kCreateAccount,
     "WITH ins AS (INSERT INTO accounts (username, password_hash, device_id, created_at_ms) "
     "VALUES (NULLIF($1, ''), NULLIF($2, ''), NULLIF($3, ''), $4) "
     "ON CONFLICT DO NOTHING RETURNING id) "
     "SELECT (SELECT id FROM ins), "
     "EXISTS (SELECT 1 FROM accounts WHERE $1 <> '' AND lower(username) = lower($1)), "
     "EXISTS (SELECT 1 FROM accounts WHERE $3 <> '' AND device_id = $3)",
     {kTextOid, kTextOid, kTextOid, kInt8Oid}},
    {stmt::kFindByUsername,
     CITADEL_PG_ACCOUNT_COLUMNS "WHERE lower(username) = lower($1)",
     {kTextOid}},
    {stmt::kFindById, CITADEL_PG_ACCOUNT_COLUMNS "WHERE id = $1", {kInt8Oid}},
    // Look up first: a returning guest costs one index probe and writes
    // nothing. The insert runs only when the lookup found nothing.
    {stmt::kGuestLogin,
     "WITH found AS (SELECT id FROM accounts WHERE device_id = $1), "
     "ins AS (INSERT INTO accounts (device_id, created_at_ms) SELECT $1, $2 "
     "WHERE NOT EXISTS (SELECT 1 FROM found) ON CONFLICT DO NOTHING RETURNING id) "
     "SELECT id, false FROM found UNION ALL SELECT id, true FROM ins",
     {kTextOid, kInt8Oid}},
    {stmt::kAppendHistory,
     "INSERT INTO chat_history (channel, sender_id, sender_name, text, sent_at_ms) "
     "VALUES ($1, $2, $3, $4, $5)",
     {kTextOid, kInt8Oid, kTextOid, kTextOid, kInt8Oid}},
    {stmt::kLoadHistory,
     "SELECT sender_id, sender_name, text, sent_at_ms FROM chat_history "
     "WHERE channel = $1 ORDER BY id DESC LIMIT $2",
     {kTextOid, kInt8Oid}},
    // As in SQLite: the id of the channel's N-th newest row bounds what is
    // kept; with fewer rows the subquery is NULL and nothing is deleted.
    {stmt::kTrimHistory,
     "DELETE FROM chat_history WHERE channel = $1 AND id < ("
     "SELECT id FROM chat_history WHERE channel = $1 ORDER BY id DESC OFFSET $2 LIMIT 1)",
     {kTextOid, kInt8Oid}},
    // Leaderboards: the board's row, then (one statement, so one result) its
    // records of periods no longer kept.
    {stmt::kSaveLeaderboard,
     "WITH up AS (INSERT INTO leaderboard_boards (id, sort_order, score_operator, "
     "reset_schedule, max_metadata_bytes, max_records, current_start_ms, has_previous, "
     "previous_start_ms, previous_end_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
     "ON CONFLICT (id) DO UPDATE SET sort_order = EXCLUDED.sort_order, "
     "score_operator = EXCLUDED.score_operator, reset_schedule = EXCLUDED.reset_schedule, "
     "max_metadata_bytes = EXCLUDED.max_metadata_bytes, max_records = EXCLUDED.max_records, "
     "current_start_ms = EXCLUDED.current_start_ms, has_previous = EXCLUDED.has_previous, "
     "previous_start_ms = EXCLUDED.previous_start_ms, previous_end_ms = EXCLUDED.previous_end_ms "
     "RETURNING 1) "
     "DELETE FROM leaderboard_records WHERE board_id = $1 AND period_start_ms < "
     "CASE WHEN $8 <> 0 THEN $9 ELSE $7 END",
     {kTextOid, kInt8Oid, kInt8Oid, kTextOid, kInt8Oid, kInt8Oid, kInt8Oid, kInt8Oid, kInt8Oid,
      kInt8Oid}},
    {stmt::kSaveLeaderboardRecord,
     "INSERT INTO leaderboard_records (board_id, period_start_ms, user_id, username, score, "
     "subscore, num_submissions, metadata, create_ms, update_ms, sequence) "
     "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
     "ON CONFLICT (board_id, period_start_ms, user_id) DO UPDATE SET "
     "username = EXCLUDED.username, score = EXCLUDED.score, subscore = EXCLUDED.subscore, "
     "num_submissions = EXCLUDED.num_submissions, metadata = EXCLUDED.metadata, "
     "create_ms = EXCLUDED.create_ms, update_ms = EXCLUDED.update_ms, "
     "sequence = EXCLUDED.sequence",
     {kTextOid, kInt8Oid, kInt8Oid, kTextOid, kInt8Oid, kInt8Oid, kInt8Oid, kTextOid, kInt8Oid,
      kInt8Oid, kInt8Oid}},
    {stmt::kDeleteLeaderboardRecord,
     "DELETE FROM leaderboard_records WHERE board_id = $1 AND period_start_ms = $2 AND "
     "user_id = $3",
     {kTextOid, kInt8Oid, kInt8Oid}},
    // One statement, so one result per request: each board with each of its
    // records (a board without records once, with NULL record columns).
    {stmt::kLoadLeaderboards,
     "SELECT b.id, b.sort_order, b.score_operator, b.reset_schedule, b.max_metadata_bytes, "
     "b.max_records, b.current_start_ms, b.has_previous, b.previous_start_ms, "
     "b.previous_end_ms, r.period_start_ms, r.user_id, r.username, r.score, r.subscore, "
     "r.num_submissions, r.metadata, r.create_ms, r.update_ms, r.sequence "
     "FROM leaderboard_boards b LEFT JOIN leaderboard_records r ON r.board_id = b.id "
     "ORDER BY b.id",
     {}},
}};

#undef CITADEL_PG_ACCOUNT_COLUMNS

}  // namespace citadel::store::pg
