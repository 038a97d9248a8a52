// Black box: the real `citadel` binary, its config file rewritten while it
// runs, then reloaded by POST /config/reload or SIGHUP. Live keys change
// for clients already connected (no reconnect); a broken file changes
// nothing; keys read only at start are named as needing a restart.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

#include "admin_process.h"
#include "fixture.h"
#include "frame_helpers.h"
#include "http_client.h"
#include "protocol/auth_generated.h"
#include "protocol/chat_generated.h"
#include "protocol/commands.h"
#include "protocol/rooms_generated.h"

namespace citadel::test {
namespace {

namespace msg = citadel::msg;
namespace cmd = citadel::protocol::cmd;

class ConfigReload : public testing::Test {
 protected:
  void start(const std::string& yaml) {
    ServerOptions o;
    o.config_yaml = yaml;
    std::string why;
    ASSERT_TRUE(start_with_admin(std::move(o), proc_, &why)) << why;
  }
  void rewrite_config(const std::string& yaml) {
    std::ofstream out(proc_.server->config_path(), std::ios::trunc);
    out << yaml;
    ASSERT_TRUE(out.good());
  }
  HttpResponse post_reload() {
    std::string error;
    auto r = http_request(proc_.admin_port, "POST", "/config/reload", {}, 5s, &error);
    EXPECT_TRUE(r.has_value()) << error;
    return r.value_or(HttpResponse{});
  }
  std::string get_body(std::string_view target) {
    std::string error;
    auto r = http_get(proc_.admin_port, target, {}, 5s, &error);
    EXPECT_TRUE(r.has_value()) << error;
    return r ? r->body : std::string();
  }
  // Waits (bounded) until GET /config holds `needle`.
  bool config_shows(std::string_view needle) {
    const auto deadline = Clock::now() + 5s;
    while (Clock::now() < deadline) {
      if (get_body("/config").find(needle) != std::string::npos) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  // A guest login on a new connection; the first frames (the reply) read.
  TestClient login(const std::string& device) {
    TestClient c;
    EXPECT_TRUE(c.connect(proc_.server->port()));
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(msg::CreateGuestLoginDirect(fbb, 1, device.c_str()));
    EXPECT_TRUE(c.send_frame(cmd::kGuestLogin, bytes_of(fbb)));
    const auto reply = next_of(c, cmd::kAuthReply);
    EXPECT_TRUE(reply.has_value());
    if (reply) {
      EXPECT_EQ(flatbuffers::GetRoot<msg::AuthReply>(reply->payload.data())->result(),
                msg::AuthResult::Ok);
    }
    return c;
  }
  // Sends `n` world messages back to back; returns their results in order.
  std::vector<msg::ChatResult> send_chat(TestClient& c, int n, uint32_t first_id) {
    for (int i = 0; i < n; ++i) {
      flatbuffers::FlatBufferBuilder fbb;
      fbb.Finish(msg::CreateChatSendDirect(fbb, first_id + i, "world", "hello"));
      EXPECT_TRUE(c.send_frame(cmd::kChatSend, bytes_of(fbb)));
    }
    std::vector<msg::ChatResult> results;
    for (int i = 0; i < n; ++i) {
      const auto reply = next_of(c, cmd::kChatReply);
      if (!reply) break;
      results.push_back(flatbuffers::GetRoot<msg::ChatReply>(reply->payload.data())->result());
    }
    return results;
  }
  int count(const std::vector<msg::ChatResult>& v, msg::ChatResult r) {
    return static_cast<int>(std::count(v.begin(), v.end(), r));
  }

  AdminServerProcess proc_;
};

const std::string kGenerousChat =
    "chat:\n  messages_per_second: 1000\n  message_burst: 1000\n"
    "limits:\n  idle_timeout_ms: 60000\n";
const std::string kStingyChat =
    "chat:\n  messages_per_second: 1\n  message_burst: 2\n"
    "limits:\n  idle_timeout_ms: 60000\n";

TEST_F(ConfigReload, ChatRateLimitChangesForAConnectedClient) {
  start(kGenerousChat);
  TestClient c = login("reload-chat");
  EXPECT_EQ(count(send_chat(c, 6, 10), msg::ChatResult::Ok), 6);

  rewrite_config(kStingyChat);
  const HttpResponse r = post_reload();
  ASSERT_EQ(r.status, 200) << r.describe();
  EXPECT_NE(r.body.find(R"("key":"chat.message_burst","was":"1000","now":"2")"), std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find(R"("needs_restart":[])"), std::string::npos) << r.body;

  // Same connection, no reconnect: the bucket now holds at most 2.
  const auto results = send_chat(c, 6, 100);
  ASSERT_EQ(results.size(), 6u);
  EXPECT_LE(count(results, msg::ChatResult::Ok), 3);
  EXPECT_GE(count(results, msg::ChatResult::RateLimited), 3);
  EXPECT_NE(get_body("/config").find(R"("version":2)"), std::string::npos);
}

TEST_F(ConfigReload, AnEnvironmentVariableKeepsWinningOverTheFileAfterAReload) {
  {
    // For the server this test starts (it reads its environment once, at start).
    ScopedVariable burst("CITADEL_CHAT__MESSAGE_BURST", "7");
    start(kGenerousChat);
  }
  ASSERT_TRUE(config_shows(R"("chat.message_burst":"7")")) << get_body("/config");

  rewrite_config(kStingyChat);  // message_burst 2 in the file: the variable still says 7
  const HttpResponse r = post_reload();
  ASSERT_EQ(r.status, 200) << r.describe();
  EXPECT_NE(r.body.find(R"("key":"chat.messages_per_second","was":"1000","now":"1")"),
            std::string::npos)
      << r.body;
  EXPECT_EQ(r.body.find(R"("key":"chat.message_burst")"), std::string::npos) << r.body;
  EXPECT_TRUE(config_shows(R"("version":2)")) << get_body("/config");
  EXPECT_TRUE(config_shows(R"("chat.message_burst":"7")")) << get_body("/config");
}

TEST_F(ConfigReload, SighupReloadsTooAndIdleTimeoutAppliesToOpenConnections) {
  start(kGenerousChat);
  TestClient c = login("reload-idle");
  rewrite_config("limits:\n  idle_timeout_ms: 300\n");
  ASSERT_EQ(::kill(proc_.server->pid(), SIGHUP), 0);
  ASSERT_TRUE(config_shows(R"("limits.idle_timeout_ms":"300")")) << get_body("/config");
  // The connection opened under 60 s now idles out after 300 ms.
  EXPECT_TRUE(GetsErrorThenClose(c, wire::ErrorCode::kIdleTimeout, 5s));
  EXPECT_TRUE(proc_.server->wait_for_output("limits.idle_timeout_ms: 60000 -> 300", 5s))
      << proc_.server->output();
}

TEST_F(ConfigReload, ABrokenFileChangesNothingAndSaysWhy) {
  start(kStingyChat);
  for (const std::string& broken :
       {std::string("chat:\n  messages_per_second: -5\n"), std::string("chat: [1, 2\n"),
        std::string("chat:\n  no_such_key: 1\n")}) {
    rewrite_config(broken);
    const HttpResponse r = post_reload();
    EXPECT_EQ(r.status, 422) << r.describe();
    EXPECT_NE(r.body.find(R"("ok":false)"), std::string::npos) << r.body;
  }
  const std::string status = get_body("/config");
  EXPECT_NE(status.find(R"("version":1)"), std::string::npos) << status;
  EXPECT_NE(status.find("chat.no_such_key: unknown key"), std::string::npos) << status;
  EXPECT_NE(status.find(R"("chat.message_burst":"2")"), std::string::npos) << status;
  const std::string metrics = get_body("/metrics");
  EXPECT_NE(metrics.find("citadel_config_reload_failures_total 3"), std::string::npos);
  EXPECT_NE(metrics.find("citadel_config_version 1"), std::string::npos);
  // The running limits are the old ones: a burst of 2.
  TestClient c = login("reload-broken");
  const auto results = send_chat(c, 4, 1);
  EXPECT_LE(count(results, msg::ChatResult::Ok), 3);
  EXPECT_GE(count(results, msg::ChatResult::RateLimited), 1);
  // A good file afterwards applies, and clears the error.
  rewrite_config(kGenerousChat);
  EXPECT_EQ(post_reload().status, 200);
  EXPECT_NE(get_body("/config").find(R"("last_error":"")"), std::string::npos);
}

TEST_F(ConfigReload, KeysReadAtStartNeedARestartAndKeepTheirValues) {
  start("server:\n  threads: 1\n");
  rewrite_config("server:\n  threads: 2\nauth:\n  hash_threads: 2\n");
  const HttpResponse r = post_reload();
  ASSERT_EQ(r.status, 200) << r.describe();
  EXPECT_NE(r.body.find(R"("key":"server.threads","was":"1","now":"2")"), std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find(R"("applied":[])"), std::string::npos) << r.body;
  EXPECT_TRUE(proc_.server->wait_for_output(
      "server.threads changed (1 -> 2): needs restart; keeping the running value", 5s));
  const std::string status = get_body("/config");
  EXPECT_NE(status.find(R"("server.threads":"1")"), std::string::npos) << status;
  EXPECT_NE(status.find(R"("needs_restart":["server.threads","auth.hash_threads"])"),
            std::string::npos)
      << status;
}

TEST_F(ConfigReload, ARoomTypesMaxPlayersAppliesToRoomsOpenedAfterIt) {
  start("");
  TestClient first = login("reload-rooms-1");
  TestClient second = login("reload-rooms-2");  // logged in before the reload
  const auto join = [&](TestClient& c, uint32_t id) -> uint32_t {
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(msg::CreateRoomJoinDirect(fbb, id, "arena", 0, true));
    EXPECT_TRUE(c.send_frame(cmd::kRoomJoin, bytes_of(fbb)));
    const auto reply = next_of(c, cmd::kRoomReply);
    if (!reply) return 0;
    const auto* r = flatbuffers::GetRoot<msg::RoomReply>(reply->payload.data());
    EXPECT_EQ(r->result(), msg::RoomResult::Ok) << (r->message() ? r->message()->str() : "");
    return r->max_players();
  };
  EXPECT_EQ(join(first, 1), 16u);
  rewrite_config("rooms:\n  arena:\n    max_players: 4\n    match_size: 2\n");
  ASSERT_EQ(post_reload().status, 200);
  EXPECT_EQ(join(second, 2), 4u);  // a new room, for a client connected before the reload
}

TEST_F(ConfigReload, WithWatchFileAChangedFileIsReloadedWhetherWrittenInPlaceOrRenamed) {
  const std::string watch = "reload:\n  watch_file: true\n";
  start(watch + kStingyChat);
  ASSERT_TRUE(proc_.server->wait_for_output("reloading the config whenever", 5s))
      << proc_.server->output();
  // Saved in place (IN_CLOSE_WRITE).
  rewrite_config(watch + kGenerousChat);
  EXPECT_TRUE(config_shows(R"("version":2)")) << get_body("/config");
  EXPECT_TRUE(config_shows(R"("chat.message_burst":"1000")")) << get_body("/config");
  // Written beside it and renamed over it (IN_MOVED_TO), as editors and
  // deploy tools do.
  const std::string path = proc_.server->config_path();
  {
    std::ofstream out(path + ".new", std::ios::trunc);
    out << watch << kStingyChat;
  }
  ASSERT_EQ(std::rename((path + ".new").c_str(), path.c_str()), 0);
  EXPECT_TRUE(config_shows(R"("version":3)")) << get_body("/config");
  EXPECT_TRUE(config_shows(R"("chat.message_burst":"2")")) << get_body("/config");
  EXPECT_TRUE(proc_.server->wait_for_output("file change", 5s));
  // A broken save changes nothing and says why; the next good one applies.
  rewrite_config(watch + "chat:\n  messages_per_second: -5\n");
  EXPECT_TRUE(proc_.server->wait_for_output("config reload (file change): ", 5s));
  EXPECT_TRUE(config_shows("chat.messages_per_second: expected a non-negative integer"))
      << get_body("/config");
  EXPECT_NE(get_body("/config").find(R"("version":3)"), std::string::npos);
}

TEST_F(ConfigReload, TheConfigEndpointHidesSecretsAndReloadTakesOnlyPost) {
  start("");
  const std::string status = get_body("/config");
  EXPECT_NE(status.find(R"("store.postgres.url":"\"\"")"), std::string::npos) << status;
  EXPECT_NE(status.find(R"("source":")"), std::string::npos) << status;
  std::string error;
  const auto get_reload = http_get(proc_.admin_port, "/config/reload", {}, 5s, &error);
  ASSERT_TRUE(get_reload.has_value()) << error;
  EXPECT_EQ(get_reload->status, 405);
  EXPECT_EQ(get_reload->header("allow"), "POST");
}

// Crash reports, black box: the server dies of SIGSEGV, leaves a report
// in crash.directory, and the next start names it and counts it.
TEST(CrashReports, ACrashLeavesAReportThatTheNextStartCounts) {
  const std::string dir =
      std::filesystem::temp_directory_path() / ("citadel-crashes-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const std::string yaml = "crash:\n  directory: " + dir + "\n";
  {
    ServerOptions o;
    o.config_yaml = yaml;
    ServerProcess server(o);
    std::string why;
    ASSERT_TRUE(server.start(&why)) << why;
    const auto status = server.stop(SIGSEGV, 10s);
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(status->signal, SIGSEGV);
    EXPECT_TRUE(server.wait_for_output("crash report written to " + dir, 5s)) << server.output();
  }
  std::size_t reports = 0;
  std::string text;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    ++reports;
    std::ifstream in(entry.path());
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  ASSERT_EQ(reports, 1u);
  EXPECT_NE(text.find("signal: 11 (SIGSEGV)"), std::string::npos) << text;
  EXPECT_NE(text.find("version: "), std::string::npos) << text;

  ServerOptions o;
  o.config_yaml = yaml;
  AdminServerProcess next;
  std::string why;
  ASSERT_TRUE(start_with_admin(std::move(o), next, &why)) << why;
  EXPECT_TRUE(next.server->wait_for_output("1 crash report(s) in " + dir, 5s))
      << next.server->output();
  const auto metrics = http_get(next.admin_port, "/metrics");
  ASSERT_TRUE(metrics.has_value());
  EXPECT_NE(metrics->body.find("citadel_crash_reports 1"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace citadel::test
