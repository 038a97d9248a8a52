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

}  // namespace citadel::store
