// The admin HTTP server in process, against fixed numbers (AdminSources with
// test callables), over real sockets on 127.0.0.1 port 0.
#include "ops/admin/admin_server.h"

#include <gperftools/profiler.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <thread>

#include "http_client.h"
#include "ops/admin/cpu_profiler.h"
#include "ops/admin/metrics_writer.h"
#include "support/deadline.h"
#include "tool_checks.h"

namespace citadel::ops::admin {
namespace {

using namespace std::chrono_literals;
using test::http_get;
using test::http_request;
using test::HttpClient;
using test::HttpResponse;
using test::request_text;
using Clock = std::chrono::steady_clock;

bool profiler_running() {
  ProfilerState state{};
  ProfilerGetCurrentState(&state);
  return state.enabled != 0;
}

using citadel::test::eventually;

long long ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

class AdminServerTest : public testing::Test {
 protected:
  AdminServerTest() {
    stats_.frames_in = 1234;
    stats_.frames_out = 1200;
    stats_.connections_opened = 40;
    stats_.active_connections = 7;
    stats_.protocol_errors_bad_magic = 2;
    stats_.protocol_errors_frame_too_large = 1;
    stats_.slow_consumer_disconnects = 5;
    stats_.rejected_per_ip = 3;
    stats_.handler_time.counts[2] = 10;
    stats_.handler_time.sum_ns = 40'000;
    stats_.loop_lag.counts[9] = 4;
    stats_.loop_lag.sum_ns = 3'000'000;
    config_.port = 0;
    config_.host = "127.0.0.1";
  }

  void start() {
    AdminSources s;
    s.version = "9.9.9-test";
    s.event_loops = 2;
    s.max_connections = 500;
    s.stats = [this] {
      std::lock_guard lock(mu_);
      return stats_;
    };
    s.draining = [this] { return draining_.load(); };
    s.create_leaderboard = create_leaderboard_;
    s.delete_leaderboard_record = delete_leaderboard_record_;
    s.list_store_conflicts = list_conflicts_;
    s.dismiss_store_conflict = dismiss_conflict_;
    s.fleet_status = fleet_status_;
    s.fleet_nodes = fleet_nodes_;
    s.fleet_member = fleet_member_;
    server_ = std::make_unique<AdminServer>(config_, s);
    for (auto& c : collectors_) server_->add_metrics_collector(c);
    server_->start();
    port_ = server_->port();
    ASSERT_NE(port_, 0);
  }

  std::optional<HttpResponse> get(std::string_view target, std::vector<std::string> headers = {}) {
    std::string error;
    auto r = http_get(port_, target, headers, 5s, &error);
    EXPECT_TRUE(r.has_value()) << "GET " << target << ": " << error;
    return r;
  }

  AdminConfig config_;
  std::mutex mu_;
  net::StatsSnapshot stats_;
  std::atomic<bool> draining_{false};
  std::vector<MetricsCollector> collectors_;
  std::function<void(std::string, AdminSources::AdminReply)> create_leaderboard_;
  std::function<void(std::string, uint64_t, AdminSources::AdminReply)> delete_leaderboard_record_;
  decltype(AdminSources::list_store_conflicts) list_conflicts_;
  decltype(AdminSources::dismiss_store_conflict) dismiss_conflict_;
  std::function<std::string()> fleet_status_, fleet_nodes_;
  std::function<bool()> fleet_member_;
  std::unique_ptr<AdminServer> server_;
  uint16_t port_ = 0;
};

// ---- /health ----------------------------------------------------------------

TEST_F(AdminServerTest, HealthAnswers200WithTheHeadlineFiguresAsJson) {
  ASSERT_NO_FATAL_FAILURE(start());
  const auto r = get("/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->describe();
  EXPECT_EQ(r->header("content-type"), "application/json");
  std::string why;
  ASSERT_TRUE(test::is_json_object(r->body, &why)) << why << "\n" << r->body;
  EXPECT_EQ(test::json_member(r->body, "status"), "serving");
  EXPECT_EQ(test::json_member(r->body, "version"), "9.9.9-test");
  EXPECT_EQ(test::json_member(r->body, "connections_active"), "7");
  EXPECT_EQ(test::json_member(r->body, "connections_total"), "40");
  EXPECT_EQ(test::json_member(r->body, "frames_in"), "1234");
  EXPECT_EQ(test::json_member(r->body, "frames_out"), "1200");
  EXPECT_EQ(test::json_member(r->body, "protocol_errors"), "3");
  EXPECT_EQ(test::json_member(r->body, "slow_consumers_dropped"), "5");
  const auto rss = test::json_member(r->body, "resident_memory_bytes");
  ASSERT_TRUE(rss);
  EXPECT_GT(std::stoull(*rss), 1'000'000u) << "this test process's RSS";
  const auto threads = test::json_member(r->body, "threads");
  ASSERT_TRUE(threads);
  EXPECT_GE(std::stoi(*threads), 2) << "at least the test's main thread and the admin thread";
  EXPECT_TRUE(test::json_member(r->body, "uptime_seconds"));
}

TEST_F(AdminServerTest, HealthAnswers503WhileDraining) {
  ASSERT_NO_FATAL_FAILURE(start());
  draining_ = true;
  const auto r = get("/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503) << r->describe();
  EXPECT_EQ(test::json_member(r->body, "status"), "draining");
  draining_ = false;
  const auto back = get("/health");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->status, 200);
}

TEST_F(AdminServerTest, WithAFleetHealthIsReadyOnlyWhileAMember) {
  std::atomic<bool> member{false};
  fleet_member_ = [&member] { return member.load(); };
  fleet_status_ = [] { return std::string("{\"configured\":true}\n"); };
  fleet_nodes_ = [] { return std::string("{\"configured\":true,\"nodes\":[]}\n"); };
  ASSERT_NO_FATAL_FAILURE(start());
  const auto out = get("/health");
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 503) << out->describe();
  EXPECT_EQ(test::json_member(out->body, "status"), "not_member");
  EXPECT_EQ(test::json_member(out->body, "fleet_member"), "false");
  member = true;
  const auto in = get("/health");
  ASSERT_TRUE(in);
  EXPECT_EQ(in->status, 200);
  EXPECT_EQ(test::json_member(in->body, "status"), "serving");
  EXPECT_EQ(test::json_member(in->body, "fleet_member"), "true");
  // Draining wins over membership.
  draining_ = true;
  const auto draining = get("/health");
  ASSERT_TRUE(draining);
  EXPECT_EQ(draining->status, 503);
  EXPECT_EQ(test::json_member(draining->body, "status"), "draining");
  draining_ = false;

  const auto fleet = get("/fleet");
  ASSERT_TRUE(fleet);
  EXPECT_EQ(fleet->status, 200);
  EXPECT_EQ(fleet->body, "{\"configured\":true}\n");
  const auto nodes = get("/fleet/nodes");
  ASSERT_TRUE(nodes);
  EXPECT_EQ(nodes->body, "{\"configured\":true,\"nodes\":[]}\n");
  std::string error;
  const auto post = test::http_post(port_, "/fleet", "", 5s, &error);
  ASSERT_TRUE(post) << error;
  EXPECT_EQ(post->status, 405);
}

TEST_F(AdminServerTest, WithoutAFleetTheFleetEndpointsSaySo) {
  ASSERT_NO_FATAL_FAILURE(start());
  for (const char* path : {"/fleet", "/fleet/nodes"}) {
    const auto r = get(path);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << path;
    EXPECT_EQ(test::json_member(r->body, "configured"), "false") << r->body;
  }
  const auto health = get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(test::json_member(health->body, "fleet_member"), std::nullopt);
}

// ---- /metrics ----------------------------------------------------------------

TEST_F(AdminServerTest, MetricsExposeTheSummedCountersAndHistograms) {
  ASSERT_NO_FATAL_FAILURE(start());
  const auto r = get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("content-type"), std::string(kPrometheusTextContentType));
  for (const char* line : {
           "citadel_frames_received_total 1234\n",
           "citadel_frames_sent_total 1200\n",
           "citadel_connections_active 7\n",
           "citadel_connections_accepted_total 40\n",
           "citadel_connections_max 500\n",
           "citadel_connections_rejected_total{reason=\"per_ip_limit\"} 3\n",
           "citadel_connections_rejected_total{reason=\"server_full\"} 0\n",
           "citadel_protocol_errors_total{kind=\"bad_magic\"} 2\n",
           "citadel_protocol_errors_total{kind=\"frame_too_large\"} 1\n",
           "citadel_slow_consumer_disconnects_total 5\n",
           "citadel_build_info{version=\"9.9.9-test\"} 1\n",
           "citadel_draining 0\n",
           "citadel_event_loops 2\n",
           "citadel_handler_batch_duration_seconds_bucket{le=\"2.5e-06\"} 0\n",
           "citadel_handler_batch_duration_seconds_bucket{le=\"5e-06\"} 10\n",
           "citadel_handler_batch_duration_seconds_count 10\n",
           "citadel_handler_batch_duration_seconds_sum 4e-05\n",
           "citadel_event_loop_lag_seconds_bucket{le=\"0.001\"} 4\n",
           "citadel_event_loop_lag_seconds_sum 0.003\n",
           "# TYPE process_resident_memory_bytes gauge\n",
           "# TYPE process_cpu_seconds_total counter\n",
       }) {
    EXPECT_NE(r->body.find(line), std::string::npos) << "missing: " << line;
  }
  const std::size_t fds = r->body.find("\nprocess_open_fds ");
  ASSERT_NE(fds, std::string::npos);
  EXPECT_GT(std::stoi(r->body.substr(fds + 18)), 3) << "stdio, the listener, this connection";
}

TEST_F(AdminServerTest, MetricsPassPromtoolIncludingCollectorsAddedLater) {
  const auto promtool = test::find_tool("promtool");
  if (!promtool) GTEST_SKIP() << "promtool not installed (Debian package prometheus)";
  collectors_.push_back([](MetricsWriter& out) {
    out.gauge("citadel_rooms_active", "Rooms running (a later issue's family).", 3);
  });
  ASSERT_NO_FATAL_FAILURE(start());
  const auto r = get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_NE(r->body.find("citadel_rooms_active 3\n"), std::string::npos);
  const test::ToolRun check = test::promtool_check_metrics(*promtool, r->body);
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_EQ(check.output, "") << "promtool lint findings";
}

TEST_F(AdminServerTest, ACollectorThatThrowsGives500AndTheServerCarriesOn) {
  collectors_.push_back([](MetricsWriter& out) {
    out.gauge("citadel_draining", "Clashes with a core family: a programming error.", 1);
  });
  ASSERT_NO_FATAL_FAILURE(start());
  const auto r = get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  const auto health = get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

// ---- routing and auth ----------------------------------------------------------

TEST_F(AdminServerTest, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  ASSERT_NO_FATAL_FAILURE(start());
  const auto missing = get("/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  const auto near_miss = get("/health/");
  ASSERT_TRUE(near_miss);
  EXPECT_EQ(near_miss->status, 404);

  for (const char* method : {"POST", "PUT", "DELETE", "HEAD"}) {
    HttpClient c;
    ASSERT_TRUE(c.connect(port_)) << c.error();
    ASSERT_TRUE(c.send(request_text(method, "/metrics")));
    // HEAD: the server still sends its error body's Content-Length; read the head only.
    const auto r = c.read_response(5s);
    ASSERT_TRUE(r) << method << ": " << c.error();
    EXPECT_EQ(r->status, 405) << method;
    EXPECT_EQ(r->header("allow"), "GET") << method;
  }
}

TEST_F(AdminServerTest, TokenIsRequiredOnEveryPathWhenConfigured) {
  config_.token = "t0ken-abc";
  ASSERT_NO_FATAL_FAILURE(start());
  const auto missing = get("/health");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 401);
  EXPECT_EQ(missing->header("www-authenticate"), "Bearer realm=\"citadel-admin\"");
  EXPECT_EQ(missing->body, "missing bearer token\n");

  const auto wrong = get("/metrics", {"Authorization: Bearer t0ken-abd"});
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  EXPECT_EQ(wrong->body, "wrong bearer token\n");

  const auto unknown = get("/secret-path");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 401) << "no path is revealed without the token";

  const auto right = get("/health", {"Authorization: Bearer t0ken-abc"});
  ASSERT_TRUE(right);
  EXPECT_EQ(right->status, 200);
  const auto metrics = get("/metrics", {"authorization: bearer t0ken-abc"});
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
}

// ---- POST /leaderboards ------------------------------------------------------

TEST_F(AdminServerTest, PostLeaderboardsHandsTheBodyOverAndAnswersWhatComesBack) {
  config_.token = "t0ken-abc";
  std::mutex mu;
  std::vector<std::string> bodies;
  std::vector<std::thread> answerers;
  // Answered later, from another thread, as the leaderboard service does.
  create_leaderboard_ = [&](std::string body, AdminSources::AdminReply done) {
    std::lock_guard lock(mu);
    bodies.push_back(body);
    answerers.emplace_back([body, done] {
      std::this_thread::sleep_for(20ms);
      if (body.find("taken") != std::string::npos) return done(409, "board 'taken': board exists");
      done(201, "created board 'weekly'");
    });
  };
  ASSERT_NO_FATAL_FAILURE(start());
  auto post = [&](std::string_view body, bool with_token = true) {
    std::vector<std::string> headers = {"Content-Length: " + std::to_string(body.size())};
    if (with_token) headers.push_back("Authorization: Bearer t0ken-abc");
    HttpClient c;
    EXPECT_TRUE(c.connect(port_)) << c.error();
    EXPECT_TRUE(c.send(request_text("POST", "/leaderboards", headers) + std::string(body)));
    return c.read_response(5s);
  };
  const auto made = post(R"({"id": "weekly", "sort": "desc"})");
  ASSERT_TRUE(made);
  EXPECT_EQ(made->status, 201);
  EXPECT_EQ(made->body, "created board 'weekly'\n");
  const auto clash = post(R"({"id": "taken"})");
  ASSERT_TRUE(clash);
  EXPECT_EQ(clash->status, 409);
  const auto anonymous = post(R"({"id": "sneaky"})", false);
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401) << "the bearer token is checked first";
  const auto wrong_method = get("/leaderboards", {"Authorization: Bearer t0ken-abc"});
  ASSERT_TRUE(wrong_method);
  EXPECT_EQ(wrong_method->status, 405);
  EXPECT_EQ(wrong_method->header("allow"), "POST");
  std::lock_guard lock(mu);
  EXPECT_EQ(bodies, (std::vector<std::string>{R"({"id": "weekly", "sort": "desc"})",
                                              R"({"id": "taken"})"}));
  for (auto& t : answerers) t.join();
}

TEST_F(AdminServerTest, LeaderboardsPathIs404WithoutLeaderboards) {
  ASSERT_NO_FATAL_FAILURE(start());
  const auto r = get("/leaderboards");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

// ---- DELETE /leaderboards/{board_id}/records/{user_id} --------------------------

TEST_F(AdminServerTest, DeleteRecordHandsBoardAndUserOverAndAnswersWhatComesBack) {
  config_.token = "t0ken-abc";
  std::mutex mu;
  std::vector<std::pair<std::string, uint64_t>> asked;
  std::vector<std::thread> answerers;
  // Answered later, from another thread, as the leaderboard service does.
  delete_leaderboard_record_ = [&](std::string board, uint64_t user,
                                   AdminSources::AdminReply done) {
    std::lock_guard lock(mu);
    asked.emplace_back(board, user);
    answerers.emplace_back([board, user, done] {
      std::this_thread::sleep_for(20ms);
      if (user == 404) return done(404, "board '" + board + "', user 404: no record");
      done(200, "board '" + board + "', user " + std::to_string(user) + ": record deleted");
    });
  };
  ASSERT_NO_FATAL_FAILURE(start());
  auto send = [&](std::string_view method, std::string_view target, bool with_token = true) {
    std::vector<std::string> headers = {"Content-Length: 0"};
    if (with_token) headers.push_back("Authorization: Bearer t0ken-abc");
    HttpClient c;
    EXPECT_TRUE(c.connect(port_)) << c.error();
    EXPECT_TRUE(c.send(request_text(method, target, headers)));
    return c.read_response(5s);
  };
  const auto deleted = send("DELETE", "/leaderboards/weekly/records/42");
  ASSERT_TRUE(deleted);
  EXPECT_EQ(deleted->status, 200);
  EXPECT_EQ(deleted->body, "board 'weekly', user 42: record deleted\n");
  // A board id with '/' and a space, percent-encoded.
  const auto missing = send("DELETE", "/leaderboards/season%2F1%20b/records/404");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->body, "board 'season/1 b', user 404: no record\n");
  for (const char* bad :
       {"/leaderboards/weekly/records/0", "/leaderboards/weekly/records/x1",
        "/leaderboards/weekly/records/9223372036854775808", "/leaderboards/records/7",
        "/leaderboards/week%zz/records/7", "/leaderboards/weekly"}) {
    const auto r = send("DELETE", bad);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << bad << ": " << r->body;
  }
  const auto anonymous = send("DELETE", "/leaderboards/weekly/records/42", false);
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401) << "the bearer token is checked first";
  const auto wrong_method =
      get("/leaderboards/weekly/records/42", {"Authorization: Bearer t0ken-abc"});
  ASSERT_TRUE(wrong_method);
  EXPECT_EQ(wrong_method->status, 405);
  EXPECT_EQ(wrong_method->header("allow"), "DELETE");
  std::lock_guard lock(mu);
  EXPECT_EQ(asked,
            (std::vector<std::pair<std::string, uint64_t>>{{"weekly", 42}, {"season/1 b", 404}}));
  for (auto& t : answerers) t.join();
}

TEST_F(AdminServerTest, RecordPathIs404WithoutLeaderboards) {
  ASSERT_NO_FATAL_FAILURE(start());
  const auto r = get("/leaderboards/weekly/records/1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

// ---- /store/conflicts ---------------------------------------------------------

// The query reaches the source checked and defaulted; the source's answer
// (given later, from another thread) is the response, status and type.
TEST_F(AdminServerTest, StoreConflictsPassTheCheckedQueryAndAnswerWhatComesBack) {
  std::mutex mu;
  std::vector<std::pair<int64_t, uint32_t>> asked;
  std::vector<int64_t> dismissed;
  std::vector<std::jthread> answerers;
  list_conflicts_ = [&](int64_t after, uint32_t limit, AdminSources::AdminAnswerDone done) {
    std::lock_guard lock(mu);
    asked.emplace_back(after, limit);
    answerers.emplace_back([done] { done({200, R"({"conflicts":[],"next_after":null})"}); });
  };
  dismiss_conflict_ = [&](int64_t id, AdminSources::AdminAnswerDone done) {
    std::lock_guard lock(mu);
    dismissed.push_back(id);
    answerers.emplace_back([done] { done({503, "PostgreSQL: down\n", "text/plain"}); });
  };
  ASSERT_NO_FATAL_FAILURE(start());
  const auto page = get("/store/conflicts");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->header("content-type"), "application/json");
  EXPECT_EQ(page->body, R"({"conflicts":[],"next_after":null})");
  ASSERT_TRUE(get("/store/conflicts?after=41&limit=1000"));
  const auto too_many = get("/store/conflicts?limit=1001");
  ASSERT_TRUE(too_many);
  EXPECT_EQ(too_many->status, 400);
  const auto negative = get("/store/conflicts?after=-1");
  ASSERT_TRUE(negative);
  EXPECT_EQ(negative->status, 400);
  std::string error;
  const auto down = http_request(port_, "DELETE", "/store/conflicts/9", {}, 5s, &error);
  ASSERT_TRUE(down) << error;
  EXPECT_EQ(down->status, 503);
  EXPECT_EQ(down->body, "PostgreSQL: down\n");
  std::lock_guard lock(mu);
  EXPECT_EQ(asked, (std::vector<std::pair<int64_t, uint32_t>>{{0, 100}, {41, 1000}}));
  EXPECT_EQ(dismissed, std::vector<int64_t>{9});
}

// ---- bad input -----------------------------------------------------------------

TEST_F(AdminServerTest, OversizedHeadersGet431AndTheConnectionCloses) {
  config_.max_header_bytes = 1024;
  ASSERT_NO_FATAL_FAILURE(start());
  HttpClient c;
  ASSERT_TRUE(c.connect(port_));
  ASSERT_TRUE(c.send(request_text("GET", "/health", {"X-Fill: " + std::string(4000, 'a')})));
  const auto r = c.read_response(5s);
  ASSERT_TRUE(r) << c.error();
  EXPECT_EQ(r->status, 431);
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_TRUE(c.wait_closed(5s));

  // A long target counts against the same cap.
  const auto long_target = get("/health?" + std::string(2000, 'x'));
  ASSERT_TRUE(long_target);
  EXPECT_EQ(long_target->status, 431);
  // Just under the cap is fine.
  const auto fits = get("/health", {"X-Fill: " + std::string(700, 'a')});
  ASSERT_TRUE(fits);
  EXPECT_EQ(fits->status, 200);
}

TEST_F(AdminServerTest, OversizedBodyGets413) {
  config_.max_body_bytes = 100;
  ASSERT_NO_FATAL_FAILURE(start());
  HttpClient c;
  ASSERT_TRUE(c.connect(port_));
  const std::string body(5000, 'b');
  ASSERT_TRUE(c.send("GET /health HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n" + body));
  const auto r = c.read_response(5s);
  ASSERT_TRUE(r) << c.error();
  EXPECT_EQ(r->status, 413);
  EXPECT_TRUE(c.wait_closed(5s));
}

TEST_F(AdminServerTest, MalformedRequestGets400) {
  ASSERT_NO_FATAL_FAILURE(start());
  for (const char* garbage : {"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",  // TLS hello
                              "GET /health HTTP/9.9\r\n\r\n", "GET\r\n\r\n",
                              "GET /health HTTP/1.1\r\nBad Header Line\r\n\r\n"}) {
    HttpClient c;
    ASSERT_TRUE(c.connect(port_));
    ASSERT_TRUE(c.send(garbage));
    const auto r = c.read_response(5s);
    ASSERT_TRUE(r) << "input: " << garbage << ": " << c.error();
    EXPECT_EQ(r->status, 400) << "input: " << garbage;
    EXPECT_TRUE(c.wait_closed(5s));
  }
}

TEST_F(AdminServerTest, SlowClientIsCutOffAtTheReadTimeoutWhileOthersAreServed) {
  config_.read_timeout_ms = 400;
  ASSERT_NO_FATAL_FAILURE(start());
  // A slowloris: a byte at a time, never finishing. The deadline covers the
  // whole request, so trickling does not extend it.
  HttpClient slow;
  ASSERT_TRUE(slow.connect(port_));
  const auto t0 = Clock::now();
  const std::string partial = "GET /health HTTP/1.1\r\nHost: t\r\nX-Slow: ";
  bool closed = false;
  for (std::size_t i = 0; i < partial.size() && !closed; ++i) {
    if (!slow.send(partial.substr(i, 1))) {
      closed = true;
      break;
    }
    closed = slow.wait_closed(50ms);
    // Meanwhile another client is answered at once.
    if (i == 3) {
      const auto t = Clock::now();
      const auto other = get("/health");
      ASSERT_TRUE(other);
      EXPECT_EQ(other->status, 200);
      EXPECT_LT(ms_since(t), 300) << "a stalled client must not hold up others";
    }
  }
  if (!closed) closed = slow.wait_closed(5s);
  EXPECT_TRUE(closed);
  const long long took = ms_since(t0);
  EXPECT_GE(took, 350) << "closed before the read timeout";
  EXPECT_LT(took, 2000) << "not closed near the 400 ms read timeout";
}

TEST_F(AdminServerTest, KeepAliveServesUpToTheCapThenCloses) {
  config_.max_requests_per_connection = 3;
  ASSERT_NO_FATAL_FAILURE(start());
  HttpClient c;
  ASSERT_TRUE(c.connect(port_));
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(c.send(request_text("GET", "/health", {}, true))) << c.error();
    const auto r = c.read_response(5s);
    ASSERT_TRUE(r) << "request " << i << ": " << c.error();
    EXPECT_EQ(r->status, 200);
    if (i < 3) {
      EXPECT_NE(r->header("connection"), "close") << "request " << i;
    } else {
      EXPECT_EQ(r->header("connection"), "close") << "the last one says so";
    }
  }
  EXPECT_TRUE(c.wait_closed(5s));
}

TEST_F(AdminServerTest, ConnectionsPastTheCapAreClosedAtOnce) {
  config_.max_connections = 2;
  config_.read_timeout_ms = 10'000;
  ASSERT_NO_FATAL_FAILURE(start());
  HttpClient a, b, extra;
  ASSERT_TRUE(a.connect(port_));
  ASSERT_TRUE(b.connect(port_));
  // Both idle, holding the two slots; a third is closed on accept.
  ASSERT_TRUE(extra.connect(port_));
  EXPECT_TRUE(extra.wait_closed(3s)) << "third connection was not closed";
  // The slots are still held: another one is closed as well.
  HttpClient extra2;
  ASSERT_TRUE(extra2.connect(port_));
  EXPECT_TRUE(extra2.wait_closed(3s));
  // Free the slots; service resumes.
  a.close();
  b.close();
  EXPECT_TRUE(eventually([&] {
    const auto r = http_get(port_, "/health", {}, 1s);
    return r && r->status == 200;
  }));
}

// ---- /debug/profile ------------------------------------------------------------

TEST_F(AdminServerTest, ProfileSecondsMustBeAnIntegerWithinTheBound) {
  config_.profile_max_seconds = 5;
  ASSERT_NO_FATAL_FAILURE(start());
  for (const char* target :
       {"/debug/profile?seconds=0", "/debug/profile?seconds=6", "/debug/profile?seconds=abc",
        "/debug/profile?seconds=", "/debug/profile?seconds=-1", "/debug/profile?seconds=1.5",
        "/debug/profile?seconds=99999999999999999999"}) {
    const auto r = get(target);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << target;
    EXPECT_NE(r->body.find("from 1 to 5"), std::string::npos) << r->body;
  }
  EXPECT_FALSE(profiler_running());
}

TEST_F(AdminServerTest, ProfileIs409WhileAnotherRuns) {
  ASSERT_NO_FATAL_FAILURE(start());
  auto held = CpuProfileRun::start(30s);
  ASSERT_TRUE(held.run) << held.message;
  const auto r = get("/debug/profile?seconds=1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 409);
  EXPECT_NE(r->body.find("already running"), std::string::npos) << r->body;
  held.run.reset();
  EXPECT_FALSE(profiler_running());
}

TEST_F(AdminServerTest, ProfileRunsOnATimerWhileOtherRequestsAreServed) {
  ASSERT_NO_FATAL_FAILURE(start());
  HttpClient profile;
  ASSERT_TRUE(profile.connect(port_));
  const auto t0 = Clock::now();
  ASSERT_TRUE(profile.send(request_text("GET", "/debug/profile?seconds=2")));
  ASSERT_TRUE(eventually(profiler_running, 2s)) << "the profile did not start";

  // The admin thread is not blocked by the running profile.
  const auto t = Clock::now();
  const auto health = get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_LT(ms_since(t), 500);
  const auto second = get("/debug/profile?seconds=1");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 409) << "one profile at a time";
  EXPECT_TRUE(profiler_running()) << "the first profile is still running";

  const auto r = profile.read_response(10s);
  ASSERT_TRUE(r) << profile.error();
  EXPECT_GE(ms_since(t0), 1900) << "answered before the 2 s were up";
  EXPECT_EQ(r->status, 200) << r->describe();
  EXPECT_EQ(r->header("content-type"), "application/octet-stream");
  // gperftools' CPU profile header: 64-bit words 0, 3 (header words), 0 (version).
  ASSERT_GE(r->body.size(), 5 * sizeof(uint64_t));
  uint64_t words[3];
  std::memcpy(words, r->body.data(), sizeof words);
  EXPECT_EQ(words[0], 0u);
  EXPECT_EQ(words[1], 3u);
  EXPECT_EQ(words[2], 0u);
  EXPECT_FALSE(profiler_running());
}

TEST_F(AdminServerTest, StoppingDuringAProfileStopsTheProfilerAndRemovesItsFile) {
  ASSERT_NO_FATAL_FAILURE(start());
  HttpClient profile;
  ASSERT_TRUE(profile.connect(port_));
  ASSERT_TRUE(profile.send(request_text("GET", "/debug/profile?seconds=60")));
  ASSERT_TRUE(eventually(profiler_running, 2s));
  ProfilerState state{};
  ProfilerGetCurrentState(&state);
  const std::string file = state.profile_name;
  ASSERT_FALSE(file.empty());

  const auto t = Clock::now();
  server_->stop();
  EXPECT_LT(ms_since(t), 1000) << "stop() waited for the profile";
  EXPECT_FALSE(profiler_running());
  EXPECT_NE(::access(file.c_str(), F_OK), 0) << file << " left behind";
  EXPECT_TRUE(profile.wait_closed(2s));
  // And the next profile may start.
  auto next = CpuProfileRun::start(1s);
  EXPECT_TRUE(next.run) << next.message;
}

}  // namespace
}  // namespace citadel::ops::admin
