#include "store/postgres/pg_object_statements.h"

#include <array>
#include <nlohmann/json.hpp>
#include <string>

namespace citadel::store::pg {
namespace {

constexpr const char* kReadObjects = "citadel_read_objects";
constexpr const char* kWriteObjects = "citadel_write_objects";
constexpr const char* kDeleteObjects = "citadel_delete_objects";
constexpr const char* kListObjects = "citadel_list_objects";

#define CITADEL_PG_OBJECT_COLUMNS                                                    \
  "s.collection, s.key, s.owner_id, s.value, s.version, s.read_perm, s.write_perm, " \
  "s.created_at_ms, s.updated_at_ms"

// Every item's stored row, locked until the transaction ends, so a
// condition checked here still holds when the write lands (another node's
// write on the same row waits for us). A row another node inserts after our
// snapshot is not seen: the upsert below then refuses to overwrite it and
// the statement fails (see kWriteObjects).
#define CITADEL_PG_LOCK_CURRENT                                                      \
  "cur AS (SELECT s.collection, s.key, s.owner_id, s.version, s.write_perm "         \
  "FROM storage_objects s JOIN items ON s.collection = items.c AND s.key = items.k " \
  "AND s.owner_id = items.o FOR UPDATE OF s), "

const std::array<Statement, 4> kObjectStatements = {{
    {kReadObjects,
     "SELECT " CITADEL_PG_OBJECT_COLUMNS
     " FROM jsonb_to_recordset($1::jsonb) AS t(i int, c text, k text, o bigint) "
     "JOIN storage_objects s ON s.collection = t.c AND s.key = t.k AND s.owner_id = t.o "
     "ORDER BY t.i",
     {kTextOid}},
    // refusal: 1 a condition failed, 2 the object is server-only (write 0).
    // The upsert runs only when no item was refused; its WHERE refuses to
    // overwrite a row whose version is not the one checked (a row inserted
    // by another node after our snapshot), and the final division then
    // fails the statement rather than commit half a batch.
    {kWriteObjects,
     "WITH items AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS t(i int, c text, k text, "
     "o bigint, v text, r smallint, w smallint, cond smallint, ver bigint, rw "
     "bool)), " CITADEL_PG_LOCK_CURRENT
     "checked AS (SELECT items.*, coalesce(cur.version, 0) AS old_version, "
     "CASE WHEN items.rw AND cur.write_perm = 0 THEN 2 "
     "WHEN items.cond = 1 AND (cur.version IS NULL OR cur.version <> items.ver) THEN 1 "
     "WHEN items.cond = 2 AND cur.version IS NOT NULL THEN 1 ELSE 0 END AS refusal "
     "FROM items LEFT JOIN cur ON cur.collection = items.c AND cur.key = items.k "
     "AND cur.owner_id = items.o), "
     "refused AS (SELECT i, refusal FROM checked WHERE refusal <> 0 ORDER BY i LIMIT 1), "
     "written AS (INSERT INTO storage_objects AS s (collection, key, owner_id, value, version, "
     "read_perm, write_perm, created_at_ms, updated_at_ms) "
     "SELECT c, k, o, v, old_version + 1, r, w, $2, $2 FROM checked "
     "WHERE NOT EXISTS (SELECT 1 FROM refused) "
     "ON CONFLICT (owner_id, collection, key) DO UPDATE SET value = excluded.value, "
     "version = excluded.version, read_perm = excluded.read_perm, "
     "write_perm = excluded.write_perm, updated_at_ms = excluded.updated_at_ms "
     "WHERE s.version = excluded.version - 1 RETURNING 1) "
     "SELECT i, refusal, 0::bigint FROM refused "
     "UNION ALL SELECT i, 0, old_version + 1 FROM checked "
     "WHERE NOT EXISTS (SELECT 1 FROM refused) "
     "AND 1 / (CASE WHEN EXISTS (SELECT 1 FROM refused) "
     "OR (SELECT count(*) FROM written) = (SELECT count(*) FROM checked) THEN 1 ELSE 0 END) = 1 "
     "ORDER BY 1",
     {kTextOid, kInt8Oid}},
    {kDeleteObjects,
     "WITH items AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS t(i int, c text, k text, "
     "o bigint, ver bigint, rw bool)), " CITADEL_PG_LOCK_CURRENT "checked AS (SELECT items.*, "
     "CASE WHEN items.ver > 0 AND (cur.version IS NULL OR cur.version <> items.ver) THEN 1 "
     "WHEN items.rw AND cur.write_perm = 0 THEN 2 ELSE 0 END AS refusal "
     "FROM items LEFT JOIN cur ON cur.collection = items.c AND cur.key = items.k "
     "AND cur.owner_id = items.o), "
     "refused AS (SELECT i, refusal FROM checked WHERE refusal <> 0 ORDER BY i LIMIT 1), "
     "deleted AS (DELETE FROM storage_objects s USING checked "
     "WHERE NOT EXISTS (SELECT 1 FROM refused) AND s.collection = checked.c "
     "AND s.key = checked.k AND s.owner_id = checked.o RETURNING 1) "
     "SELECT i, refusal FROM refused",
     {kTextOid}},
    // key is COLLATE "C" (the migration), so > and ORDER BY compare bytes,
    // as in SQLite, and walk the primary key.
    {kListObjects,
     "SELECT " CITADEL_PG_OBJECT_COLUMNS
     " FROM storage_objects s WHERE s.owner_id = $1 AND s.collection = $2 AND s.key > $3 "
     "AND s.read_perm >= $4 ORDER BY s.key LIMIT $5",
     {kInt8Oid, kTextOid, kTextOid, kInt8Oid, kInt8Oid}},
}};

#undef CITADEL_PG_OBJECT_COLUMNS
#undef CITADEL_PG_LOCK_CURRENT

bool send(PGconn* conn, const char* name, std::span<const char* const> values,
          std::span<const int> lengths) {
  const std::array<int, 5> formats = {1, 1, 1, 1, 1};  // binary
  return PQsendQueryPrepared(conn, name, static_cast<int>(values.size()), values.data(),
                             lengths.data(), formats.data(), /*resultFormat=*/0) != 0;
}

bool send_json(PGconn* conn, const char* name, const nlohmann::json& items) {
  // Names were validated (ASCII) and values are valid JSON text (UTF-8),
  // so dump() cannot meet bytes it refuses.
  const std::string text = items.dump();
  const std::array<const char*, 1> values = {text.data()};
  const std::array<int, 1> lengths = {static_cast<int>(text.size())};
  return send(conn, name, values, lengths);
}

nlohmann::json item(std::size_t i, const ObjectId& id) {
  return {{"i", i}, {"c", id.collection}, {"k", id.key}, {"o", id.owner_id}};
}

StorageObject object_at(const PGresult* res, int row) {
  return StorageObject{text_at(res, row, 0),
                       text_at(res, row, 1),
                       int64_at(res, row, 2),
                       text_at(res, row, 3),
                       int64_at(res, row, 4),
                       static_cast<uint8_t>(int64_at(res, row, 5)),
                       static_cast<uint8_t>(int64_at(res, row, 6)),
                       int64_at(res, row, 7),
                       int64_at(res, row, 8)};
}

ObjectRefusal refusal_of(int64_t code) {
  return code == 2 ? ObjectRefusal::kPermissionDenied : ObjectRefusal::kVersionConflict;
}

}  // namespace

std::span<const Statement> object_statements() {
  return kObjectStatements;
}

bool send_object_request(PGconn* conn, const ReadObjectsRequest& r) {
  nlohmann::json items = nlohmann::json::array();
  for (std::size_t i = 0; i < r.ids.size(); ++i) items.push_back(item(i, r.ids[i]));
  return send_json(conn, kReadObjects, items);
}

bool send_object_request(PGconn* conn, const WriteObjectsRequest& r, int64_t now_ms) {
  nlohmann::json items = nlohmann::json::array();
  for (std::size_t i = 0; i < r.writes.size(); ++i) {
    const ObjectWrite& w = r.writes[i];
    nlohmann::json j = item(i, w.id);
    j["v"] = w.value;
    j["r"] = w.read;
    j["w"] = w.write;
    j["cond"] = w.condition == ObjectCondition::kVersion  ? 1
                : w.condition == ObjectCondition::kAbsent ? 2
                                                          : 0;
    j["ver"] = w.version;
    j["rw"] = w.require_writable;
    items.push_back(std::move(j));
  }
  const std::string text = items.dump();
  const BinaryInt8 now(now_ms);
  const std::array<const char*, 2> values = {text.data(), now.bytes};
  const std::array<int, 2> lengths = {static_cast<int>(text.size()), 8};
  return send(conn, kWriteObjects, values, lengths);
}

bool send_object_request(PGconn* conn, const DeleteObjectsRequest& r) {
  nlohmann::json items = nlohmann::json::array();
  for (std::size_t i = 0; i < r.deletes.size(); ++i) {
    nlohmann::json j = item(i, r.deletes[i].id);
    j["ver"] = r.deletes[i].version;
    j["rw"] = r.deletes[i].require_writable;
    items.push_back(std::move(j));
  }
  return send_json(conn, kDeleteObjects, items);
}

bool send_object_request(PGconn* conn, const ListObjectsRequest& r) {
  const BinaryInt8 owner(r.query.owner_id), min_read(r.query.min_read),
      limit(int64_t{r.query.limit} + 1);  // one row past the page says whether there is more
  const std::array<const char*, 5> values = {owner.bytes, r.query.collection.data(),
                                             r.query.after_key.data(), min_read.bytes, limit.bytes};
  const std::array<int, 5> lengths = {8, static_cast<int>(r.query.collection.size()),
                                      static_cast<int>(r.query.after_key.size()), 8, 8};
  return send(conn, kListObjects, values, lengths);
}

void take_object_result(ReadObjectsRequest& r, const PGresult* res) {
  const int rows = PQntuples(res);
  r.result.value.reserve(static_cast<std::size_t>(rows));
  for (int row = 0; row < rows; ++row) r.result.value.push_back(object_at(res, row));
}

void take_object_result(WriteObjectsRequest& r, const PGresult* res) {
  ObjectWriteOutcome& out = r.result.value;
  const int rows = PQntuples(res);
  if (rows > 0 && int64_at(res, 0, 1) != 0) {
    out = {refusal_of(int64_at(res, 0, 1)), static_cast<uint32_t>(int64_at(res, 0, 0)), {}};
    return;
  }
  out.versions.reserve(static_cast<std::size_t>(rows));
  for (int row = 0; row < rows; ++row) out.versions.push_back(int64_at(res, row, 2));
}

void take_object_result(DeleteObjectsRequest& r, const PGresult* res) {
  if (PQntuples(res) == 0) return;
  r.result.value = {
      refusal_of(int64_at(res, 0, 1)), static_cast<uint32_t>(int64_at(res, 0, 0)), {}};
}

void take_object_result(ListObjectsRequest& r, const PGresult* res) {
  auto& page = r.result.value;
  const int rows = PQntuples(res);
  for (int row = 0; row < rows; ++row) {
    if (page.objects.size() == r.query.limit) {
      page.more = true;
      break;
    }
    page.objects.push_back(object_at(res, row));
  }
}

}  // namespace citadel::store::pg
