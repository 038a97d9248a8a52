#include "store/sqlite_object_runner.h"

namespace citadel::store::sqlite {

#define CITADEL_OBJECT_COLUMNS                                                               \
  "SELECT collection, key, owner_id, value, version, read_perm, write_perm, created_at_ms, " \
  "updated_at_ms FROM storage_objects "

ObjectRunner::ObjectRunner(sqlite3* db)
    : db_(db),
      savepoint_(db, "SAVEPOINT storage_batch"),
      rollback_to_(db, "ROLLBACK TO storage_batch"),
      release_(db, "RELEASE storage_batch"),
      select_one_(db,
                  CITADEL_OBJECT_COLUMNS "WHERE owner_id = ?1 AND collection = ?2 AND key = ?3"),
      select_current_(db,
                      "SELECT version, write_perm FROM storage_objects "
                      "WHERE owner_id = ?1 AND collection = ?2 AND key = ?3"),
      // created_at_ms stays what the first write set.
      upsert_(
          db,
          "INSERT INTO storage_objects (owner_id, collection, key, value, version, read_perm, "
          "write_perm, created_at_ms, updated_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8) "
          "ON CONFLICT (owner_id, collection, key) DO UPDATE SET value = excluded.value, "
          "version = excluded.version, read_perm = excluded.read_perm, "
          "write_perm = excluded.write_perm, updated_at_ms = excluded.updated_at_ms"),
      delete_(db,
              "DELETE FROM storage_objects WHERE owner_id = ?1 AND collection = ?2 AND key = ?3"),
      // Keys compare as bytes (BINARY collation), the order cursors rely on.
      list_(db, CITADEL_OBJECT_COLUMNS
            "WHERE owner_id = ?1 AND collection = ?2 AND key > ?3 AND read_perm >= ?4 "
            "ORDER BY key LIMIT ?5") {}

#undef CITADEL_OBJECT_COLUMNS

StorageObject ObjectRunner::object_from(Statement& s) const {
  return StorageObject{s.column_text(0),
                       s.column_text(1),
                       s.column_int64(2),
                       s.column_text(3),
                       s.column_int64(4),
                       static_cast<uint8_t>(s.column_int64(5)),
                       static_cast<uint8_t>(s.column_int64(6)),
                       s.column_int64(7),
                       s.column_int64(8)};
}

int ObjectRunner::execute(ReadObjectsRequest& r) {
  for (const ObjectId& id : r.ids) {
    StatementScope select(select_one_);
    select->bind_int64(1, id.owner_id);
    select->bind_text(2, id.collection);
    select->bind_text(3, id.key);
    const int rc = select->step();
    if (rc == SQLITE_ROW) {
      r.result.value.push_back(object_from(*select));
    } else if (rc != SQLITE_DONE) {
      return rc;
    }
  }
  return SQLITE_OK;
}

int ObjectRunner::current(const ObjectId& id, std::optional<Current>& found) {
  StatementScope select(select_current_);
  select->bind_int64(1, id.owner_id);
  select->bind_text(2, id.collection);
  select->bind_text(3, id.key);
  const int rc = select->step();
  if (rc == SQLITE_DONE) return SQLITE_OK;
  if (rc != SQLITE_ROW) return rc;
  found = Current{select->column_int64(0), static_cast<uint8_t>(select->column_int64(1))};
  return SQLITE_OK;
}

int ObjectRunner::end_savepoint(bool keep) {
  if (!keep) {
    const int rc = done_or_error(StatementScope(rollback_to_)->step());
    if (rc != SQLITE_OK) return rc;
  }
  return done_or_error(StatementScope(release_)->step());
}

int ObjectRunner::execute(WriteObjectsRequest& r, int64_t now_ms) {
  int rc = done_or_error(StatementScope(savepoint_)->step());
  if (rc != SQLITE_OK) return rc;
  ObjectWriteOutcome& out = r.result.value;
  out.versions.reserve(r.writes.size());
  for (std::size_t i = 0; i < r.writes.size(); ++i) {
    const ObjectWrite& w = r.writes[i];
    std::optional<Current> now;
    rc = current(w.id, now);
    if (rc != SQLITE_OK) break;
    ObjectRefusal refusal = ObjectRefusal::kNone;
    if (w.require_writable && now && now->write == kWriteNone) {
      refusal = ObjectRefusal::kPermissionDenied;
    } else if (w.condition == ObjectCondition::kVersion && (!now || now->version != w.version)) {
      refusal = ObjectRefusal::kVersionConflict;
    } else if (w.condition == ObjectCondition::kAbsent && now) {
      refusal = ObjectRefusal::kVersionConflict;
    }
    if (refusal != ObjectRefusal::kNone) {
      out = {refusal, static_cast<uint32_t>(i), {}};
      return end_savepoint(false);
    }
    const int64_t version = now ? now->version + 1 : 1;
    StatementScope upsert(upsert_);
    upsert->bind_int64(1, w.id.owner_id);
    upsert->bind_text(2, w.id.collection);
    upsert->bind_text(3, w.id.key);
    upsert->bind_text(4, w.value);
    upsert->bind_int64(5, version);
    upsert->bind_int64(6, w.read);
    upsert->bind_int64(7, w.write);
    upsert->bind_int64(8, now_ms);
    rc = done_or_error(upsert->step());
    if (rc != SQLITE_OK) break;
    out.versions.push_back(version);
  }
  if (rc != SQLITE_OK) {
    out = {};
    // This request's items are undone; the caller fails it alone.
    if (sqlite3_get_autocommit(db_) == 0) end_savepoint(false);
    return rc;
  }
  return end_savepoint(true);
}

int ObjectRunner::execute(DeleteObjectsRequest& r) {
  int rc = done_or_error(StatementScope(savepoint_)->step());
  if (rc != SQLITE_OK) return rc;
  for (std::size_t i = 0; i < r.deletes.size(); ++i) {
    const ObjectDelete& d = r.deletes[i];
    std::optional<Current> now;
    rc = current(d.id, now);
    if (rc != SQLITE_OK) break;
    ObjectRefusal refusal = ObjectRefusal::kNone;
    if (d.version > 0 && (!now || now->version != d.version)) {
      refusal = ObjectRefusal::kVersionConflict;
    } else if (d.require_writable && now && now->write == kWriteNone) {
      refusal = ObjectRefusal::kPermissionDenied;
    }
    if (refusal != ObjectRefusal::kNone) {
      r.result.value = {refusal, static_cast<uint32_t>(i), {}};
      return end_savepoint(false);
    }
    if (!now) continue;  // nothing to delete: not an error
    StatementScope del(delete_);
    del->bind_int64(1, d.id.owner_id);
    del->bind_text(2, d.id.collection);
    del->bind_text(3, d.id.key);
    rc = done_or_error(del->step());
    if (rc != SQLITE_OK) break;
  }
  if (rc != SQLITE_OK) {
    if (sqlite3_get_autocommit(db_) == 0) end_savepoint(false);
    return rc;
  }
  return end_savepoint(true);
}

int ObjectRunner::execute(ListObjectsRequest& r) {
  StatementScope list(list_);
  list->bind_int64(1, r.query.owner_id);
  list->bind_text(2, r.query.collection);
  list->bind_text(3, r.query.after_key);
  list->bind_int64(4, r.query.min_read);
  // One row past the page says whether there is more.
  list->bind_int64(5, int64_t{r.query.limit} + 1);
  auto& page = r.result.value;
  int rc = 0;
  while ((rc = list->step()) == SQLITE_ROW) {
    if (page.objects.size() == r.query.limit) {
      page.more = true;
      continue;
    }
    page.objects.push_back(object_from(*list));
  }
  return done_or_error(rc);
}

}  // namespace citadel::store::sqlite
