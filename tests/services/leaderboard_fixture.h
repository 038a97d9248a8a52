// Leaderboards over real sockets: the ServiceTest fixture (a real Server with
// its Services on the suite's store) plus helpers that speak the leaderboard
// messages and a clock the test steps (boards reset by it).
#pragma once

#include <atomic>
#include <memory>

#include "protocol/leaderboard_generated.h"
#include "service_fixture.h"

#ifdef CITADEL_LEADERBOARD_REDIS
#include <future>
#include <thread>

#include "redis/redis_server.h"
#endif

namespace citadel {

struct LbRecord {
  uint64_t rank = 0, user_id = 0;
  std::string username;
  int64_t score = 0, subscore = 0;
  uint32_t num_submissions = 0;
  std::string metadata;
  bool has_metadata = false;
};

struct LbReply {
  uint32_t request_id = 0;
  msg::LeaderboardResult result = msg::LeaderboardResult::InternalError;
  std::string message, board_id, next_cursor, prev_cursor;
  std::vector<LbRecord> records;
  uint64_t total = 0;
  msg::LeaderboardPeriod period = msg::LeaderboardPeriod::Current;
  int64_t period_start = 0, period_end = 0;
  bool taken = false;

  std::vector<uint64_t> ids() const {
    std::vector<uint64_t> out;
    for (const auto& r : records) out.push_back(r.user_id);
    return out;
  }
  std::vector<int64_t> scores() const {
    std::vector<int64_t> out;
    for (const auto& r : records) out.push_back(r.score);
    return out;
  }
};

class LeaderboardTest : public ServiceTest {
 protected:
  using Period = msg::LeaderboardPeriod;
  struct User {
    TestClient client;
    uint64_t id = 0;
    std::string name;
  };

  LeaderboardTest() {
    leaderboards_.now_unix_ms = [clock = clock_] { return clock->load(); };
#ifdef CITADEL_LEADERBOARD_REDIS
    // leaderboard_redis_test: the same tests with the boards in a real Redis.
    test::RedisServer::shared().flush_all();
    leaderboards_.redis_url = test::RedisServer::shared().url();
#endif
  }

  // ServiceTest::start and restart, then (Redis) until the service is
  // connected and the configured boards are in Redis (it creates them once
  // its connection is up).
  void start() {
    ServiceTest::start();
    wait_for_redis();
  }
  void restart() {
    ServiceTest::restart();
    wait_for_redis();
  }
  void wait_for_redis() {
#ifdef CITADEL_LEADERBOARD_REDIS
    // Until the service's connection is up: a probe board it creates.
    const auto connected_by = std::chrono::steady_clock::now() + 10s;
    for (;;) {
      std::promise<leaderboard::LeaderboardError> made;
      services_->leaderboards().create_board(
          board("redis-probe", leaderboard::ScoreOperator::kBest),
          [&made](leaderboard::LeaderboardError e) { made.set_value(e); });
      const auto error = made.get_future().get();
      if (error == leaderboard::LeaderboardError::kOk ||
          error == leaderboard::LeaderboardError::kBoardExists) {
        break;
      }
      ASSERT_LT(std::chrono::steady_clock::now(), connected_by) << "Redis never connected";
      std::this_thread::sleep_for(5ms);  // polling the service's start, bounded
    }
    for (const auto& b : leaderboards_.boards) {
      const auto deadline = std::chrono::steady_clock::now() + 10s;
      while (test::RedisServer::shared().command({"EXISTS", "lb:{" + b.id + "}:meta"}) != "1") {
        ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "board " << b.id;
        std::this_thread::sleep_for(5ms);  // polling the service's start, bounded
      }
    }
#endif
  }

  static leaderboard::BoardConfig board(
      std::string id, leaderboard::ScoreOperator op,
      leaderboard::SortOrder order = leaderboard::SortOrder::kDescending) {
    leaderboard::BoardConfig b;
    b.id = std::move(id);
    b.op = op;
    b.order = order;
    b.max_metadata_bytes = 64;
    return b;
  }

  User login(const std::string& device) {
    auto [client, reply] = guest_login(device);
    return {std::move(client), reply.user_id, reply.username};
  }

  static test::Bytes submit_msg(std::string_view board, int64_t score, int64_t subscore = 0,
                                std::optional<std::string_view> metadata = std::nullopt,
                                uint32_t rid = 1) {
    flatbuffers::FlatBufferBuilder fbb;
    const auto b = fbb.CreateString(board.data(), board.size());
    const auto m = metadata ? fbb.CreateString(metadata->data(), metadata->size())
                            : flatbuffers::Offset<flatbuffers::String>();
    fbb.Finish(msg::CreateLeaderboardSubmit(fbb, rid, b, score, subscore, m));
    return finish(fbb);
  }
  static test::Bytes top_msg(std::string_view board, uint32_t limit, std::string_view cursor = {},
                             Period period = Period::Current) {
    flatbuffers::FlatBufferBuilder fbb;
    const auto b = fbb.CreateString(board.data(), board.size());
    const auto c = cursor.empty() ? flatbuffers::Offset<flatbuffers::String>()
                                  : fbb.CreateString(cursor.data(), cursor.size());
    fbb.Finish(msg::CreateLeaderboardTop(fbb, 2, b, limit, c, period));
    return finish(fbb);
  }
  static test::Bytes around_msg(std::string_view board, uint32_t limit) {
    flatbuffers::FlatBufferBuilder fbb;
    const auto b = fbb.CreateString(board.data(), board.size());
    fbb.Finish(msg::CreateLeaderboardAround(fbb, 3, b, limit));
    return finish(fbb);
  }
  static test::Bytes records_msg(std::string_view board, const std::vector<uint64_t>& ids) {
    flatbuffers::FlatBufferBuilder fbb;
    const auto b = fbb.CreateString(board.data(), board.size());
    const auto v = fbb.CreateVector(ids);
    fbb.Finish(msg::CreateLeaderboardRecords(fbb, 4, b, v));
    return finish(fbb);
  }
  static test::Bytes delete_msg(std::string_view board, uint32_t rid = 6) {
    flatbuffers::FlatBufferBuilder fbb;
    const auto b = fbb.CreateString(board.data(), board.size());
    fbb.Finish(msg::CreateLeaderboardDelete(fbb, rid, b));
    return finish(fbb);
  }
  static test::Bytes mine_msg(std::string_view board, Period period = Period::Current) {
    flatbuffers::FlatBufferBuilder fbb;
    const auto b = fbb.CreateString(board.data(), board.size());
    fbb.Finish(msg::CreateLeaderboardMine(fbb, 5, b, period));
    return finish(fbb);
  }

  // Sends a request and reads frames until its LeaderboardReply.
  static LbReply call(TestClient& c, uint16_t request_cmd, const test::Bytes& payload) {
    EXPECT_TRUE(c.send_frame(request_cmd, payload));
    return read_reply(c);
  }
  static LbReply read_reply(TestClient& c) {
    LbReply out;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto r = c.read_frame(10s);
      if (r.status != ReadStatus::kFrame) break;
      if (r.frame.cmd != cmd::kLeaderboardReply) continue;
      const auto* m = protocol::verified_root<msg::LeaderboardReply>(r.frame.payload);
      if (m == nullptr) break;
      out.request_id = m->request_id();
      out.result = m->result();
      if (m->message()) out.message = m->message()->str();
      if (m->board_id()) out.board_id = m->board_id()->str();
      if (m->next_cursor()) out.next_cursor = m->next_cursor()->str();
      if (m->prev_cursor()) out.prev_cursor = m->prev_cursor()->str();
      out.total = m->total();
      out.period = m->period();
      out.period_start = m->period_start_unix_ms();
      out.period_end = m->period_end_unix_ms();
      out.taken = m->taken();
      if (m->records()) {
        for (const auto* rec : *m->records()) {
          LbRecord x;
          x.rank = rec->rank();
          x.user_id = rec->user_id();
          if (rec->username()) x.username = rec->username()->str();
          x.score = rec->score();
          x.subscore = rec->subscore();
          x.num_submissions = rec->num_submissions();
          x.has_metadata = rec->metadata() != nullptr;
          if (rec->metadata()) x.metadata = rec->metadata()->str();
          out.records.push_back(std::move(x));
        }
      }
      return out;
    }
    ADD_FAILURE() << "no LeaderboardReply";
    return out;
  }

  LbReply submit(User& u, std::string_view board, int64_t score, int64_t subscore = 0,
                 std::optional<std::string_view> metadata = std::nullopt) {
    return call(u.client, cmd::kLeaderboardSubmit, submit_msg(board, score, subscore, metadata));
  }
  LbReply remove(User& u, std::string_view board) {
    return call(u.client, cmd::kLeaderboardDelete, delete_msg(board));
  }
  LbReply top(User& u, std::string_view board, uint32_t limit, std::string_view cursor = {},
              Period period = Period::Current) {
    return call(u.client, cmd::kLeaderboardTop, top_msg(board, limit, cursor, period));
  }

  // Unix ms; starts on a whole hour so hourly boards reset where the test says.
  std::shared_ptr<std::atomic<int64_t>> clock_ =
      std::make_shared<std::atomic<int64_t>>(int64_t{1'800'000'000'000} / 3'600'000 * 3'600'000);
};

}  // namespace citadel
