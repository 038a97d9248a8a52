#include "admin_request.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <chrono>

namespace citadel::cli {

namespace http = boost::beast::http;

namespace {

constexpr const char* kUsage =
    "admin commands: plugins list | plugins load PATH | plugins rollback TYPE | config show | "
    "config reload";

}  // namespace

AdminCommand parse_admin_command(const std::vector<std::string>& words, std::string* why) {
  const auto is = [&](std::size_t n, const char* a, const char* b) {
    return words.size() == n && words[0] == a && words[1] == b;
  };
  if (is(2, "plugins", "list")) return {"GET", "/plugins", ""};
  if (is(3, "plugins", "load")) return {"POST", "/plugins/load", words[2]};
  if (is(3, "plugins", "rollback")) return {"POST", "/plugins/rollback", words[2]};
  if (is(2, "config", "show")) return {"GET", "/config", ""};
  if (is(2, "config", "reload")) return {"POST", "/config/reload", ""};
  if (why) *why = kUsage;
  return {};
}

AdminResult send_admin_request(const std::string& host_port, const std::string& token,
                               const AdminCommand& command, unsigned timeout_ms) {
  const auto colon = host_port.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == host_port.size()) {
    return {0, "--admin " + host_port + ": expected HOST:PORT"};
  }
  const std::string host = host_port.substr(0, colon);
  const std::string port = host_port.substr(colon + 1);
  try {
    boost::asio::io_context io;
    boost::asio::ip::tcp::resolver resolver(io);
    boost::beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::milliseconds(timeout_ms));
    stream.connect(resolver.resolve(host, port));
    http::request<http::string_body> req(
        command.method == "POST" ? http::verb::post : http::verb::get, command.target, 11);
    req.set(http::field::host, host);
    req.set(http::field::connection, "close");
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    req.body() = command.body;
    req.prepare_payload();
    http::write(stream, req);
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    return {res.result_int(), res.body()};
  } catch (const boost::system::system_error& e) {
    return {0, host_port + ": " + e.code().message()};
  }
}

}  // namespace citadel::cli
