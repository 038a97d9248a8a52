// Accounts and sessions end to end: a real Server with its Services, a real
// SQLite file, real sockets. Password hashing runs at libsodium's minimum
// cost here so the suite stays fast.
#include "service_fixture.h"

namespace citadel {
namespace {

using AuthTest = ServiceTest;

TEST_F(AuthTest, GuestLoginCreatesAnAccountOnceAndTheSameDeviceIsTheSameUser) {
  start();
  TestClient a = connect();
  const auto first = call(a, cmd::kGuestLogin, guest("device-0001", 7));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->result, msg::AuthResult::Ok) << first->message;
  EXPECT_EQ(first->request_id, 7u);
  EXPECT_NE(first->user_id, 0u);
  EXPECT_FALSE(first->token.empty());
  EXPECT_EQ(first->username, "guest-" + std::to_string(first->user_id));

  TestClient b = connect();
  const auto other = call(b, cmd::kGuestLogin, guest("device-0002"));
  ASSERT_TRUE(other);
  EXPECT_NE(other->user_id, first->user_id);
  a.close();
  TestClient c = connect();
  const auto again = call(c, cmd::kGuestLogin, guest("device-0001"));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->user_id, first->user_id);
}

TEST_F(AuthTest, BadRequestsGetSpecificResultsAndTheConnectionStays) {
  start();
  TestClient c = connect();
  EXPECT_EQ(call(c, cmd::kGuestLogin, guest("short"))->result, msg::AuthResult::InvalidDeviceId);
  // Text every backend can store: no NUL, no malformed UTF-8.
  using namespace std::string_view_literals;
  EXPECT_EQ(call(c, cmd::kGuestLogin, guest("device\0nul-01"sv))->result,
            msg::AuthResult::InvalidDeviceId);
  EXPECT_EQ(call(c, cmd::kGuestLogin, guest("device-\xC0\xAF-01"))->result,
            msg::AuthResult::InvalidDeviceId);
  EXPECT_EQ(call(c, cmd::kRegister, credentials(true, "a!", "longenough"))->result,
            msg::AuthResult::InvalidUsername);
  EXPECT_EQ(call(c, cmd::kRegister, credentials(true, "guest-7", "longenough"))->result,
            msg::AuthResult::InvalidUsername);
  EXPECT_EQ(call(c, cmd::kRegister, credentials(true, "alice", "short"))->result,
            msg::AuthResult::WeakPassword);
  // Not a FlatBuffer at all: ERROR 8 naming the cmd, connection open.
  ASSERT_TRUE(c.send_frame(cmd::kGuestLogin, std::string_view("\xff\xff\xff\x7f garbage")));
  const auto r = c.read_frame(5s);
  ASSERT_EQ(r.status, ReadStatus::kFrame);
  EXPECT_EQ(r.frame.error_code(), static_cast<uint16_t>(protocol::ErrorCode::kBadPayload));
  EXPECT_NE(r.frame.error_text().find("0x0100"), std::string::npos) << r.frame.error_text();
  EXPECT_TRUE(c.ping());
}

TEST_F(AuthTest, RegisterThenLoginWithThePasswordAndNotWithoutIt) {
  start();
  TestClient a = connect();
  const auto reg = call(a, cmd::kRegister, credentials(true, "Alice", "correct horse"));
  ASSERT_TRUE(reg);
  ASSERT_EQ(reg->result, msg::AuthResult::Ok) << reg->message;
  EXPECT_EQ(reg->username, "Alice");
  EXPECT_EQ(call(a, cmd::kLogin, credentials(false, "alice", "correct horse"))->result,
            msg::AuthResult::AlreadyLoggedIn);

  TestClient b = connect();
  EXPECT_EQ(call(b, cmd::kRegister, credentials(true, "ALICE", "another one"))->result,
            msg::AuthResult::UsernameTaken);
  EXPECT_EQ(call(b, cmd::kLogin, credentials(false, "alice", "wrong horse"))->result,
            msg::AuthResult::BadCredentials);
  EXPECT_EQ(call(b, cmd::kLogin, credentials(false, "nobody", "whatever1"))->result,
            msg::AuthResult::BadCredentials);
  const auto ok = call(b, cmd::kLogin, credentials(false, "alice", "correct horse"));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->result, msg::AuthResult::Ok);
  EXPECT_EQ(ok->user_id, reg->user_id);
}

TEST_F(AuthTest, FailedLoginsAreRateLimitedPerAccount) {
  start();
  TestClient a = connect();
  ASSERT_EQ(call(a, cmd::kRegister, credentials(true, "bob", "right password"))->result,
            msg::AuthResult::Ok);
  TestClient b = connect();
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(call(b, cmd::kLogin, credentials(false, "bob", "wrong password"))->result,
              msg::AuthResult::BadCredentials);
  }
  // The limit holds even for the right password, until the window passes.
  EXPECT_EQ(call(b, cmd::kLogin, credentials(false, "bob", "right password"))->result,
            msg::AuthResult::RateLimited);
}

TEST_F(AuthTest, SecondLoginTakesOverAndTheOldConnectionIsToldAndClosed) {
  start();
  TestClient a = connect();
  const auto first = call(a, cmd::kGuestLogin, guest("device-takeover"));
  ASSERT_EQ(first->result, msg::AuthResult::Ok);
  TestClient b = connect();
  const auto second = call(b, cmd::kGuestLogin, guest("device-takeover"));
  ASSERT_EQ(second->result, msg::AuthResult::Ok);
  EXPECT_EQ(second->user_id, first->user_id);
  const auto told = a.read_frame(5s);
  ASSERT_EQ(told.status, ReadStatus::kFrame) << told.describe();
  EXPECT_EQ(told.frame.error_code(),
            static_cast<uint16_t>(protocol::ErrorCode::kLoggedInElsewhere));
  EXPECT_TRUE(a.wait_closed(5s));
  EXPECT_TRUE(b.ping());
  // The old token names the replaced session.
  TestClient c = connect();
  EXPECT_EQ(call(c, cmd::kResume, resume(first->token, 0))->result, msg::AuthResult::SessionGone);
}

TEST_F(AuthTest, ResumeWithinGraceGetsTheSameUserAndBadTokensAreRefused) {
  start();
  TestClient a = connect();
  const auto login = call(a, cmd::kGuestLogin, guest("device-resume"));
  ASSERT_EQ(login->result, msg::AuthResult::Ok);
  a.close();
  TestClient b = connect();
  EXPECT_EQ(call(b, cmd::kResume, resume("v1.1.1.99999999999999.AAAA", 0))->result,
            msg::AuthResult::TokenInvalid);
  std::string tampered = login->token;
  tampered[3] = tampered[3] == '9' ? '8' : '9';  // another user id, same signature
  EXPECT_EQ(call(b, cmd::kResume, resume(tampered, 0))->result, msg::AuthResult::TokenInvalid);
  const auto resumed = call(b, cmd::kResume, resume(login->token, 0));
  ASSERT_TRUE(resumed);
  EXPECT_EQ(resumed->result, msg::AuthResult::Ok) << resumed->message;
  EXPECT_TRUE(resumed->resumed);
  EXPECT_FALSE(resumed->resync);
  EXPECT_EQ(resumed->user_id, login->user_id);
}

TEST_F(AuthTest, LogoutEndsTheSessionAndAPipelinedLoginOnTheSameConnectionSucceeds) {
  start();
  TestClient a = connect();
  const auto first = call(a, cmd::kGuestLogin, guest("device-logout-1"));
  ASSERT_EQ(first->result, msg::AuthResult::Ok);
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(msg::CreateLogout(fbb, 5));
  const test::Bytes logout(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
  // Logout and the next login written together, as a load generator does.
  ASSERT_TRUE(a.send_frame(cmd::kLogout, logout));
  const auto bye = call(a, cmd::kGuestLogin, guest("device-logout-2", 6));
  ASSERT_TRUE(bye);
  EXPECT_EQ(bye->request_id, 5u);
  EXPECT_EQ(bye->result, msg::AuthResult::Ok);
  const auto r = a.read_frame(5s);
  ASSERT_EQ(r.status, ReadStatus::kFrame);
  const auto* second = protocol::verified_root<msg::AuthReply>(r.frame.payload);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(second->request_id(), 6u);
  EXPECT_EQ(second->result(), msg::AuthResult::Ok);
  EXPECT_NE(second->user_id(), first->user_id);
  // The first session ended at once: its token no longer resumes.
  TestClient b = connect();
  EXPECT_EQ(call(b, cmd::kResume, resume(first->token, 0))->result, msg::AuthResult::SessionGone);
  // Logout needs a login.
  TestClient c = connect();
  ASSERT_TRUE(c.send_frame(cmd::kLogout, logout));
  const auto refused = c.read_frame(5s);
  ASSERT_EQ(refused.status, ReadStatus::kFrame);
  EXPECT_EQ(refused.frame.error_code(),
            static_cast<uint16_t>(protocol::ErrorCode::kNotAuthenticated));
}

TEST_F(AuthTest, SessionEndsWhenTheGracePeriodPasses) {
  start();
  TestClient a = connect();
  const auto login = call(a, cmd::kGuestLogin, guest("device-grace"));
  a.close();
  std::this_thread::sleep_for(3500ms);  // grace 2 s + the 1 s sweep; nothing to poll from outside
  TestClient b = connect();
  EXPECT_EQ(call(b, cmd::kResume, resume(login->token, 0))->result, msg::AuthResult::SessionGone);
}

TEST_F(AuthTest, ResumeDeliversMissedPushesInOrderOrSaysResync) {
  start(0, /*push_frames=*/3);
  TestClient a = connect();
  const auto login = call(a, cmd::kGuestLogin, guest("device-pushes"));
  const uint64_t user = login->user_id;
  a.close();
  // The session notices a disconnect on the service loop: poll for it.
  auto wait_detached = [&] {
    for (int tries = 0; tries < 100; ++tries) {
      std::promise<bool> detached;
      server_->service_loop().post(
          [&] { detached.set_value(!services_->sessions().find_in_loop(user)->attached()); });
      if (detached.get_future().get()) return;
      std::this_thread::sleep_for(10ms);
    }
    FAIL() << "session never detached";
  };
  auto push = [&](int n) {
    std::promise<void> done;
    server_->service_loop().post([&] {
      auto& sessions = services_->sessions();
      for (int i = 0; i < n; ++i) {
        const uint64_t id = sessions.next_push_id_in_loop();
        const std::string text = "push-" + std::to_string(id);
        sessions.push_in_loop(
            {user}, id,
            server::make_shared_frame(
                0x0999, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()),
                                                 text.size())));
      }
      done.set_value();
    });
    done.get_future().wait();
  };
  wait_detached();
  push(2);
  TestClient b = connect();
  const auto resumed = call(b, cmd::kResume, resume(login->token, 0));
  ASSERT_EQ(resumed->result, msg::AuthResult::Ok);
  EXPECT_FALSE(resumed->resync);
  std::vector<std::string> got;
  for (int i = 0; i < 2; ++i) {
    const auto r = b.read_frame(5s);
    ASSERT_EQ(r.status, ReadStatus::kFrame);
    got.emplace_back(r.frame.payload.begin(), r.frame.payload.end());
  }
  EXPECT_EQ(got, (std::vector<std::string>{"push-1", "push-2"}));

  // Now overflow the 3-frame buffer while detached: resume must say resync.
  b.close();
  wait_detached();
  push(4);  // ids 3..6 into a 3-frame buffer: 3 is evicted
  TestClient c = connect();
  const auto again = call(c, cmd::kResume, resume(resumed->token, 2));
  ASSERT_EQ(again->result, msg::AuthResult::Ok);
  EXPECT_TRUE(again->resync) << "push 3 was evicted before the client saw it";
}

TEST_F(AuthTest, LoginDeadlineClosesOnlyConnectionsThatDidNotLogIn) {
  start(/*login_timeout_ms=*/400);
  TestClient idle = connect();
  TestClient user = connect();
  ASSERT_EQ(call(user, cmd::kGuestLogin, guest("device-deadline"))->result, msg::AuthResult::Ok);
  const auto r = idle.read_frame(5s);
  ASSERT_EQ(r.status, ReadStatus::kFrame) << r.describe();
  EXPECT_EQ(r.frame.error_code(), static_cast<uint16_t>(protocol::ErrorCode::kLoginTimeout));
  EXPECT_TRUE(idle.wait_closed(5s));
  EXPECT_TRUE(user.ping());
}

TEST_F(AuthTest, ABurstOfGuestLoginsFromManyConnectionsAllSucceed) {
  start();
  constexpr int kClients = 300;
  std::vector<TestClient> clients(kClients);
  for (int i = 0; i < kClients; ++i) {
    ASSERT_TRUE(clients[i].connect(server_->port()));
    ASSERT_TRUE(
        clients[i].send_frame(cmd::kGuestLogin, guest("burst-device-" + std::to_string(i))));
  }
  std::set<uint64_t> users;
  for (auto& c : clients) {
    const auto reply = read_reply(c);
    ASSERT_TRUE(reply);
    ASSERT_EQ(reply->result, msg::AuthResult::Ok) << reply->message;
    users.insert(reply->user_id);
  }
  EXPECT_EQ(users.size(), static_cast<std::size_t>(kClients));
}

}  // namespace
}  // namespace citadel
