// Black box: what the server acknowledged survives kill -9 right after the
// acknowledgement. The real `citadel` binary on SQLite in a temp dir; a
// client waits for the reply, the server is SIGKILLed at once (no drain, no
// destructors), and a new process on the same files must still have it: a
// registered account, a chat message, a storage object, a leaderboard score.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>

#include "fixture.h"
#include "frame_helpers.h"
#include "protocol/auth_generated.h"
#include "protocol/chat_generated.h"
#include "protocol/commands.h"
#include "protocol/leaderboard_generated.h"
#include "protocol/storage_generated.h"
#include "server_process.h"

namespace citadel::test {
namespace {

namespace msg = citadel::msg;
namespace cmd = citadel::protocol::cmd;

class Durability : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("citadel-durability-" + std::to_string(::getpid()) + "-" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }
  // A server on this test's files (the same on every start).
  void start() {
    ServerOptions o;
    o.config_yaml = "store:\n  path: " + (dir_ / "citadel.db").string() +
                    "\nauth:\n  token_secret_file: " + (dir_ / "citadel.secret").string() +
                    "\ncrash:\n  enabled: false\nrecovery:\n  enabled: false\nleaderboards:\n  "
                    "boards: [{id: durable}]\n";
    server_ = std::make_unique<ServerProcess>(o);
    std::string why;
    ASSERT_TRUE(server_->start(&why)) << why;
  }
  // SIGKILL: nothing after the reply runs, not even a destructor.
  void kill_now() {
    const auto status = server_->stop(SIGKILL, 5s);
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(status->signal, SIGKILL);
    server_.reset();
  }
  TestClient connect() {
    TestClient c;
    EXPECT_TRUE(c.connect(server_->port()));
    return c;
  }
  msg::AuthResult auth(TestClient& c, uint16_t command, const char* user, const char* password) {
    flatbuffers::FlatBufferBuilder fbb;
    if (command == cmd::kRegister) {
      fbb.Finish(msg::CreateRegisterDirect(fbb, 1, user, password));
    } else {
      fbb.Finish(msg::CreateLoginDirect(fbb, 1, user, password));
    }
    EXPECT_TRUE(c.send_frame(command, bytes_of(fbb)));
    const auto reply = next_of(c, cmd::kAuthReply);
    if (!reply) return msg::AuthResult::InternalError;
    return flatbuffers::GetRoot<msg::AuthReply>(reply->payload.data())->result();
  }
  // A registered player on a new connection.
  TestClient player(const char* user, bool register_first) {
    TestClient c = connect();
    EXPECT_EQ(auth(c, register_first ? cmd::kRegister : cmd::kLogin, user, "durable-pass-1"),
              msg::AuthResult::Ok);
    return c;
  }

  std::filesystem::path dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(Durability, AnAccountRegisteredIsThereAfterKill9) {
  start();
  { TestClient c = player("kill9-user", true); }
  kill_now();
  start();
  TestClient c = connect();
  EXPECT_EQ(auth(c, cmd::kLogin, "kill9-user", "durable-pass-1"), msg::AuthResult::Ok);
}

TEST_F(Durability, AChatMessageAcknowledgedIsInTheHistoryAfterKill9) {
  start();
  {
    TestClient c = player("kill9-chat", true);
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(msg::CreateChatCreateDirect(fbb, 2, "durable"));
    ASSERT_TRUE(c.send_frame(cmd::kChatCreate, bytes_of(fbb)));
    ASSERT_TRUE(next_of(c, cmd::kChatReply).has_value());
    fbb.Clear();
    fbb.Finish(msg::CreateChatSendDirect(fbb, 3, "durable", "said before the crash"));
    ASSERT_TRUE(c.send_frame(cmd::kChatSend, bytes_of(fbb)));
    std::optional<Frame> reply;
    while ((reply = next_of(c, cmd::kChatReply))) {
      const auto* r = flatbuffers::GetRoot<msg::ChatReply>(reply->payload.data());
      if (r->request_id() != 3) continue;
      ASSERT_EQ(r->result(), msg::ChatResult::Ok);
      break;
    }
    ASSERT_TRUE(reply.has_value());
    kill_now();  // right after the acknowledgement
  }
  start();
  TestClient c = player("kill9-chat", false);
  flatbuffers::FlatBufferBuilder fbb;
  // A named channel exists while it has members: after the restart it is
  // made again, and its history comes from the store.
  fbb.Finish(msg::CreateChatCreateDirect(fbb, 4, "durable"));
  ASSERT_TRUE(c.send_frame(cmd::kChatCreate, bytes_of(fbb)));
  const auto reply = next_of(c, cmd::kChatReply);
  ASSERT_TRUE(reply.has_value());
  const auto* r = flatbuffers::GetRoot<msg::ChatReply>(reply->payload.data());
  ASSERT_EQ(r->result(), msg::ChatResult::Ok);
  ASSERT_NE(r->history(), nullptr);
  bool found = false;
  for (const auto* m : *r->history()) {
    if (m->text() != nullptr && m->text()->str() == "said before the crash") found = true;
  }
  EXPECT_TRUE(found);
}

TEST_F(Durability, AStorageWriteAcknowledgedIsReadBackAfterKill9) {
  start();
  {
    TestClient c = player("kill9-storage", true);
    flatbuffers::FlatBufferBuilder fbb;
    std::vector<flatbuffers::Offset<msg::StorageWriteItem>> items{
        msg::CreateStorageWriteItemDirect(fbb, "saves", "slot1", R"({"level":7})")};
    fbb.Finish(msg::CreateStorageWrite(fbb, 5, fbb.CreateVector(items)));
    ASSERT_TRUE(c.send_frame(cmd::kStorageWrite, bytes_of(fbb)));
    const auto reply = next_of(c, cmd::kStorageReply);
    ASSERT_TRUE(reply.has_value());
    ASSERT_EQ(flatbuffers::GetRoot<msg::StorageReply>(reply->payload.data())->result(),
              msg::StorageResult::Ok);
    kill_now();
  }
  start();
  TestClient c = player("kill9-storage", false);
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<msg::StorageObjectId>> ids{
      msg::CreateStorageObjectIdDirect(fbb, "saves", "slot1", 0)};
  fbb.Finish(msg::CreateStorageRead(fbb, 6, fbb.CreateVector(ids)));
  ASSERT_TRUE(c.send_frame(cmd::kStorageRead, bytes_of(fbb)));
  const auto reply = next_of(c, cmd::kStorageReply);
  ASSERT_TRUE(reply.has_value());
  const auto* r = flatbuffers::GetRoot<msg::StorageReply>(reply->payload.data());
  ASSERT_EQ(r->result(), msg::StorageResult::Ok);
  ASSERT_NE(r->objects(), nullptr);
  ASSERT_EQ(r->objects()->size(), 1u);
  EXPECT_EQ(r->objects()->Get(0)->value()->str(), R"({"level":7})");
}

TEST_F(Durability, ALeaderboardScoreAcknowledgedIsRankedAfterKill9) {
  start();
  {
    TestClient c = player("kill9-score", true);
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(msg::CreateLeaderboardSubmitDirect(fbb, 7, "durable", 4242, 0));
    ASSERT_TRUE(c.send_frame(cmd::kLeaderboardSubmit, bytes_of(fbb)));
    const auto reply = next_of(c, cmd::kLeaderboardReply);
    ASSERT_TRUE(reply.has_value());
    ASSERT_EQ(flatbuffers::GetRoot<msg::LeaderboardReply>(reply->payload.data())->result(),
              msg::LeaderboardResult::Ok);
    kill_now();
  }
  start();
  TestClient c = player("kill9-score", false);
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(msg::CreateLeaderboardTopDirect(fbb, 8, "durable", 10));
  ASSERT_TRUE(c.send_frame(cmd::kLeaderboardTop, bytes_of(fbb)));
  const auto reply = next_of(c, cmd::kLeaderboardReply);
  ASSERT_TRUE(reply.has_value());
  const auto* r = flatbuffers::GetRoot<msg::LeaderboardReply>(reply->payload.data());
  ASSERT_EQ(r->result(), msg::LeaderboardResult::Ok);
  ASSERT_NE(r->records(), nullptr);
  ASSERT_EQ(r->records()->size(), 1u);
  EXPECT_EQ(r->records()->Get(0)->score(), 4242);
  EXPECT_EQ(r->records()->Get(0)->username()->str(), "kill9-score");
}

}  // namespace
}  // namespace citadel::test
