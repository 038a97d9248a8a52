// The few pieces of HTTP/1.1 syntax (RFC 9110, RFC 9112) the handshake
// parser needs: tokens, field values, comma-separated lists. ASCII only, no
// locale: header names and list tokens compare case-insensitively.
#pragma once

#include <string_view>

namespace citadel::net::websocket::http {

bool is_token(std::string_view s);  // non-empty, tchar only
// Visible ASCII, SP, HTAB and obs-text (bytes >= 0x80): no CR, LF, NUL or
// other control bytes.
bool is_field_value(std::string_view s);
bool equals_ignore_case(std::string_view a, std::string_view b);
std::string_view trim_whitespace(std::string_view s);  // leading and trailing SP / HTAB
// Whether a comma-separated list ("keep-alive, Upgrade") has an element equal
// to token, ignoring case and the whitespace around elements.
bool list_contains_token(std::string_view list, std::string_view token);

}  // namespace citadel::net::websocket::http
