// The Client's typed storage and leaderboard calls against a scripted server
// (fake_server.h): the request on the wire, the value or the CallError the
// callback gets (a refusal by name, a server ERROR, a timeout, no
// connection), and replies matched by request_id when they come out of order.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <string>
#include <vector>

#include "client/client.h"
#include "client_test_helpers.h"
#include "fake_server.h"
#include "protocol/commands.h"
#include "protocol/leaderboard_generated.h"
#include "protocol/storage_generated.h"
#include "protocol/verified_payload.h"
#include "protocol/wire.h"
#include "recorder.h"
#include "test_messages.h"

namespace citadel::client {
namespace {

namespace asio = boost::asio;
namespace proto = citadel::protocol;
namespace cmd = citadel::protocol::cmd;
using test::bytes;
using test::FakePeer;
using test::FakeServer;
using test::Frame;
using test::payload_of;
using test::quiet_options;
using test::run_until;
using test::table_of;

// One connection attempt and no retry: what the callback gets is the test's
// subject, not the client's reconnecting.
ClientOptions one_try_options() {
  ClientOptions o = quiet_options();
  o.backoff.max_tries = 1;
  return o;
}

std::string with_id(uint32_t request_id, std::string_view rest) {
  return "{\"request_id\": " + std::to_string(request_id) +
         (rest.empty() ? std::string() : ", " + std::string(rest)) + "}";
}

struct Connected {
  explicit Connected(asio::io_context& io, ClientOptions options = one_try_options())
      : server(io), client(io, std::move(options)) {
    client.connect("127.0.0.1", server.port());
    ok = run_until(
        io, [&] { return client.state() == ClientState::kConnected; }, 5s);
  }
  FakePeer& peer() { return *server.peers().at(0); }
  FakeServer server;
  Client client;
  bool ok = false;
};

TEST(ClientDataCalls, StorageWriteGetsTheVersionsAndARefusalByName) {
  asio::io_context io;
  Connected c(io);
  ASSERT_TRUE(c.ok);
  c.server.on_frame = [](FakePeer& p, const Frame& f) {
    ASSERT_EQ(f.cmd, cmd::kStorageWrite);
    const auto* m = table_of<msg::StorageWrite>(f);
    ASSERT_NE(m, nullptr);
    if (m->objects()->Get(0)->if_absent()) {
      p.send(
          cmd::kStorageReply,
          payload_of(
              cmd::kStorageReply,
              with_id(
                  m->request_id(),
                  R"("result": "VersionConflict", "message": "a version or if_absent condition failed; nothing was written", "failed_index": 1)")));
    } else {
      p.send(cmd::kStorageReply,
             payload_of(cmd::kStorageReply,
                        with_id(m->request_id(), R"("message": "ok", "versions": [1, 5])")));
    }
  };
  std::vector<CallOutcome<std::vector<uint64_t>>> outcomes;
  const auto record = [&](const CallOutcome<std::vector<uint64_t>>& o) { outcomes.push_back(o); };
  c.client.storage_write({{"saves", "a", R"({"x":1})"}, {"saves", "b", "{}", 4}}, record);
  StorageWriteItem absent{"saves", "a", "{}"};
  absent.if_absent = true;
  c.client.storage_write({absent, {"saves", "c", "{}"}}, record);
  ASSERT_TRUE(run_until(
      io, [&] { return outcomes.size() == 2; }, 5s));

  ASSERT_TRUE(outcomes[0].ok()) << outcomes[0].error.describe();
  EXPECT_EQ(*outcomes[0].value, (std::vector<uint64_t>{1, 5}));
  ASSERT_FALSE(outcomes[1].ok());
  const CallError& e = outcomes[1].error;
  EXPECT_EQ(e.kind, CallErrorKind::kRefused);
  EXPECT_TRUE(e.refused(storage_result::kVersionConflict));
  EXPECT_EQ(e.result_name, "VersionConflict");
  EXPECT_EQ(e.failed_index, 1);
  EXPECT_EQ(e.describe(),
            "refused: VersionConflict (7): a version or if_absent condition failed; nothing was "
            "written [item 1]");

  // What went out: the request ids the library chose, the items as given.
  const auto& got = c.peer().received();
  ASSERT_EQ(got.size(), 2u);
  const auto* first = table_of<msg::StorageWrite>(got[0]);
  const auto* second = table_of<msg::StorageWrite>(got[1]);
  EXPECT_NE(first->request_id(), second->request_id());
  EXPECT_EQ(first->objects()->Get(1)->version(), 4u);
  EXPECT_EQ(first->objects()->Get(0)->value()->string_view(), R"({"x":1})");
}

TEST(ClientDataCalls, StorageReadAndListGiveTheObjectsAndTheCursor) {
  asio::io_context io;
  Connected c(io);
  ASSERT_TRUE(c.ok);
  c.server.on_frame = [](FakePeer& p, const Frame& f) {
    if (f.cmd == cmd::kStorageRead) {
      p.send(
          cmd::kStorageReply,
          payload_of(
              cmd::kStorageReply,
              with_id(
                  table_of<msg::StorageRead>(f)->request_id(),
                  R"("objects": [{"collection": "saves", "key": "a", "user_id": 7, "value": "{}", "version": 2, "permission_read": 2, "permission_write": 1}])")));
    } else if (f.cmd == cmd::kStorageList) {
      const auto* m = table_of<msg::StorageList>(f);
      const bool first = m->cursor() == nullptr;
      p.send(
          cmd::kStorageReply,
          payload_of(cmd::kStorageReply,
                     with_id(m->request_id(), first ? R"("objects": [{"key": "a"}], "cursor": "c1")"
                                                    : R"("objects": [{"key": "b"}])")));
    } else if (f.cmd == cmd::kStorageDelete) {
      p.send(cmd::kStorageReply,
             payload_of(cmd::kStorageReply,
                        with_id(table_of<msg::StorageDelete>(f)->request_id(), "")));
    }
  };
  std::optional<CallOutcome<std::vector<StorageObject>>> read;
  c.client.storage_read({{"saves", "a", 7}}, [&](const auto& o) { read = o; });
  std::vector<CallOutcome<StoragePage>> pages;
  c.client.storage_list({"saves", 0, 1, std::nullopt}, [&](const CallOutcome<StoragePage>& o) {
    pages.push_back(o);
    ASSERT_TRUE(o.ok());
    ASSERT_TRUE(o.value->cursor.has_value());
    c.client.storage_list({"saves", 0, 1, o.value->cursor},
                          [&](const CallOutcome<StoragePage>& next) { pages.push_back(next); });
  });
  bool deleted = false;
  c.client.storage_delete({{"saves", "a"}},
                          [&](const CallOutcome<StorageDeleted>& o) { deleted = o.ok(); });
  ASSERT_TRUE(run_until(
      io, [&] { return read && pages.size() == 2 && deleted; }, 5s));
  ASSERT_TRUE(read->ok());
  ASSERT_EQ(read->value->size(), 1u);
  EXPECT_EQ((*read->value)[0].user_id, 7u);
  EXPECT_EQ((*read->value)[0].version, 2u);
  EXPECT_EQ((*read->value)[0].permission_read, storage_permission::kReadPublic);
  ASSERT_TRUE(pages[1].ok());
  EXPECT_EQ(pages[0].value->objects.at(0).key, "a");
  EXPECT_EQ(pages[1].value->objects.at(0).key, "b");
  EXPECT_FALSE(pages[1].value->cursor.has_value()) << "the last page";
}

TEST(ClientDataCalls, AServerErrorATimeoutAndNoConnectionAreTypedErrors) {
  asio::io_context io;
  ClientOptions options = one_try_options();
  options.request_timeout = 200ms;
  Connected c(io, options);
  ASSERT_TRUE(c.ok);
  c.server.on_frame = [](FakePeer& p, const Frame& f) {
    if (f.cmd == cmd::kLeaderboardMine) {
      std::vector<uint8_t> error;
      proto::ErrorCode code = proto::ErrorCode::kNotAuthenticated;
      proto::append_error_frame(error, code, "not authenticated");
      p.send_raw(std::string(error.begin(), error.end()));
    } else if (f.cmd == cmd::kStorageList) {
      // A StorageReply that does not verify names no request: the call
      // waits for its own, and times out.
      p.send(cmd::kStorageReply, "\x01\x02\x03");
    }
  };
  std::optional<CallError> mine;
  std::optional<CallError> list;
  c.client.leaderboard_mine({"b"}, [&](const auto& o) { mine = o.error; });
  c.client.storage_list({"saves"}, [&](const auto& o) { list = o.error; });
  ASSERT_TRUE(run_until(
      io, [&] { return mine && list; }, 5s));
  EXPECT_EQ(mine->kind, CallErrorKind::kServerError);
  EXPECT_EQ(mine->request, RequestError::kServerError);
  EXPECT_EQ(mine->server_error_code, 9);
  EXPECT_EQ(mine->server_error_text, "not authenticated");
  EXPECT_EQ(list->kind, CallErrorKind::kRequest);
  EXPECT_TRUE(list->timed_out());
  EXPECT_EQ(list->describe(), "timed out");

  c.client.close();
  std::optional<CallError> closed;
  c.client.leaderboard_top({"b"}, [&](const auto& o) { closed = o.error; });
  EXPECT_FALSE(closed) << "never called back from inside the call";
  ASSERT_TRUE(run_until(
      io, [&] { return closed.has_value(); }, 5s));
  EXPECT_EQ(closed->kind, CallErrorKind::kRequest);
  EXPECT_EQ(closed->request, RequestError::kNotConnected);
}

TEST(ClientDataCalls, LeaderboardRepliesAreMatchedByRequestIdNotByPosition) {
  asio::io_context io;
  Connected c(io);
  ASSERT_TRUE(c.ok);
  std::vector<Frame> held;
  c.server.on_frame = [&](FakePeer& p, const Frame& f) {
    if (f.cmd != cmd::kPing) {
      held.push_back(f);
      return;
    }
    // The PING came after both leaderboard requests: its PONG goes first,
    // then the second leaderboard request's reply, then the first's.
    test::answer_like_the_server(p, f);
    ASSERT_EQ(held.size(), 2u);
    const auto* top = table_of<msg::LeaderboardTop>(held[1]);
    p.send(
        cmd::kLeaderboardReply,
        payload_of(
            cmd::kLeaderboardReply,
            with_id(
                top->request_id(),
                R"("board_id": "b", "records": [{"rank": 1, "user_id": 3, "username": "x", "score": 90}], "next_cursor": "n1", "total": 2)")));
    const auto* submit = table_of<msg::LeaderboardSubmit>(held[0]);
    p.send(
        cmd::kLeaderboardReply,
        payload_of(cmd::kLeaderboardReply,
                   with_id(submit->request_id(),
                           R"("result": "RateLimited", "message": "slow down", "board_id": "b")")));
  };
  std::vector<std::string> order;
  std::optional<CallOutcome<LeaderboardReplyFields>> submit;
  std::optional<CallOutcome<LeaderboardReplyFields>> top;
  c.client.leaderboard_submit({"b", 10, 0, std::nullopt}, [&](const auto& o) {
    order.push_back("submit");
    submit = o;
  });
  c.client.leaderboard_top({"b", 1}, [&](const auto& o) {
    order.push_back("top");
    top = o;
  });
  c.client.ping(bytes("p"), [&](const Reply& r) {
    if (r.ok()) order.push_back("pong");
  });
  ASSERT_TRUE(run_until(
      io, [&] { return order.size() == 3; }, 5s));
  EXPECT_EQ(order, (std::vector<std::string>{"pong", "top", "submit"}));
  ASSERT_TRUE(top->ok()) << top->error.describe();
  EXPECT_EQ(top->value->records.at(0).score, 90);
  EXPECT_EQ(top->value->next_cursor, std::optional<std::string>("n1"));
  EXPECT_EQ(top->value->total, 2u);
  ASSERT_FALSE(submit->ok());
  EXPECT_TRUE(submit->error.refused(leaderboard_result::kRateLimited));
  EXPECT_EQ(submit->error.result_name, "RateLimited");
  EXPECT_EQ(submit->error.message, "slow down");
  EXPECT_EQ(submit->error.failed_index, -1);
}

}  // namespace
}  // namespace citadel::client
