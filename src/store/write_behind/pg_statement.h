// One or more statements with binary parameters in a connection's pipeline
// mode, then a sync: the write-behind writers' flushes and the conflict
// admin's queries (open_session leaves every connection in pipeline mode).
// Every wait is bounded by a deadline.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "store/postgres/pg_handle.h"
#include "store/postgres/pg_io.h"

namespace citadel::store::wb {

// The last statement's rows (if it returned any), or the first error.
struct Outcome {
  pg::Result rows;
  std::string error;          // empty on success
  bool connection_ok = true;  // false: drop the connection and open a new one
};

struct Param {
  const char* bytes;
  int length;
  Oid type;
};

Outcome run_pipelined(PGconn* conn, std::span<const std::string> sqls,
                      std::span<const std::vector<Param>> params, pg::Deadline deadline);
Outcome run_one(PGconn* conn, const std::string& sql, const std::vector<Param>& params,
                pg::Deadline deadline);

// Parameters view their argument: it must outlive the call.
inline Param text(const std::string& s) {
  return {s.data(), static_cast<int>(s.size()), pg::kTextOid};
}
inline Param int8(const pg::BinaryInt8& v) {
  return {v.bytes, 8, pg::kInt8Oid};
}

}  // namespace citadel::store::wb
