// One admin HTTP connection, as a coroutine on the admin thread: read a
// request within admin.read_timeout_ms and the size caps, answer it, and
// repeat while the client keeps the connection alive, up to
// admin.max_requests_per_connection.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "ops/admin/endpoints.h"
#include "ops/config.h"

namespace citadel::ops::admin {

// Bad input ends the connection after one short answer:
//   headers over max_header_bytes -> 431, body over max_body_bytes -> 413,
//   anything unparseable -> 400; a request not complete within the read
//   timeout is cut off without an answer (its client is not reading anyway).
boost::asio::awaitable<void> serve_http_session(boost::asio::ip::tcp::socket socket,
                                                const AdminConfig& config, Endpoints& endpoints);

}  // namespace citadel::ops::admin
