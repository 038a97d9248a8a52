// Fleet membership, black box: real `citadel` processes against one real
// etcd (tests/support/etcd), observed through their admin ports
// (GET /fleet, /fleet/nodes, /health, /metrics) and citadel-cli. Every wait
// polls with a deadline; nothing sleeps a fixed time to synchronise.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "admin_process.h"
#include "etcd/etcd_server.h"
#include "http_client.h"
#include "server_process.h"
#include "support/deadline.h"
#include "tool_checks.h"

namespace citadel::test {
namespace {

using nlohmann::json;

std::string fleet_yaml(const EtcdServer& etcd, const std::string& node_id, uint32_t ttl_ms) {
  return "fleet:\n  etcd: " + etcd.client_url() + "\n  node_id: " + node_id +
         "\n  lease_ttl_ms: " + std::to_string(ttl_ms) + "\n";
}

std::optional<json> get_json(uint16_t admin_port, const std::string& path) {
  const auto r = http_get(admin_port, path, {}, 2s);
  if (!r || r->status != 200) return std::nullopt;
  json j = json::parse(r->body, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

// The ids in a node's GET /fleet/nodes; nullopt when it did not answer.
std::optional<std::set<std::string>> node_ids(uint16_t admin_port) {
  const auto j = get_json(admin_port, "/fleet/nodes");
  if (!j) return std::nullopt;
  std::set<std::string> ids;
  for (const auto& n : (*j)["nodes"]) ids.insert(n["id"].get<std::string>());
  return ids;
}

// Polls `done` every 20 ms until it holds or `limit` passes.
bool sees(uint16_t admin_port, const std::set<std::string>& ids) {
  return node_ids(admin_port) == ids;
}

int health_status(uint16_t admin_port) {
  const auto r = http_get(admin_port, "/health", {}, 2s);
  return r ? r->status : 0;
}

class FleetMembership : public ::testing::Test {
 protected:
  AdminServerProcess start_node(const std::string& id, uint32_t ttl_ms,
                                const std::string& more_fleet_yaml = "") {
    ServerOptions o;
    o.config_yaml = fleet_yaml(etcd_, id, ttl_ms) + more_fleet_yaml;
    AdminServerProcess node;
    std::string why;
    EXPECT_TRUE(start_with_admin(o, node, &why)) << why;
    return node;
  }

  EtcdServer etcd_;
};

TEST_F(FleetMembership, TwoNodesSeeEachOtherAndSigtermLeavesAtOnce) {
  // A TTL of 5 s: "at once" below is well under it.
  auto a = start_node("node-a", 5000);
  auto b = start_node("node-b", 5000, "  advertise_host: node-b.test\n");
  ASSERT_TRUE(a.server && b.server);
  ASSERT_TRUE(eventually(
      [&] {
        return sees(a.admin_port, {"node-a", "node-b"});
      },
      5s))
      << a.server->output();
  ASSERT_TRUE(eventually(
      [&] {
        return sees(b.admin_port, {"node-a", "node-b"});
      },
      5s))
      << b.server->output();

  // What A says about both: the record's fields, and which one is itself.
  const auto nodes = get_json(a.admin_port, "/fleet/nodes");
  ASSERT_TRUE(nodes);
  EXPECT_EQ((*nodes)["configured"], true);
  for (const auto& n : (*nodes)["nodes"]) {
    const bool self = n["id"] == "node-a";
    const auto& p = self ? a : b;
    EXPECT_EQ(n["self"], self) << n;
    EXPECT_EQ(n["role"], "all");
    // B advertises a name of its own; A the address it listens on.
    EXPECT_EQ(n["game"], (self ? "127.0.0.1:" : "node-b.test:") + std::to_string(p.server->port()));
    EXPECT_EQ(n["admin"], "127.0.0.1:" + std::to_string(p.admin_port));
    EXPECT_EQ(n["pid"], p.server->pid());
    EXPECT_EQ(n["lease_state"], self ? "member" : "live");
    EXPECT_EQ(n["draining"], false);
    EXPECT_TRUE(n["load"].contains("connections") && n["load"].contains("rooms")) << n;
  }
  const auto summary = get_json(a.admin_port, "/fleet");
  ASSERT_TRUE(summary);
  EXPECT_EQ((*summary)["member"], true) << *summary;
  EXPECT_EQ((*summary)["state"], "member");
  EXPECT_EQ((*summary)["node_id"], "node-a");
  EXPECT_EQ((*summary)["nodes"], 2);
  EXPECT_EQ((*summary)["nodes_by_role"]["all"], 2);
  EXPECT_EQ(health_status(a.admin_port), 200);
  EXPECT_EQ(metric(a.admin_port, "citadel_fleet_member"), 1);
  EXPECT_EQ(metric(a.admin_port, "citadel_fleet_registrations_total"), 1);
  const auto metrics = http_get(a.admin_port, "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("citadel_fleet_nodes{role=\"all\"} 2"), std::string::npos);
  if (auto promtool = find_tool("promtool")) {
    const ToolRun check = promtool_check_metrics(*promtool, metrics->body);
    EXPECT_EQ(check.exit_code, 0) << check.output;
  }

  // The operator's view of the same.
  const ToolRun cli =
      run_tool(std::string(CITADEL_CLI_BIN) + " --admin 127.0.0.1:" + std::to_string(b.admin_port) +
               " fleet nodes");
  EXPECT_EQ(cli.exit_code, 0) << cli.output;
  EXPECT_NE(cli.output.find("\"id\":\"node-a\""), std::string::npos) << cli.output;
  EXPECT_NE(cli.output.find("\"id\":\"node-b\""), std::string::npos) << cli.output;

  // SIGTERM: B revokes its lease on the way out, so A sees it leave at
  // once, not after the 5 s TTL.
  const auto exit = b.server->stop(SIGTERM, 10s);
  ASSERT_TRUE(exit && exit->exited && exit->code == 0) << (exit ? exit->describe() : "running");
  const auto gone_at = Clock::now();
  ASSERT_TRUE(eventually([&] { return sees(a.admin_port, {"node-a"}); }, 5s));
  EXPECT_LT(Clock::now() - gone_at, 1500ms) << "a clean exit must not wait for the TTL";
  EXPECT_NE(b.server->output().find("left the fleet"), std::string::npos) << b.server->output();
}

TEST_F(FleetMembership, KilledNodeLeavesAfterItsTtl) {
  auto a = start_node("node-a", 2000);
  auto b = start_node("node-b", 2000);
  ASSERT_TRUE(a.server && b.server);
  ASSERT_TRUE(eventually([&] { return sees(a.admin_port, {"node-a", "node-b"}); }, 5s));

  // kill -9: no revoke, the record stays until the lease expires (renewed
  // every 2/3 s, so 1.3 to 2 s are left of it).
  ASSERT_TRUE(b.server->stop(SIGKILL, 5s));
  const auto killed_at = Clock::now();
  EXPECT_TRUE(sees(a.admin_port, {"node-a", "node-b"})) << "gone before the TTL";
  ASSERT_TRUE(eventually([&] { return sees(a.admin_port, {"node-a"}); }, 5s))
      << "the killed node's record outlived its TTL";
  const auto took = Clock::now() - killed_at;
  EXPECT_GE(took, 1000ms);
  EXPECT_LT(took, 4000ms);
  EXPECT_EQ(health_status(a.admin_port), 200);
}

TEST_F(FleetMembership, DuplicateNodeIdIsRefusedAtStart) {
  auto a = start_node("same-id", 2000);
  ASSERT_TRUE(a.server);
  ASSERT_TRUE(eventually([&] { return sees(a.admin_port, {"same-id"}); }, 5s));

  const TempFile config(fleet_yaml(etcd_, "same-id", 2000));
  const RunResult second = run_server_to_completion(
      {"--config", config.path(), "--host", "127.0.0.1", "--port", "0", "--admin-port", "0"}, 10s);
  ASSERT_TRUE(second.status);
  EXPECT_TRUE(second.status->exited && second.status->code == 1) << second.status->describe();
  const std::string output = second.stdout_text + second.stderr_text;
  EXPECT_NE(output.find("cannot start: fleet.node_id 'same-id' is already registered by a live "
                        "node (pid " +
                        std::to_string(a.server->pid())),
            std::string::npos)
      << output;

  // The first node is untouched.
  const auto summary = get_json(a.admin_port, "/fleet");
  ASSERT_TRUE(summary);
  EXPECT_EQ((*summary)["member"], true);
  const auto nodes = get_json(a.admin_port, "/fleet/nodes");
  ASSERT_TRUE(nodes);
  ASSERT_EQ((*nodes)["nodes"].size(), 1u);
  EXPECT_EQ((*nodes)["nodes"][0]["pid"], a.server->pid());
}

TEST_F(FleetMembership, EtcdRestartLosesMembershipAndTheNodeRegistersAgain) {
  auto a = start_node("node-a", 2000);
  ASSERT_TRUE(a.server);
  ASSERT_TRUE(eventually([&] { return health_status(a.admin_port) == 200; }, 5s));

  etcd_.stop();
  // No renewal within the 2 s TTL: not a member, not ready.
  ASSERT_TRUE(eventually([&] { return health_status(a.admin_port) == 503; }, 5s))
      << a.server->output();
  const auto health = http_get(a.admin_port, "/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(json_member(health->body, "status"), "not_member") << health->body;
  EXPECT_EQ(json_member(health->body, "fleet_member"), "false") << health->body;
  EXPECT_EQ(metric(a.admin_port, "citadel_fleet_member"), 0);
  EXPECT_EQ(metric(a.admin_port, "citadel_fleet_lease_losses_total"), 1);
  EXPECT_GE(metric(a.admin_port, "citadel_fleet_registration_failures_total"), 0);
  const auto summary = get_json(a.admin_port, "/fleet");
  ASSERT_TRUE(summary);
  EXPECT_EQ((*summary)["member"], false);
  EXPECT_EQ((*summary)["state"], "lost");

  // Back by itself once etcd is.
  etcd_.start();
  ASSERT_TRUE(eventually([&] { return health_status(a.admin_port) == 200; }, 10s))
      << a.server->output();
  EXPECT_EQ(metric(a.admin_port, "citadel_fleet_member"), 1);
  EXPECT_EQ(metric(a.admin_port, "citadel_fleet_registrations_total"), 2);
  ASSERT_TRUE(eventually([&] { return sees(a.admin_port, {"node-a"}); }, 5s));
  const auto nodes = get_json(a.admin_port, "/fleet/nodes");
  ASSERT_TRUE(nodes);
  EXPECT_EQ((*nodes)["nodes"][0]["self"], true) << *nodes;
  // Logged once per loss, not once per retry.
  const std::string out = a.server->output();
  std::size_t losses = 0;
  for (auto at = out.find("lost membership"); at != std::string::npos;
       at = out.find("lost membership", at + 1)) {
    ++losses;
  }
  EXPECT_EQ(losses, 1u) << out;
}

TEST_F(FleetMembership, UnreachableEtcdAtStartServesNotReadyThenJoins) {
  etcd_.stop();
  auto a = start_node("node-a", 2000);
  ASSERT_TRUE(a.server) << "an unreachable etcd must not stop the start";
  EXPECT_EQ(health_status(a.admin_port), 503);
  const auto summary = get_json(a.admin_port, "/fleet");
  ASSERT_TRUE(summary);
  EXPECT_EQ((*summary)["state"], "registering") << *summary;
  etcd_.start();
  ASSERT_TRUE(eventually([&] { return health_status(a.admin_port) == 200; }, 10s))
      << a.server->output();
  ASSERT_TRUE(eventually([&] { return sees(a.admin_port, {"node-a"}); }, 5s));
}

TEST(FleetMembershipOff, WithoutFleetEtcdTheEndpointsSaySo) {
  AdminServerProcess a;
  std::string why;
  ASSERT_TRUE(start_with_admin(ServerOptions{}, a, &why)) << why;
  for (const char* path : {"/fleet", "/fleet/nodes"}) {
    const auto r = http_get(a.admin_port, path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 200) << path;
    EXPECT_EQ(json_member(r->body, "configured"), "false") << r->body;
  }
  const auto health = http_get(a.admin_port, "/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body.find("fleet_member"), std::string::npos) << health->body;
  const auto metrics = http_get(a.admin_port, "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->body.find("citadel_fleet_"), std::string::npos);
  const ToolRun cli = run_tool(std::string(CITADEL_CLI_BIN) +
                               " --admin 127.0.0.1:" + std::to_string(a.admin_port) + " fleet");
  EXPECT_EQ(cli.exit_code, 0) << cli.output;
  EXPECT_NE(cli.output.find("\"configured\":false"), std::string::npos) << cli.output;
}

}  // namespace
}  // namespace citadel::test
