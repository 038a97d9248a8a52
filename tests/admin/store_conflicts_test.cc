// Black box: write-behind's conflicts on the admin port of the real `citadel`
// binary on a real PostgreSQL. A player's storage write is flushed, the row
// is moved on in PostgreSQL behind the server (as another node would), the
// player's next write loses: GET /store/conflicts shows it, citadel-cli
// lists it, DELETE /store/conflicts/{id} (and the CLI) dismisses it. Without
// write-behind the paths answer 404.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <thread>

#include "../support/postgres/postgres_server.h"
#include "admin_process.h"
#include "fixture.h"
#include "frame_helpers.h"
#include "http_client.h"
#include "protocol/auth_generated.h"
#include "protocol/commands.h"
#include "protocol/storage_generated.h"
#include "tool_checks.h"

namespace citadel::test {
namespace {

namespace cmd = citadel::protocol::cmd;

// Polls PostgreSQL (bounded): the flush runs on its own schedule.
bool pg_eventually(const std::string& url, const std::string& sql, int64_t want) {
  const auto deadline = Clock::now() + 10s;
  while (Clock::now() < deadline) {
    if (pg_query_int(url, sql) == want) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

class StoreConflicts : public testing::Test {
 protected:
  void start(const std::string& config_yaml) {
    ServerOptions o;
    o.config_yaml = config_yaml;
    std::string why;
    ASSERT_TRUE(start_with_admin(std::move(o), proc_, &why)) << why;
  }

  void TearDown() override {
    if (proc_.server && HasFailure()) {
      const std::string out = proc_.server->output();
      std::cout << "---- server output (last 8000 bytes) ----\n"
                << (out.size() > 8000 ? out.substr(out.size() - 8000) : out)
                << "\n---- end of server output ----\n";
    }
    proc_.server.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // One StorageWrite of the player's object saves/`key`; its result.
  msg::StorageResult write(TestClient& c, uint32_t request_id, const std::string& key,
                           const std::string& value) {
    flatbuffers::FlatBufferBuilder fbb;
    const auto item = msg::CreateStorageWriteItemDirect(fbb, "saves", key.c_str(), value.c_str());
    fbb.Finish(msg::CreateStorageWrite(fbb, request_id, fbb.CreateVector(&item, 1)));
    EXPECT_TRUE(c.send_frame(cmd::kStorageWrite, bytes_of(fbb)));
    const auto reply = next_of(c, cmd::kStorageReply);
    EXPECT_TRUE(reply.has_value());
    if (!reply) return msg::StorageResult::InternalError;
    return flatbuffers::GetRoot<msg::StorageReply>(reply->payload.data())->result();
  }

  ToolRun cli(const std::string& args) {
    return run_tool(
        fmt::format("{} --admin 127.0.0.1:{} {} 2>&1", CITADEL_CLI_BIN, proc_.admin_port, args));
  }

  std::optional<HttpResponse> request(std::string_view method, std::string_view target) {
    std::string error;
    auto r = http_request(proc_.admin_port, method, target, {}, 5s, &error);
    EXPECT_TRUE(r.has_value()) << method << " " << target << ": " << error;
    return r;
  }

  AdminServerProcess proc_;
  std::filesystem::path dir_ =
      std::filesystem::temp_directory_path() / fmt::format("citadel-conflicts-{}", ::getpid());
};

TEST_F(StoreConflicts, ALostWriteIsListedAndDismissedOverTheAdminPort) {
  PostgresServer postgres;
  const std::string url = postgres.create_database();
  std::filesystem::create_directories(dir_);
  ASSERT_NO_FATAL_FAILURE(
      start(fmt::format("store:\n  backend: postgres\n  postgres: {{url: '{}'}}\n"
                        "  write_behind: {{enabled: true, path: '{}', flush_interval_ms: 10}}\n",
                        url, (dir_ / "wb.db").string())));

  // No conflict yet: an empty page.
  auto empty = request("GET", "/store/conflicts");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status, 200) << empty->describe();
  EXPECT_EQ(empty->header("content-type"), "application/json");
  EXPECT_EQ(empty->body, "{\"conflicts\":[],\"next_after\":null}\n");

  TestClient player;
  ASSERT_TRUE(player.connect(proc_.server->port()));
  {
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(msg::CreateGuestLoginDirect(fbb, 1, "conflict-test-device"));
    ASSERT_TRUE(player.send_frame(cmd::kGuestLogin, bytes_of(fbb)));
    const auto reply = next_of(player, cmd::kAuthReply);
    ASSERT_TRUE(reply);
    ASSERT_EQ(flatbuffers::GetRoot<msg::AuthReply>(reply->payload.data())->result(),
              msg::AuthResult::Ok);
  }
  ASSERT_EQ(write(player, 2, "slot", R"({"mine":1})"), msg::StorageResult::Ok);
  ASSERT_TRUE(pg_eventually(url, "SELECT count(*) FROM storage_objects WHERE version = 1", 1));
  // Another node moves the row on; the player's next write (based on
  // version 1, acknowledged locally) loses when it is flushed.
  pg_exec(url, "UPDATE storage_objects SET value = '{\"theirs\":1}', version = 7");
  ASSERT_EQ(write(player, 3, "slot", R"({"mine":2})"), msg::StorageResult::Ok);
  ASSERT_TRUE(pg_eventually(url, "SELECT count(*) FROM citadel_write_behind_conflicts", 1));
  const int64_t id = pg_query_int(url, "SELECT id FROM citadel_write_behind_conflicts");
  const int64_t owner = pg_query_int(url, "SELECT owner_id FROM citadel_write_behind_conflicts");

  const auto listed = request("GET", "/store/conflicts?limit=10");
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->status, 200) << listed->describe();
  std::string why;
  EXPECT_TRUE(is_json_object(listed->body, &why)) << why << "\n" << listed->body;
  for (const std::string& field :
       {fmt::format(R"("id":{},)", id), std::string(R"("collection":"saves")"),
        std::string(R"("key":"slot")"), fmt::format(R"("owner":{},)", owner),
        std::string(R"("op":"write")"), std::string(R"("value":"{\"mine\":2}")"),
        std::string(R"("base_version":1,)"), std::string(R"("version":2,)"),
        std::string(R"("found_version":7,)"), std::string(R"("next_after":null)")}) {
    EXPECT_NE(listed->body.find(field), std::string::npos) << field << "\n" << listed->body;
  }
  // A full page says where the next one starts; past the last id, nothing.
  const auto page = request("GET", "/store/conflicts?limit=1");
  ASSERT_TRUE(page);
  EXPECT_NE(page->body.find(fmt::format(R"("next_after":{})", id)), std::string::npos)
      << page->body;
  const auto after = request("GET", fmt::format("/store/conflicts?after={}", id));
  ASSERT_TRUE(after);
  EXPECT_NE(after->body.find(R"("conflicts":[])"), std::string::npos) << after->body;

  // The operator's CLI sees the same, and dismisses it; a second dismiss
  // finds nothing (404: the CLI exits 3).
  ToolRun run = cli("conflicts list 5");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find(R"("found_version":7)"), std::string::npos) << run.output;
  run = cli(fmt::format("conflicts dismiss {}", id));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find(fmt::format("conflict {} dismissed", id)), std::string::npos)
      << run.output;
  EXPECT_EQ(pg_query_int(url, "SELECT count(*) FROM citadel_write_behind_conflicts"), 0);
  run = cli(fmt::format("conflicts dismiss {}", id));
  EXPECT_EQ(run.exit_code, 3) << run.output;
  const auto again = request("DELETE", fmt::format("/store/conflicts/{}", id));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 404) << again->describe();

  // Wrong input is refused by name, wrong methods with Allow.
  const auto bad_limit = request("GET", "/store/conflicts?limit=0");
  ASSERT_TRUE(bad_limit);
  EXPECT_EQ(bad_limit->status, 400);
  const auto bad_id = request("DELETE", "/store/conflicts/abc");
  ASSERT_TRUE(bad_id);
  EXPECT_EQ(bad_id->status, 400);
  const auto wrong_method = request("DELETE", "/store/conflicts");
  ASSERT_TRUE(wrong_method);
  EXPECT_EQ(wrong_method->status, 405);
  EXPECT_EQ(wrong_method->header("allow"), "GET");
  const auto wrong_method_id = request("GET", fmt::format("/store/conflicts/{}", id));
  ASSERT_TRUE(wrong_method_id);
  EXPECT_EQ(wrong_method_id->status, 405);
  EXPECT_EQ(wrong_method_id->header("allow"), "DELETE");
}

TEST_F(StoreConflicts, WithoutWriteBehindThePathsAnswer404) {
  ASSERT_NO_FATAL_FAILURE(start(""));
  for (const auto& [method, target] :
       {std::pair{"GET", "/store/conflicts"}, std::pair{"DELETE", "/store/conflicts/1"}}) {
    const auto r = request(method, target);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404) << r->describe();
    EXPECT_NE(r->body.find("store.write_behind.enabled"), std::string::npos) << r->body;
  }
  const ToolRun run = cli("conflicts list");
  EXPECT_EQ(run.exit_code, 3) << run.output;
}

}  // namespace
}  // namespace citadel::test
