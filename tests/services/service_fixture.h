// A real Server with its Services on port 0 (the suite's store backend, see
// test_store.h; token secret in a temp dir; minimum-cost password hashing),
// plus helpers that speak the FlatBuffers messages over a blocking test client.
#pragma once

#include <gtest/gtest.h>

#include <sodium.h>

#include <filesystem>
#include <future>
#include <memory>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include "protocol/auth_generated.h"
#include "protocol/chat_generated.h"
#include "protocol/commands.h"
#include "protocol/verified_payload.h"
#include "server/builtin_handlers.h"
#include "services/services.h"
#include "test_client.h"
#include "test_store.h"

namespace citadel {

using namespace std::chrono_literals;
using test::ReadStatus;
using test::TestClient;
namespace cmd = protocol::cmd;

struct Reply {
  msg::AuthResult result{};
  uint64_t user_id = 0;
  std::string username, token, message;
  bool resumed = false, resync = false;
  uint32_t request_id = 0;
};

class ServiceTest : public ::testing::Test {
 protected:
  void start(uint32_t login_timeout_ms = 0, uint32_t push_frames = 256) {
    dir_ = std::filesystem::temp_directory_path() /
           ("citadel-auth-" + std::to_string(::getpid()) + "-" + std::to_string(++counter_));
    std::filesystem::create_directories(dir_);
    ops::Config config;
    config.server.host = "127.0.0.1";
    config.server.port = 0;
    config.server.threads = 2;
    config.limits.max_connections_per_ip = 0;
    config.limits.login_timeout_ms = login_timeout_ms;
    config.log.level = "warn";
    server_ = std::make_unique<server::Server>(config);
    server::register_builtin_handlers(server_->router());
    services::ServicesConfig sc;
    use_test_store(sc, dir_);
    sc.token_secret_file = (dir_ / "secret").string();
    sc.hasher.ops_limit = crypto_pwhash_OPSLIMIT_MIN;
    sc.hasher.mem_limit_bytes = crypto_pwhash_MEMLIMIT_MIN;
    sc.session.grace = 2s;
    sc.session.push_buffer_frames = push_frames;
    sc.chat = chat_;
    sc.storage = storage_;
    sc.arena = arena_;
    sc.lockstep = lockstep_;
    sc.rooms = rooms_;
    sc.extra_room_types = extra_room_types_;
    sc.leaderboards = leaderboards_;
    sc.recovery = recovery_;
    sc.recovery.path = (dir_ / "recovery.db").string();
    services_ = std::make_unique<services::Services>(*server_, sc);
    server_->start();
    config_ = config;
    services_config_ = sc;
  }
  // Stops the server and starts a new one on the same store and secret (a
  // server restart); clients must connect again.
  void restart() {
    server_->stop();
    services_.reset();
    server_ = std::make_unique<server::Server>(config_);
    server::register_builtin_handlers(server_->router());
    services_ = std::make_unique<services::Services>(*server_, services_config_);
    server_->start();
  }
  void TearDown() override {
    if (server_) server_->stop();
    services_.reset();
    server_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Tests may change these before start().
  services::ChatConfig chat_;
  services::StorageConfig storage_;
  rooms::RoomTypeOptions arena_{};
  rooms::RoomTypeOptions lockstep_{30, 8};
  rooms::RoomsConfig rooms_;
  std::vector<rooms::RoomType> extra_room_types_;
  services::LeaderboardConfig leaderboards_;
  services::RecoveryConfig recovery_;  // off unless a test turns it on

  TestClient connect() {
    TestClient c;
    EXPECT_TRUE(c.connect(server_->port()));
    return c;
  }

  static test::Bytes finish(flatbuffers::FlatBufferBuilder& fbb) {
    return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
  }
  static test::Bytes guest(std::string_view device, uint32_t rid = 1) {
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(msg::CreateGuestLogin(fbb, rid, fbb.CreateString(device.data(), device.size())));
    return finish(fbb);
  }
  static test::Bytes credentials(bool is_register, std::string_view user, std::string_view pw) {
    flatbuffers::FlatBufferBuilder fbb;
    const auto u = fbb.CreateString(user.data(), user.size());
    const auto p = fbb.CreateString(pw.data(), pw.size());
    if (is_register) {
      fbb.Finish(msg::CreateRegister(fbb, 2, u, p));
    } else {
      fbb.Finish(msg::CreateLogin(fbb, 3, u, p));
    }
    return finish(fbb);
  }
  static test::Bytes resume(std::string_view token, uint64_t last_push_id) {
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(
        msg::CreateResume(fbb, 4, fbb.CreateString(token.data(), token.size()), last_push_id));
    return finish(fbb);
  }

  // A new connection logged in as the guest of `device` (the reply is
  // checked Ok; a failed login leaves a default Reply).
  std::pair<TestClient, Reply> guest_login(const std::string& device) {
    TestClient c = connect();
    const auto reply = call(c, cmd::kGuestLogin, guest(device));
    EXPECT_TRUE(reply && reply->result == msg::AuthResult::Ok);
    return {std::move(c), reply.value_or(Reply{})};
  }

  // Sends a request and reads frames until the AuthReply.
  static std::optional<Reply> call(TestClient& c, uint16_t request_cmd, const test::Bytes& payload,
                                   std::chrono::milliseconds timeout = 10s) {
    if (!c.send_frame(request_cmd, payload)) return std::nullopt;
    return read_reply(c, timeout);
  }
  static std::optional<Reply> read_reply(TestClient& c, std::chrono::milliseconds timeout = 10s) {
    const auto r = c.read_frame(timeout);
    if (r.status != ReadStatus::kFrame || r.frame.cmd != cmd::kAuthReply) {
      ADD_FAILURE() << "expected an AuthReply, got " << r.describe();
      return std::nullopt;
    }
    const auto* m = protocol::verified_root<msg::AuthReply>(r.frame.payload);
    if (m == nullptr) {
      ADD_FAILURE() << "AuthReply does not verify";
      return std::nullopt;
    }
    Reply out;
    out.result = m->result();
    out.user_id = m->user_id();
    out.request_id = m->request_id();
    if (m->username()) out.username = m->username()->str();
    if (m->token()) out.token = m->token()->str();
    if (m->message()) out.message = m->message()->str();
    out.resumed = m->resumed();
    out.resync = m->resync_required();
    return out;
  }

  std::filesystem::path dir_;
  std::unique_ptr<server::Server> server_;
  std::unique_ptr<services::Services> services_;
  ops::Config config_;
  services::ServicesConfig services_config_;
  static inline int counter_ = 0;
};

}  // namespace citadel
