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
}  // namespace stmt

#define CITADEL_PG_ACCOUNT_COLUMNS \
  "SELECT id, username, password_hash, device_id, created_at_ms FROM accounts "

inline const std::array<Statement, 7> kStatements = {{
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
}};

#undef CITADEL_PG_ACCOUNT_COLUMNS

}  // namespace citadel::store::pg
