// citadel-cli's friendly commands: the message each one builds, checked by
// encoding it with the same JsonCodec the CLI uses and reading the fields
// back through the generated (verified) tables.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "app_commands.h"
#include "command_line.h"
#include "protocol/arena_generated.h"
#include "protocol/auth_generated.h"
#include "protocol/chat_generated.h"
#include "protocol/commands.h"
#include "protocol/json_codec.h"
#include "protocol/leaderboard_generated.h"
#include "protocol/rooms_generated.h"
#include "protocol/storage_generated.h"
#include "protocol/verified_payload.h"
#include "protocol/wire.h"
#include "test_messages.h"

namespace citadel::cli {
namespace {

namespace proto = citadel::protocol;
namespace cmd = citadel::protocol::cmd;

struct Built {
  uint16_t cmd = 0;
  std::string json;
  bool one_way = false;
  std::vector<uint8_t> payload;
};

// Builds `line` and encodes it; fails the test if either step fails.
Built build(std::string_view line, AppCounters& counters) {
  const auto parse = build_app_request(split_command(line), counters);
  EXPECT_TRUE(parse.has_value()) << line;
  if (!parse) return {};
  EXPECT_TRUE(parse->request.has_value()) << line << ": " << parse->error;
  if (!parse->request) return {};
  Built b{parse->request->cmd, parse->request->json, parse->request->one_way, {}};
  proto::JsonCodec codec;
  std::string error;
  EXPECT_TRUE(codec.to_binary(b.cmd, b.json, b.payload, error)) << b.json << ": " << error;
  return b;
}

Built build(std::string_view line, uint32_t request_id = 5) {
  AppCounters counters;
  counters.next_request_id = request_id;
  return build(line, counters);
}

std::string usage_error(std::string_view line) {
  AppCounters counters;
  const auto parse = build_app_request(split_command(line), counters);
  if (!parse) return "not an app command";
  return parse->request ? "built: " + parse->request->json : parse->error;
}

TEST(CliAppCommands, StorageCommandsBuildTheirMessages) {
  const auto w =
      build(R"(storage write saves slot1 @3 read=2 write=0 {"level": 3, "name": "a b"})");
  ASSERT_EQ(w.cmd, cmd::kStorageWrite);
  const auto* write = proto::verified_root<msg::StorageWrite>(w.payload);
  ASSERT_NE(write, nullptr);
  EXPECT_EQ(write->request_id(), 5u);
  ASSERT_EQ(write->objects()->size(), 1u);
  const auto* item = write->objects()->Get(0);
  EXPECT_EQ(item->collection()->str(), "saves");
  EXPECT_EQ(item->key()->str(), "slot1");
  EXPECT_EQ(item->value()->str(), R"({"level": 3, "name": "a b"})");
  EXPECT_EQ(item->version(), 3u);
  EXPECT_FALSE(item->if_absent());
  EXPECT_EQ(item->permission_read(), 2);
  EXPECT_EQ(item->permission_write(), 0);

  const auto a = build(R"(storage write saves slot1 @absent {})");
  const auto* absent = proto::verified_root<msg::StorageWrite>(a.payload)->objects()->Get(0);
  EXPECT_TRUE(absent->if_absent());
  EXPECT_EQ(absent->permission_read(), 1) << "the schema's default";

  const auto r = build("storage read saves slot1 #42");
  ASSERT_EQ(r.cmd, cmd::kStorageRead);
  const auto* read = proto::verified_root<msg::StorageRead>(r.payload);
  ASSERT_NE(read, nullptr);
  EXPECT_EQ(read->objects()->Get(0)->user_id(), 42u);

  const auto d = build("storage delete saves slot1 @2");
  ASSERT_EQ(d.cmd, cmd::kStorageDelete);
  EXPECT_EQ(proto::verified_root<msg::StorageDelete>(d.payload)->objects()->Get(0)->version(), 2u);

  const auto l = build("storage list saves #7 10 s1.abc.def");
  ASSERT_EQ(l.cmd, cmd::kStorageList);
  const auto* list = proto::verified_root<msg::StorageList>(l.payload);
  ASSERT_NE(list, nullptr);
  EXPECT_EQ(list->collection()->str(), "saves");
  EXPECT_EQ(list->user_id(), 7u);
  EXPECT_EQ(list->limit(), 10u);
  EXPECT_EQ(list->cursor()->str(), "s1.abc.def");

  for (const char* bad :
       {"storage", "storage write saves", "storage write saves k",
        "storage write saves k read=3 {}", "storage write saves k @0 {}", "storage read saves",
        "storage read saves k 42", "storage delete saves k @absent", "storage peek saves k"}) {
    EXPECT_EQ(usage_error(bad).rfind("usage: storage", 0), 0u) << bad << ": " << usage_error(bad);
  }
}

template <class Table>
const Table* as(const Built& b) {
  const Table* t = proto::verified_root<Table>(b.payload);
  EXPECT_NE(t, nullptr);
  return t;
}

TEST(CliAppCommands, Logins) {
  const Built guest = build("guest device-42", 7);
  EXPECT_EQ(guest.cmd, cmd::kGuestLogin);
  EXPECT_EQ(guest.json, R"({"request_id":7,"device_id":"device-42"})");
  const Built login = build("login alice two words");
  EXPECT_EQ(login.cmd, cmd::kLogin);
  ASSERT_NE(as<msg::Login>(login), nullptr);
  EXPECT_EQ(as<msg::Login>(login)->username()->string_view(), "alice");
  EXPECT_EQ(as<msg::Login>(login)->password()->string_view(), "two words");
  const Built reg = build(R"(register bob pa"ss\word)");
  EXPECT_EQ(reg.cmd, cmd::kRegister);
  EXPECT_EQ(as<msg::Register>(reg)->password()->string_view(), R"(pa"ss\word)") << reg.json;
  EXPECT_EQ(build("logout", 9).json, R"({"request_id":9})");
  EXPECT_EQ(build("logout").cmd, cmd::kLogout);
}

TEST(CliAppCommands, Chat) {
  const Built say = build("say hello \"world\"");
  EXPECT_EQ(say.cmd, cmd::kChatSend);
  EXPECT_EQ(as<msg::ChatSend>(say)->channel()->string_view(), "world");
  EXPECT_EQ(as<msg::ChatSend>(say)->text()->string_view(), "hello \"world\"");
  EXPECT_EQ(build("chat create lobby").cmd, cmd::kChatCreate);
  EXPECT_EQ(build("chat join lobby").cmd, cmd::kChatJoin);
  EXPECT_EQ(build("chat leave lobby").cmd, cmd::kChatLeave);
  EXPECT_EQ(build("chat members lobby").cmd, cmd::kChatMembers);
  EXPECT_EQ(as<msg::ChatMembers>(build("chat members lobby"))->channel()->string_view(), "lobby");
  const Built send = build("chat send lobby hi all");
  EXPECT_EQ(send.cmd, cmd::kChatSend);
  EXPECT_EQ(as<msg::ChatSend>(send)->channel()->string_view(), "lobby");
  EXPECT_EQ(as<msg::ChatSend>(send)->text()->string_view(), "hi all");
  const Built tell = build("tell carol psst");
  EXPECT_EQ(tell.cmd, cmd::kChatPrivate);
  EXPECT_EQ(as<msg::ChatPrivate>(tell)->to_username()->string_view(), "carol");
  const Built tell_id = build("tell #12 psst");
  EXPECT_EQ(as<msg::ChatPrivate>(tell_id)->to_user_id(), 12u);
  EXPECT_EQ(as<msg::ChatPrivate>(tell_id)->to_username(), nullptr);
  EXPECT_EQ(build("online").cmd, cmd::kChatOnlineCount);
}

TEST(CliAppCommands, RoomsAndMatchmaking) {
  const Built join = build("join arena", 11);
  EXPECT_EQ(join.cmd, cmd::kRoomJoin);
  const auto* j = as<msg::RoomJoin>(join);
  ASSERT_NE(j, nullptr);
  EXPECT_EQ(j->request_id(), 11u);
  EXPECT_EQ(j->room_type()->string_view(), "arena");
  EXPECT_EQ(j->room_id(), 0u) << "join-or-create";
  EXPECT_FALSE(j->create());
  EXPECT_EQ(j->last_frame(), 0u);
  // (The tables point into the Built payloads: keep those alive.)
  const Built by_id = build("join lockstep 4000000000");
  EXPECT_EQ(as<msg::RoomJoin>(by_id)->room_id(), 4000000000u);
  const Built create = build("create arena");
  EXPECT_TRUE(as<msg::RoomJoin>(create)->create());
  EXPECT_EQ(as<msg::RoomJoin>(create)->room_id(), 0u);
  EXPECT_EQ(build("leave").cmd, cmd::kRoomLeave);
  EXPECT_EQ(as<msg::RoomLeave>(build("leave", 3))->request_id(), 3u);
  const Built match = build("match arena ranked -15");
  EXPECT_EQ(match.cmd, cmd::kMatchFind);
  const auto* m = as<msg::MatchFind>(match);
  EXPECT_EQ(m->room_type()->string_view(), "arena");
  EXPECT_EQ(m->mode()->string_view(), "ranked");
  EXPECT_EQ(m->skill(), -15);
  EXPECT_EQ(build("unmatch").cmd, cmd::kMatchCancel);
}

TEST(CliAppCommands, MoveIsOneWayAndItsSequenceRises) {
  AppCounters counters;
  const Built first = build("move 1 -0.5", counters);
  const Built second = build("move 0 0.25", counters);
  EXPECT_EQ(first.cmd, cmd::kArenaInput);
  EXPECT_TRUE(first.one_way);
  const auto* a = as<msg::ArenaInput>(first);
  const auto* b = as<msg::ArenaInput>(second);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->seq(), 1u);
  EXPECT_EQ(b->seq(), 2u);
  EXPECT_FLOAT_EQ(a->dx(), 1.0f);
  EXPECT_FLOAT_EQ(a->dy(), -0.5f);
  EXPECT_FLOAT_EQ(b->dy(), 0.25f);
  EXPECT_EQ(counters.next_request_id, 1u) << "inputs carry no request id";
  // A bad move does not use up a sequence number.
  EXPECT_NE(usage_error("move 1"), "");
  EXPECT_EQ(as<msg::ArenaInput>(build("move 0 0", counters))->seq(), 3u);
}

TEST(CliAppCommands, Leaderboards) {
  const Built submit = build("lb submit weekly 1200 3 {\"car\": \"red\"}");
  EXPECT_EQ(submit.cmd, cmd::kLeaderboardSubmit);
  const auto* s = as<msg::LeaderboardSubmit>(submit);
  EXPECT_EQ(s->board_id()->string_view(), "weekly");
  EXPECT_EQ(s->score(), 1200);
  EXPECT_EQ(s->subscore(), 3);
  EXPECT_EQ(s->metadata()->string_view(), "{\"car\": \"red\"}");
  EXPECT_EQ(as<msg::LeaderboardSubmit>(build("lb submit weekly -5"))->metadata(), nullptr);
  const Built top = build("lb top weekly");
  EXPECT_EQ(top.cmd, cmd::kLeaderboardTop);
  EXPECT_EQ(as<msg::LeaderboardTop>(top)->limit(), 10u);
  EXPECT_EQ(as<msg::LeaderboardTop>(top)->period(), msg::LeaderboardPeriod::Current);
  const Built prev = build("lb prev weekly 50 AQBgabc");
  EXPECT_EQ(as<msg::LeaderboardTop>(prev)->limit(), 50u);
  EXPECT_EQ(as<msg::LeaderboardTop>(prev)->cursor()->string_view(), "AQBgabc");
  EXPECT_EQ(as<msg::LeaderboardTop>(prev)->period(), msg::LeaderboardPeriod::Previous);
  EXPECT_EQ(as<msg::LeaderboardAround>(build("lb around weekly 5"))->limit(), 5u);
  EXPECT_EQ(build("lb mine weekly").cmd, cmd::kLeaderboardMine);
  const Built removed = build("lb delete weekly");
  EXPECT_EQ(removed.cmd, cmd::kLeaderboardDelete);
  EXPECT_EQ(as<msg::LeaderboardDelete>(removed)->board_id()->string_view(), "weekly");
  const Built records = build("lb records weekly 4 8 15");
  const auto* ids = as<msg::LeaderboardRecords>(records)->user_ids();
  ASSERT_NE(ids, nullptr);
  EXPECT_EQ(std::vector<uint64_t>(ids->begin(), ids->end()), (std::vector<uint64_t>{4, 8, 15}));
  for (const char* bad :
       {"lb", "lb submit weekly", "lb submit weekly high", "lb top weekly 0", "lb top weekly 101",
        "lb records weekly", "lb records weekly x", "lb mine weekly 3", "lb shout weekly",
        "lb delete", "lb delete weekly 7"}) {
    EXPECT_EQ(usage_error(bad).rfind("usage: lb ", 0), 0u) << bad;
  }
  EXPECT_EQ(reply_cmd_for(cmd::kLeaderboardSubmit), cmd::kLeaderboardReply);
  EXPECT_EQ(reply_cmd_for(cmd::kLeaderboardRecords), cmd::kLeaderboardReply);
  EXPECT_EQ(reply_cmd_for(cmd::kLeaderboardDelete), cmd::kLeaderboardReply);
  EXPECT_EQ(reply_result_name(
                cmd::kLeaderboardReply,
                client::test::bytes_of(cmd::kLeaderboardReply, R"({"result": "BadCursor"})")),
            "BadCursor");
}

TEST(CliAppCommands, BadArgumentsGiveTheUsage) {
  EXPECT_EQ(usage_error("guest"), "usage: guest DEVICE_ID");
  EXPECT_EQ(usage_error("guest a b"), "usage: guest DEVICE_ID");
  EXPECT_EQ(usage_error("login alice"), "usage: login USER PASSWORD");
  EXPECT_EQ(usage_error("say"), "usage: say TEXT");
  EXPECT_EQ(usage_error("chat shout lobby"), "usage: chat create|join|leave|members CHANNEL");
  EXPECT_EQ(usage_error("chat send lobby"), "usage: chat create|join|leave|members CHANNEL");
  EXPECT_EQ(usage_error("tell #x hi"), "usage: tell USER TEXT");
  EXPECT_EQ(usage_error("join arena 0"), "usage: join ROOM_TYPE [ROOM_ID]");
  EXPECT_EQ(usage_error("join arena 1 2"), "usage: join ROOM_TYPE [ROOM_ID]");
  EXPECT_EQ(usage_error("match arena ranked high"), "usage: match ROOM_TYPE MODE SKILL");
  EXPECT_EQ(usage_error("move x 0"), "usage: move DX DY");
  EXPECT_EQ(usage_error("move inf 0"), "usage: move DX DY");
  EXPECT_EQ(usage_error("leave now"), "usage: leave");
  EXPECT_EQ(usage_error("ping"), "not an app command");
  // Every command in the help has a usage that starts with its name.
  for (const AppCommandHelp& h : app_command_help()) EXPECT_FALSE(h.usage.empty());
}

TEST(CliAppCommands, ReplyResultsByName) {
  using client::test::bytes_of;
  EXPECT_EQ(reply_result_name(cmd::kAuthReply, bytes_of(cmd::kAuthReply, R"({"request_id": 1})")),
            "Ok");
  EXPECT_EQ(
      reply_result_name(cmd::kChatReply, bytes_of(cmd::kChatReply, R"({"result": "RateLimited"})")),
      "RateLimited");
  EXPECT_EQ(reply_result_name(cmd::kRoomReply, bytes_of(cmd::kRoomReply, R"({"result": 3})")),
            "RoomFull");
  EXPECT_EQ(
      reply_result_name(cmd::kMatchResult, bytes_of(cmd::kMatchResult, R"({"result": "NoMatch"})")),
      "NoMatch");
  EXPECT_EQ(reply_result_name(cmd::kChatMessage, bytes_of(cmd::kChatMessage, "{}")), "");
  EXPECT_EQ(reply_result_name(cmd::kRoomReply, std::vector<uint8_t>{1}), "");
}

TEST(CliParse, CmdsByNameAndReplyCmdsOfTheNewCommands) {
  EXPECT_EQ(parse_cmd_or_name("ArenaState"), cmd::kArenaState);
  EXPECT_EQ(parse_cmd_or_name("arenastate"), cmd::kArenaState);
  EXPECT_EQ(parse_cmd_or_name("pong"), proto::cmd::kPong);
  EXPECT_EQ(parse_cmd_or_name("0x0321"), cmd::kLockstepFrame);
  EXPECT_FALSE(parse_cmd_or_name("Arena"));
  EXPECT_EQ(cmd_name(cmd::kRoomEvent), "RoomEvent");
  EXPECT_EQ(cmd_hex(cmd::kRoomEvent), "0x0303");
  EXPECT_EQ(reply_cmd_for(cmd::kLogout), cmd::kAuthReply);
  EXPECT_EQ(reply_cmd_for(cmd::kRoomJoin), cmd::kRoomReply);
  EXPECT_EQ(reply_cmd_for(cmd::kMatchCancel), cmd::kRoomReply);
  EXPECT_EQ(reply_cmd_for(cmd::kStorageRead), cmd::kStorageReply);
  EXPECT_EQ(reply_cmd_for(cmd::kStorageWrite), cmd::kStorageReply);
  EXPECT_EQ(reply_cmd_for(cmd::kStorageDelete), cmd::kStorageReply);
  EXPECT_EQ(reply_cmd_for(cmd::kStorageList), cmd::kStorageReply);
  EXPECT_FALSE(reply_cmd_for(cmd::kArenaInput));
  EXPECT_TRUE(is_one_way(cmd::kArenaInput));
  EXPECT_TRUE(is_one_way(cmd::kLockstepInput));
  EXPECT_FALSE(is_one_way(cmd::kRoomJoin));
}

}  // namespace
}  // namespace citadel::cli
