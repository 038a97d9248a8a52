// One HTTP/1.1 POST to etcd's JSON gateway, as a coroutine on the client's
// io_context (Boost.Beast, like the admin server): resolve, connect, write,
// read the whole answer, close. A fresh connection per call, on purpose:
// calls are few (leases, ownership records, not game traffic), and a pooled
// connection that died quietly would leave a write in doubt (did the txn
// run?) where a refused connect says plainly that nothing was sent.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "fleet/etcd/etcd_types.h"

namespace citadel::fleet::etcd {

struct Endpoint {
  std::string host = "127.0.0.1";
  uint16_t port = 2379;
  std::string describe() const { return host + ":" + std::to_string(port); }
};

struct HttpReply {
  unsigned status = 0;
  std::string body;
};

// Resolves and connects `stream` within `timeout`. kUnreachable or kTimeout
// on failure.
boost::asio::awaitable<Result<Empty>> connect_stream(boost::beast::tcp_stream& stream,
                                                     const Endpoint& endpoint,
                                                     std::chrono::milliseconds timeout);

// Limits of one call: the connect alone (a dead host), and the whole call.
struct CallLimits {
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds timeout{5000};
  std::size_t body_limit = 64u << 20;
};

// The whole call within `limits.timeout`. The body is JSON.
boost::asio::awaitable<Result<HttpReply>> http_post(Endpoint endpoint, std::string target,
                                                    std::string body, CallLimits limits);

// An error for a failed socket operation (`what`: "connect", "read"...).
Error socket_error(const Endpoint& endpoint, std::string_view what,
                   const boost::system::error_code& ec);

// A reply's meaning: etcd's error for a non-200 status (or kHttpStatus when
// the body is not one), else what `parse` makes of the body.
template <class T>
Result<T> interpret(const HttpReply& reply, Result<T> (*parse)(std::string_view));

}  // namespace citadel::fleet::etcd

#include "fleet/etcd/etcd_json.h"

namespace citadel::fleet::etcd {

template <class T>
Result<T> interpret(const HttpReply& reply, Result<T> (*parse)(std::string_view)) {
  if (reply.status != 200) {
    if (auto error = json::parse_error(reply.body)) return *error;
    return Error{Error::Kind::kHttpStatus, static_cast<int>(reply.status),
                 reply.body.substr(0, 200)};
  }
  return parse(reply.body);
}

}  // namespace citadel::fleet::etcd
