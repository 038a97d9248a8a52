// Strict UTF-8 validation: rejects overlong forms, surrogates, code points
// above U+10FFFF and truncated sequences (what a chat message or a WebSocket
// close reason must not carry). In protocol/ so that net/ and services/ can
// both use it.
#pragma once

#include <string_view>

namespace citadel::protocol {

bool is_valid_utf8(std::string_view text);

}  // namespace citadel::protocol
