#include "rooms/matchmaker.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace citadel::rooms {
namespace {

using namespace std::chrono_literals;
using Clock = Matchmaker::Clock;

Ticket ticket(uint64_t user, int32_t skill, Clock::time_point at, std::string mode = "duel") {
  return Ticket{user, user * 10, "arena", std::move(mode), skill, at};
}

std::vector<uint64_t> users(const std::vector<Ticket>& group) {
  std::vector<uint64_t> out;
  for (const auto& t : group) out.push_back(t.user_id);
  std::sort(out.begin(), out.end());
  return out;
}

const MatchRules kRules{2, 10, 100, 5s};

TEST(Matchmaker, GroupsNeighboursWithinTheWindowAndLeavesTheRest) {
  Matchmaker m;
  const auto t0 = Clock::now();
  EXPECT_TRUE(m.add(ticket(1, 1000, t0), kRules));
  EXPECT_TRUE(m.add(ticket(2, 2000, t0), kRules));
  EXPECT_TRUE(m.add(ticket(3, 1008, t0), kRules));
  EXPECT_FALSE(m.add(ticket(1, 1000, t0), kRules));  // one ticket per user
  const auto out = m.poll(t0);
  ASSERT_EQ(out.groups.size(), 1u);
  EXPECT_EQ(users(out.groups[0]), (std::vector<uint64_t>{1, 3}));
  EXPECT_TRUE(out.timed_out.empty());
  EXPECT_TRUE(m.contains(2));
  EXPECT_FALSE(m.contains(1));
}

TEST(Matchmaker, TheWindowWidensWithWaitingUntilAFarMatchIsAccepted) {
  Matchmaker m;
  const auto t0 = Clock::now();
  m.add(ticket(1, 1000, t0), kRules);
  m.add(ticket(2, 1200, t0), kRules);  // 200 apart: needs 10 + 100/s * 1.9 s
  EXPECT_TRUE(m.poll(t0 + 1s).groups.empty());
  EXPECT_TRUE(m.poll(t0 + 1800ms).groups.empty());
  const auto out = m.poll(t0 + 2s);
  ASSERT_EQ(out.groups.size(), 1u);
  EXPECT_EQ(users(out.groups[0]), (std::vector<uint64_t>{1, 2}));
}

TEST(Matchmaker, EveryMemberMustAcceptTheSpreadSoANewcomerNarrowsIt) {
  Matchmaker m;
  const auto t0 = Clock::now();
  m.add(ticket(1, 1000, t0), kRules);       // waited long: wide window
  m.add(ticket(2, 1300, t0 + 3s), kRules);  // just arrived: window 10
  EXPECT_TRUE(m.poll(t0 + 3s).groups.empty());
}

TEST(Matchmaker, ModesNeverMixAndExpiredTicketsAreAnswered) {
  Matchmaker m;
  const auto t0 = Clock::now();
  m.add(ticket(1, 1000, t0, "duel"), kRules);
  m.add(ticket(2, 1000, t0, "team"), kRules);
  auto out = m.poll(t0 + 1s);
  EXPECT_TRUE(out.groups.empty());
  out = m.poll(t0 + 5s);
  EXPECT_EQ(users(out.timed_out), (std::vector<uint64_t>{1, 2}));
  EXPECT_TRUE(m.empty());
}

TEST(Matchmaker, RemoveLeavesTheQueueAtAnyTime) {
  Matchmaker m;
  const auto t0 = Clock::now();
  m.add(ticket(1, 1000, t0), kRules);
  EXPECT_TRUE(m.remove(1));
  EXPECT_FALSE(m.remove(1));
  m.add(ticket(2, 1000, t0), kRules);
  EXPECT_TRUE(m.poll(t0).groups.empty());
  EXPECT_EQ(m.size(), 1u);
}

TEST(Matchmaker, LargerGroupsFormFromRunsOfNeighbours) {
  Matchmaker m;
  const MatchRules four{4, 50, 0, 60s};
  const auto t0 = Clock::now();
  for (uint64_t u = 1; u <= 9; ++u) m.add(ticket(u, static_cast<int32_t>(u * 10), t0), four);
  const auto out = m.poll(t0);
  ASSERT_EQ(out.groups.size(), 2u);
  EXPECT_EQ(users(out.groups[0]), (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(users(out.groups[1]), (std::vector<uint64_t>{5, 6, 7, 8}));
  EXPECT_EQ(m.size(), 1u);
}

}  // namespace
}  // namespace citadel::rooms
