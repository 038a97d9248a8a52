#include "net/websocket/handshake.h"

#include <algorithm>
#include <cstring>

#include "net/websocket/accept_key.h"
#include "net/websocket/handshake_response.h"
#include "net/websocket/http_syntax.h"
#include "net/websocket/origin_check.h"

namespace citadel::net::websocket {

namespace {

bool is_visible_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7F; });
}

// "HTTP/" DIGIT "." DIGIT (RFC 9112 section 2.3).
bool is_http_version(std::string_view s) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  return s.size() == 8 && s.substr(0, 5) == "HTTP/" && digit(s[5]) && s[6] == '.' && digit(s[7]);
}

}  // namespace

std::optional<std::string> handshake_config_problem(const HandshakeConfig& config) {
  const std::string_view path = config.path;
  if (path.empty() || path.front() != '/' || !is_visible_ascii(path) ||
      path.find_first_of("?#") != std::string_view::npos) {
    return "path must start with '/' and hold no query, fragment or whitespace: '" + config.path +
           "'";
  }
  for (const std::string& origin : config.allowed_origins) {
    if (!is_valid_origin_entry(origin)) {
      return "allowed origin must be scheme://host[:port] with nothing after it: '" + origin + "'";
    }
  }
  if (config.max_request_bytes < 256) return "max_request_bytes must be at least 256";
  if (config.max_header_count < 8) return "max_header_count must be at least 8";
  return std::nullopt;
}

HandshakeParser::FeedResult HandshakeParser::feed(std::span<const uint8_t> bytes) {
  std::size_t used = 0;
  while (state_ == State::kReading && used < bytes.size()) {
    // Never hold more than the limit: read up to the end of a line or the
    // limit, whichever comes first.
    const std::size_t budget = config_.max_request_bytes - request_bytes_;
    const std::size_t available = std::min(bytes.size() - used, budget);
    const auto* start = reinterpret_cast<const char*>(bytes.data() + used);
    const auto* lf = static_cast<const char*>(std::memchr(start, '\n', available));
    const std::size_t take = lf != nullptr ? static_cast<std::size_t>(lf - start) + 1 : available;
    line_.append(start, take);
    used += take;
    request_bytes_ += take;
    if (lf != nullptr) take_line();
    // At the limit with the request unfinished, no request could fit any more.
    if (state_ == State::kReading && request_bytes_ == config_.max_request_bytes) {
      reject(431, "request over the size limit");
    }
  }
  return {state_, used};
}

void HandshakeParser::take_line() {
  // line_ ends with LF; HTTP/1.1 ends lines with CRLF, and a bare LF is refused
  // rather than guessed at (RFC 9112 section 2.2 allows either).
  if (line_.size() < 2 || line_[line_.size() - 2] != '\r') {
    reject(400, "line not ended by CRLF");
    return;
  }
  const std::string_view line(line_.data(), line_.size() - 2);
  if (!have_request_line_) {
    have_request_line_ = true;
    read_request_line(line);
  } else if (line.empty()) {
    finish_request();
  } else {
    read_header_line(line);
  }
  line_.clear();
}

void HandshakeParser::read_request_line(std::string_view line) {
  // method SP request-target SP HTTP-version, single spaces (RFC 9112 section 3).
  const std::size_t first_space = line.find(' ');
  const std::size_t second_space =
      first_space == std::string_view::npos ? first_space : line.find(' ', first_space + 1);
  if (second_space == std::string_view::npos) {
    reject(400, "malformed request line");
    return;
  }
  const std::string_view method = line.substr(0, first_space);
  const std::string_view target = line.substr(first_space + 1, second_space - first_space - 1);
  const std::string_view version = line.substr(second_space + 1);
  if (!http::is_token(method) || !is_http_version(version)) {
    reject(400, "malformed request line");
    return;
  }
  // Origin form only: a WebSocket client sends a path, never an absolute URI.
  if (target.empty() || target.front() != '/' || !is_visible_ascii(target)) {
    reject(400, "request target must be a path");
    return;
  }
  const std::string_view path = target.substr(0, target.find('?'));
  if (config_.static_site != nullptr && path != config_.path) {
    auto site = config_.static_site->current();
    if (site && site->owns(path)) {
      site_ = std::move(site);
      method_ = method;
      target_ = target;
      http10_ = version == "HTTP/1.0";
      if (version != "HTTP/1.1" && !http10_) {
        request_line_status_ = 505;
        request_line_problem_ = "HTTP version not supported";
      }
      return;
    }
  }
  // Judged when the request is complete, in this order.
  if (version != "HTTP/1.1") {
    request_line_status_ = 400;
    request_line_problem_ = "WebSocket needs HTTP/1.1";
  } else if (method != "GET") {
    request_line_status_ = 405;
    request_line_problem_ = "method must be GET";
  } else if (path != config_.path) {
    request_line_status_ = 404;
    request_line_problem_ = "no WebSocket endpoint at this path";
  }
}

void HandshakeParser::read_header_line(std::string_view line) {
  if (line.front() == ' ' || line.front() == '\t') {
    reject(400, "obsolete header line folding");
    return;
  }
  const std::size_t colon = line.find(':');
  // A name with whitespace before the colon is not a token: refused, as
  // RFC 9112 section 5.1 requires.
  if (colon == std::string_view::npos || !http::is_token(line.substr(0, colon))) {
    reject(400, "malformed header field");
    return;
  }
  const std::string_view name = line.substr(0, colon);
  const std::string_view value = http::trim_whitespace(line.substr(colon + 1));
  if (!http::is_field_value(value)) {
    reject(400, "malformed header field");
    return;
  }
  if (++header_count_ > config_.max_header_count) {
    reject(431, "too many header fields");
    return;
  }

  struct Known {
    std::string_view name;
    Field* field;
  };
  const Known known[] = {
      {"Host", &host_},
      {"Upgrade", &upgrade_},
      {"Connection", &connection_},
      {"Sec-WebSocket-Version", &version_},
      {"Sec-WebSocket-Key", &key_},
      {"Origin", &origin_},
      {"Content-Length", &content_length_},
      {"Transfer-Encoding", &transfer_encoding_},
      {"If-None-Match", &if_none_match_},
  };
  for (const Known& k : known) {
    if (!http::equals_ignore_case(name, k.name)) continue;
    // Repeating a list header is the same as joining its values with commas
    // (RFC 9110 section 5.3); a repeated single-value header is refused later.
    if (k.field->count++ > 0) k.field->value.append(", ");
    k.field->value.append(value);
    return;
  }
}

std::optional<std::pair<int, std::string_view>> HandshakeParser::find_header_problem() const {
  using Problem = std::pair<int, std::string_view>;
  if (request_line_status_ != 0) return Problem{request_line_status_, request_line_problem_};
  if (host_.count != 1) return Problem{400, "need exactly one Host header"};
  // Bytes after the blank line are WebSocket frames; a body would be read as frames.
  if (transfer_encoding_.count > 0 || content_length_.count > 1 ||
      (content_length_.count == 1 && content_length_.value != "0")) {
    return Problem{400, "a request body is not allowed"};
  }
  if (!http::list_contains_token(upgrade_.value, "websocket")) {
    return Problem{400, "Upgrade header must list websocket"};
  }
  if (!http::list_contains_token(connection_.value, "upgrade")) {
    return Problem{400, "Connection header must list upgrade"};
  }
  if (version_.count != 1) return Problem{400, "need exactly one Sec-WebSocket-Version header"};
  if (version_.value != "13")
    return Problem{426, "unsupported WebSocket version; this server speaks 13"};
  if (key_.count != 1 || !is_valid_client_key(key_.value)) {
    return Problem{400, "need one Sec-WebSocket-Key: base64 of 16 bytes"};
  }
  if (origin_.count > 1) return Problem{400, "more than one Origin header"};
  const std::optional<std::string_view> origin =
      origin_.count == 1 ? std::optional<std::string_view>(origin_.value) : std::nullopt;
  if (!origin_allowed(config_.allowed_origins, origin)) return Problem{403, "origin not allowed"};
  return std::nullopt;
}

void HandshakeParser::finish_static_request() {
  auto problem = [&]() -> std::optional<std::pair<int, std::string_view>> {
    using Problem = std::pair<int, std::string_view>;
    if (request_line_status_ != 0) return Problem{request_line_status_, request_line_problem_};
    // HTTP/1.1 needs exactly one Host (RFC 9112 section 3.2); 1.0 may omit it.
    if (host_.count > 1 || (host_.count == 0 && !http10_)) {
      return Problem{400, "need exactly one Host header"};
    }
    // The connection closes after the answer, so a body would be unread
    // bytes, and unread bytes at close make the kernel reset the connection,
    // which can destroy the answer on its way.
    if (transfer_encoding_.count > 0 || content_length_.count > 1 ||
        (content_length_.count == 1 && content_length_.value != "0")) {
      return Problem{400, "a request body is not allowed"};
    }
    return std::nullopt;
  }();
  if (problem) {
    reject(problem->first, problem->second);
    return;
  }
  net::http::StaticResponse r =
      site_->respond(method_, target_, if_none_match_.value, std::chrono::system_clock::now());
  state_ = State::kServed;
  status_ = r.status;
  response_ = std::move(r.head);
  response_body_ = std::move(r.body);
  site_.reset();  // the body holds what it needs
  std::string().swap(line_);
}

void HandshakeParser::finish_request() {
  if (site_) {
    finish_static_request();
    return;
  }
  if (const auto problem = find_header_problem()) {
    reject(problem->first, problem->second);
    return;
  }
  state_ = State::kAccepted;
  status_ = 101;
  response_ = switching_protocols_response(accept_key_for(key_.value));
  std::string().swap(line_);
}

void HandshakeParser::reject(int status, std::string_view problem) {
  state_ = State::kRejected;
  status_ = status;
  problem_ = problem;
  response_ = error_response(status, problem);
  std::string().swap(line_);
}

}  // namespace citadel::net::websocket
