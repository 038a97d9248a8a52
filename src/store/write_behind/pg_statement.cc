#include "store/write_behind/pg_statement.h"

namespace citadel::store::wb {

Outcome run_pipelined(PGconn* conn, std::span<const std::string> sqls,
                      std::span<const std::vector<Param>> params, pg::Deadline deadline) {
  Outcome out;
  for (std::size_t s = 0; s < sqls.size(); ++s) {
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<Oid> types;
    std::vector<int> formats;
    for (const Param& p : params[s]) {
      values.push_back(p.bytes);
      lengths.push_back(p.length);
      types.push_back(p.type);
      formats.push_back(1);  // binary: exact bytes, nothing to escape
    }
    if (PQsendQueryParams(conn, sqls[s].c_str(), static_cast<int>(values.size()), types.data(),
                          values.data(), lengths.data(), formats.data(), 0) == 0) {
      return {{}, pg::error_message(conn), false};
    }
  }
  if (PQpipelineSync(conn) == 0 || !pg::flush_until(conn, deadline)) {
    return {{}, PQstatus(conn) == CONNECTION_BAD ? pg::error_message(conn) : "timed out", false};
  }
  for (std::size_t s = 0; s < sqls.size(); ++s) {
    if (!pg::await_result(conn, deadline)) return {{}, "timed out or connection lost", false};
    pg::Result r(PQgetResult(conn));
    if (!r) return {{}, "pipeline out of step", false};
    const auto status = PQresultStatus(r.get());
    if (status == PGRES_TUPLES_OK) {
      out.rows = std::move(r);
    } else if (status != PGRES_COMMAND_OK && out.error.empty()) {
      out.error = status == PGRES_PIPELINE_ABORTED ? "aborted" : pg::error_message(r.get());
    }
    if (!pg::await_result(conn, deadline)) return {{}, "timed out or connection lost", false};
    if (pg::Result end(PQgetResult(conn)); end) return {{}, "pipeline out of step", false};
  }
  if (!pg::await_result(conn, deadline)) return {{}, "timed out or connection lost", false};
  const pg::Result sync(PQgetResult(conn));
  if (!sync || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) {
    return {{}, "pipeline out of step", false};
  }
  return out;
}

Outcome run_one(PGconn* conn, const std::string& sql, const std::vector<Param>& params,
                pg::Deadline deadline) {
  return run_pipelined(conn, std::span(&sql, 1), std::span(&params, 1), deadline);
}

}  // namespace citadel::store::wb
