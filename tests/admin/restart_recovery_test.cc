// Black box: players survive a crash of the server (issue 16). The real
// `citadel` binary on files in a temp dir; players log in, join a channel
// and a room and play; the server is SIGKILLed and started again on the
// same files; each player resumes with its token and is back in its
// channel and its room, with the room's state as of its last snapshot, and
// the room keeps ticking.
//
// Synchronisation: the test reads the recovery counters on /metrics (a
// record is counted once committed) instead of sleeping.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "admin_process.h"
#include "fixture.h"
#include "frame_helpers.h"
#include "http_client.h"
#include "protocol/arena_generated.h"
#include "protocol/auth_generated.h"
#include "protocol/chat_generated.h"
#include "protocol/commands.h"
#include "protocol/lockstep_generated.h"
#include "protocol/rooms_generated.h"
#include "server_process.h"

namespace citadel::test {
namespace {

namespace msg = citadel::msg;
namespace cmd = citadel::protocol::cmd;

struct Player {
  TestClient conn;
  uint64_t user_id = 0;
  std::string token;
};

class RestartRecovery : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("citadel-recovery-" + std::to_string(::getpid()) + "-" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    proc_.server.reset();
    std::filesystem::remove_all(dir_);
  }

  // A server on this test's files (the same on every start). Snapshots
  // every 2 ticks and session writes every 20 ms keep the test short.
  void start(bool recovery = true) {
    ServerOptions o;
    o.config_yaml =
        "store:\n  path: " + (dir_ / "citadel.db").string() +
        "\nauth:\n  token_secret_file: " + (dir_ / "citadel.secret").string() +
        "\ncrash:\n  enabled: false\nrecovery:\n  enabled: " + (recovery ? "true" : "false") +
        "\n  path: " + (dir_ / "recovery.db").string() +
        "\n  snapshot_every_ticks: 2\n  session_flush_ms: 20\n";
    std::string why;
    ASSERT_TRUE(start_with_admin(std::move(o), proc_, &why)) << why;
  }
  void kill_now() {
    const auto status = proc_.server->stop(SIGKILL, 5s);
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(status->signal, SIGKILL);
    proc_.server.reset();
  }

  // A counter or gauge from /metrics; -1 if absent.
  double metric(const std::string& name) {
    std::string error;
    const auto r = http_get(proc_.admin_port, "/metrics", {}, 5s, &error);
    if (!r) return -1;
    // The line "<name> <value>" (a whole name: at the start of a line).
    const std::string key = name + " ";
    for (std::size_t at = 0; (at = r->body.find(key, at)) != std::string::npos; at += key.size()) {
      if (at == 0 || r->body[at - 1] == '\n') return std::stod(r->body.substr(at + key.size()));
    }
    return -1;
  }
  // Waits (bounded) until `name` reaches `at_least`.
  bool metric_reaches(const std::string& name, double at_least) {
    const auto deadline = Clock::now() + 10s;
    while (Clock::now() < deadline) {
      if (metric(name) >= at_least) return true;
      std::this_thread::sleep_for(10ms);  // polling an event, bounded by the deadline
    }
    return false;
  }
  // Everything the players did so far is in the recovery file: `rooms`
  // more snapshots committed than now (one may have been waiting already,
  // taken before this call; the next ones were taken after), and session
  // writes (every 20 ms) long done by then.
  void wait_saved(int snapshots = 3) {
    const double now = metric("citadel_recovery_room_snapshots_written_total");
    ASSERT_GE(now, 0);
    ASSERT_TRUE(metric_reaches("citadel_recovery_room_snapshots_written_total", now + snapshots));
  }

  // Without rooms: session writes (every 20 ms) are done once two more
  // commits land after this call (the writer gathers 100 ms a commit).
  void wait_saved_sessions() {
    const double now = metric("citadel_recovery_commits_total");
    ASSERT_GE(now, 0);
    ASSERT_TRUE(metric_reaches("citadel_recovery_commits_total", now + 2));
  }

  msg::AuthResult registered(Player& p, const std::string& name) {
    EXPECT_TRUE(p.conn.connect(proc_.server->port()));
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(msg::CreateRegisterDirect(fbb, 1, name.c_str(), "recovery-pass-1"));
    EXPECT_TRUE(p.conn.send_frame(cmd::kRegister, bytes_of(fbb)));
    const auto reply = next_of(p.conn, cmd::kAuthReply);
    if (!reply) return msg::AuthResult::InternalError;
    const auto* r = flatbuffers::GetRoot<msg::AuthReply>(reply->payload.data());
    p.user_id = r->user_id();
    p.token = r->token() ? r->token()->str() : "";
    return r->result();
  }
  // Resume on a new connection; the reply (AuthReply) is returned whole.
  std::optional<Frame> resume(Player& p) {
    p.conn = TestClient();
    EXPECT_TRUE(p.conn.connect(proc_.server->port()));
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(msg::CreateResumeDirect(fbb, 2, p.token.c_str(), 0));
    EXPECT_TRUE(p.conn.send_frame(cmd::kResume, bytes_of(fbb)));
    return next_of(p.conn, cmd::kAuthReply);
  }
  msg::ChatResult chat(Player& p, uint16_t command, const char* channel, uint32_t request_id) {
    flatbuffers::FlatBufferBuilder fbb;
    if (command == cmd::kChatCreate) {
      fbb.Finish(msg::CreateChatCreateDirect(fbb, request_id, channel));
    } else {
      fbb.Finish(msg::CreateChatJoinDirect(fbb, request_id, channel));
    }
    EXPECT_TRUE(p.conn.send_frame(command, bytes_of(fbb)));
    const auto reply = next_of(p.conn, cmd::kChatReply);
    if (!reply) return msg::ChatResult::InternalError;
    return flatbuffers::GetRoot<msg::ChatReply>(reply->payload.data())->result();
  }
  // RoomJoin; the room's id, or 0 if refused.
  uint64_t join(Player& p, const char* type, uint64_t room_id, uint32_t last_frame = 0) {
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(msg::CreateRoomJoinDirect(fbb, 3, type, room_id, false, last_frame));
    EXPECT_TRUE(p.conn.send_frame(cmd::kRoomJoin, bytes_of(fbb)));
    const auto reply = next_of(p.conn, cmd::kRoomReply);
    if (!reply) return 0;
    const auto* r = flatbuffers::GetRoot<msg::RoomReply>(reply->payload.data());
    EXPECT_EQ(r->result(), msg::RoomResult::Ok) << (r->message() ? r->message()->str() : "");
    return r->result() == msg::RoomResult::Ok ? r->room_id() : 0;
  }
  void arena_input(Player& p, uint32_t seq, float dx) {
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(msg::CreateArenaInput(fbb, seq, dx, 0));
    ASSERT_TRUE(p.conn.send_frame(cmd::kArenaInput, bytes_of(fbb)));
  }
  // The next ArenaState in which `who` has ack >= seq (bounded); its x.
  struct Seen {
    float x = -1;
    uint32_t tick = 0;
    std::size_t players = 0;
    bool snapshot = false;
  };
  std::optional<Seen> arena_until(Player& p, uint64_t who, uint32_t seq) {
    for (int i = 0; i < 200; ++i) {
      const auto f = next_of(p.conn, cmd::kArenaState);
      if (!f) return std::nullopt;
      const auto* s = flatbuffers::GetRoot<msg::ArenaState>(f->payload.data());
      if (s->players() == nullptr) continue;
      for (const auto* a : *s->players()) {
        if (a->user_id() == who && a->ack() >= seq) {
          return Seen{a->x(), s->tick(), s->players()->size(), s->snapshot()};
        }
      }
    }
    return std::nullopt;
  }

  std::filesystem::path dir_;
  AdminServerProcess proc_;
};

TEST_F(RestartRecovery, PlayersResumeIntoTheirChannelAndArenaRoomAfterKill9) {
  start();
  Player alice, bob;
  ASSERT_EQ(registered(alice, "rec-alice"), msg::AuthResult::Ok);
  ASSERT_EQ(registered(bob, "rec-bob"), msg::AuthResult::Ok);
  ASSERT_EQ(chat(alice, cmd::kChatCreate, "crew", 10), msg::ChatResult::Ok);
  ASSERT_EQ(chat(bob, cmd::kChatJoin, "crew", 11), msg::ChatResult::Ok);
  const uint64_t room = join(alice, "arena", 0);
  ASSERT_NE(room, 0u);
  ASSERT_EQ(join(bob, "arena", room), room);
  // One step right, then stand still (the latest input applies every tick).
  arena_input(alice, 1, 1.0f);
  ASSERT_TRUE(arena_until(alice, alice.user_id, 1).has_value());
  arena_input(alice, 2, 0.0f);
  const auto before = arena_until(alice, alice.user_id, 2);
  ASSERT_TRUE(before.has_value());
  ASSERT_GE(before->x, 505.0f);
  wait_saved();
  kill_now();

  start();
  EXPECT_EQ(metric("citadel_recovery_sessions_restored"), 2);
  EXPECT_EQ(metric("citadel_recovery_rooms_restored"), 1);
  for (Player* p : {&alice, &bob}) {
    const auto reply = resume(*p);
    ASSERT_TRUE(reply.has_value());
    const auto* r = flatbuffers::GetRoot<msg::AuthReply>(reply->payload.data());
    ASSERT_EQ(r->result(), msg::AuthResult::Ok) << (r->message() ? r->message()->str() : "");
    EXPECT_TRUE(r->resumed());
    EXPECT_TRUE(r->resync_required());  // the pushes before the crash are gone
    EXPECT_EQ(r->user_id(), p->user_id);
    const auto event = next_of(p->conn, cmd::kRoomEvent);
    ASSERT_TRUE(event.has_value());
    const auto* e = flatbuffers::GetRoot<msg::RoomEvent>(event->payload.data());
    EXPECT_EQ(e->kind(), msg::RoomEventKind::Rejoined);
    EXPECT_EQ(e->room_id(), room);
    ASSERT_NE(e->reason(), nullptr);
    EXPECT_EQ(e->reason()->str(), "arena");
  }
  // The room's state as of its snapshot: alice where she was, bob there too.
  const auto back = arena_until(alice, alice.user_id, 2);
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(back->snapshot);
  EXPECT_FLOAT_EQ(back->x, before->x);
  EXPECT_EQ(back->players, 2u);
  // Tick numbers go on past every one seen before the crash.
  EXPECT_GT(back->tick, before->tick);
  // And it keeps ticking: the next input is applied.
  arena_input(alice, 3, -1.0f);
  const auto moved = arena_until(alice, alice.user_id, 3);
  ASSERT_TRUE(moved.has_value());
  EXPECT_FLOAT_EQ(moved->x, before->x - 5.0f);

  // Both are still in their channel: a message from one reaches the other.
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(msg::CreateChatSendDirect(fbb, 12, "crew", "still here"));
  ASSERT_TRUE(alice.conn.send_frame(cmd::kChatSend, bytes_of(fbb)));
  std::optional<Frame> got;
  while ((got = next_of(bob.conn, cmd::kChatMessage))) {
    const auto* m = flatbuffers::GetRoot<msg::ChatMessage>(got->payload.data());
    if (m->text() != nullptr && m->text()->str() == "still here") break;
  }
  ASSERT_TRUE(got.has_value());
  const auto* m = flatbuffers::GetRoot<msg::ChatMessage>(got->payload.data());
  EXPECT_EQ(m->channel()->str(), "crew");
  EXPECT_EQ(m->from_user_id(), alice.user_id);
}

TEST_F(RestartRecovery, LockstepFramesGoOnPastEveryFrameSentBeforeTheCrash) {
  start();
  Player carol;
  ASSERT_EQ(registered(carol, "rec-carol"), msg::AuthResult::Ok);
  const uint64_t room = join(carol, "lockstep", 0);
  ASSERT_NE(room, 0u);
  uint32_t last_seen = 0;
  for (int i = 0; i < 3; ++i) {
    const auto f = next_of(carol.conn, cmd::kLockstepFrame);
    ASSERT_TRUE(f.has_value());
    last_seen = flatbuffers::GetRoot<msg::LockstepFrame>(f->payload.data())->frame();
  }
  wait_saved();
  // Frames sent while waiting: the last one seen before the kill.
  while (true) {
    const ReadResult r = carol.conn.read_frame(0ms);
    if (r.status != ReadStatus::kFrame) break;
    if (r.frame.cmd == cmd::kLockstepFrame) {
      last_seen = flatbuffers::GetRoot<msg::LockstepFrame>(r.frame.payload.data())->frame();
    }
  }
  kill_now();

  start();
  const auto reply = resume(carol);
  ASSERT_TRUE(reply.has_value());
  ASSERT_EQ(flatbuffers::GetRoot<msg::AuthReply>(reply->payload.data())->result(),
            msg::AuthResult::Ok);
  const auto event = next_of(carol.conn, cmd::kRoomEvent);
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(flatbuffers::GetRoot<msg::RoomEvent>(event->payload.data())->kind(),
            msg::RoomEventKind::Rejoined);
  // As after any resume: say which frame you saw last.
  ASSERT_EQ(join(carol, "lockstep", room, last_seen), room);
  const auto f = next_of(carol.conn, cmd::kLockstepFrame);
  ASSERT_TRUE(f.has_value());
  const uint32_t first = flatbuffers::GetRoot<msg::LockstepFrame>(f->payload.data())->frame();
  // The frames in between are gone: the number jumps, and never repeats one
  // sent before the crash with other inputs.
  EXPECT_GT(first, last_seen + 1);
}

TEST_F(RestartRecovery, WithRecoveryOffAResumeAfterARestartFindsNoSession) {
  start(false);
  Player dave;
  ASSERT_EQ(registered(dave, "rec-dave"), msg::AuthResult::Ok);
  kill_now();
  start(false);
  const auto reply = resume(dave);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(flatbuffers::GetRoot<msg::AuthReply>(reply->payload.data())->result(),
            msg::AuthResult::SessionGone);
}

TEST_F(RestartRecovery, APlayerWhoLoggedOutIsNotBroughtBack) {
  start();
  Player erin, frank;
  ASSERT_EQ(registered(erin, "rec-erin"), msg::AuthResult::Ok);
  ASSERT_EQ(registered(frank, "rec-frank"), msg::AuthResult::Ok);
  const uint64_t room = join(frank, "arena", 0);
  ASSERT_NE(room, 0u);
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(msg::CreateLogout(fbb, 5));
  ASSERT_TRUE(erin.conn.send_frame(cmd::kLogout, bytes_of(fbb)));
  ASSERT_TRUE(next_of(erin.conn, cmd::kAuthReply).has_value());
  wait_saved();
  kill_now();
  start();
  EXPECT_EQ(metric("citadel_recovery_sessions_restored"), 1);  // frank only
  const auto reply = resume(erin);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(flatbuffers::GetRoot<msg::AuthReply>(reply->payload.data())->result(),
            msg::AuthResult::SessionGone);
}

TEST_F(RestartRecovery, ADamagedRecoveryFileIsSetAsideAndTheServerStarts) {
  {
    std::ofstream out(dir_ / "recovery.db");
    out << std::string(8192, 'z');  // not a database
  }
  start();
  Player gina;
  EXPECT_EQ(registered(gina, "rec-gina"), msg::AuthResult::Ok);
  EXPECT_TRUE(std::filesystem::exists(dir_ / "recovery.db.damaged"));
  EXPECT_TRUE(proc_.server->wait_for_output("moved to", 5s)) << proc_.server->output();
  // And the fresh file works: the new session survives the next kill.
  wait_saved_sessions();
  kill_now();
  start();
  EXPECT_EQ(metric("citadel_recovery_sessions_restored"), 1);
}

}  // namespace
}  // namespace citadel::test
