// --also-port's round robin over the servers, and --also-pid's CPU figures.
#include "connect_targets.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <optional>
#include <vector>

#include "system_info.h"

namespace citadel::bench {
namespace {

sockaddr_in at_port(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  return a;
}

uint16_t port_of(const sockaddr_in& a) {
  return ntohs(a.sin_port);
}

TEST(ConnectTargets, OneServerTakesEveryConnection) {
  const sockaddr_in first = at_port(7000);
  for (uint32_t id : {0u, 1u, 2u, 4'000'000'000u}) {
    EXPECT_EQ(port_of(server_for(first, {}, id)), 7000);
  }
}

TEST(ConnectTargets, ConnectionsTakeTheServersInTurn) {
  const sockaddr_in first = at_port(7000);
  const std::vector<sockaddr_in> also = {at_port(7001), at_port(7002)};
  std::vector<uint16_t> ports;
  for (uint32_t id = 0; id < 7; ++id) ports.push_back(port_of(server_for(first, also, id)));
  EXPECT_EQ(ports, (std::vector<uint16_t>{7000, 7001, 7002, 7000, 7001, 7002, 7000}));
  // An even split: 10,000 connections over two servers, 5,000 each.
  int on_first = 0;
  for (uint32_t id = 0; id < 10'000; ++id) {
    on_first += port_of(server_for(first, {at_port(7001)}, id)) == 7000 ? 1 : 0;
  }
  EXPECT_EQ(on_first, 5'000);
}

TEST(CpuSeconds, DifferencePerProcessNullWhereEitherSideIsMissing) {
  const std::vector<std::optional<double>> before = {1.0, std::nullopt, 2.5};
  const std::vector<std::optional<double>> after = {3.25, 4.0, std::nullopt};
  const auto d = cpu_seconds_between(before, after);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_DOUBLE_EQ(d[0].value(), 2.25);
  EXPECT_FALSE(d[1]);
  EXPECT_FALSE(d[2]);
  EXPECT_EQ(cpu_seconds_json(d), "[2.250,null,null]");
  EXPECT_EQ(cpu_seconds_json({}), "[]");
}

TEST(CpuSeconds, ReadsThisProcess) {
  const auto mine = read_cpu_seconds(std::vector<int>{static_cast<int>(::getpid())});
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_TRUE(mine[0]);
}

}  // namespace
}  // namespace citadel::bench
