#include "ops/admin/http_session.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <spdlog/spdlog.h>

#include <array>
#include <chrono>
#include <optional>

#include "ops/asio_no_throw.h"

namespace citadel::ops::admin {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

// After refusing a request, how long and how much of the rest of it we read
// and discard before closing (see close_after_refusal).
constexpr auto kRefusalLinger = std::chrono::seconds(1);
constexpr std::size_t kRefusalDiscardBytes = 64 * 1024;

// The answer to a request that could not be read, or nullopt to close
// without one (timeout, the client closed, a socket error).
std::optional<Response> refusal_for(const beast::error_code& ec) {
  if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
    return make_response(http::status::request_header_fields_too_large, 11,
                         "request line and headers are over admin.max_header_bytes\n");
  }
  if (ec == http::error::body_limit) {
    return make_response(http::status::payload_too_large, 11,
                         "request body is over admin.max_body_bytes\n");
  }
  // Any other error of Beast's HTTP parser is a malformed request; the
  // stream's own errors (timeout, reset, EOF mid-request) get no answer.
  const bool parse_error =
      ec.category() == http::make_error_code(http::error::bad_method).category();
  if (parse_error && ec != http::error::end_of_stream && ec != http::error::partial_message) {
    return make_response(http::status::bad_request, 11, "malformed HTTP request\n");
  }
  return std::nullopt;
}

// Closing a socket with unread input makes the kernel send a reset, which can
// destroy the refusal before the client reads it. So: send FIN, then read and
// discard what the client still sends, for a short, bounded while.
asio::awaitable<void> close_after_refusal(beast::tcp_stream& stream) {
  beast::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  stream.expires_after(kRefusalLinger);
  std::array<char, 4096> discard;
  std::size_t total = 0;
  while (total < kRefusalDiscardBytes) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(discard), kNoThrow);
    if (ec) break;
    total += n;
  }
}

}  // namespace

asio::awaitable<void> serve_http_session(asio::ip::tcp::socket socket, const AdminConfig& config,
                                         Endpoints& endpoints) {
  beast::tcp_stream stream(std::move(socket));
  const auto read_timeout = std::chrono::milliseconds(config.read_timeout_ms);
  const auto write_timeout = std::chrono::milliseconds(config.write_timeout_ms);
  // Room for one whole request; the parser's own limits trip first.
  beast::flat_buffer buffer(std::size_t{config.max_header_bytes} + config.max_body_bytes + 1024);

  for (uint32_t served = 0; served < config.max_requests_per_connection;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(config.max_header_bytes);
    parser.body_limit(config.max_body_bytes);
    // One deadline for the whole request: a client dribbling a byte at a
    // time (slowloris) is cut off like a silent one.
    stream.expires_after(read_timeout);
    auto [read_ec, read_n] = co_await http::async_read(stream, buffer, parser, kNoThrow);
    if (read_ec) {
      if (std::optional<Response> refusal = refusal_for(read_ec)) {
        spdlog::debug("admin: refused a request: {}", read_ec.message());
        refusal->keep_alive(false);
        stream.expires_after(write_timeout);
        auto [write_ec, write_n] = co_await http::async_write(stream, *refusal, kNoThrow);
        if (!write_ec) co_await close_after_refusal(stream);
      } else if (read_ec == beast::error::timeout) {
        spdlog::debug("admin: request not complete within {} ms; closing", config.read_timeout_ms);
      }
      co_return;
    }
    ++served;
    const Request& request = parser.get();
    const bool last = served == config.max_requests_per_connection || !request.keep_alive();
    const auto started = std::chrono::steady_clock::now();
    Response response;
    try {
      response = co_await endpoints.handle(request);
    } catch (const std::exception& e) {
      spdlog::error("admin: {} {} failed: {}", std::string_view(request.method_string()),
                    std::string_view(request.target()), e.what());
      response =
          make_response(http::status::internal_server_error, request.version(), "internal error\n");
    }
    response.keep_alive(!last);
    spdlog::debug(
        "admin: {} {} -> {} ({} bytes, {:.1f} ms)", std::string_view(request.method_string()),
        std::string_view(request.target()), response.result_int(), response.body().size(),
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count());
    stream.expires_after(write_timeout);
    auto [write_ec, write_n] = co_await http::async_write(stream, response, kNoThrow);
    if (write_ec || last) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

}  // namespace citadel::ops::admin
