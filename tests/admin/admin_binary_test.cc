// Black box: the real `citadel` binary with --admin-port, driven over its game
// port and its admin port on 127.0.0.1.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "../support/io_uring_required.h"
#include "../support/postgres/postgres_server.h"
#include "admin_process.h"
#include "fixture.h"
#include "http_client.h"
#include "tool_checks.h"

namespace citadel::test {
namespace {

long long ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

// The value of an unlabelled (or exactly labelled) sample in a Prometheus
// text body, e.g. series = "citadel_frames_received_total".
std::optional<double> sample_value(const std::string& body, const std::string& series) {
  std::istringstream in(body);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(series + " ")) return std::stod(line.substr(series.size() + 1));
  }
  return std::nullopt;
}

// True once every thread of `pid` shows state T (stopped) in /proc, bounded.
bool all_threads_stopped(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  const std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
  while (Clock::now() < deadline) {
    bool all = true;
    std::error_code ec;
    for (const auto& task : std::filesystem::directory_iterator(tasks, ec)) {
      std::ifstream in(task.path() / "stat");
      std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      const auto close_paren = stat.rfind(')');  // "pid (comm) S ...": comm may hold spaces
      if (close_paren == std::string::npos || close_paren + 2 >= stat.size() ||
          stat[close_paren + 2] != 'T') {
        all = false;
        break;
      }
    }
    if (!ec && all) return true;
    std::this_thread::sleep_for(1ms);
  }
  return false;
}

class AdminBinary : public testing::Test {
 protected:
  void start(std::string config_yaml = "", std::vector<std::string> extra_args = {}) {
    ServerOptions o;
    o.config_yaml = std::move(config_yaml);
    o.extra_args = std::move(extra_args);
    std::string why;
    ASSERT_TRUE(start_with_admin(std::move(o), proc_, &why)) << why;
    port_ = proc_.server->port();
    admin_ = proc_.admin_port;
  }

  std::optional<HttpResponse> get(std::string_view target, std::vector<std::string> headers = {}) {
    std::string error;
    auto r = http_get(admin_, target, headers, 5s, &error);
    EXPECT_TRUE(r.has_value()) << "GET " << target << ": " << error;
    return r;
  }

  void TearDown() override {
    if (proc_.server && HasFailure()) {
      const std::string out = proc_.server->output();
      std::cout << "---- server output (last 8000 bytes) ----\n"
                << (out.size() > 8000 ? out.substr(out.size() - 8000) : out)
                << "\n---- end of server output ----\n";
    }
    proc_.server.reset();  // SIGKILL by PID if still running
  }

  AdminServerProcess proc_;
  uint16_t port_ = 0;
  uint16_t admin_ = 0;
};

// One smoke test of the binary on PostgreSQL (the behaviour is tested
// in-process, in store_pg_test and auth_pg_test): it opens the configured
// database, migrates it, and reports the backend on /metrics.
// With store.write_behind.enabled the binary opens its local file beside
// PostgreSQL and /metrics carries the write-behind families.
TEST_F(AdminBinary, WriteBehindOnPostgresReportsItsOutboxOnMetrics) {
  PostgresServer postgres;
  const std::string url = postgres.create_database();
  const auto dir =
      std::filesystem::temp_directory_path() / fmt::format("citadel-admin-wb-{}", ::getpid());
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "wb.db").string();
  ASSERT_NO_FATAL_FAILURE(start("store:\n  backend: postgres\n  postgres: {url: '" + url +
                                "'}\n  write_behind: {enabled: true, path: '" + path + "'}\n"));
  const auto metrics = get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(sample_value(metrics->body, "citadel_store_write_behind_pending{backend=\"postgres\"}"),
            0.0);
  EXPECT_EQ(
      sample_value(metrics->body, "citadel_store_write_behind_max_pending{backend=\"postgres\"}"),
      100000.0);
  EXPECT_EQ(sample_value(metrics->body,
                         "citadel_store_write_behind_conflicts_total{backend=\"postgres\"}"),
            0.0);
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_EQ(pg_query_int(url, "SELECT count(*) FROM citadel_write_behind_conflicts"), 0);
  proc_.server.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

TEST_F(AdminBinary, RunsOnPostgresWhenConfiguredAndStopsWhenTheDatabaseIsUnreachable) {
  PostgresServer postgres;
  const std::string url = postgres.create_database();
  ASSERT_NO_FATAL_FAILURE(start("store:\n  backend: postgres\n  postgres: {url: '" + url + "'}\n"));
  const auto metrics = get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(sample_value(metrics->body, "citadel_store_connected{backend=\"postgres\"}"), 1.0);
  // pg::kSchemaVersion, written out: this test sees the server as a black box.
  EXPECT_EQ(pg_query_int(url, "SELECT version FROM citadel_schema_version"), 3);
  proc_.server.reset();

  ServerOptions o;
  o.config_yaml =
      "store: {backend: postgres, postgres: {url: 'postgresql://citadel@127.0.0.1:1/x'}}\n";
  ServerProcess unreachable(o);
  std::string why;
  EXPECT_FALSE(unreachable.start(&why));
  const auto status = unreachable.wait_exit(10s);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(status->exited && status->code == 1) << status->describe();
  EXPECT_NE(unreachable.output().find("postgres store: cannot open the database"),
            std::string::npos)
      << unreachable.output();
}

TEST_F(AdminBinary, HealthAndMetricsFollowRealTraffic) {
  ASSERT_NO_FATAL_FAILURE(start());
  TestClient a, b;
  ASSERT_TRUE(a.connect(port_));
  ASSERT_TRUE(Pings(a, "one"));
  ASSERT_TRUE(Pings(a, "two"));
  ASSERT_TRUE(b.connect(port_));
  ASSERT_TRUE(b.send_raw(to_bytes("XXXXXXXX")));
  ASSERT_TRUE(GetsErrorThenClose(b, wire::ErrorCode::kBadMagic));

  const auto health = get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(json_member(health->body, "status"), "serving");
  EXPECT_EQ(json_member(health->body, "frames_in"), "2");
  EXPECT_EQ(json_member(health->body, "frames_out"), "3") << "two PONGs and one ERROR";
  EXPECT_EQ(json_member(health->body, "connections_total"), "2");
  EXPECT_EQ(json_member(health->body, "protocol_errors"), "1");
  EXPECT_EQ(json_member(health->body, "version"), "0.1.0");

  const auto metrics = get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_EQ(sample_value(metrics->body, "citadel_frames_received_total"), 2.0);
  EXPECT_EQ(sample_value(metrics->body, "citadel_protocol_errors_total{kind=\"bad_magic\"}"), 1.0);
  EXPECT_EQ(sample_value(metrics->body, "citadel_connections_accepted_total"), 2.0);
  // The rooms' families are there from the start (no room yet).
  EXPECT_EQ(sample_value(metrics->body, "citadel_rooms_open"), 0.0);
  EXPECT_EQ(sample_value(metrics->body, "citadel_room_faults_total"), 0.0);
  EXPECT_EQ(sample_value(metrics->body, "citadel_room_tick_seconds_count"), 0.0);
  // So are the store's, labelled with the backend (SQLite by default). One
  // request so far: the leaderboards loaded at start.
  EXPECT_EQ(sample_value(metrics->body, "citadel_store_requests_total{backend=\"sqlite\"}"), 1.0);
  EXPECT_EQ(sample_value(metrics->body, "citadel_store_connected{backend=\"sqlite\"}"), 1.0);
  EXPECT_EQ(sample_value(metrics->body, "citadel_store_queue_capacity{backend=\"sqlite\"}"),
            65536.0);
  // The loops' lag probe fires every 100 ms; the first may not have yet.
  const auto deadline = Clock::now() + 3s;
  std::optional<HttpResponse> later;
  while (Clock::now() < deadline) {
    later = http_get(admin_, "/metrics", {}, 1s);
    if (later && sample_value(later->body, "citadel_event_loop_lag_seconds_count").value_or(0) > 0)
      break;
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(later);
  EXPECT_GT(sample_value(later->body, "citadel_event_loop_lag_seconds_count").value_or(0), 0.0);
  EXPECT_GE(sample_value(metrics->body, "citadel_handler_batch_duration_seconds_count").value_or(0),
            2.0);

  const auto promtool = find_tool("promtool");
  if (!promtool) GTEST_SKIP() << "promtool not installed (Debian package prometheus)";
  const ToolRun check = promtool_check_metrics(*promtool, metrics->body);
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_EQ(check.output, "") << "promtool lint findings";
}

TEST_F(AdminBinary, HealthIs503WhileTheServerDrains) {
  ASSERT_NO_FATAL_FAILURE(start("shutdown:\n  drain_timeout_ms: 5000\n"));
  TestClient held;
  ASSERT_TRUE(held.connect(port_));
  ASSERT_TRUE(Pings(held));
  const auto before = get("/health");
  ASSERT_TRUE(before);
  EXPECT_EQ(before->status, 200);

  ASSERT_EQ(::kill(proc_.server->pid(), SIGTERM), 0);
  // The held client keeps the drain going; meanwhile /health must say so.
  std::optional<HttpResponse> during;
  const auto deadline = Clock::now() + 3s;
  while (Clock::now() < deadline) {
    during = http_get(admin_, "/health", {}, 1s);
    if (during && during->status == 503) break;
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_TRUE(during);
  EXPECT_EQ(during->status, 503) << during->describe();
  EXPECT_EQ(json_member(during->body, "status"), "draining");
  const auto metrics = http_get(admin_, "/metrics", {}, 1s);
  ASSERT_TRUE(metrics);
  EXPECT_EQ(sample_value(metrics->body, "citadel_draining"), 1.0);

  EXPECT_TRUE(GetsErrorThenClose(held, wire::ErrorCode::kShuttingDown));
  held.close();
  const auto status = proc_.server->wait_exit(10s);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(status->exited && status->code == 0) << status->describe();
}

TEST_F(AdminBinary, ProfileOfTheRunningServerReadsInGooglePprof) {
  const auto pprof = find_tool("google-pprof");
  if (!pprof) GTEST_SKIP() << "google-pprof not installed (Debian package google-perftools)";
  ASSERT_NO_FATAL_FAILURE(start());
  // Load on the game port while the profile runs, so it has samples to show.
  std::atomic<bool> stop{false};
  std::atomic<int> pings{0};
  std::thread load([&] {
    TestClient c;
    if (!c.connect(port_)) return;
    while (!stop && c.ping("load", 2s)) ++pings;
  });
  const auto r = http_get(admin_, "/debug/profile?seconds=2", {}, 10s);
  stop = true;
  load.join();
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->describe();
  EXPECT_GT(pings.load(), 100) << "game traffic kept flowing during the profile";
  const std::string file = write_temp_file(r->body, ".prof");
  const ToolRun text = run_tool(*pprof + " --text " + server_binary() + " " + file);
  ::unlink(file.c_str());
  EXPECT_EQ(text.exit_code, 0) << text.output;
  EXPECT_NE(text.output.find("Total: "), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("citadel::"), std::string::npos)
      << "no symbol of the server in the profile:\n"
      << text.output;
}

TEST_F(AdminBinary, SlowAdminClientsDoNotStallGameTraffic) {
  ASSERT_NO_FATAL_FAILURE(start("admin:\n  max_connections: 32\n  read_timeout_ms: 10000\n"));
  // Fill every admin slot with a client that sends half a request and stops.
  std::vector<std::unique_ptr<HttpClient>> slow;
  for (int i = 0; i < 40; ++i) {
    slow.push_back(std::make_unique<HttpClient>());
    ASSERT_TRUE(slow.back()->connect(admin_));
    ASSERT_TRUE(slow.back()->send("GET /metrics HTTP/1.1\r\nHost: t\r\nX-Half: "));
  }
  TestClient c;
  ASSERT_TRUE(c.connect(port_));
  for (int i = 0; i < 50; ++i) {
    const auto t = Clock::now();
    ASSERT_TRUE(Pings(c, "during"));
    EXPECT_LT(ms_since(t), 200) << "ping " << i;
  }
}

TEST_F(AdminBinary, TokenFromTheConfigFileIsRequired) {
  ASSERT_NO_FATAL_FAILURE(start("admin:\n  token: Zm9vYmFy-123\n"));
  const auto without = get("/health");
  ASSERT_TRUE(without);
  EXPECT_EQ(without->status, 401);
  const auto wrong = get("/health", {"Authorization: Bearer nope"});
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  const auto with = get("/health", {"Authorization: Bearer Zm9vYmFy-123"});
  ASSERT_TRUE(with);
  EXPECT_EQ(with->status, 200);
}

TEST_F(AdminBinary, JsonLogLinesCarryTheConnectionIdAsAField) {
  ASSERT_NO_FATAL_FAILURE(start("", {"--log-format", "json"}));
  {
    TestClient c;
    ASSERT_TRUE(c.connect(port_));
    ASSERT_TRUE(Pings(c));
  }
  ASSERT_TRUE(proc_.server->wait_for_output("\"msg\":\"closed: peer_closed\"", 5s));
  std::istringstream lines(proc_.server->stderr_text());
  std::string line, open_conn, closed_conn;
  int n = 0;
  while (std::getline(lines, line)) {
    ++n;
    std::string why;
    ASSERT_TRUE(is_json_object(line, &why)) << why << ": " << line;
    ASSERT_TRUE(json_member(line, "ts")) << line;
    ASSERT_TRUE(json_member(line, "level")) << line;
    const auto msg = json_member(line, "msg");
    ASSERT_TRUE(msg) << line;
    if (*msg == "open from 127.0.0.1") open_conn = json_member(line, "conn").value_or("none");
    if (*msg == "closed: peer_closed") closed_conn = json_member(line, "conn").value_or("none");
  }
  EXPECT_GT(n, 3);
  EXPECT_TRUE(open_conn.starts_with("0x")) << "open line's conn: " << open_conn;
  EXPECT_EQ(open_conn, closed_conn) << "one connection, one id";
}

TEST_F(AdminBinary, AdminPortInUseIsLoggedAndTheGamePortServesAnyway) {
  // Hold a listener on a port, then ask the server for it.
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string taken = std::to_string(ntohs(addr.sin_port));

  ServerOptions o;
  o.extra_args = {"--admin-port", taken};
  ServerProcess server(o);
  std::string why;
  ASSERT_TRUE(server.start(&why)) << why;
  EXPECT_TRUE(server.wait_for_output(
      "admin: cannot listen on 127.0.0.1:" + taken + ": Address already in use", 5s))
      << server.output();
  EXPECT_TRUE(fresh_connection_pings(server.port()));
  ::close(fd);
  const auto status = server.stop(SIGTERM, 10s);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(status->exited && status->code == 0) << status->describe();
}

TEST_F(AdminBinary, AdminPortZeroDisablesTheAdminServer) {
  ServerOptions o;
  o.extra_args = {"--admin-port", "0"};
  ServerProcess server(o);
  std::string why;
  ASSERT_TRUE(server.start(&why)) << why;
  EXPECT_TRUE(server.wait_for_output("admin server disabled", 5s)) << server.output();
  EXPECT_EQ(server.output().find("admin listening"), std::string::npos);
}

TEST_F(AdminBinary, PrintConfigShowsTheAdminSectionAndTheFlags) {
  const RunResult r =
      run_server_to_completion({"--admin-port", "9555", "--log-format", "json", "--print-config"});
  ASSERT_TRUE(r.status && r.status->exited && r.status->code == 0) << r.stderr_text;
  EXPECT_NE(r.stdout_text.find("admin:\n  port: 9555\n  host: 127.0.0.1\n"), std::string::npos)
      << r.stdout_text;
  EXPECT_NE(r.stdout_text.find("format: json"), std::string::npos) << r.stdout_text;
  const RunResult bad = run_server_to_completion({"--admin-port", "70000", "--print-config"});
  ASSERT_TRUE(bad.status && bad.status->exited);
  EXPECT_EQ(bad.status->code, 2);
  EXPECT_NE(bad.stderr_text.find("--admin-port"), std::string::npos) << bad.stderr_text;
}

// A loop turn with replies for many connections sends them in io_uring
// submissions (citadel_send_batches_total counts them); where io_uring is
// refused the server falls back to one sendmsg each, logs it once at info,
// and keeps serving. This checks the fast path really ran: it fails under
// CITADEL_REQUIRE_IO_URING=1 (scripts/test.sh, where the kernel allows a
// ring) if the counter stays at 0, and otherwise skips in that case.
TEST_F(AdminBinary, RepliesToManyConnectionsInOneTurnGoOutInIoUringBatches) {
  ASSERT_NO_FATAL_FAILURE(start("", {"--threads", "1"}));  // every connection on one loop
  std::vector<TestClient> clients(16);
  for (std::size_t i = 0; i < clients.size(); ++i) {
    ASSERT_TRUE(clients[i].connect(port_)) << i;
    ASSERT_TRUE(Pings(clients[i], "hello")) << i;
  }
  // Stopped, the server cannot read the PINGs one by one as they come: on
  // SIGCONT its loop finds all 16 sockets ready in one turn, and that turn's
  // 16 PONGs are one flush to 16 connections, the batched path.
  const pid_t pid = proc_.server->pid();
  ASSERT_EQ(::kill(pid, SIGSTOP), 0);
  ASSERT_TRUE(all_threads_stopped(pid, 5s)) << "the server did not stop";
  for (std::size_t i = 0; i < clients.size(); ++i) {
    EXPECT_TRUE(clients[i].send_frame(wire::cmd::kPing, "together")) << i;
  }
  ASSERT_EQ(::kill(pid, SIGCONT), 0);
  for (std::size_t i = 0; i < clients.size(); ++i) {
    EXPECT_TRUE(GetsFrame(clients[i], wire::cmd::kPong, to_bytes("together"))) << i;
  }

  const auto metrics = get("/metrics");
  ASSERT_TRUE(metrics);
  const double batches = sample_value(metrics->body, "citadel_send_batches_total").value_or(-1);
  ASSERT_GE(batches, 0.0) << "no citadel_send_batches_total in /metrics";
  const bool fell_back = proc_.server->output().find("io_uring unavailable") != std::string::npos;
  if (batches == 0 && fell_back) {
    CITADEL_SKIP_OR_FAIL_WITHOUT_IO_URING("the server fell back to sendmsg: io_uring unavailable");
  }
  EXPECT_FALSE(fell_back);
  EXPECT_GT(batches, 0.0) << "16 replies in one loop turn, and no io_uring submission";
}

}  // namespace
}  // namespace citadel::test
