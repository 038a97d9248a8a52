// The admin server's routes: GET /health, GET /metrics, GET /debug/profile,
// POST /leaderboards and DELETE /leaderboards/{board_id}/records/{user_id}
// when the process has leaderboards, GET /store/conflicts, DELETE
// /store/conflicts/{id} (write-behind's conflicts), and GET /fleet, GET
// /fleet/nodes (the fleet's membership).
// Checks the bearer token first (so an unauthenticated client learns nothing,
// not even which paths exist), then the path (404), then the method (405).
// Runs on the admin thread only.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ops/admin/admin_sources.h"
#include "ops/config.h"

namespace citadel::ops::admin {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

// A complete response with this body (Content-Length set). Errors use
// text/plain bodies that say what was wrong in one line.
Response make_response(boost::beast::http::status status, unsigned http_version, std::string body,
                       std::string_view content_type = "text/plain; charset=utf-8");

class Endpoints {
 public:
  Endpoints(const AdminConfig& config, AdminSources sources,
            std::vector<MetricsCollector> collectors);

  // Answers one request. The profile endpoint suspends on a timer for the
  // profile's length; other requests keep being served meanwhile.
  boost::asio::awaitable<Response> handle(const Request& request);

  // What the two read-only endpoints answer (public for tests).
  struct Health {
    bool draining = false;
    bool ok = true;  // 200; false: 503 (draining, or not a fleet member)
    std::string json;
  };
  Health health() const;
  std::string metrics_text() const;

 private:
  boost::asio::awaitable<Response> profile(std::string_view query, unsigned http_version);
  boost::asio::awaitable<Response> create_leaderboard(std::string body, unsigned http_version);
  boost::asio::awaitable<Response> delete_leaderboard_record(std::string_view path,
                                                             boost::beast::http::verb method,
                                                             unsigned http_version);
  boost::asio::awaitable<Response> store_conflicts(boost::beast::http::verb method,
                                                   std::string_view path, std::string_view query,
                                                   unsigned http_version);
  // A call to another thread's service: start_call() makes it with a
  // completion that any thread may run once; await_answer() waits for that
  // (without blocking the admin thread) at most kAdminCallTimeoutMs, then
  // answers 503 with `timeout_text`.
  struct AnswerSlot;
  std::shared_ptr<AnswerSlot> start_call(
      const std::function<void(AdminSources::AdminAnswerDone)>& call);
  boost::asio::awaitable<Response> await_answer(const std::shared_ptr<AnswerSlot>& slot,
                                                unsigned http_version,
                                                std::string_view timeout_text);

  static constexpr int kAdminPollMs = 2;
  static constexpr int kAdminCallTimeoutMs = 10'000;

  const AdminConfig& config_;
  AdminSources sources_;
  std::vector<MetricsCollector> collectors_;
};

}  // namespace citadel::ops::admin
