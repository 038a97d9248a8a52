// The key exchange of RFC 6455 section 4.2.2 that proves the server read the
// handshake: Sec-WebSocket-Accept = base64(SHA-1(client key + a fixed GUID)).
// SHA-1 and base64 come from OpenSSL's libcrypto.
#pragma once

#include <string>
#include <string_view>

namespace citadel::net::websocket {

// Whether key is what a client must send: the base64 (padded, RFC 4648
// section 4) of exactly 16 bytes, i.e. 22 base64 characters and "==". Only
// the form is checked; the value is never decoded (it is used as text).
bool is_valid_client_key(std::string_view key);

// The Sec-WebSocket-Accept value for a client key. Aborts only if OpenSSL
// cannot compute a SHA-1 (out of memory).
std::string accept_key_for(std::string_view client_key);

}  // namespace citadel::net::websocket
