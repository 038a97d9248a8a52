// The Origin allow list. A browser sends the page's origin with every
// WebSocket handshake (RFC 6454 serialisation: scheme://host[:port], no path,
// the port only when it is not the scheme's default). Checking it stops a page
// on another site from opening a socket to Citadel in a visitor's browser. It
// is no defence against other clients, which can send any Origin they like.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace citadel::net::websocket {

// Whether entry may go in the allow list: scheme "://" host [":" port], with
// no path, query, user info or trailing slash. The host may be a bracketed
// IPv6 literal. "null" (the origin of sandboxed and file: pages) is refused:
// allowing it would allow every such page.
bool is_valid_origin_entry(std::string_view entry);

// An empty list allows every request, with or without an Origin header (tools
// and non-browser clients send none). Otherwise Origin must be present and
// equal one entry, ignoring ASCII case (scheme and host are case-insensitive;
// a port is digits). Default ports are not normalised: browsers omit them, so
// list "https://example.com", not "https://example.com:443".
bool origin_allowed(std::span<const std::string> allow_list,
                    std::optional<std::string_view> origin);

}  // namespace citadel::net::websocket
