// Strict UTF-8 validation: rejects overlong forms, surrogates, code points
// above U+10FFFF and truncated sequences (what a chat message must not carry).
#pragma once

#include <string_view>

namespace citadel::services {

bool is_valid_utf8(std::string_view text);

}  // namespace citadel::services
