// Player transfer in one process (docs/rooms.md "Moving a player to another
// room"): a room hands a player to another room while the player's inputs
// keep coming; every input is applied exactly once, in order, the ones
// before the transfer by the old room and the rest by the new one, on the
// I/O loops and on logic threads alike. Refusals leave the player in no
// room, told why.
#include <charconv>
#include <thread>

#include "ledger_room.h"
#include "room_fixture.h"

namespace citadel {
namespace {

using R = msg::RoomResult;

test::Bytes ledger_input(const std::string& text) {
  flatbuffers::FlatBufferBuilder fbb;
  const auto d = fbb.CreateVector(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  fbb.Finish(msg::CreateLockstepInput(fbb, d));
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

std::string text_of(const test::Frame& f) {
  return {reinterpret_cast<const char*>(f.payload.data()), f.payload.size()};
}

// "<room> <seq>[order]" -> room, seq.
std::pair<uint64_t, uint32_t> applied(const test::Frame& f) {
  const std::string t = text_of(f);
  const auto space = t.find(' ');
  uint64_t room = 0;
  uint32_t seq = 0;
  std::from_chars(t.data(), t.data() + space, room);
  std::from_chars(t.data() + space + 1, t.data() + t.size(), seq);
  return {room, seq};
}

class TransferTest : public RoomTest {
 protected:
  void start_with(uint32_t executor_threads) {
    extra_room_types_.push_back(test::ledger_room_type());
    rooms_.executor_threads = executor_threads;
    start();
  }

  // A sends 1..n, asking at `at` to be moved elsewhere; b shares A's room.
  void transfer_under_input(uint32_t n, uint32_t at) {
    Player a = login("ledger-a"), b = login("ledger-b");
    const auto ja = request(a, cmd::kRoomJoin, join_msg("ledger", 0, true));
    ASSERT_EQ(ja.result, R::Ok) << ja.message;
    ASSERT_EQ(request(b, cmd::kRoomJoin, join_msg("ledger", ja.room_id)).result, R::Ok);
    // Bursts, so inputs are queued, in flight to the room and on the
    // connection's loop while the transfer runs.
    for (uint32_t seq = 1; seq <= n; ++seq) {
      const std::string text = std::to_string(seq) + (seq == at ? "T" : "");
      ASSERT_TRUE(a.client.send_frame(test::kLedgerInput, ledger_input(text)));
      if (seq % 20 == 0) std::this_thread::sleep_for(2ms);
    }
    std::vector<std::pair<uint64_t, uint32_t>> seen;
    uint64_t transferred_to = 0;
    std::string arrived, reason;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (seen.size() < n && std::chrono::steady_clock::now() < deadline) {
      const auto r = a.client.read_frame(5s);
      ASSERT_EQ(r.status, ReadStatus::kFrame) << "after " << seen.size() << " inputs";
      if (r.frame.cmd == test::kLedgerApplied) seen.push_back(applied(r.frame));
      if (r.frame.cmd == test::kLedgerArrived) arrived = text_of(r.frame);
      if (r.frame.cmd == cmd::kRoomEvent) {
        const auto* e = as<msg::RoomEvent>(r.frame);
        ASSERT_NE(e, nullptr);
        if (e->kind() == msg::RoomEventKind::Transferred) {
          transferred_to = e->room_id();
          reason = e->reason() ? e->reason()->str() : "";
          EXPECT_EQ(e->user_id(), a.id);
        }
      }
    }
    ASSERT_EQ(seen.size(), n);
    ASSERT_NE(transferred_to, 0u);
    EXPECT_NE(transferred_to, ja.room_id);
    EXPECT_EQ(reason, "ledger");
    EXPECT_EQ(arrived, std::to_string(ja.room_id) + " " + std::to_string(at) + "T");
    for (uint32_t i = 0; i < n; ++i) {
      ASSERT_EQ(seen[i].second, i + 1) << "input " << i + 1 << " lost, repeated or reordered";
      EXPECT_EQ(seen[i].first, i + 1 <= at ? ja.room_id : transferred_to) << "input " << i + 1;
    }
    // The old room's other player saw a leave.
    bool left = false;
    while (!left) {
      const auto f = read_until(b.client, cmd::kRoomEvent);
      const auto* e = as<msg::RoomEvent>(f);
      ASSERT_NE(e, nullptr);
      left = e->kind() == msg::RoomEventKind::PlayerLeft && e->user_id() == a.id;
    }
    EXPECT_EQ(services_->rooms().stats().transfers, 1u);
    EXPECT_EQ(services_->rooms().stats().transfer_inputs_dropped, 0u);
    // The player is in the new room: leaving it works, once.
    EXPECT_EQ(request(a, cmd::kRoomLeave, leave_msg()).result, R::Ok);
    EXPECT_EQ(request(a, cmd::kRoomLeave, leave_msg()).result, R::NotInRoom);
  }
};

TEST_F(TransferTest, EveryInputIsAppliedOnceInOrderAcrossATransferOnTheIoLoops) {
  start_with(0);
  transfer_under_input(400, 150);
}

TEST_F(TransferTest, EveryInputIsAppliedOnceInOrderAcrossATransferOnLogicThreads) {
  start_with(2);
  transfer_under_input(400, 150);
}

TEST_F(TransferTest, ARefusedTransferLeavesThePlayerInNoRoomAndSaysWhy) {
  start_with(0);
  Player a = login("refused-a");
  const auto ja = request(a, cmd::kRoomJoin, join_msg("ledger", 0, true));
  ASSERT_EQ(ja.result, R::Ok);
  // A hand-off over the cap: refused by the call, the player stays.
  ASSERT_TRUE(a.client.send_frame(test::kLedgerInput, ledger_input("1B")));
  const auto refused = read_until(a.client, test::kLedgerRefused);
  EXPECT_NE(text_of(refused).find("hand-off of 4097 bytes"), std::string::npos) << text_of(refused);
  ASSERT_TRUE(a.client.send_frame(test::kLedgerInput, ledger_input("2")));
  EXPECT_EQ(applied(read_until(a.client, test::kLedgerApplied)),
            std::make_pair(ja.room_id, uint32_t{2}));
  // A room that does not exist: the player is in no room, told Closed.
  ASSERT_TRUE(a.client.send_frame(test::kLedgerInput, ledger_input("3T12345")));
  const auto closed_frame = read_until(a.client, cmd::kRoomEvent);
  const auto* closed = as<msg::RoomEvent>(closed_frame);
  ASSERT_NE(closed, nullptr);
  EXPECT_EQ(closed->kind(), msg::RoomEventKind::Closed);
  EXPECT_EQ(closed->room_id(), ja.room_id);
  EXPECT_NE(closed->reason()->str().find("no such room"), std::string::npos)
      << closed->reason()->str();
  EXPECT_EQ(request(a, cmd::kRoomLeave, leave_msg()).result, R::NotInRoom);
  // And may join another.
  const auto again = request(a, cmd::kRoomJoin, join_msg("ledger", 0, true));
  ASSERT_EQ(again.result, R::Ok);
  ASSERT_TRUE(a.client.send_frame(test::kLedgerInput, ledger_input("4")));
  const auto next = applied(read_until(a.client, test::kLedgerApplied));
  EXPECT_EQ(next, std::make_pair(again.room_id, uint32_t{4}));
}

}  // namespace
}  // namespace citadel
