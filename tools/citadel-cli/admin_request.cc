#include "admin_request.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <chrono>

namespace citadel::cli {

namespace http = boost::beast::http;

namespace {

constexpr const char* kUsage =
    "admin commands: plugins list | plugins load PATH | plugins rollback TYPE | config show | "
    "config reload | conflicts list [LIMIT [AFTER_ID]] | conflicts dismiss ID | fleet | fleet "
    "nodes";

// A positive decimal id or count, as the admin port takes it in a path or query.
bool is_number(const std::string& s) {
  return !s.empty() && s.size() <= 19 && s.find_first_not_of("0123456789") == std::string::npos;
}

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
  // The fleet: this node's membership, and every live node.
  if (words.size() == 1 && words[0] == "fleet") return {"GET", "/fleet", ""};
  if (is(2, "fleet", "nodes")) return {"GET", "/fleet/nodes", ""};
  // Write-behind's conflicts: a page of them, and dismissing one.
  const bool list =
      words.size() >= 2 && words.size() <= 4 && words[0] == "conflicts" && words[1] == "list";
  if (list && std::all_of(words.begin() + 2, words.end(), is_number)) {
    std::string target = "/store/conflicts";
    if (words.size() >= 3) target += "?limit=" + words[2];
    if (words.size() == 4) target += "&after=" + words[3];
    return {"GET", target, ""};
  }
  if (is(3, "conflicts", "dismiss") && is_number(words[2])) {
    return {"DELETE", "/store/conflicts/" + words[2], ""};
  }
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
    http::request<http::string_body> req(http::string_to_verb(command.method), command.target, 11);
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
