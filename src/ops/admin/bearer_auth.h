// Checks an Authorization header against the configured bearer token.
#pragma once

#include <string_view>

namespace citadel::ops::admin {

// True if `header` is "Bearer <token>" (scheme case-insensitive, RFC 7235)
// with exactly `token`. The token bytes are compared in constant time, so the
// answer's timing does not reveal how much of a guess was right.
bool bearer_token_matches(std::string_view header, std::string_view token);

}  // namespace citadel::ops::admin
