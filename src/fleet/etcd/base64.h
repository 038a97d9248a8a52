// Standard padded base64 (RFC 4648 section 4), as the etcd JSON gateway
// writes bytes fields. libsodium's codec: the project already links it for
// tokens and cursors, so no other codec is added.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace citadel::fleet::etcd {

std::string base64_encode(std::string_view bytes);
// nullopt when `text` is not valid padded base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace citadel::fleet::etcd
