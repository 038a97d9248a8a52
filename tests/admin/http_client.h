// A blocking HTTP/1.1 test client over a raw socket, for the admin tests. Raw
// so that tests can also send what no real client would (oversized headers,
// half a request, garbage). Every wait is bounded by a timeout (poll).
// Loopback only: connects to 127.0.0.1.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace citadel::test {

using namespace std::chrono_literals;

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string header(const std::string& lower_name) const;
  std::string describe() const;  // status line, headers, start of the body
};

class HttpClient {
 public:
  HttpClient() = default;
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  bool connect(uint16_t port, std::chrono::milliseconds timeout = 5s);
  bool send(std::string_view bytes, std::chrono::milliseconds timeout = 5s);
  // One whole response (Content-Length framed, as the admin server sends).
  // nullopt on timeout, close or garbage; `error()` says which.
  std::optional<HttpResponse> read_response(std::chrono::milliseconds timeout = 5s);
  // True if the server closes the connection (FIN or reset) within `timeout`;
  // anything it sends meanwhile is discarded.
  bool wait_closed(std::chrono::milliseconds timeout);
  void close();
  const std::string& error() const { return error_; }

 private:
  enum class Fill { kData, kClosed, kTimeout };
  Fill fill(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string in_;
  std::string error_;
};

// "GET target" with Connection: close and the given extra header lines
// ("Name: value"), on a new connection.
std::optional<HttpResponse> http_get(uint16_t port, std::string_view target,
                                     const std::vector<std::string>& headers = {},
                                     std::chrono::milliseconds timeout = 5s,
                                     std::string* error = nullptr);

// "<method> target" with Connection: close and no body, on a new connection.
std::optional<HttpResponse> http_request(uint16_t port, std::string_view method,
                                         std::string_view target,
                                         const std::vector<std::string>& headers = {},
                                         std::chrono::milliseconds timeout = 5s,
                                         std::string* error = nullptr);

// "POST target" with `body` (Content-Length set) and Connection: close.
std::optional<HttpResponse> http_post(uint16_t port, std::string_view target, std::string_view body,
                                      std::chrono::milliseconds timeout = 5s,
                                      std::string* error = nullptr);

// The value of one sample of a /metrics text: `sample` is the metric's name,
// with its labels where it has them ("citadel_x_total" or
// "citadel_x_total{by=\"login\"}"); -1 when the text has no such line.
double metric(std::string_view metrics_text, std::string_view sample);
// The same, read from the /metrics of the admin server on `admin_port`
// (2 s timeout); -1 also when it does not answer.
double metric(uint16_t admin_port, std::string_view sample);

// A request as raw text: "GET /x HTTP/1.1\r\nHost: t\r\n..." + extra + "\r\n".
std::string request_text(std::string_view method, std::string_view target,
                         const std::vector<std::string>& headers = {}, bool keep_alive = false);

}  // namespace citadel::test
