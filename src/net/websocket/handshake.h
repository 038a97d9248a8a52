// Reads a browser's WebSocket opening handshake (RFC 6455 section 4.2.1) from
// raw bytes and produces the server's answer: a 101 that switches the
// connection to WebSocket frames, or an HTTP error after which it closes.
// I/O-free: the caller feeds whatever its reads return.
//
// Why our own parser and no library. We need one message shape: a GET with
// headers and no body, under a hard size cap, read incrementally on our own
// loops. The candidates fit badly:
//   - libhttp-parser (nodejs/http-parser 2.9.4, Debian 12) is archived
//     upstream, so its bugs will not be fixed, and llhttp, its successor, is
//     not packaged. It is a general parser (responses, chunked bodies,
//     pipelining) behind callbacks, and we would still write the size and
//     header-count limits and every WebSocket check ourselves.
//   - Boost.Beast (already in the tree for the admin server) parses HTTP
//     well, but its websocket::stream owns the socket and the I/O, which is
//     what our epoll loops do; its http::parser alone would be a large
//     template dependency for one request line and a handful of headers.
// A strict parser for this one request is about 250 lines, refuses
// everything it does not need (bare LF, line folding, request bodies,
// absolute-form targets), is checked line by line against the RFCs in
// websocket_test and fuzzed by websocket_fuzz.
//
// Decisions:
//   - Syntax errors and the limits answer at once (400, 431); the rest waits
//     for the blank line ending the request, so the answer is sent after the
//     client has finished writing (a close with unread bytes resets the
//     connection and can destroy the answer on its way).
//   - Checks, in order; the first failure decides: HTTP version 1.1 (400),
//     method GET (405), path (404; the query string is ignored), exactly one
//     Host (400), no body (400), Upgrade lists websocket (400), Connection
//     lists upgrade (400), exactly one Sec-WebSocket-Version (400 when
//     missing or repeated, 426 when not 13), exactly one valid
//     Sec-WebSocket-Key (400), at most one Origin (400), Origin allowed (403).
//   - A missing Origin passes only when the allow list is empty: browsers
//     always send one, so with a list configured every client must name an
//     allowed origin, tools included (see origin_check.h).
//   - Sec-WebSocket-Protocol and Sec-WebSocket-Extensions (e.g.
//     permessage-deflate) are ignored: the 101 negotiates neither.
//   - Static files (HandshakeConfig::static_site): a request whose path the
//     site owns, and that is not for the WebSocket path, is a plain HTTP
//     request for a file: GET or HEAD, HTTP/1.1 (one Host) or HTTP/1.0, no
//     body; the site answers it (200, 304, 301, 404, 405) and the connection
//     closes (kServed). Every other request is judged as an upgrade, as above,
//     so the errors of a bad upgrade do not change with a site configured.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "net/http/static_site.h"
#include "net/shared_bytes.h"

namespace citadel::net::websocket {

struct HandshakeConfig {
  std::string path = "/";                      // request target, without the query string
  std::vector<std::string> allowed_origins{};  // empty: any origin, or none
  // The whole request, request line to the blank line, in bytes; more is 431.
  // A browser's handshake is 400-800 bytes, more with cookies.
  std::size_t max_request_bytes = 8 * 1024;
  // Header fields per request; more is 431. Browsers send about 15.
  std::size_t max_header_count = 64;
  // Files served on the same port to plain GETs under the site's prefix;
  // null: none. Outlives the parsers.
  const net::http::StaticSiteStore* static_site = nullptr;
};

// The first problem with config, for the config loader to report; nullopt if
// it is usable.
std::optional<std::string> handshake_config_problem(const HandshakeConfig& config);

class HandshakeParser {
 public:
  // kServed: a static file request, answered; the connection closes after it.
  enum class State : uint8_t { kReading, kAccepted, kRejected, kServed };

  struct FeedResult {
    State state;
    // How many bytes of this feed belong to the request. Once accepted, the
    // rest of the fed bytes are the client's first WebSocket frames.
    std::size_t consumed_bytes;
  };

  // config must outlive the parser (one config serves every connection); a
  // temporary would not, so it does not compile.
  explicit HandshakeParser(const HandshakeConfig& config) : config_(config) {}
  explicit HandshakeParser(HandshakeConfig&&) = delete;

  // Reads the next bytes. Once the state is not kReading, feeding consumes nothing.
  FeedResult feed(std::span<const uint8_t> bytes);

  State state() const { return state_; }
  // What to send: the 101, or the error response (then close), or a static
  // response's head. Empty while reading.
  const std::string& response() const { return response_; }
  // A static response's body, to send after response(); null otherwise.
  const SharedBytes& response_body() const { return response_body_; }
  // 101, 400, 403, 404, 405, 426 or 431; for static files also 200, 301,
  // 304, 505; 0 while reading.
  int status_code() const { return status_; }
  std::string_view problem() const { return problem_; }  // why it was rejected, for logs
  std::size_t request_bytes() const { return request_bytes_; }

 private:
  // A header Citadel checks: its value (list headers joined with ", ") and
  // how many times it appeared.
  struct Field {
    std::string value;
    std::size_t count = 0;
  };

  void take_line();
  void read_request_line(std::string_view line);
  void read_header_line(std::string_view line);
  void finish_request();
  void finish_static_request();
  std::optional<std::pair<int, std::string_view>> find_header_problem() const;
  void reject(int status, std::string_view problem);

  const HandshakeConfig& config_;
  State state_ = State::kReading;
  std::size_t request_bytes_ = 0;
  std::size_t header_count_ = 0;
  bool have_request_line_ = false;
  std::string line_;  // the line being read, up to and including its LF

  // A problem with the request line, reported once the request is complete.
  int request_line_status_ = 0;
  std::string_view request_line_problem_;

  Field host_, upgrade_, connection_, version_, key_, origin_, content_length_, transfer_encoding_,
      if_none_match_;

  // A request for a static file: the site as it was when the request line
  // arrived (a reload does not change it under the request), and what it asked.
  std::shared_ptr<const net::http::StaticSite> site_;
  std::string method_, target_;
  bool http10_ = false;

  int status_ = 0;
  std::string response_;
  SharedBytes response_body_;
  std::string_view problem_;
};

}  // namespace citadel::net::websocket
