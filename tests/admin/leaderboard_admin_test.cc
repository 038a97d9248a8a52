// Black box: the real `citadel` binary's leaderboard admin API. A player
// submits over the game port; DELETE /leaderboards/{board}/records/{user}
// on the admin port deletes the record (200), then finds none (404), and
// the player's own read says NotRanked.
#include <flatbuffers/flatbuffers.h>
#include <gtest/gtest.h>

#include <string>

#include "admin_process.h"
#include "fixture.h"
#include "frame_helpers.h"
#include "http_client.h"
#include "protocol/auth_generated.h"
#include "protocol/commands.h"
#include "protocol/leaderboard_generated.h"
#include "protocol/verified_payload.h"

namespace citadel::test {
namespace {

namespace cmd = protocol::cmd;

msg::LeaderboardResult result_of(TestClient& c) {
  const auto f = next_of(c, cmd::kLeaderboardReply, 10s);
  if (!f) {
    ADD_FAILURE() << "no LeaderboardReply";
    return msg::LeaderboardResult::InternalError;
  }
  const auto* m = protocol::verified_root<msg::LeaderboardReply>(f->payload);
  return m != nullptr ? m->result() : msg::LeaderboardResult::InternalError;
}

std::optional<HttpResponse> http_delete(uint16_t port, std::string_view target) {
  HttpClient c;
  if (!c.connect(port)) return std::nullopt;
  if (!c.send(request_text("DELETE", target, {"Content-Length: 0"}))) return std::nullopt;
  return c.read_response(5s);
}

TEST(LeaderboardAdminBinary, DeleteARecordOverTheAdminApi) {
  ServerOptions options;
  options.config_yaml =
      "leaderboards:\n"
      "  boards:\n"
      "    - {id: season/1, sort: desc, operator: best}\n";
  AdminServerProcess proc;
  std::string why;
  ASSERT_TRUE(start_with_admin(options, proc, &why)) << why;
  TestClient player;
  ASSERT_TRUE(player.connect(proc.server->port()));
  flatbuffers::FlatBufferBuilder login;
  login.Finish(msg::CreateGuestLogin(login, 1, login.CreateString("lb-admin-binary")));
  ASSERT_TRUE(player.send_frame(cmd::kGuestLogin, bytes_of(login)));
  const auto auth = next_of(player, cmd::kAuthReply, 10s);
  ASSERT_TRUE(auth) << "no AuthReply";
  const auto* reply = protocol::verified_root<msg::AuthReply>(auth->payload);
  ASSERT_TRUE(reply != nullptr && reply->result() == msg::AuthResult::Ok);
  const std::string user = std::to_string(reply->user_id());
  flatbuffers::FlatBufferBuilder submit;
  submit.Finish(msg::CreateLeaderboardSubmit(submit, 2, submit.CreateString("season/1"), 42, 0));
  ASSERT_TRUE(player.send_frame(cmd::kLeaderboardSubmit, bytes_of(submit)));
  ASSERT_EQ(result_of(player), msg::LeaderboardResult::Ok);

  // The board id holds a '/': percent-encoded in the path.
  const std::string target = "/leaderboards/season%2F1/records/" + user;
  const auto deleted = http_delete(proc.admin_port, target);
  ASSERT_TRUE(deleted);
  EXPECT_EQ(deleted->status, 200) << deleted->body;
  EXPECT_EQ(deleted->body, "board 'season/1', user " + user + ": record deleted\n");
  const auto again = http_delete(proc.admin_port, target);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 404) << again->body;
  const auto no_board = http_delete(proc.admin_port, "/leaderboards/nope/records/" + user);
  ASSERT_TRUE(no_board);
  EXPECT_EQ(no_board->status, 404) << no_board->body;

  flatbuffers::FlatBufferBuilder mine;
  mine.Finish(msg::CreateLeaderboardMine(mine, 3, mine.CreateString("season/1")));
  ASSERT_TRUE(player.send_frame(cmd::kLeaderboardMine, bytes_of(mine)));
  EXPECT_EQ(result_of(player), msg::LeaderboardResult::NotRanked);
}

}  // namespace
}  // namespace citadel::test
