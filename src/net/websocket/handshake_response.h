// The server's side of the opening handshake (RFC 6455 section 4.2.2): the
// 101 that switches the connection to WebSocket, or an HTTP error after which
// the connection closes.
#pragma once

#include <string>
#include <string_view>

namespace citadel::net::websocket {

// 101 Switching Protocols with Sec-WebSocket-Accept. No Sec-WebSocket-Protocol
// and no Sec-WebSocket-Extensions: Citadel negotiates neither (a
// permessage-deflate offer is declined by leaving it out).
std::string switching_protocols_response(std::string_view accept_key);

// An error with `problem` as a one-line text/plain body and Connection: close.
// 405 adds Allow: GET; 426 adds Upgrade: websocket and Sec-WebSocket-Version: 13
// (RFC 6455 section 4.2.2 step 4: tell the client which version we speak).
std::string error_response(int status, std::string_view problem);

// "Bad Request" for 400 and so on; "Error" for a status not used here.
std::string_view reason_phrase(int status);

}  // namespace citadel::net::websocket
