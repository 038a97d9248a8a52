// Leaderboards end to end: submits, operators, ties, pages and cursors,
// around-me, records by id, the limits, resets and a restart, over real
// sockets against a real Server with its Services on the suite's store.
#include <map>
#include <mutex>

#include "leaderboard_fixture.h"
#include "protocol/lockstep_generated.h"
#include "protocol/rooms_generated.h"
#include "rooms/room_type.h"

namespace citadel {
namespace {

// Room code records a score through RoomContext::scores(): here, each
// player's joining counts one point on "joins", and the outcome is kept.
class ScoringRoom final : public rooms::TypedRoomLogic<msg::LockstepInput> {
 public:
  std::string on_join(rooms::RoomContext& ctx, const rooms::Player& p) override {
    for (const char* board : {"joins", "no-such-board"}) {
      ctx.scores().submit_score({board, p.user_id, p.username, 1, 0, "{\"room\":1}"},
                                [board](std::string_view problem) {
                                  std::lock_guard lock(mutex());
                                  outcomes()[board] = std::string(problem);
                                });
    }
    return {};
  }
  void on_input(rooms::RoomContext&, const rooms::Player&, const msg::LockstepInput&) override {}
  void on_tick(rooms::RoomContext&) override {}

  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  static std::map<std::string, std::string>& outcomes() {
    static std::map<std::string, std::string> o;
    return o;
  }
};

using leaderboard::ScoreOperator;
using leaderboard::SortOrder;
using R = msg::LeaderboardResult;

TEST_F(LeaderboardTest, BeforeLoginIsRefusedWithError9) {
  start();
  TestClient c = connect();
  ASSERT_TRUE(c.send_frame(cmd::kLeaderboardSubmit, submit_msg("points", 1)));
  const auto r = c.read_frame(5s);
  ASSERT_EQ(r.status, ReadStatus::kFrame);
  EXPECT_EQ(r.frame.error_code(), static_cast<uint16_t>(protocol::ErrorCode::kNotAuthenticated));
  EXPECT_TRUE(c.ping()) << "the connection stays open";
}

TEST_F(LeaderboardTest, SubmitsShowInTopInRankOrder) {
  leaderboards_.boards = {board("points", ScoreOperator::kBest)};
  start();
  std::vector<User> users;
  for (int i = 0; i < 3; ++i) users.push_back(login("lb-top-device-" + std::to_string(i)));
  const int64_t scores[] = {50, 70, 60};
  for (int i = 0; i < 3; ++i) {
    const LbReply r =
        submit(users[i], "points", scores[i], 0, "{\"car\":" + std::to_string(i) + "}");
    ASSERT_EQ(r.result, R::Ok) << r.message;
    EXPECT_TRUE(r.taken);
    EXPECT_EQ(r.request_id, 1u);
    ASSERT_EQ(r.records.size(), 1u);
    EXPECT_EQ(r.records[0].user_id, users[i].id);
    EXPECT_EQ(r.records[0].score, scores[i]);
  }
  const LbReply page = top(users[0], "points", 10);
  ASSERT_EQ(page.result, R::Ok) << page.message;
  EXPECT_EQ(page.board_id, "points");
  EXPECT_EQ(page.total, 3u);
  EXPECT_EQ(page.ids(), (std::vector<uint64_t>{users[1].id, users[2].id, users[0].id}));
  EXPECT_EQ(page.scores(), (std::vector<int64_t>{70, 60, 50}));
  EXPECT_EQ(page.records[0].rank, 1u);
  EXPECT_EQ(page.records[2].rank, 3u);
  EXPECT_EQ(page.records[0].username, users[1].name);
  EXPECT_EQ(page.records[0].metadata, "{\"car\":1}");
  EXPECT_EQ(page.records[0].num_submissions, 1u);
  EXPECT_TRUE(page.next_cursor.empty());
  EXPECT_TRUE(page.prev_cursor.empty());
  EXPECT_EQ(page.period_start, clock_->load());
  EXPECT_EQ(page.period_end, 0) << "a board without a schedule never ends";
}

TEST_F(LeaderboardTest, OperatorsCombineSubmissionsOverTheWire) {
  leaderboards_.boards = {board("best", ScoreOperator::kBest), board("set", ScoreOperator::kSet),
                          board("incr", ScoreOperator::kIncrement),
                          board("decr", ScoreOperator::kDecrement),
                          board("laps", ScoreOperator::kBest, SortOrder::kAscending)};
  start();
  User u = login("lb-ops-device");
  for (const char* b : {"best", "set", "incr", "decr", "laps"}) {
    ASSERT_EQ(submit(u, b, 10, 1).result, R::Ok) << b;
  }
  const LbReply worse = submit(u, "best", 5, 9);
  EXPECT_EQ(worse.result, R::Ok);
  EXPECT_FALSE(worse.taken) << "a best that does not beat is not taken";
  EXPECT_EQ(worse.records.at(0).score, 10);
  EXPECT_EQ(worse.records.at(0).num_submissions, 2u) << "but it counts as a submission";
  EXPECT_EQ(submit(u, "set", 5, 9).records.at(0).score, 5);
  const LbReply incr = submit(u, "incr", 5, 9);
  EXPECT_EQ(incr.records.at(0).score, 15);
  EXPECT_EQ(incr.records.at(0).subscore, 10);
  EXPECT_EQ(submit(u, "decr", 5, 9).records.at(0).score, -15);
  const LbReply laps = submit(u, "laps", 5, 9);
  EXPECT_TRUE(laps.taken) << "lower is better on an ascending board";
  EXPECT_EQ(laps.records.at(0).score, 5);
  EXPECT_EQ(submit(u, "incr", INT64_MAX).result, R::ScoreOutOfRange);
}

// Submits sent back to back (in Redis mode, gathered into one script call
// per loop turn): each reply in request order, with the record as that
// submit left it, a refusal among them included.
TEST_F(LeaderboardTest, BackToBackSubmitsEachGetTheirOwnRecordInOrder) {
  leaderboards_.boards = {board("burst", ScoreOperator::kIncrement)};
  start();
  User a = login("lb-burst-a"), b = login("lb-burst-b");
  for (uint32_t i = 1; i <= 4; ++i) {
    ASSERT_TRUE(a.client.send_frame(cmd::kLeaderboardSubmit,
                                    submit_msg("burst", i == 3 ? INT64_MAX : 1, 0, {}, i)));
    ASSERT_TRUE(b.client.send_frame(cmd::kLeaderboardSubmit, submit_msg("burst", 10, 0, {}, i)));
  }
  for (uint32_t i = 1; i <= 4; ++i) {
    const LbReply ra = read_reply(a.client);
    EXPECT_EQ(ra.request_id, i);
    if (i == 3) {
      EXPECT_EQ(ra.result, R::ScoreOutOfRange);
      continue;
    }
    ASSERT_EQ(ra.result, R::Ok) << ra.message;
    EXPECT_EQ(ra.records.at(0).score, i < 3 ? int64_t(i) : 3);
    EXPECT_EQ(ra.records.at(0).num_submissions, i < 3 ? i : 3u);
  }
  for (uint32_t i = 1; i <= 4; ++i) {
    const LbReply rb = read_reply(b.client);
    EXPECT_EQ(rb.request_id, i);
    EXPECT_EQ(rb.records.at(0).score, int64_t(10 * i));
    EXPECT_EQ(rb.records.at(0).rank, 1u);
  }
  const LbReply page = top(a, "burst", 10);
  EXPECT_EQ(page.ids(), (std::vector<uint64_t>{b.id, a.id}));
  EXPECT_EQ(page.scores(), (std::vector<int64_t>{40, 3}));
}

TEST_F(LeaderboardTest, TiesGoBySubscoreThenEarliestSubmission) {
  leaderboards_.boards = {board("points", ScoreOperator::kBest)};
  start();
  User a = login("lb-tie-a"), b = login("lb-tie-b"), c = login("lb-tie-c");
  ASSERT_EQ(submit(a, "points", 100, 1).result, R::Ok);
  ASSERT_EQ(submit(b, "points", 100, 2).result, R::Ok);
  ASSERT_EQ(submit(c, "points", 100, 1).result, R::Ok);
  const LbReply page = top(a, "points", 10);
  // b has the better subscore; a and c tie, and a got there first.
  EXPECT_EQ(page.ids(), (std::vector<uint64_t>{b.id, a.id, c.id}));
}

TEST_F(LeaderboardTest, AroundMeRecordsAndMine) {
  leaderboards_.boards = {board("points", ScoreOperator::kSet)};
  start();
  std::vector<User> users;
  for (int i = 0; i < 7; ++i) {
    users.push_back(login("lb-around-" + std::to_string(i)));
    ASSERT_EQ(submit(users[i], "points", 100 - i).result, R::Ok);  // user i at rank i + 1
  }
  const LbReply around = call(users[3].client, cmd::kLeaderboardAround, around_msg("points", 3));
  ASSERT_EQ(around.result, R::Ok) << around.message;
  EXPECT_EQ(around.ids(), (std::vector<uint64_t>{users[2].id, users[3].id, users[4].id}));
  const LbReply edge = call(users[6].client, cmd::kLeaderboardAround, around_msg("points", 3));
  EXPECT_EQ(edge.ids(), (std::vector<uint64_t>{users[4].id, users[5].id, users[6].id}));

  const LbReply some = call(users[0].client, cmd::kLeaderboardRecords,
                            records_msg("points", {users[5].id, 999'999, users[1].id}));
  ASSERT_EQ(some.result, R::Ok);
  EXPECT_EQ(some.ids(), (std::vector<uint64_t>{users[1].id, users[5].id}))
      << "in rank order, players without a record left out";
  EXPECT_EQ(some.records[1].rank, 6u);

  const LbReply mine = call(users[4].client, cmd::kLeaderboardMine, mine_msg("points"));
  ASSERT_EQ(mine.result, R::Ok);
  EXPECT_EQ(mine.records.at(0).rank, 5u);
  EXPECT_EQ(mine.total, 7u);

  User stranger = login("lb-around-stranger");
  EXPECT_EQ(call(stranger.client, cmd::kLeaderboardMine, mine_msg("points")).result, R::NotRanked);
  EXPECT_EQ(call(stranger.client, cmd::kLeaderboardAround, around_msg("points", 3)).result,
            R::NotRanked);
  std::vector<uint64_t> many(101, 1);
  EXPECT_EQ(call(stranger.client, cmd::kLeaderboardRecords, records_msg("points", many)).result,
            R::TooManyIds);
}

TEST_F(LeaderboardTest, CursorsPageEveryRecordOnceBothWays) {
  leaderboards_.boards = {board("points", ScoreOperator::kSet)};
  start();
  std::vector<User> users;
  for (int i = 0; i < 7; ++i) {
    users.push_back(login("lb-page-" + std::to_string(i)));
    ASSERT_EQ(submit(users[i], "points", i * 10).result, R::Ok);
  }
  User& me = users[0];
  std::vector<int64_t> seen;
  std::vector<std::string> prevs;
  std::string cursor;
  for (int page = 0; page < 3; ++page) {
    const LbReply r = top(me, "points", 3, cursor);
    ASSERT_EQ(r.result, R::Ok) << r.message;
    for (int64_t s : r.scores()) seen.push_back(s);
    prevs.push_back(r.prev_cursor);
    cursor = r.next_cursor;
  }
  EXPECT_EQ(seen, (std::vector<int64_t>{60, 50, 40, 30, 20, 10, 0}));
  EXPECT_TRUE(cursor.empty()) << "nothing after the last page";
  EXPECT_TRUE(prevs[0].empty());
  const LbReply back = top(me, "points", 3, prevs[2]);
  EXPECT_EQ(back.scores(), (std::vector<int64_t>{30, 20, 10}));
  EXPECT_EQ(back.records.at(0).rank, 4u);
}

TEST_F(LeaderboardTest, BadInputGetsItsOwnResultAndTheServerGoesOn) {
  leaderboards_.boards = {board("points", ScoreOperator::kBest),
                          board("other", ScoreOperator::kBest)};
  start();
  User u = login("lb-bad-device");
  for (int i = 0; i < 5; ++i) {
    User v = login("lb-bad-" + std::to_string(i));
    ASSERT_EQ(submit(v, "points", i).result, R::Ok);
  }
  const std::string cursor = top(u, "points", 2).next_cursor;
  ASSERT_FALSE(cursor.empty());
  std::string tampered = cursor;
  tampered[20] = tampered[20] == 'A' ? 'B' : 'A';
  EXPECT_EQ(top(u, "points", 2, tampered).result, R::BadCursor);
  EXPECT_EQ(top(u, "points", 2, "not a cursor").result, R::BadCursor);
  EXPECT_EQ(top(u, "points", 2, std::string(5000, 'x')).result, R::BadCursor);
  EXPECT_EQ(top(u, "other", 2, cursor).result, R::BadCursor) << "a cursor of another board";
  EXPECT_EQ(top(u, "nope", 2).result, R::NoSuchBoard);
  EXPECT_EQ(submit(u, "nope", 1).result, R::NoSuchBoard);
  EXPECT_EQ(top(u, "points", 0).result, R::InvalidLimit);
  EXPECT_EQ(top(u, "points", 101).result, R::InvalidLimit);
  EXPECT_EQ(top(u, "points", 2, {}, Period::Previous).result, R::NoPreviousPeriod);
  EXPECT_EQ(submit(u, "points", 1, 0, std::string(65, 'm')).result, R::MetadataTooLarge);
  EXPECT_EQ(submit(u, "points", 1, 0, std::string("a\0b", 3)).result, R::InvalidMetadata);
  EXPECT_EQ(submit(u, "points", 1, 0, "\xff\xfe").result, R::InvalidMetadata);
  // A payload that is not a LeaderboardTop: ERROR 8, connection open.
  ASSERT_TRUE(u.client.send_frame(cmd::kLeaderboardTop, test::to_bytes("garbage")));
  const auto r = u.client.read_frame(5s);
  EXPECT_EQ(r.frame.error_code(), static_cast<uint16_t>(protocol::ErrorCode::kBadPayload));
  const LbReply fine = top(u, "points", 2, cursor);
  EXPECT_EQ(fine.result, R::Ok);
  EXPECT_EQ(fine.scores(), (std::vector<int64_t>{2, 1}));
}

TEST_F(LeaderboardTest, SubmitFloodIsRateLimitedPerPlayer) {
  leaderboards_.boards = {board("points", ScoreOperator::kIncrement)};
  leaderboards_.submits_per_second = 0.001;
  leaderboards_.submit_burst = 3;
  start();
  User a = login("lb-rate-a"), b = login("lb-rate-b");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(submit(a, "points", 1).result, R::Ok);
  EXPECT_EQ(submit(a, "points", 1).result, R::RateLimited);
  EXPECT_EQ(submit(b, "points", 1).result, R::Ok) << "another player has its own bucket";
  const LbReply page = top(a, "points", 10);
  EXPECT_EQ(page.scores(), (std::vector<int64_t>{3, 1})) << "the refused submit changed nothing";
}

TEST_F(LeaderboardTest, DeleteRemovesOnlyTheCallersRecord) {
  leaderboards_.boards = {board("points", ScoreOperator::kBest)};
  start();
  User a = login("lb-del-a"), b = login("lb-del-b"), c = login("lb-del-c");
  ASSERT_EQ(submit(a, "points", 30).result, R::Ok);
  ASSERT_EQ(submit(b, "points", 20).result, R::Ok);
  ASSERT_EQ(submit(c, "points", 10).result, R::Ok);
  const LbReply deleted = remove(b, "points");
  ASSERT_EQ(deleted.result, R::Ok) << deleted.message;
  EXPECT_EQ(deleted.request_id, 6u);
  EXPECT_EQ(deleted.board_id, "points");
  EXPECT_EQ(deleted.message, "deleted");
  EXPECT_EQ(deleted.total, 2u) << "the records left in the period";
  EXPECT_TRUE(deleted.records.empty());
  const LbReply page = top(a, "points", 10);
  EXPECT_EQ(page.ids(), (std::vector<uint64_t>{a.id, c.id}));
  EXPECT_EQ(page.records.at(1).rank, 2u) << "ranks close up";
  EXPECT_EQ(call(b.client, cmd::kLeaderboardMine, mine_msg("points")).result, R::NotRanked);
  EXPECT_EQ(remove(b, "points").result, R::NotRanked) << "nothing left to delete";
  EXPECT_EQ(remove(b, "no-such-board").result, R::NoSuchBoard);
  // Submitting again starts a new record.
  const LbReply again = submit(b, "points", 5);
  ASSERT_EQ(again.result, R::Ok);
  EXPECT_EQ(again.records.at(0).num_submissions, 1u);
  EXPECT_EQ(again.records.at(0).rank, 3u);
}

TEST_F(LeaderboardTest, SubmitThenDeleteBackToBackApplyInOrder) {
  leaderboards_.boards = {board("points", ScoreOperator::kBest)};
  start();
  User a = login("lb-del-order");
  // Both frames in one write: the delete must see the submit's record.
  test::Bytes both = test::encode_frame(cmd::kLeaderboardSubmit, submit_msg("points", 7));
  const test::Bytes del = test::encode_frame(cmd::kLeaderboardDelete, delete_msg("points"));
  both.insert(both.end(), del.begin(), del.end());
  ASSERT_TRUE(a.client.send_raw(both));
  EXPECT_EQ(read_reply(a.client).result, R::Ok);
  const LbReply deleted = read_reply(a.client);
  EXPECT_EQ(deleted.result, R::Ok) << deleted.message;
  EXPECT_EQ(top(a, "points", 10).total, 0u);
}

TEST_F(LeaderboardTest, DeletesTakeFromTheSubmitRateLimit) {
  leaderboards_.boards = {board("points", ScoreOperator::kIncrement)};
  leaderboards_.submits_per_second = 0.001;
  leaderboards_.submit_burst = 3;
  start();
  User a = login("lb-del-rate");
  ASSERT_EQ(submit(a, "points", 1).result, R::Ok);
  EXPECT_EQ(remove(a, "points").result, R::Ok);
  EXPECT_EQ(remove(a, "points").result, R::NotRanked);
  EXPECT_EQ(remove(a, "points").result, R::RateLimited);
  EXPECT_EQ(submit(a, "points", 1).result, R::RateLimited);
}

TEST_F(LeaderboardTest, ServerSideDeleteAndTheAdminAnswers) {
  leaderboards_.boards = {board("matches", ScoreOperator::kIncrement)};
  start();
  User u = login("lb-server-delete"), v = login("lb-server-delete-2");
  ASSERT_EQ(submit(u, "matches", 3).result, R::Ok);
  ASSERT_EQ(submit(v, "matches", 4).result, R::Ok);
  auto admin = [&](std::string board_id, uint64_t user_id) {
    std::promise<std::pair<unsigned, std::string>> answer;
    services_->leaderboards().delete_record_for_admin(std::move(board_id), user_id,
                                                      [&](unsigned status, std::string text) {
                                                        answer.set_value({status, std::move(text)});
                                                      });
    return answer.get_future().get();
  };
  const auto deleted = admin("matches", u.id);
  EXPECT_EQ(deleted.first, 200u) << deleted.second;
  EXPECT_NE(deleted.second.find("record deleted"), std::string::npos) << deleted.second;
  const auto again = admin("matches", u.id);
  EXPECT_EQ(again.first, 404u);
  EXPECT_NE(again.second.find("no record"), std::string::npos) << again.second;
  const auto no_board = admin("nope", u.id);
  EXPECT_EQ(no_board.first, 404u);
  EXPECT_NE(no_board.second.find("no such board"), std::string::npos) << no_board.second;
  EXPECT_EQ(call(u.client, cmd::kLeaderboardMine, mine_msg("matches")).result, R::NotRanked);
  // Room code's way (rooms::ScoreSink), from any thread.
  rooms::ScoreSink& sink = services_->leaderboards();
  std::promise<std::string> outcome;
  sink.delete_score("matches", v.id,
                    [&](std::string_view problem) { outcome.set_value(std::string(problem)); });
  EXPECT_EQ(outcome.get_future().get(), "") << "deleted and stored";
  std::promise<std::string> missing;
  sink.delete_score("matches", v.id,
                    [&](std::string_view problem) { missing.set_value(std::string(problem)); });
  EXPECT_EQ(missing.get_future().get(), "no record");
  EXPECT_EQ(top(u, "matches", 10).total, 0u);
}

TEST_F(LeaderboardTest, ResetKeepsThePreviousPeriodReadable) {
  auto hourly = board("hourly", ScoreOperator::kBest);
  hourly.reset_schedule = "@hourly";
  leaderboards_.boards = {hourly};
  start();
  User u = login("lb-reset-device");
  const int64_t hour_start = clock_->load();
  ASSERT_EQ(submit(u, "hourly", 42).result, R::Ok);
  const LbReply before = top(u, "hourly", 10);
  EXPECT_EQ(before.period_end, hour_start + 3'600'000);
  const std::string stale = before.prev_cursor.empty() ? "" : before.prev_cursor;
  clock_->store(hour_start + 3'600'000 + 5);  // past the reset
  const LbReply now = top(u, "hourly", 10);
  EXPECT_EQ(now.result, R::Ok);
  EXPECT_TRUE(now.records.empty()) << "the new period starts empty";
  EXPECT_EQ(now.period_start, hour_start + 3'600'000);
  const LbReply previous = top(u, "hourly", 10, {}, Period::Previous);
  ASSERT_EQ(previous.result, R::Ok);
  EXPECT_EQ(previous.period, Period::Previous);
  EXPECT_EQ(previous.scores(), (std::vector<int64_t>{42}));
  EXPECT_EQ(previous.period_start, hour_start);
  EXPECT_EQ(call(u.client, cmd::kLeaderboardMine, mine_msg("hourly", Period::Previous))
                .records.at(0)
                .score,
            42);
}

TEST_F(LeaderboardTest, ServerSideSubmitAndCreateBoard) {
  start();
  User u = login("lb-server-device");
  std::promise<leaderboard::LeaderboardError> created;
  services_->leaderboards().create_board(board("matches", ScoreOperator::kIncrement),
                                         [&](auto e) { created.set_value(e); });
  ASSERT_EQ(created.get_future().get(), leaderboard::LeaderboardError::kOk);
  std::promise<leaderboard::LeaderboardError> again;
  services_->leaderboards().create_board(board("matches", ScoreOperator::kBest),
                                         [&](auto e) { again.set_value(e); });
  EXPECT_EQ(again.get_future().get(), leaderboard::LeaderboardError::kBoardExists);
  for (int i = 0; i < 2; ++i) {
    std::promise<std::pair<leaderboard::LeaderboardError, bool>> done;
    services_->leaderboards().submit_from_server(
        "matches", u.id, u.name, 3, 0, "{\"win\":true}",
        [&](leaderboard::LeaderboardError e, bool committed) {
          done.set_value({e, committed});
        });
    const auto [error, committed] = done.get_future().get();
    ASSERT_EQ(error, leaderboard::LeaderboardError::kOk);
    EXPECT_TRUE(committed);
  }
  const LbReply mine = call(u.client, cmd::kLeaderboardMine, mine_msg("matches"));
  ASSERT_EQ(mine.result, R::Ok);
  EXPECT_EQ(mine.records.at(0).score, 6);
  EXPECT_EQ(mine.records.at(0).username, u.name);
  EXPECT_EQ(mine.records.at(0).metadata, "{\"win\":true}");
}

TEST_F(LeaderboardTest, AdminJsonMakesABoardOrSaysWhyNot) {
  start();
  auto create = [&](std::string body) {
    std::promise<std::pair<unsigned, std::string>> answer;
    services_->leaderboards().create_board_from_json(std::move(body),
                                                     [&](unsigned status, std::string text) {
                                                       answer.set_value({status, std::move(text)});
                                                     });
    return answer.get_future().get();
  };
  EXPECT_EQ(create(R"({"id": "weekly", "sort": "asc", "operator": "incr", "reset": "@weekly"})"),
            (std::pair<unsigned, std::string>{201, "created board 'weekly'"}));
  EXPECT_EQ(create(R"({"id": "weekly"})").first, 409u);
  EXPECT_EQ(create(R"({"id": "x", "operator": "max"})"),
            (std::pair<unsigned, std::string>{
                400, "operator: expected one of best, set, incr, decr, got 'max'"}));
  EXPECT_EQ(create(R"({"id": "x", "reset": "61 * * * *"})"),
            (std::pair<unsigned, std::string>{400, "board 'x': invalid reset schedule"}));
  EXPECT_EQ(create("[1, 2]").first, 400u);
  EXPECT_EQ(create("{").first, 400u);
  User u = login("lb-admin-json");
  ASSERT_EQ(submit(u, "weekly", 5).result, R::Ok);
  ASSERT_EQ(submit(u, "weekly", 5).result, R::Ok);
  EXPECT_EQ(top(u, "weekly", 5).scores(), (std::vector<int64_t>{10})) << "incr, as asked";
}

TEST_F(LeaderboardTest, RoomCodeSubmitsThroughItsContext) {
  leaderboards_.boards = {board("joins", ScoreOperator::kIncrement)};
  extra_room_types_.push_back(rooms::make_room_type<ScoringRoom>("scored", 0x7F11, {}));
  start();
  User u = login("lb-room-device");
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(msg::CreateRoomJoin(fbb, 1, fbb.CreateString("scored")));
  ASSERT_TRUE(u.client.send_frame(cmd::kRoomJoin, finish(fbb)));
  LbReply mine;
  for (int i = 0; i < 200 && mine.result != R::Ok; ++i) {
    mine = call(u.client, cmd::kLeaderboardMine, mine_msg("joins"));
    if (mine.result != R::Ok) std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(mine.result, R::Ok);
  EXPECT_EQ(mine.records.at(0).score, 1);
  EXPECT_EQ(mine.records.at(0).username, u.name);
  EXPECT_EQ(mine.records.at(0).metadata, "{\"room\":1}");
  for (int i = 0; i < 200; ++i) {
    {
      std::lock_guard lock(ScoringRoom::mutex());
      if (ScoringRoom::outcomes().size() == 2) break;
    }
    std::this_thread::sleep_for(10ms);
  }
  std::lock_guard lock(ScoringRoom::mutex());
  EXPECT_EQ(ScoringRoom::outcomes()["joins"], "") << "recorded and stored";
  EXPECT_EQ(ScoringRoom::outcomes()["no-such-board"], "unknown board");
}

TEST_F(LeaderboardTest, AcknowledgedRecordsAndResetsSurviveARestart) {
  auto hourly = board("hourly", ScoreOperator::kBest);
  hourly.reset_schedule = "@hourly";
  leaderboards_.boards = {board("points", ScoreOperator::kBest), hourly};
  start();
  const int64_t hour_start = clock_->load();
  std::string cursor;
  {
    User a = login("lb-restart-a"), b = login("lb-restart-b"), c = login("lb-restart-c");
    ASSERT_EQ(submit(a, "points", 100, 1, "{\"a\":1}").result, R::Ok);
    ASSERT_EQ(submit(b, "points", 100, 1).result, R::Ok);  // ties with a, later
    ASSERT_EQ(submit(c, "points", 90).result, R::Ok);
    ASSERT_EQ(submit(c, "points", 95).result, R::Ok);  // taken: replaces 90
    ASSERT_EQ(submit(a, "hourly", 7).result, R::Ok);
    clock_->store(hour_start + 3'600'000);            // the hourly board resets ...
    ASSERT_EQ(submit(b, "hourly", 8).result, R::Ok);  // ... and b writes the new period
    std::promise<leaderboard::LeaderboardError> created;
    services_->leaderboards().create_board(board("made-by-admin", ScoreOperator::kSet),
                                           [&](auto e) { created.set_value(e); });
    ASSERT_EQ(created.get_future().get(), leaderboard::LeaderboardError::kOk);
    ASSERT_EQ(submit(c, "made-by-admin", -3).result, R::Ok);
    cursor = top(a, "points", 1).next_cursor;
    ASSERT_FALSE(cursor.empty());
  }
  restart();
  User a = login("lb-restart-a"), b = login("lb-restart-b"), c = login("lb-restart-c");
  const LbReply page = top(a, "points", 10);
  ASSERT_EQ(page.result, R::Ok);
  EXPECT_EQ(page.ids(), (std::vector<uint64_t>{a.id, b.id, c.id})) << "ties kept their order";
  EXPECT_EQ(page.scores(), (std::vector<int64_t>{100, 100, 95}));
  EXPECT_EQ(page.records[0].metadata, "{\"a\":1}");
  EXPECT_EQ(page.records[0].username, a.name);
  EXPECT_EQ(page.records[2].num_submissions, 2u);
  EXPECT_EQ(top(a, "points", 10, cursor).ids(), (std::vector<uint64_t>{b.id, c.id}))
      << "a cursor from before the restart still pages";
  EXPECT_EQ(top(a, "hourly", 10).ids(), (std::vector<uint64_t>{b.id}));
  const LbReply previous = top(a, "hourly", 10, {}, Period::Previous);
  EXPECT_EQ(previous.ids(), (std::vector<uint64_t>{a.id}));
  EXPECT_EQ(previous.period_start, hour_start);
  EXPECT_EQ(top(a, "made-by-admin", 10).scores(), (std::vector<int64_t>{-3}));
  // The counter goes on: a new tie ranks after the restored ones.
  User d = login("lb-restart-d");
  ASSERT_EQ(submit(d, "points", 100, 1).result, R::Ok);
  EXPECT_EQ(top(a, "points", 10).ids(), (std::vector<uint64_t>{a.id, b.id, d.id, c.id}));
}

TEST_F(LeaderboardTest, AcknowledgedDeletesSurviveARestart) {
  auto hourly = board("hourly", ScoreOperator::kBest);
  hourly.reset_schedule = "@hourly";
  leaderboards_.boards = {board("points", ScoreOperator::kBest), hourly};
  start();
  const int64_t hour_start = clock_->load();
  {
    User a = login("lb-del-restart-a"), b = login("lb-del-restart-b");
    ASSERT_EQ(submit(a, "points", 10).result, R::Ok);
    ASSERT_EQ(submit(b, "points", 20).result, R::Ok);
    ASSERT_EQ(submit(a, "hourly", 1).result, R::Ok);
    clock_->store(hour_start + 3'600'000);  // a's hourly record is now the previous period's
    ASSERT_EQ(submit(a, "hourly", 2).result, R::Ok);
    ASSERT_EQ(remove(b, "points").result, R::Ok);
    ASSERT_EQ(remove(a, "hourly").result, R::Ok);
  }
  restart();
  User a = login("lb-del-restart-a"), b = login("lb-del-restart-b");
  EXPECT_EQ(top(a, "points", 10).ids(), (std::vector<uint64_t>{a.id})) << "b stays deleted";
  EXPECT_EQ(call(b.client, cmd::kLeaderboardMine, mine_msg("points")).result, R::NotRanked);
  EXPECT_EQ(top(a, "hourly", 10).total, 0u) << "the current period's record stays deleted";
  EXPECT_EQ(top(a, "hourly", 10, {}, Period::Previous).scores(), (std::vector<int64_t>{1}))
      << "the previous period's is untouched";
}

#ifdef CITADEL_LEADERBOARD_REDIS
// Redis mode only: while Redis is away every command is answered at once
// (ServerBusy; the admin API 503), and the service reconnects by itself.
TEST_F(LeaderboardTest, RedisAwayIsServerBusyThenWorksAgain) {
  leaderboards_.boards = {board("outage", ScoreOperator::kIncrement)};
  start();
  User u = login("lb-redis-outage");
  ASSERT_EQ(submit(u, "outage", 2).result, R::Ok);
  test::RedisServer::shared().command({"SAVE"});
  test::RedisServer::shared().stop();
  const LbReply busy = submit(u, "outage", 1);
  EXPECT_EQ(busy.result, R::ServerBusy);
  EXPECT_NE(busy.message.find("redis"), std::string::npos) << busy.message;
  EXPECT_EQ(top(u, "outage", 10).result, R::ServerBusy);
  std::promise<std::pair<unsigned, std::string>> answer;
  services_->leaderboards().create_board_from_json(R"({"id": "later"})",
                                                   [&](unsigned status, std::string text) {
                                                     answer.set_value({status, std::move(text)});
                                                   });
  EXPECT_EQ(answer.get_future().get().first, 503u);
  test::RedisServer::shared().start();  // its snapshot reloaded
  wait_for_redis();
  const LbReply again = submit(u, "outage", 1);
  ASSERT_EQ(again.result, R::Ok) << again.message;
  EXPECT_EQ(again.records.at(0).score, 3);
}
#endif

}  // namespace
}  // namespace citadel
