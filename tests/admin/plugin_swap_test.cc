// Black box: room types from plugin libraries (tests/plugins, built from the
// template in examples/room-plugin), swapped while rooms run. The real
// `citadel` binary; swaps through POST /plugins/load, a config reload and the
// automatic rollback; clients see which version their room runs in the
// counter's Total message.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <thread>
#include <tuple>

#include "admin_process.h"
#include "counter_generated.h"
#include "fixture.h"
#include "frame_helpers.h"
#include "http_client.h"
#include "protocol/auth_generated.h"
#include "protocol/commands.h"
#include "protocol/rooms_generated.h"

namespace citadel::test {
namespace {

namespace msg = citadel::msg;
namespace cmd = citadel::protocol::cmd;

constexpr uint16_t kAdd = 0x1000;
constexpr uint16_t kTotal = 0x1001;

struct Total {
  int64_t value = -1;
  std::string version;
};

std::optional<Total> next_total(TestClient& c) {
  const auto f = next_of(c, kTotal);
  if (!f) return std::nullopt;
  const auto* t = flatbuffers::GetRoot<example::Total>(f->payload.data());
  return Total{t->value(), t->version() ? t->version()->str() : ""};
}

class Plugins : public testing::Test {
 protected:
  void start(const std::string& extra_yaml = "") {
    ServerOptions o;
    o.config_yaml = "rooms:\n  plugins: [" + std::string(CITADEL_PLUGIN_V1) +
                    "]\n  plugin_rollback_faults: 1\n  plugin_scratch_dir: " + scratch_.string() +
                    "\nlimits:\n  idle_timeout_ms: 60000\n" + extra_yaml;
    std::string why;
    ASSERT_TRUE(start_with_admin(std::move(o), proc_, &why)) << why;
  }
  void TearDown() override { std::filesystem::remove_all(scratch_); }

  HttpResponse post(std::string_view target, std::string body) {
    std::string error;
    auto r = http_post(proc_.admin_port, target, body, 5s, &error);
    EXPECT_TRUE(r.has_value()) << error;
    return r.value_or(HttpResponse{});
  }
  std::string get_body(std::string_view target) {
    std::string error;
    auto r = http_get(proc_.admin_port, target, {}, 5s, &error);
    EXPECT_TRUE(r.has_value()) << error;
    return r ? r->body : std::string();
  }
  // Waits (bounded) until GET `target` holds `needle`.
  bool shows(std::string_view target, std::string_view needle, std::chrono::seconds wait = 10s) {
    const auto deadline = Clock::now() + wait;
    while (Clock::now() < deadline) {
      if (get_body(target).find(needle) != std::string::npos) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }
  // How many private copies of `library` the server process maps (each
  // load maps its own copy; an unloaded one is gone from the maps).
  int mapped_copies_of(const std::string& library) {
    std::ifstream in("/proc/" + std::to_string(proc_.server->pid()) + "/maps");
    const std::string stem = (scratch_ / std::filesystem::path(library).stem()).string() + "-";
    std::set<std::string> files;
    for (std::string line; std::getline(in, line);) {
      const auto at = line.find(stem);
      if (at != std::string::npos) files.insert(line.substr(at));
    }
    return static_cast<int>(files.size());
  }

  TestClient login(const std::string& device) {
    TestClient c;
    EXPECT_TRUE(c.connect(proc_.server->port()));
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(msg::CreateGuestLoginDirect(fbb, 1, device.c_str()));
    EXPECT_TRUE(c.send_frame(cmd::kGuestLogin, bytes_of(fbb)));
    EXPECT_TRUE(next_of(c, cmd::kAuthReply).has_value());
    return c;
  }
  // Joins (or opens) a counter room; returns its id (0 if refused).
  uint64_t join(TestClient& c, uint64_t room_id = 0) {
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(msg::CreateRoomJoinDirect(fbb, 7, "counter", room_id, false));
    EXPECT_TRUE(c.send_frame(cmd::kRoomJoin, bytes_of(fbb)));
    const auto reply = next_of(c, cmd::kRoomReply);
    if (!reply) return 0;
    const auto* r = flatbuffers::GetRoot<msg::RoomReply>(reply->payload.data());
    EXPECT_EQ(r->result(), msg::RoomResult::Ok) << (r->message() ? r->message()->str() : "");
    return r->result() == msg::RoomResult::Ok ? r->room_id() : 0;
  }
  void add(TestClient& c, int amount) {
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(example::CreateAdd(fbb, amount));
    EXPECT_TRUE(c.send_frame(kAdd, bytes_of(fbb)));
  }
  void leave(TestClient& c) {
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(msg::CreateRoomLeave(fbb, 8));
    EXPECT_TRUE(c.send_frame(cmd::kRoomLeave, bytes_of(fbb)));
    EXPECT_TRUE(next_of(c, cmd::kRoomReply).has_value());
  }

  const std::filesystem::path scratch_ = std::filesystem::temp_directory_path() /
                                         ("citadel-plugin-test-" + std::to_string(::getpid()));
  AdminServerProcess proc_;
};

TEST_F(Plugins, ASwapUnderLoadSendsNewRoomsToTheNewVersionWhileOpenRoomsFinishOnTheirs) {
  start();
  // A full room of four on version 1, each player adding while the swap
  // happens: none of them may notice it.
  std::vector<TestClient> old_room;
  uint64_t old_id = 0;
  for (int i = 0; i < 4; ++i) {
    old_room.push_back(login("plugin-old-" + std::to_string(i)));
    const uint64_t id = join(old_room.back());
    ASSERT_NE(id, 0u);
    if (old_id == 0) old_id = id;
    EXPECT_EQ(id, old_id);
  }
  for (auto& c : old_room) {
    const auto t = next_total(c);  // on_sync after joining
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->version, "1.0.0");
  }
  std::atomic<bool> swapping{true};
  std::atomic<int> sent{0};
  std::thread load([&] {
    // Inputs flow from the first player throughout the swap.
    while (swapping.load()) {
      add(old_room[0], 1);
      ++sent;
      std::this_thread::sleep_for(5ms);
    }
  });
  const HttpResponse swapped = post("/plugins/load", CITADEL_PLUGIN_V2);
  std::this_thread::sleep_for(50ms);  // a few more inputs after the swap (load, not sync)
  swapping = false;
  load.join();
  ASSERT_EQ(swapped.status, 200) << swapped.describe();
  EXPECT_NE(swapped.body.find("1.0.0 -> 2.0.0"), std::string::npos) << swapped.body;

  // Every input counted, by version 1, for every player in the old room.
  for (auto& c : old_room) {
    Total last;
    while (last.value < sent.load()) {
      const auto t = next_total(c);
      ASSERT_TRUE(t.has_value()) << "stopped at " << last.value << " of " << sent.load();
      EXPECT_EQ(t->version, "1.0.0");
      last = *t;
    }
    EXPECT_EQ(last.value, sent.load());
  }

  // A newcomer opens a room on version 2 (the old room is full anyway, and
  // join-or-create never fills a room on an older version).
  TestClient newcomer = login("plugin-new");
  const uint64_t new_id = join(newcomer);
  ASSERT_NE(new_id, 0u);
  EXPECT_NE(new_id, old_id);
  auto t = next_total(newcomer);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->version, "2.0.0");
  add(newcomer, 3);
  t = next_total(newcomer);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->value, 3);
  EXPECT_EQ(t->version, "2.0.0");

  // Both versions loaded while the old room runs.
  EXPECT_EQ(mapped_copies_of(CITADEL_PLUGIN_V1), 1);
  EXPECT_EQ(mapped_copies_of(CITADEL_PLUGIN_V2), 1);
  // Swapping back loads version 1 anew (a private copy); the first copy is
  // unloaded once nothing holds it: not the registry (2.0.0 is the previous
  // version now) and not its last room, which closes when emptied.
  for (auto& c : old_room) leave(c);
  const HttpResponse back = post("/plugins/load", CITADEL_PLUGIN_V1);
  ASSERT_EQ(back.status, 200) << back.describe();
  EXPECT_TRUE(shows("/plugins", R"("unloaded":1)")) << get_body("/plugins");
  EXPECT_NE(get_body("/plugins")
                .find(R"("version":"1.0.0","path":")" + std::string(CITADEL_PLUGIN_V1) +
                      R"(","loaded":false)"),
            std::string::npos);
  EXPECT_EQ(mapped_copies_of(CITADEL_PLUGIN_V1), 1);
  EXPECT_EQ(mapped_copies_of(CITADEL_PLUGIN_V2), 1);
  EXPECT_NE(get_body("/metrics").find("citadel_plugin_swaps_total 2"), std::string::npos);
}

TEST_F(Plugins, AVersionThatHandsOverTakesOverOpenRoomsBetweenTwoTicks) {
  start();
  TestClient a = login("handover-a");
  TestClient b = login("handover-b");
  const uint64_t room = join(a);
  ASSERT_NE(room, 0u);
  ASSERT_EQ(join(b), room);
  for (TestClient* c : {&a, &b}) {
    const auto t = next_total(*c);
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->version, "1.0.0");
  }
  add(a, 5);
  for (TestClient* c : {&a, &b}) {
    Total t;
    while (t.value < 5) {
      const auto next = next_total(*c);
      ASSERT_TRUE(next.has_value());
      t = *next;
    }
    EXPECT_EQ(t.version, "1.0.0");
  }
  const HttpResponse swapped = post("/plugins/load", CITADEL_PLUGIN_V2_HANDOVER);
  ASSERT_EQ(swapped.status, 200) << swapped.describe();
  // The same room, the same connections: the next Total comes from the new
  // version with the total the old one had.
  for (TestClient* c : {&a, &b}) {
    const auto t = next_total(*c);
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->version, "2.0.0-handover");
    EXPECT_EQ(t->value, 5);
  }
  add(b, 3);
  for (TestClient* c : {&a, &b}) {
    const auto t = next_total(*c);
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->version, "2.0.0-handover");
    EXPECT_EQ(t->value, 8);
  }
  EXPECT_TRUE(proc_.server->wait_for_output(
      "room " + std::to_string(room) + " (counter): handed over from 1.0.0 to 2.0.0-handover", 5s));
  // Its inputs are checked by the version it runs now: still 1 to 10.
  add(a, 11);
  const auto refused = next_of(a, cmd::kError);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->error_code(), static_cast<uint16_t>(wire::ErrorCode::kBadPayload));
  EXPECT_NE(refused->error_text().find("amount: 1 to 10"), std::string::npos)
      << refused->error_text();
}

TEST_F(Plugins, AFaultingVersionIsRolledBackAutomatically) {
  start();
  const HttpResponse swapped = post("/plugins/load", CITADEL_PLUGIN_FAULTY);
  ASSERT_EQ(swapped.status, 200) << swapped.describe();
  TestClient victim = login("plugin-victim");
  ASSERT_NE(join(victim), 0u);
  add(victim, 1);  // throws in the faulty build: the room closes
  ASSERT_TRUE(shows("/plugins", R"("automatic_rollbacks":1)")) << get_body("/plugins");
  const std::string status = get_body("/plugins");
  EXPECT_NE(status.find(R"("name":"counter","input_cmd":4096,"version":"1.0.0")"),
            std::string::npos)
      << status;
  EXPECT_NE(status.find("rolled back: automatic: 1 of its 1 rooms faulted"), std::string::npos)
      << status;
  EXPECT_TRUE(proc_.server->wait_for_output("rolled back 3.0.0-faulty -> 1.0.0", 5s));
  // New rooms run the previous version again; the server serves on.
  TestClient next = login("plugin-after-rollback");
  ASSERT_NE(join(next), 0u);
  const auto t = next_total(next);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->version, "1.0.0");
  EXPECT_NE(get_body("/metrics").find("citadel_plugin_automatic_rollbacks_total 1"),
            std::string::npos);
}

TEST_F(Plugins, ARefusedLibraryChangesNothingAndSaysWhy) {
  start();
  const std::pair<const char*, const char*> refused[] = {
      {CITADEL_PLUGIN_BAD_FACTORY, "its create function threw: this factory always throws"},
      {CITADEL_PLUGIN_BAD_SDK, "built against room SDK version 3, this server loads 1 to 2"},
      {CITADEL_PLUGIN_NO_ENTRY, "no citadel_room_plugin symbol"},
      {"/no/such/plugin.so", "no such file"},
  };
  for (const auto& [path, why] : refused) {
    const HttpResponse r = post("/plugins/load", path);
    EXPECT_EQ(r.status, 422) << r.describe();
    EXPECT_NE(r.body.find(why), std::string::npos) << r.body;
  }
  const std::string status = get_body("/plugins");
  EXPECT_NE(status.find(R"("version":"1.0.0")"), std::string::npos) << status;
  EXPECT_NE(status.find(R"("swaps":0,"rollbacks":0,"automatic_rollbacks":0,"load_failures":4)"),
            std::string::npos)
      << status;
  // No previous version to roll back to, and no such type.
  EXPECT_EQ(post("/plugins/rollback", "counter").status, 422);
  EXPECT_EQ(post("/plugins/rollback", "nope").status, 422);
  TestClient c = login("plugin-refused");
  ASSERT_NE(join(c), 0u);
  const auto t = next_total(c);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->version, "1.0.0");
}

TEST_F(Plugins, AConfigReloadSwapsToTheListedLibraryAndRollbackUndoesIt) {
  start();
  {
    std::ofstream out(proc_.server->config_path(), std::ios::trunc);
    out << "rooms:\n  plugins: [" << CITADEL_PLUGIN_V2 << "]\n  plugin_rollback_faults: 1\n"
        << "  plugin_scratch_dir: " << scratch_.string() << "\nlimits:\n  idle_timeout_ms: 60000\n";
  }
  const HttpResponse r = post("/config/reload", "");
  ASSERT_EQ(r.status, 200) << r.describe();
  ASSERT_TRUE(shows("/plugins", R"("version":"2.0.0","path")")) << get_body("/plugins");
  TestClient c = login("plugin-reload");
  ASSERT_NE(join(c), 0u);
  auto t = next_total(c);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->version, "2.0.0");

  const HttpResponse back = post("/plugins/rollback", "counter\n");
  ASSERT_EQ(back.status, 200) << back.describe();
  EXPECT_NE(back.body.find("2.0.0 -> 1.0.0"), std::string::npos) << back.body;
  TestClient d = login("plugin-rolled-back");
  ASSERT_NE(join(d), 0u);
  t = next_total(d);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->version, "1.0.0");
  // GET only on /plugins, POST only on its actions.
  std::string error;
  const auto wrong = http_get(proc_.admin_port, "/plugins/load", {}, 5s, &error);
  ASSERT_TRUE(wrong.has_value()) << error;
  EXPECT_EQ(wrong->status, 405);
}

// The operator's CLI: citadel-cli --admin runs one admin command and exits
// with what the admin port said.
TEST_F(Plugins, TheCliListsLoadsAndRollsBack) {
  start();
  const auto cli = [&](const std::string& args) {
    const std::string line = std::string(CITADEL_CLI_BIN) +
                             " --admin 127.0.0.1:" + std::to_string(proc_.admin_port) + " " + args +
                             " 2>&1";
    std::string out;
    FILE* p = ::popen(line.c_str(), "r");
    EXPECT_NE(p, nullptr);
    if (p == nullptr) return std::pair{-1, out};
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
    const int status = ::pclose(p);
    return std::pair{WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
  };
  auto [code, out] = cli("plugins list");
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find(R"("name":"counter")"), std::string::npos) << out;
  std::tie(code, out) = cli(std::string("plugins load ") + CITADEL_PLUGIN_V2);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("counter: 1.0.0 -> 2.0.0"), std::string::npos) << out;
  std::tie(code, out) = cli(std::string("plugins load ") + CITADEL_PLUGIN_NO_ENTRY);
  EXPECT_EQ(code, 3) << out;  // refused: 422, the reason on stdout
  EXPECT_NE(out.find("no citadel_room_plugin symbol"), std::string::npos) << out;
  std::tie(code, out) = cli("plugins rollback counter");
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("2.0.0 -> 1.0.0"), std::string::npos) << out;
  std::tie(code, out) = cli("plugins frobnicate");
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("plugins list | plugins load PATH"), std::string::npos) << out;
}

}  // namespace
}  // namespace citadel::test
