// StorageList page cursors: "s1.<last key, base64url>.<mac, base64url>".
// The mac (BLAKE2b keyed with a key derived from the server secret) binds
// the key to the list it came from (owner and collection), so a cursor that
// was edited, made up, or taken from another list is refused (BadCursor)
// rather than starting a page somewhere else. Stateless: any node with the
// same secret accepts it, and it survives restarts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "services/auth/token_signer.h"

namespace citadel::services {

class StorageCursor {
 public:
  explicit StorageCursor(const TokenSigner::Secret& secret);

  std::string encode(uint64_t owner_id, std::string_view collection,
                     std::string_view last_key) const;
  // The last key of the previous page, or nullopt when the cursor is not one
  // this server issued for (owner_id, collection).
  std::optional<std::string> decode(std::string_view cursor, uint64_t owner_id,
                                    std::string_view collection) const;

 private:
  std::string mac_of(uint64_t owner_id, std::string_view collection, std::string_view key) const;

  TokenSigner::Secret key_;
};

}  // namespace citadel::services
