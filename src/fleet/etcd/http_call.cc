#include "fleet/etcd/http_call.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>

#include "ops/asio_no_throw.h"

namespace citadel::fleet::etcd {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

using ops::kNoThrow;

Error socket_error(const Endpoint& endpoint, std::string_view what,
                   const boost::system::error_code& ec) {
  const bool timeout = ec == beast::error::timeout;
  return Error{timeout ? Error::Kind::kTimeout : Error::Kind::kUnreachable, 0,
               std::string(what) + " " + endpoint.describe() + ": " +
                   (timeout ? std::string("no answer in time") : ec.message())};
}

asio::awaitable<Result<Empty>> connect_stream(beast::tcp_stream& stream, const Endpoint& endpoint,
                                              std::chrono::milliseconds timeout) {
  asio::ip::tcp::resolver resolver(co_await asio::this_coro::executor);
  auto [rec, results] =
      co_await resolver.async_resolve(endpoint.host, std::to_string(endpoint.port), kNoThrow);
  if (rec) co_return socket_error(endpoint, "resolve", rec);
  stream.expires_after(timeout);
  auto [cec, at] = co_await stream.async_connect(results, kNoThrow);
  if (cec) co_return socket_error(endpoint, "connect", cec);
  stream.socket().set_option(asio::ip::tcp::no_delay(true));
  co_return Empty{};
}

asio::awaitable<Result<HttpReply>> http_post(Endpoint endpoint, std::string target,
                                             std::string body, CallLimits limits) {
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  const auto deadline = std::chrono::steady_clock::now() + limits.timeout;
  const auto connect_timeout = std::min(limits.connect_timeout, limits.timeout);
  if (auto c = co_await connect_stream(stream, endpoint, connect_timeout); !c) {
    co_return c.error();
  }
  stream.expires_at(deadline);  // one deadline for the whole call

  http::request<http::string_body> request{http::verb::post, target, 11};
  request.set(http::field::host, endpoint.host);
  request.set(http::field::content_type, "application/json");
  request.body() = std::move(body);
  request.prepare_payload();
  if (auto [ec, n] = co_await http::async_write(stream, request, kNoThrow); ec) {
    co_return socket_error(endpoint, "write to", ec);
  }

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(limits.body_limit);
  if (auto [ec, n] = co_await http::async_read(stream, buffer, parser, kNoThrow); ec) {
    if (ec == http::error::body_limit) {
      co_return Error{Error::Kind::kMalformed, 0,
                      "answer over " + std::to_string(limits.body_limit) + " bytes"};
    }
    co_return socket_error(endpoint, "read from", ec);
  }
  beast::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  auto& response = parser.get();
  co_return HttpReply{response.result_int(), std::move(response.body())};
}

}  // namespace citadel::fleet::etcd
