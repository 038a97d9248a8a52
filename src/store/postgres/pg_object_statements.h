// Storage objects on PostgreSQL: the prepared statements, how a request is
// sent (one statement per request, so it fits the batch pipeline) and how
// its result is read back. A request's items travel as one JSON parameter
// (jsonb_to_recordset): one round trip and one statement whatever the batch
// size, and no SQL is ever built from user text.
//
// A write or delete batch is one statement, so it is all or nothing by
// itself: it locks the rows it names (FOR UPDATE), checks every condition,
// and writes only when none failed. Store thread only.
#pragma once

#include <libpq-fe.h>

#include <span>

#include "store/postgres/pg_statements.h"
#include "store/store_requests.h"

namespace citadel::store::pg {

// Prepared with kStatements on every new connection.
std::span<const Statement> object_statements();

// Sends the request's statement; false when the connection refused it.
bool send_object_request(PGconn* conn, const ReadObjectsRequest& r);
bool send_object_request(PGconn* conn, const WriteObjectsRequest& r, int64_t now_ms);
bool send_object_request(PGconn* conn, const DeleteObjectsRequest& r);
bool send_object_request(PGconn* conn, const ListObjectsRequest& r);

// Fills the request's result from its statement's rows.
void take_object_result(ReadObjectsRequest& r, const PGresult* res);
void take_object_result(WriteObjectsRequest& r, const PGresult* res);
void take_object_result(DeleteObjectsRequest& r, const PGresult* res);
void take_object_result(ListObjectsRequest& r, const PGresult* res);

}  // namespace citadel::store::pg
