#include "net/websocket/handshake_response.h"

namespace citadel::net::websocket {

std::string switching_protocols_response(std::string_view accept_key) {
  std::string response;
  response.reserve(128);
  response.append(
      "HTTP/1.1 101 Switching Protocols\r\n"
      "Upgrade: websocket\r\n"
      "Connection: Upgrade\r\n"
      "Sec-WebSocket-Accept: ");
  response.append(accept_key).append("\r\n\r\n");
  return response;
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 426:
      return "Upgrade Required";
    case 431:
      return "Request Header Fields Too Large";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Error";
  }
}

std::string error_response(int status, std::string_view problem) {
  const std::string body = std::string(problem) + "\n";
  std::string response;
  response.reserve(200 + body.size());
  response.append("HTTP/1.1 ").append(std::to_string(status)).append(" ");
  response.append(reason_phrase(status)).append("\r\n");
  if (status == 405) response.append("Allow: GET\r\n");
  if (status == 426) response.append("Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n");
  response.append("Content-Type: text/plain; charset=utf-8\r\n");
  response.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  response.append("Connection: close\r\n\r\n");
  response.append(body);
  return response;
}

}  // namespace citadel::net::websocket
