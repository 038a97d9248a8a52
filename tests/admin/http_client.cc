#include "http_client.h"
#include "support/deadline.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

namespace citadel::test {
namespace {

using Clock = std::chrono::steady_clock;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

std::string HttpResponse::header(const std::string& lower_name) const {
  const auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

std::string HttpResponse::describe() const {
  std::string s = "HTTP " + std::to_string(status) + "\n";
  for (const auto& [k, v] : headers) s += k + ": " + v + "\n";
  s += '\n';
  s.append(body, 0, 400);
  return s;
}

HttpClient::~HttpClient() {
  close();
}

void HttpClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool HttpClient::connect(uint16_t port, std::chrono::milliseconds timeout) {
  close();
  in_.clear();
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    error_ = std::strerror(errno);
    return false;
  }
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 &&
      errno != EINPROGRESS) {
    error_ = std::string("connect: ") + std::strerror(errno);
    close();
    return false;
  }
  pollfd p{fd_, POLLOUT, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) {
    error_ = "connect timed out";
    close();
    return false;
  }
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    error_ = std::string("connect: ") + std::strerror(err);
    close();
    return false;
  }
  return true;
}

bool HttpClient::send(std::string_view bytes, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      error_ = std::string("send: ") + std::strerror(errno);
      return false;
    }
    pollfd p{fd_, POLLOUT, 0};
    const int ready = ::poll(&p, 1, remaining_ms(deadline));
    if (ready < 0 && errno == EINTR && Clock::now() < deadline) continue;  // a signal
    if (ready <= 0) {
      error_ = "send timed out";
      return false;
    }
  }
  return true;
}

HttpClient::Fill HttpClient::fill(Clock::time_point deadline) {
  for (;;) {
    char buf[16384];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      in_.append(buf, static_cast<std::size_t>(n));
      return Fill::kData;
    }
    if (n == 0) return Fill::kClosed;
    if (errno != EAGAIN && errno != EINTR) return Fill::kClosed;  // reset
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, remaining_ms(deadline));
    // A signal (the CPU profiler's SIGPROF, 100 a second while a profile
    // runs) interrupts poll: that is not the timeout.
    if (ready < 0 && errno == EINTR && Clock::now() < deadline) continue;
    if (ready <= 0) return Fill::kTimeout;
  }
}

std::optional<HttpResponse> HttpClient::read_response(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::size_t head_end;
  while ((head_end = in_.find("\r\n\r\n")) == std::string::npos) {
    const Fill f = fill(deadline);
    if (f == Fill::kTimeout) {
      error_ = "no whole response header within the timeout";
      return std::nullopt;
    }
    if (f == Fill::kClosed) {
      error_ = "connection closed before a whole response header (" + std::to_string(in_.size()) +
               " bytes)";
      return std::nullopt;
    }
  }
  HttpResponse r;
  const std::string head = in_.substr(0, head_end);
  std::size_t line_end = head.find("\r\n");
  const std::string status_line = head.substr(0, line_end);
  if (!status_line.starts_with("HTTP/1.1 ") || status_line.size() < 12) {
    error_ = "bad status line: " + status_line;
    return std::nullopt;
  }
  r.status = std::stoi(status_line.substr(9, 3));
  while (line_end != std::string::npos && line_end < head.size()) {
    const std::size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string line =
        head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
    const std::size_t colon = line.find(':');
    if (colon != std::string::npos) {
      r.headers[lower(line.substr(0, colon))] = trim(std::string_view(line).substr(colon + 1));
    }
  }
  const std::string length = r.header("content-length");
  if (length.empty()) {
    error_ = "response without Content-Length";
    return std::nullopt;
  }
  const std::size_t body_bytes = std::stoul(length);
  const std::size_t total = head_end + 4 + body_bytes;
  while (in_.size() < total) {
    if (fill(deadline) != Fill::kData) {
      error_ = "body shorter than Content-Length";
      return std::nullopt;
    }
  }
  r.body = in_.substr(head_end + 4, body_bytes);
  in_.erase(0, total);
  return r;
}

bool HttpClient::wait_closed(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const Fill f = fill(deadline);
    if (f == Fill::kClosed) return true;
    if (f == Fill::kTimeout) return false;
    in_.clear();
  }
}

double metric(std::string_view metrics_text, std::string_view sample) {
  std::string needle = "\n";
  needle.append(sample).append(" ");
  const auto at = metrics_text.find(needle);
  if (at == std::string_view::npos) return -1;
  const auto value = metrics_text.substr(at + needle.size());
  return std::stod(std::string(value.substr(0, value.find('\n'))));
}

double metric(uint16_t admin_port, std::string_view sample) {
  const auto r = http_get(admin_port, "/metrics", {}, 2s);
  return r ? metric(r->body, sample) : -1;
}

std::string request_text(std::string_view method, std::string_view target,
                         const std::vector<std::string>& headers, bool keep_alive) {
  std::string s = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n";
  for (const auto& h : headers) s += h + "\r\n";
  if (!keep_alive) s += "Connection: close\r\n";
  return s + "\r\n";
}

std::optional<HttpResponse> http_get(uint16_t port, std::string_view target,
                                     const std::vector<std::string>& headers,
                                     std::chrono::milliseconds timeout, std::string* error) {
  HttpClient c;
  if (!c.connect(port, timeout) || !c.send(request_text("GET", target, headers), timeout)) {
    if (error) *error = c.error();
    return std::nullopt;
  }
  auto r = c.read_response(timeout);
  if (!r && error) *error = c.error();
  return r;
}

std::optional<HttpResponse> http_request(uint16_t port, std::string_view method,
                                         std::string_view target,
                                         const std::vector<std::string>& headers,
                                         std::chrono::milliseconds timeout, std::string* error) {
  HttpClient c;
  if (!c.connect(port, timeout) || !c.send(request_text(method, target, headers), timeout)) {
    if (error) *error = c.error();
    return std::nullopt;
  }
  auto r = c.read_response(timeout);
  if (!r && error) *error = c.error();
  return r;
}

std::optional<HttpResponse> http_post(uint16_t port, std::string_view target, std::string_view body,
                                      std::chrono::milliseconds timeout, std::string* error) {
  HttpClient c;
  const std::string text =
      request_text("POST", target, {"Content-Length: " + std::to_string(body.size())}) +
      std::string(body);
  if (!c.connect(port, timeout) || !c.send(text, timeout)) {
    if (error) *error = c.error();
    return std::nullopt;
  }
  auto r = c.read_response(timeout);
  if (!r && error) *error = c.error();
  return r;
}

}  // namespace citadel::test
