// The room runtime over real sockets: join-or-create, the arena's rules,
// leaving, faults confined to one room, resume back into the room,
// lockstep frames and catch-up, matchmaking, and the input queue's bound.
#include <cmath>
#include <cstring>
#include <functional>
#include <future>
#include <set>
#include <stdexcept>

#include "room_fixture.h"
#include "rooms/games/arena_room.h"
#include "rooms/games/lockstep_room.h"

namespace citadel {
namespace {

using R = msg::RoomResult;

// A room type for fault tests: "boom" as input throws; a third player is refused.
constexpr uint16_t kFragileInput = 0x7F01;
class FragileRoom final : public rooms::TypedRoomLogic<msg::LockstepInput> {
 public:
  std::string on_join(rooms::RoomContext& ctx, const rooms::Player&) override {
    return ctx.players().size() >= 2 ? "two is company" : "";
  }
  void on_input(rooms::RoomContext&, const rooms::Player&, const msg::LockstepInput& in) override {
    if (in.data() && in.data()->size() == 4 && std::memcmp(in.data()->data(), "boom", 4) == 0) {
      throw std::runtime_error("boom");
    }
  }
  void on_tick(rooms::RoomContext&) override {}
  // Nothing to keep, but a snapshot (crash recovery) may be taken.
  bool save_state(std::vector<uint8_t>&) override { return true; }
  bool restore_state(rooms::RoomContext&, std::span<const uint8_t>) override { return true; }
};

TEST_F(RoomTest, JoinOrCreateFillsOpenRoomsBeforeOpeningNewOnes) {
  arena_.max_players = 2;
  start();
  Player a = login("fill-a"), b = login("fill-b"), c = login("fill-c");
  const auto ra = request(a, cmd::kRoomJoin, join_msg("arena"));
  ASSERT_EQ(ra.result, R::Ok) << ra.message;
  EXPECT_EQ(ra.members, 1u);
  const auto rb = request(b, cmd::kRoomJoin, join_msg("arena"));
  ASSERT_EQ(rb.result, R::Ok);
  EXPECT_EQ(rb.room_id, ra.room_id);
  EXPECT_EQ(rb.members, 2u);
  const auto rc = request(c, cmd::kRoomJoin, join_msg("arena"));
  ASSERT_EQ(rc.result, R::Ok);
  EXPECT_NE(rc.room_id, ra.room_id);
  // a hears b arrive.
  const auto ev_frame = read_until(a.client, cmd::kRoomEvent);
  const auto* ev = as<msg::RoomEvent>(ev_frame);
  ASSERT_NE(ev, nullptr);
  EXPECT_EQ(ev->kind(), msg::RoomEventKind::PlayerJoined);
  EXPECT_EQ(ev->user_id(), b.id);
  // A full room by id, an unknown type, an unknown room: specific answers.
  Player d = login("fill-d");
  EXPECT_EQ(request(d, cmd::kRoomJoin, join_msg("arena", ra.room_id)).result, R::RoomFull);
  EXPECT_EQ(request(d, cmd::kRoomJoin, join_msg("chess")).result, R::NoSuchRoomType);
  EXPECT_EQ(request(d, cmd::kRoomJoin, join_msg("arena", 999)).result, R::NoSuchRoom);
  EXPECT_EQ(request(a, cmd::kRoomJoin, join_msg("arena")).result, R::AlreadyInRoom);
}

TEST_F(RoomTest, ArenaAppliesTheLatestInputEachTickAndAcksItsSeq) {
  start();
  Player a = login("arena-a"), b = login("arena-b");
  ASSERT_EQ(request(a, cmd::kRoomJoin, join_msg("arena")).result, R::Ok);
  // The joiner's first state is a snapshot with itself at the centre.
  ASSERT_TRUE(arena_until(a.client, [&](const msg::ArenaState& s) {
    const auto* me = find_player(s, a.id);
    return s.snapshot() && me && me->x() == 500 && me->y() == 500 && me->ack() == 0;
  }));
  ASSERT_EQ(request(b, cmd::kRoomJoin, join_msg("arena")).result, R::Ok);
  ASSERT_TRUE(a.client.send_frame(cmd::kArenaInput, arena_input(1, 1.0f, -7.0f)));  // dy clamped
  float x1 = 0;
  ASSERT_TRUE(arena_until(a.client, [&](const msg::ArenaState& s) {
    const auto* me = find_player(s, a.id);
    if (!me || me->ack() != 1) return false;
    x1 = me->x();
    EXPECT_EQ(me->y(), 500 - 5 * (me->x() - 500) / 5);  // dy = -1 after clamping, as many ticks
    return true;
  }));
  EXPECT_GE(x1, 505.0f);
  // b sees a's movement too: every member gets every tick's changes.
  ASSERT_TRUE(arena_until(b.client, [&](const msg::ArenaState& s) {
    const auto* other = find_player(s, a.id);
    return other && other->ack() == 1 && other->x() > 500;
  }));
  // A stale seq is ignored: ack stays at the newest.
  ASSERT_TRUE(a.client.send_frame(cmd::kArenaInput, arena_input(3, 0, 0)));
  ASSERT_TRUE(a.client.send_frame(cmd::kArenaInput, arena_input(2, 1, 1)));
  ASSERT_TRUE(arena_until(a.client, [&](const msg::ArenaState& s) {
    const auto* me = find_player(s, a.id);
    return me && me->ack() == 3;
  }));
  // Leave: Ok, b is told, then the room is no longer ours.
  EXPECT_EQ(request(a, cmd::kRoomLeave, leave_msg()).result, R::Ok);
  EXPECT_EQ(request(a, cmd::kRoomLeave, leave_msg()).result, R::NotInRoom);
  const auto left_frame = read_until(b.client, cmd::kRoomEvent);
  const auto* left = as<msg::RoomEvent>(left_frame);
  ASSERT_NE(left, nullptr);
  EXPECT_EQ(left->kind(), msg::RoomEventKind::PlayerLeft);
}

// Found by the app fuzz target: std::clamp passes NaN through, and one NaN
// input made the avatar's position NaN for good, in every player's state.
TEST_F(RoomTest, ArenaIgnoresAnInputThatIsNotANumber) {
  start();
  Player a = login("arena-nan");
  ASSERT_EQ(request(a, cmd::kRoomJoin, join_msg("arena")).result, R::Ok);
  auto finite = [&](const msg::ArenaState& s) {
    const auto* me = find_player(s, a.id);
    EXPECT_TRUE(me == nullptr || (std::isfinite(me->x()) && std::isfinite(me->y())));
    return false;
  };
  // Each NaN input alone in its ticks (a tick applies only the latest input).
  ASSERT_TRUE(a.client.send_frame(cmd::kArenaInput, arena_input(1, std::nanf(""), 0)));
  arena_until(a.client, finite, 200ms);  // four ticks, every state checked
  ASSERT_TRUE(a.client.send_frame(cmd::kArenaInput, arena_input(2, 0, std::nanf(""))));
  arena_until(a.client, finite, 200ms);
  // The next real input moves the avatar from where it was.
  ASSERT_TRUE(a.client.send_frame(cmd::kArenaInput, arena_input(3, 1, 0)));
  ASSERT_TRUE(arena_until(a.client, [&](const msg::ArenaState& s) {
    const auto* me = find_player(s, a.id);
    return me && me->ack() == 3 && me->x() > 500 && me->y() == 500;
  }));
}

TEST_F(RoomTest, InputsOutsideARoomOrMalformedGetSpecificErrorsAndTheConnectionStays) {
  start();
  Player a = login("stray-a");
  ASSERT_TRUE(a.client.send_frame(cmd::kArenaInput, arena_input(1, 1, 1)));
  auto r = a.client.read_frame(5s);
  ASSERT_EQ(r.status, ReadStatus::kFrame);
  EXPECT_EQ(r.frame.error_code(), static_cast<uint16_t>(protocol::ErrorCode::kNotInRoom));
  ASSERT_TRUE(a.client.send_frame(cmd::kArenaInput, std::string_view("\x01\x02\x03")));
  r = a.client.read_frame(5s);
  ASSERT_EQ(r.status, ReadStatus::kFrame);
  EXPECT_EQ(r.frame.error_code(), static_cast<uint16_t>(protocol::ErrorCode::kBadPayload));
  EXPECT_TRUE(a.client.ping());
  // Before login: ERROR 9, as for every game command.
  TestClient anon = connect();
  ASSERT_TRUE(anon.send_frame(cmd::kRoomJoin, join_msg("arena")));
  r = anon.read_frame(5s);
  ASSERT_EQ(r.status, ReadStatus::kFrame);
  EXPECT_EQ(r.frame.error_code(), static_cast<uint16_t>(protocol::ErrorCode::kNotAuthenticated));
}

TEST_F(RoomTest, AnExceptionInRoomCodeClosesThatRoomAloneAndIsCounted) {
  rooms::RoomTypeOptions options;
  options.max_players = 10;
  extra_room_types_.push_back(
      rooms::make_room_type<FragileRoom>("fragile", kFragileInput, options));
  start();
  Player a = login("fault-a"), b = login("fault-b"), c = login("fault-c"), d = login("fault-d");
  ASSERT_EQ(request(a, cmd::kRoomJoin, join_msg("fragile")).result, R::Ok);
  ASSERT_EQ(request(b, cmd::kRoomJoin, join_msg("fragile")).result, R::Ok);
  const auto refused = request(c, cmd::kRoomJoin, join_msg("fragile"));
  EXPECT_EQ(refused.result, R::Rejected);
  EXPECT_EQ(refused.message, "two is company");
  ASSERT_EQ(request(d, cmd::kRoomJoin, join_msg("arena")).result, R::Ok);

  ASSERT_TRUE(a.client.send_frame(kFragileInput, lockstep_input("boom")));
  for (Player* p : {&a, &b}) {
    auto closed_frame = read_until(p->client, cmd::kRoomEvent);
    const auto* closed = as<msg::RoomEvent>(closed_frame);
    ASSERT_NE(closed, nullptr);
    if (closed->kind() == msg::RoomEventKind::PlayerJoined) {  // b's arrival, seen by a
      closed_frame = read_until(p->client, cmd::kRoomEvent);
      closed = as<msg::RoomEvent>(closed_frame);
      ASSERT_NE(closed, nullptr);
    }
    EXPECT_EQ(closed->kind(), msg::RoomEventKind::Closed);
    EXPECT_NE(closed->reason()->str().find("boom"), std::string::npos) << closed->reason()->str();
  }
  EXPECT_EQ(services_->rooms().stats().rooms_faulted, 1u);
  // The arena room next door still ticks, and the fault's players may join another room.
  ASSERT_TRUE(arena_until(d.client, [](const msg::ArenaState& s) { return s.tick() > 2; }));
  const auto again = request(a, cmd::kRoomJoin, join_msg("arena"));
  EXPECT_EQ(again.result, R::Ok) << again.message;
}

TEST_F(RoomTest, AResumedPlayerIsBackInTheSameRoomWithAFreshSnapshot) {
  start();
  Player a = login("resume-a"), b = login("resume-b");
  const auto joined = request(a, cmd::kRoomJoin, join_msg("arena"));
  ASSERT_EQ(joined.result, R::Ok);
  ASSERT_EQ(request(b, cmd::kRoomJoin, join_msg("arena")).result, R::Ok);
  a.client.close();
  const auto gone_frame = read_until(b.client, cmd::kRoomEvent);
  const auto* gone = as<msg::RoomEvent>(gone_frame);
  ASSERT_NE(gone, nullptr);
  EXPECT_EQ(gone->kind(), msg::RoomEventKind::PlayerDisconnected);

  TestClient again = connect();
  const auto resumed = call(again, cmd::kResume, resume(a.token, 0));
  ASSERT_TRUE(resumed);
  ASSERT_EQ(resumed->result, msg::AuthResult::Ok);
  const auto back_frame = read_until(again, cmd::kRoomEvent);
  const auto* back = as<msg::RoomEvent>(back_frame);
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(back->kind(), msg::RoomEventKind::Rejoined);
  EXPECT_EQ(back->room_id(), joined.room_id);
  ASSERT_TRUE(arena_until(again, [&](const msg::ArenaState& s) {
    return s.snapshot() && find_player(s, a.id) && find_player(s, b.id);
  }));
  // Inputs from the new connection reach the room.
  ASSERT_TRUE(again.send_frame(cmd::kArenaInput, arena_input(1, 1, 0)));
  ASSERT_TRUE(arena_until(again, [&](const msg::ArenaState& s) {
    const auto* me = find_player(s, a.id);
    return me && me->ack() == 1;
  }));
}

// Crash recovery through a planned restart (the black-box suite kills the
// process): rooms on logic threads save their snapshots from those threads,
// and the new process puts each player back where it stood.
TEST_F(RoomTest, AfterARestartAResumedPlayerIsBackInItsRoomWhereItStood) {
  recovery_.enabled = true;
  recovery_.snapshot_every_ticks = 1;
  recovery_.session_flush = 10ms;
  rooms_.executor_threads = 2;
  start();
  Player a = login("restart-a"), b = login("restart-b");
  const auto joined = request(a, cmd::kRoomJoin, join_msg("arena"));
  ASSERT_EQ(joined.result, R::Ok);
  ASSERT_EQ(request(b, cmd::kRoomJoin, join_msg("arena")).result, R::Ok);
  ASSERT_TRUE(a.client.send_frame(cmd::kArenaInput, arena_input(1, 0, 1)));
  ASSERT_TRUE(arena_until(a.client, [&](const msg::ArenaState& s) {
    const auto* me = find_player(s, a.id);
    return me && me->ack() == 1;
  }));
  ASSERT_TRUE(a.client.send_frame(cmd::kArenaInput, arena_input(2, 0, 0)));
  float y = 0;
  ASSERT_TRUE(arena_until(a.client, [&](const msg::ArenaState& s) {
    const auto* me = find_player(s, a.id);
    if (me && me->ack() == 2) y = me->y();
    return me && me->ack() == 2;
  }));
  restart();  // a graceful stop commits what waits

  TestClient again = connect();
  const auto resumed = call(again, cmd::kResume, resume(a.token, 0));
  ASSERT_TRUE(resumed);
  ASSERT_EQ(resumed->result, msg::AuthResult::Ok);
  EXPECT_TRUE(resumed->resync);
  const auto back_frame = read_until(again, cmd::kRoomEvent);
  const auto* back = as<msg::RoomEvent>(back_frame);
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(back->kind(), msg::RoomEventKind::Rejoined);
  EXPECT_EQ(back->room_id(), joined.room_id);
  ASSERT_TRUE(arena_until(again, [&](const msg::ArenaState& s) {
    const auto* me = find_player(s, a.id);
    return s.snapshot() && me && me->y() == y && find_player(s, b.id);
  }));
  // A new room gets an id the old run never used.
  Player c = login("restart-c");
  const auto fresh = request(c, cmd::kRoomJoin, join_msg("arena", 0, true));
  ASSERT_EQ(fresh.result, R::Ok);
  EXPECT_GT(fresh.room_id, joined.room_id);
}

TEST_F(RoomTest, AfterARestartAPlayerWhoseRoomDidNotComeBackIsToldItClosed) {
  recovery_.enabled = true;
  recovery_.snapshot_every_ticks = 1;
  extra_room_types_.push_back(
      rooms::make_room_type<FragileRoom>("fragile", kFragileInput, rooms::RoomTypeOptions{}));
  start();
  Player a = login("lost-a");
  const auto joined = request(a, cmd::kRoomJoin, join_msg("fragile"));
  ASSERT_EQ(joined.result, R::Ok);
  // A snapshot taken after the join (the tick after a seat changes takes one).
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (services_->rooms().stats().snapshots == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);  // polling an event, bounded
  }
  ASSERT_GT(services_->rooms().stats().snapshots, 0u);
  services_config_.extra_room_types.clear();  // the next run serves no "fragile"
  restart();

  TestClient again = connect();
  const auto resumed = call(again, cmd::kResume, resume(a.token, 0));
  ASSERT_TRUE(resumed);
  ASSERT_EQ(resumed->result, msg::AuthResult::Ok);
  const auto closed_frame = read_until(again, cmd::kRoomEvent);
  const auto* closed = as<msg::RoomEvent>(closed_frame);
  ASSERT_NE(closed, nullptr);
  EXPECT_EQ(closed->kind(), msg::RoomEventKind::Closed);
  EXPECT_EQ(closed->room_id(), joined.room_id);
  EXPECT_NE(closed->reason()->str().find("no such room type"), std::string::npos)
      << closed->reason()->str();
  // In no room: a join is answered as for anyone.
  Player back{std::move(again), a.id, a.token};
  EXPECT_EQ(request(back, cmd::kRoomJoin, join_msg("arena")).result, R::Ok);
}

TEST_F(RoomTest, LockstepBroadcastsEachFramesInputsAndResendsMissedFrames) {
  lockstep_.max_players = 2;
  start();
  Player a = login("lock-a"), b = login("lock-b");
  const auto room = request(a, cmd::kRoomJoin, join_msg("lockstep"));
  ASSERT_EQ(room.result, R::Ok);
  ASSERT_EQ(request(b, cmd::kRoomJoin, join_msg("lockstep")).result, R::Ok);
  ASSERT_TRUE(a.client.send_frame(cmd::kLockstepInput, lockstep_input("fire")));
  // b receives, in order, frames; one of them carries a's input.
  uint32_t last = 0, with_input = 0;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (with_input == 0 && std::chrono::steady_clock::now() < deadline) {
    const auto f = read_until(b.client, cmd::kLockstepFrame);
    const auto* frame = as<msg::LockstepFrame>(f);
    ASSERT_NE(frame, nullptr);
    if (last != 0) {
      EXPECT_EQ(frame->frame(), last + 1);
    }
    last = frame->frame();
    if (frame->inputs() && frame->inputs()->size() == 1) {
      EXPECT_EQ(frame->inputs()->Get(0)->user_id(), a.id);
      EXPECT_EQ(frame->inputs()->Get(0)->data()->size(), 4u);
      with_input = frame->frame();
    }
  }
  ASSERT_NE(with_input, 0u);
  // Asking again for our own room from an earlier frame resends what followed, in order.
  ASSERT_TRUE(b.client.send_frame(cmd::kRoomJoin,
                                  join_msg("lockstep", room.room_id, false, with_input - 1)));
  ASSERT_EQ(as<msg::RoomReply>(read_until(b.client, cmd::kRoomReply))->result(), R::Ok);
  const auto first_frame = read_until(b.client, cmd::kLockstepFrame);
  const auto* first = as<msg::LockstepFrame>(first_frame);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->frame(), with_input);
  ASSERT_TRUE(first->inputs() && first->inputs()->size() == 1);
}

// Found by the app fuzz target: 256 inputs of 256 bytes in one frame made a
// LockstepFrame of 72 KiB, past the 64 KiB payload the client library accepts,
// so one player could get everyone in the room disconnected.
TEST_F(RoomTest, ALockstepFrameStaysWithinTheMaximumPayload) {
  lockstep_.tick_hz = 1;  // every input below lands in the same frame
  start();
  Player a = login("lock-flood");
  ASSERT_EQ(request(a, cmd::kRoomJoin, join_msg("lockstep")).result, R::Ok);
  const std::string data(256, 'd');
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(a.client.send_frame(cmd::kLockstepInput, lockstep_input(data)));
  }
  // However the inputs fall into frames, no frame holds more than its share;
  // the ones past it are ignored.
  const std::size_t per_frame = rooms::LockstepRoom::kMaxFrameBytes /
                                (data.size() + rooms::LockstepRoom::kInputOverheadBytes);
  std::size_t seen = 0;
  while (seen < per_frame) {
    const auto f = read_until(a.client, cmd::kLockstepFrame, 5s);
    ASSERT_EQ(f.cmd, cmd::kLockstepFrame);
    EXPECT_LE(f.payload.size(), protocol::kDefaultMaxPayloadBytes);
    const auto* frame = as<msg::LockstepFrame>(f);
    ASSERT_NE(frame, nullptr);
    const std::size_t inputs = frame->inputs() ? frame->inputs()->size() : 0;
    EXPECT_LE(inputs, per_frame);
    seen += inputs;
  }
}

TEST_F(RoomTest, MatchmakingGroupsCloseSkillsIntoOneNewRoomAndTimesOutTheRest) {
  arena_.match_size = 2;
  arena_.match_initial_window = 10;
  arena_.match_widen_per_second = 0;
  arena_.match_timeout = 700ms;
  start();
  Player a = login("match-a"), b = login("match-b"), far = login("match-far"),
         quitter = login("match-quit");
  EXPECT_EQ(request(a, cmd::kMatchFind, find_msg("arena", "duel", 1000)).result, R::Ok);
  EXPECT_EQ(request(a, cmd::kMatchFind, find_msg("arena", "duel", 1000)).result, R::AlreadyQueued);
  EXPECT_EQ(request(far, cmd::kMatchFind, find_msg("arena", "duel", 5000)).result, R::Ok);
  EXPECT_EQ(request(quitter, cmd::kMatchFind, find_msg("arena", "duel", 1001)).result, R::Ok);
  EXPECT_EQ(request(quitter, cmd::kMatchCancel, cancel_msg()).result, R::Ok);
  EXPECT_EQ(request(quitter, cmd::kMatchCancel, cancel_msg()).result, R::NotQueued);
  EXPECT_EQ(request(b, cmd::kMatchFind, find_msg("arena", "duel", 1005)).result, R::Ok);

  const auto ma_frame = read_until(a.client, cmd::kMatchResult);
  const auto* ma = as<msg::MatchResult>(ma_frame);
  const auto mb_frame = read_until(b.client, cmd::kMatchResult);
  const auto* mb = as<msg::MatchResult>(mb_frame);
  ASSERT_NE(ma, nullptr);
  ASSERT_NE(mb, nullptr);
  EXPECT_EQ(ma->result(), R::Ok);
  EXPECT_EQ(mb->result(), R::Ok);
  EXPECT_NE(ma->room_id(), 0u);
  EXPECT_EQ(ma->room_id(), mb->room_id());
  // What a RoomReply would say about the room: its tick rate and size.
  EXPECT_EQ(ma->tick_hz(), 20u);
  EXPECT_EQ(ma->max_players(), 16u);
  // The group is seated together: both MatchResults list both members, and
  // each member's first state is a snapshot of both (no PlayerJoined for
  // the partner trickling in afterwards).
  for (const auto* m : {ma, mb}) {
    ASSERT_NE(m->members(), nullptr);
    std::set<uint64_t> ids;
    for (const auto* member : *m->members()) ids.insert(member->user_id());
    EXPECT_EQ(ids, (std::set<uint64_t>{a.id, b.id}));
  }
  for (Player* p : {&a, &b}) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    bool snapshot_seen = false;
    while (!snapshot_seen && std::chrono::steady_clock::now() < deadline) {
      const auto r = p->client.read_frame(5s);
      ASSERT_EQ(r.status, ReadStatus::kFrame);
      if (r.frame.cmd == cmd::kRoomEvent) {
        const auto* ev = as<msg::RoomEvent>(r.frame);
        ASSERT_NE(ev, nullptr);
        EXPECT_NE(ev->kind(), msg::RoomEventKind::PlayerJoined) << "a partner joined later";
      }
      if (r.frame.cmd != cmd::kArenaState) continue;
      const auto* state = as<msg::ArenaState>(r.frame);
      ASSERT_NE(state, nullptr);
      EXPECT_TRUE(state->snapshot());
      EXPECT_NE(find_player(*state, a.id), nullptr);
      EXPECT_NE(find_player(*state, b.id), nullptr);
      snapshot_seen = true;
    }
    EXPECT_TRUE(snapshot_seen);
  }
  // The lone far skill gets "no match" after the timeout.
  const auto none_frame = read_until(far.client, cmd::kMatchResult, 5s);
  const auto* none = as<msg::MatchResult>(none_frame);
  ASSERT_NE(none, nullptr);
  EXPECT_EQ(none->result(), R::NoMatch);
  EXPECT_GE(none->waited_ms(), 700u);
}

TEST_F(RoomTest, AFullInputQueueDropsAndCountsInsteadOfGrowing) {
  arena_.tick_hz = 1;
  arena_.input_queue = 4;
  start();
  Player a = login("flood-a");
  ASSERT_EQ(request(a, cmd::kRoomJoin, join_msg("arena")).result, R::Ok);
  for (uint32_t seq = 1; seq <= 40; ++seq) {
    ASSERT_TRUE(a.client.send_frame(cmd::kArenaInput, arena_input(seq, 1, 0)));
  }
  // Every input is either queued or dropped, and the counters say which.
  auto stats = services_->rooms().stats();
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (stats.inputs + stats.inputs_dropped < 40 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
    stats = services_->rooms().stats();
  }
  EXPECT_EQ(stats.inputs + stats.inputs_dropped, 40u);
  EXPECT_GE(stats.inputs_dropped, 30u);  // at most 4 per tick, one tick (maybe two) meanwhile
  EXPECT_LE(stats.inputs, 10u);
  ASSERT_TRUE(a.client.send_frame(cmd::kPing, std::string_view("still here")));
  EXPECT_EQ(read_until(a.client, cmd::kPong).cmd, cmd::kPong);
}

TEST_F(RoomTest, AnEmptyRoomEndsAfterItsTimeToLive) {
  arena_.empty_ttl = 200ms;
  start();
  Player a = login("ttl-a");
  const auto first = request(a, cmd::kRoomJoin, join_msg("arena"));
  ASSERT_EQ(first.result, R::Ok);
  EXPECT_EQ(request(a, cmd::kRoomLeave, leave_msg()).result, R::Ok);
  // Within its TTL the empty room is still there to be filled ...
  EXPECT_EQ(request(a, cmd::kRoomJoin, join_msg("arena")).room_id, first.room_id);
  EXPECT_EQ(request(a, cmd::kRoomLeave, leave_msg()).result, R::Ok);
  std::this_thread::sleep_for(600ms);
  // ... after it, a join opens a new one.
  const auto later = request(a, cmd::kRoomJoin, join_msg("arena"));
  ASSERT_EQ(later.result, R::Ok);
  EXPECT_NE(later.room_id, first.room_id);
  EXPECT_EQ(services_->rooms().stats().rooms_open, 1u);
}

// Fencing (a fleet's game node cut off from etcd, docs/fleet.md): a fenced
// room does not tick (no input applied, no state sent) until unfenced, then
// applies what waited; a room closed from outside forgets its seats.
TEST_F(RoomTest, AFencedRoomStopsTickingUntilUnfencedAndAClosedOneForgetsItsSeats) {
  start();
  Player a = login("fence-a");
  const auto joined = request(a, cmd::kRoomJoin, join_msg("arena"));
  ASSERT_EQ(joined.result, R::Ok);
  ASSERT_TRUE(
      arena_until(a.client, [&](const msg::ArenaState& s) { return find_player(s, a.id); }));
  const auto on_service_loop = [&](std::function<void(rooms::RoomService&)> f) {
    std::promise<void> done;
    server_->service_loop().post([&] {
      f(services_->rooms());
      done.set_value();
    });
    done.get_future().wait();
  };
  on_service_loop([](rooms::RoomService& r) { r.set_fencing_in_loop(true); });
  // States already on their way may still come; then none for as long as
  // the room stays fenced, and an input waits unapplied.
  while (a.client.read_frame(200ms).status == ReadStatus::kFrame) {
  }
  ASSERT_TRUE(a.client.send_frame(cmd::kArenaInput, arena_input(1, 1.0f, 0.0f)));
  const auto quiet = a.client.read_frame(500ms);
  EXPECT_NE(quiet.status, ReadStatus::kFrame) << "a fenced room sent cmd " << quiet.frame.cmd;
  EXPECT_EQ(services_->rooms().stats().rooms_open, 1u);

  // A room opened while fencing is on starts fenced too.
  Player b = login("fence-b");
  ASSERT_EQ(request(b, cmd::kRoomJoin, join_msg("arena", 0, true)).result, R::Ok);
  // (The joiner's snapshot is sent at the join, not by a tick.)
  ASSERT_TRUE(arena_until(b.client, [&](const msg::ArenaState& s) { return s.snapshot(); }));
  EXPECT_NE(b.client.read_frame(300ms).status, ReadStatus::kFrame);

  // Unfenced, it ticks again and applies the input that waited.
  on_service_loop([&](rooms::RoomService& r) {
    r.set_fencing_in_loop(false);
    r.fence_in_loop(joined.room_id, false);
  });
  ASSERT_TRUE(arena_until(a.client, [&](const msg::ArenaState& s) {
    const auto* me = find_player(s, a.id);
    return me && me->ack() == 1 && me->x() > 500;
  }));

  // Closed from outside: the room goes, and the player is in no room.
  on_service_loop([&](rooms::RoomService& r) { r.close_room_in_loop(joined.room_id, "moved"); });
  EXPECT_EQ(request(a, cmd::kRoomLeave, leave_msg()).result, R::NotInRoom);
}

// In a fleet a login announces its session after its reply, so the announce
// may come after the player's own join: the room must not take that for a
// return (no RoomEvent Rejoined, no PlayerReconnected to the others).
// Hand-over (a draining fleet node): the room is fenced and gives its
// state as a snapshot saves it, seats included; an unknown room gives none.
TEST_F(RoomTest, AHandedOffRoomStopsTickingAndGivesItsStateWithItsSeats) {
  start();
  Player a = login("handoff-a"), b = login("handoff-b");
  const auto joined = request(a, cmd::kRoomJoin, join_msg("arena"));
  ASSERT_EQ(joined.result, R::Ok);
  ASSERT_EQ(request(b, cmd::kRoomJoin, join_msg("arena", joined.room_id)).result, R::Ok);
  ASSERT_TRUE(a.client.send_frame(cmd::kArenaInput, arena_input(1, 1.0f, 0.0f)));
  ASSERT_TRUE(arena_until(a.client, [&](const msg::ArenaState& s) {
    const auto* me = find_player(s, a.id);
    return me && me->ack() == 1;
  }));
  const auto hand_off = [&](uint64_t room_id) {
    std::promise<std::optional<store::RoomRecord>> got;
    server_->service_loop().post([&] {
      services_->rooms().hand_off_in_loop(room_id, [&](auto record) { got.set_value(record); });
    });
    return got.get_future().get();
  };
  const auto record = hand_off(joined.room_id);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->room_id, joined.room_id);
  EXPECT_EQ(record->type, "arena");
  EXPECT_GT(record->tick, 0u);
  EXPECT_FALSE(record->state.empty());
  ASSERT_EQ(record->seats.size(), 2u);
  EXPECT_EQ(record->seats[0].user_id, a.id);
  EXPECT_EQ(record->seats[1].user_id, b.id);
  // Fenced: no more states (after those already on their way).
  while (a.client.read_frame(200ms).status == ReadStatus::kFrame) {
  }
  EXPECT_NE(a.client.read_frame(400ms).status, ReadStatus::kFrame);
  EXPECT_FALSE(hand_off(12345));
}

TEST_F(RoomTest, AnAttachOfTheConnectionAPlayerAlreadyPlaysOnSaysNothing) {
  start();
  Player a = login("attach-a"), b = login("attach-b");
  const auto joined = request(a, cmd::kRoomJoin, join_msg("arena"));
  ASSERT_EQ(joined.result, R::Ok);
  ASSERT_EQ(request(b, cmd::kRoomJoin, join_msg("arena", joined.room_id)).result, R::Ok);
  const uint64_t a_connection = [&] {
    std::promise<uint64_t> id;
    server_->service_loop().post(
        [&] { id.set_value(services_->sessions().find_in_loop(a.id)->connection_id); });
    return id.get_future().get();
  }();
  server_->service_loop().post(
      [&] { services_->rooms().on_session_attached_in_loop(a.id, a_connection); });
  for (Player* p : {&a, &b}) {
    const auto deadline = std::chrono::steady_clock::now() + 400ms;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto r = p->client.read_frame(100ms);
      if (r.status != ReadStatus::kFrame) continue;
      if (r.frame.cmd != cmd::kRoomEvent) continue;
      const auto* e = as<msg::RoomEvent>(r.frame);
      ASSERT_NE(e, nullptr);
      EXPECT_NE(e->kind(), msg::RoomEventKind::Rejoined);
      EXPECT_NE(e->kind(), msg::RoomEventKind::PlayerReconnected);
    }
  }
}

TEST_F(RoomTest, RoomsRunOnALogicThreadPoolToo) {
  rooms_.executor_threads = 2;
  start();
  Player a = login("pool-a"), b = login("pool-b");
  ASSERT_EQ(request(a, cmd::kRoomJoin, join_msg("arena")).result, R::Ok);
  ASSERT_EQ(request(b, cmd::kRoomJoin, join_msg("arena")).result, R::Ok);
  ASSERT_TRUE(a.client.send_frame(cmd::kArenaInput, arena_input(1, -1, 0)));
  ASSERT_TRUE(arena_until(b.client, [&](const msg::ArenaState& s) {
    const auto* other = find_player(s, a.id);
    return other && other->ack() == 1 && other->x() < 500;
  }));
  EXPECT_EQ(services_->rooms().executors(), 2u);
}

}  // namespace
}  // namespace citadel
