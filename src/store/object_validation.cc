#include "store/object_validation.h"

#include <nlohmann/json.hpp>

namespace citadel::store {

bool valid_object_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxObjectNameBytes) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.' || c == ':';
  });
}

bool valid_object_json(std::string_view value) {
  // The SAX-free parse with exceptions off: a malformed document yields a
  // discarded value rather than a throw on the hot path.
  const nlohmann::json doc = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
  return doc.is_object();
}

bool valid_permissions(uint8_t read, uint8_t write) {
  return read <= kReadPublic && write <= kWriteOwner;
}

namespace {

bool valid_id(const ObjectId& id) {
  return valid_object_name(id.collection) && valid_object_name(id.key);
}

}  // namespace

bool valid_object_reads(const std::vector<ObjectId>& ids) {
  return !ids.empty() && std::all_of(ids.begin(), ids.end(), valid_id);
}

bool valid_object_writes(const std::vector<ObjectWrite>& writes) {
  return !writes.empty() && std::all_of(writes.begin(), writes.end(), [](const ObjectWrite& w) {
    return valid_id(w.id) && valid_permissions(w.read, w.write) && valid_object_json(w.value) &&
           (w.condition != ObjectCondition::kVersion || w.version > 0);
  }) && !has_duplicate_ids(writes, [](const ObjectWrite& w) -> const ObjectId& { return w.id; });
}

bool valid_object_deletes(const std::vector<ObjectDelete>& deletes) {
  return !deletes.empty() && std::all_of(deletes.begin(), deletes.end(), [](const ObjectDelete& d) {
    return valid_id(d.id) && d.version >= 0;
  }) && !has_duplicate_ids(deletes, [](const ObjectDelete& d) -> const ObjectId& { return d.id; });
}

bool valid_object_list(const ObjectListQuery& query) {
  return valid_object_name(query.collection) &&
         (query.after_key.empty() || valid_object_name(query.after_key)) && query.limit > 0 &&
         query.min_read <= kReadPublic;
}

}  // namespace citadel::store
