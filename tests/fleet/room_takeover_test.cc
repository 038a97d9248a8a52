// RoomTakeover's decisions (src/fleet/game/room_takeover.h): which node
// claims a dead node's room and when, what a closed room (its owner still
// listed) gets, and what a claimed room without a snapshot gets. The loop
// is driven by hand on a fake clock; claims, reads and restores are the
// test's, so every branch is reached without etcd or Redis (the black-box
// fleet_failover_test runs the real ones).
#include "fleet/game/room_takeover.h"

#include <gtest/gtest.h>

#include <map>

#include "net/event_loop.h"
#include "net/loop_clock.h"

namespace citadel::fleet {
namespace {

using namespace std::chrono_literals;

class RoomTakeoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_.steady = std::chrono::steady_clock::now();
    clock_.system = std::chrono::system_clock::now();
    net::LoopClock::install_fake_for_testing(&clock_);
    loop_ = std::make_unique<net::EventLoop>(0, net::ConnectionOptions{});
    loop_->attach_for_testing();
  }
  void TearDown() override {
    takeover_.reset();
    loop_.reset();
    net::LoopClock::install_fake_for_testing(nullptr);
  }

  // This node is `self`; claims answer with `epochs_` (0: lost), snapshots
  // come from `snapshots_`.
  void make(const std::string& self) {
    RoomTakeover::Options o;
    o.node_id = self;
    RoomTakeover::Hooks h;
    h.claim = [this](uint64_t room, const std::string& type, std::function<void(int64_t)> done) {
      claims_.emplace_back(room, type);
      pending_claims_.push_back([this, room, done = std::move(done)] {
        done(epochs_.contains(room) ? epochs_[room] : 0);
      });
    };
    h.read_snapshot = [this](uint64_t room, auto done) {
      auto it = snapshots_.find(room);
      if (it == snapshots_.end()) return done(std::nullopt, "");
      done(it->second, "");
    };
    h.restore = [this](store::RoomRecord r) {
      restored_.push_back(r.room_id);
      return r.type != "gone";
    };
    h.release = [this](uint64_t room) { released_.push_back(room); };
    h.idle = [this] { ++idle_; };
    takeover_ = std::make_unique<RoomTakeover>(*loop_, o, std::move(h), counters_);
  }
  void advance(std::chrono::milliseconds by) {
    clock_.steady += by;
    loop_->run_turn_for_testing(0ns);
  }
  void answer_claims() {
    auto claims = std::move(pending_claims_);
    pending_claims_.clear();
    for (auto& c : claims) c();
  }
  static store::RoomRecord snapshot(uint64_t room, std::string type = "arena") {
    store::RoomRecord r;
    r.room_id = room;
    r.type = std::move(type);
    return r;
  }
  // A room whose first choice is `first` among {a, b, c}.
  static uint64_t room_first_for(const std::string& first) {
    for (uint64_t room = 1;; ++room) {
      if (RoomTakeover::rank(room, {"a", "b", "c"}).front() == first) return room;
    }
  }

  net::LoopClock::Fake clock_;
  std::unique_ptr<net::EventLoop> loop_;
  RoomTakeover::Counters counters_;
  std::unique_ptr<RoomTakeover> takeover_;
  std::vector<std::pair<uint64_t, std::string>> claims_;
  std::vector<std::function<void()>> pending_claims_;
  std::map<uint64_t, int64_t> epochs_;
  std::map<uint64_t, store::RoomRecord> snapshots_;
  std::vector<uint64_t> restored_, released_;
  int idle_ = 0;
};

TEST_F(RoomTakeoverTest, RankIsTheSameOnEveryNodeWhateverTheOrderOfTheList) {
  for (uint64_t room = 1; room < 200; ++room) {
    const auto r1 = RoomTakeover::rank(room, {"a", "b", "c"});
    const auto r2 = RoomTakeover::rank(room, {"c", "a", "b"});
    EXPECT_EQ(r1, r2);
    EXPECT_EQ(r1.size(), 3u);
  }
  // And it spreads: every node is first for some rooms.
  std::map<std::string, int> firsts;
  for (uint64_t room = 1; room < 300; ++room)
    ++firsts[RoomTakeover::rank(room, {"a", "b", "c"})[0]];
  EXPECT_EQ(firsts.size(), 3u);
  for (const auto& [node, n] : firsts) EXPECT_GT(n, 50) << node;
}

TEST_F(RoomTakeoverTest, TheFirstChoiceClaimsAfterTheSettleAndRestoresTheSnapshot) {
  make("a");
  takeover_->set_live_nodes({"a", "b"});
  const uint64_t room = room_first_for("a");
  epochs_[room] = 77;
  snapshots_[room] = snapshot(room);
  takeover_->owner_gone(room, "arena", "dead");
  advance(299ms);
  EXPECT_TRUE(claims_.empty());  // the settle: the table may not know yet
  advance(1ms);
  ASSERT_EQ(claims_.size(), 1u);
  EXPECT_EQ(claims_[0], std::make_pair(room, std::string("arena")));
  EXPECT_TRUE(takeover_->busy());  // sessions wait until the room is back
  answer_claims();
  EXPECT_EQ(restored_, std::vector<uint64_t>{room});
  EXPECT_TRUE(released_.empty());
  EXPECT_FALSE(takeover_->busy());
  EXPECT_EQ(idle_, 1);
  EXPECT_EQ(counters_.restored.get(), 1u);
}

TEST_F(RoomTakeoverTest, TheSecondChoiceWaitsItsTurnAndStandsDownWhenTheFirstClaimed) {
  make("b");
  takeover_->set_live_nodes({"a", "b", "c"});
  const uint64_t room = room_first_for("a");
  const auto order = RoomTakeover::rank(room, {"a", "b", "c"});
  const auto position = std::find(order.begin(), order.end(), "b") - order.begin();
  ASSERT_GT(position, 0);
  takeover_->owner_gone(room, "arena", "dead");
  advance(300ms);
  advance(1500ms * position - 1ms);
  EXPECT_TRUE(claims_.empty());
  takeover_->owner_set(room);  // node a claimed it
  advance(10s);
  EXPECT_TRUE(claims_.empty());
  EXPECT_EQ(takeover_->pending(), 0u);
}

TEST_F(RoomTakeoverTest, TheSecondChoiceClaimsWhenTheFirstDidNot) {
  make("b");
  takeover_->set_live_nodes({"a", "b", "c"});
  const uint64_t room = room_first_for("a");
  const auto order = RoomTakeover::rank(room, {"a", "b", "c"});
  const auto position = std::find(order.begin(), order.end(), "b") - order.begin();
  takeover_->owner_gone(room, "arena", "dead");
  advance(300ms);
  advance(1500ms * position);
  ASSERT_EQ(claims_.size(), 1u);
  answer_claims();  // lost (no epoch): someone else won the transaction
  EXPECT_TRUE(restored_.empty());
  EXPECT_EQ(counters_.lost_claims.get(), 1u);
  EXPECT_EQ(idle_, 1);
}

TEST_F(RoomTakeoverTest, ARoomWhoseOwnerIsStillListedClosedAndIsLeftAlone) {
  make("a");
  takeover_->set_live_nodes({"a", "b"});
  const uint64_t room = room_first_for("a");
  takeover_->owner_gone(room, "arena", "b");
  advance(300ms);
  advance(1500ms);  // one more look: still listed
  advance(10s);
  EXPECT_TRUE(claims_.empty());
  EXPECT_EQ(takeover_->pending(), 0u);
}

TEST_F(RoomTakeoverTest, AnOwnerThatLeavesTheTableBetweenTheLooksIsTakenOver) {
  make("a");
  takeover_->set_live_nodes({"a", "b"});
  const uint64_t room = room_first_for("a");
  epochs_[room] = 5;
  snapshots_[room] = snapshot(room);
  takeover_->owner_gone(room, "arena", "b");
  advance(300ms);  // b still listed: its lease's end not seen yet
  takeover_->set_live_nodes({"a"});
  advance(1500ms);
  ASSERT_EQ(claims_.size(), 1u);
  answer_claims();
  EXPECT_EQ(restored_, std::vector<uint64_t>{room});
}

TEST_F(RoomTakeoverTest, NoSnapshotOrARefusedOneReleasesTheClaimedRoom) {
  make("a");
  takeover_->set_live_nodes({"a"});
  epochs_[1] = 3;
  epochs_[2] = 4;
  snapshots_[2] = snapshot(2, "gone");  // restore refuses it
  takeover_->owner_gone(1, "arena", "dead");
  takeover_->owner_gone(2, "arena", "dead");
  advance(300ms);
  ASSERT_EQ(claims_.size(), 2u);
  answer_claims();
  EXPECT_EQ(released_, (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(counters_.no_snapshot.get(), 1u);
  EXPECT_EQ(counters_.refused.get(), 1u);
  EXPECT_EQ(idle_, 1);  // idle once both were done
}

TEST_F(RoomTakeoverTest, ANodeNotInTheListTakesNothingAndItsOwnRoomsAreNotItsToTake) {
  make("a");
  takeover_->set_live_nodes({"b"});  // a is draining
  takeover_->owner_gone(1, "arena", "dead");
  takeover_->owner_gone(2, "arena", "a");  // a's own release
  advance(10s);
  EXPECT_TRUE(claims_.empty());
  EXPECT_EQ(takeover_->pending(), 0u);
}

}  // namespace
}  // namespace citadel::fleet
