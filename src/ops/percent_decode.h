// Percent-decoding (RFC 3986, section 2.1) of one URL component: a path
// segment of the admin API, a user or password of redis.url. No '+' for
// space: that is form encoding, not URL syntax.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace citadel::ops {

// nullopt for a '%' not followed by two hex digits.
std::optional<std::string> percent_decode(std::string_view text);

}  // namespace citadel::ops
