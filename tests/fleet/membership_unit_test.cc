// The fleet membership's pure parts: the node record's JSON (what every
// node writes and reads under /<cluster>/nodes/), the key layout, and the
// fleet.* settings' syntax. No etcd.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "fleet/membership/drain_targets.h"
#include "fleet/membership/fleet_settings.h"
#include "fleet/membership/node_record.h"

namespace citadel::fleet {
namespace {

NodeRecord sample() {
  NodeRecord r;
  r.id = "game-1";
  r.role = "all";
  r.game_address = "10.0.0.5:7777";
  r.admin_address = "10.0.0.5:9100";
  r.pid = 4242;
  r.version = "0.1.0";
  r.started_at = "2026-12-03T23:10:00Z";
  r.load = {120, 4, 30};
  return r;
}

TEST(NodeRecord, DrainingRoundTrips) {
  NodeRecord r = sample();
  r.draining = true;
  const auto back = decode_node_record(encode_node_record(r));
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->draining);
}

TEST(NodeRecord, AGameNodesLinkAddressRoundTrips) {
  NodeRecord r = sample();
  r.role = "game";
  r.link_address = "10.0.0.5:7780";
  const std::string json = encode_node_record(r);
  EXPECT_NE(json.find(R"("link":"10.0.0.5:7780")"), std::string::npos) << json;
  const auto back = decode_node_record(json);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, r);
}

TEST(NodeRecord, EncodesTheDocumentedFieldsAndDecodesBack) {
  const std::string json = encode_node_record(sample());
  EXPECT_EQ(json, R"({"id":"game-1","role":"all","game":"10.0.0.5:7777","admin":"10.0.0.5:9100",)"
                  R"("pid":4242,"version":"0.1.0","started_at":"2026-12-03T23:10:00Z",)"
                  R"("draining":false,"load":{"connections":120,"rooms":4,"room_players":30}})");
  const auto back = decode_node_record(json);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, sample());
}

TEST(NodeRecord, DecodingIgnoresUnknownKeysAndDefaultsMissingOnes) {
  const auto r = decode_node_record(R"({"id":"a","role":"all","zone":"eu","load":{"gpu":1}})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, "a");
  EXPECT_EQ(r->game_address, "");
  EXPECT_EQ(r->load, NodeLoad{});
}

TEST(NodeRecord, DecodingRefusesWhatIsNotARecord) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "not JSON"},
      {"{", "not JSON"},
      {"[1]", "not a JSON object"},
      {R"({"role":"all"})", "no id"},
      {R"({"id":"","role":"all"})", "no id"},
      {R"({"id":"a"})", "no role"},
      {R"({"id":"a","role":1})", "no role"},
      {R"({"id":"a","role":"all","game":7})",
       "game, admin, link, version and started_at must be strings"},
      {R"({"id":"a","role":"game","link":7780})",
       "game, admin, link, version and started_at must be strings"},
      {R"({"id":"a","role":"all","pid":"x"})", "pid must be an integer"},
      {R"({"id":"a","role":"all","draining":1})", "draining must be true or false"},
      {R"({"id":"a","role":"all","load":[]})", "load must be an object of counts (0 or more)"},
      {R"({"id":"a","role":"all","load":{"rooms":-1}})",
       "load must be an object of counts (0 or more)"},
      {R"({"id":"a","role":"all","load":{"rooms":1.5}})",
       "load must be an object of counts (0 or more)"},
  };
  for (const auto& [text, why] : cases) {
    std::string error;
    EXPECT_FALSE(decode_node_record(text, &error)) << text;
    EXPECT_EQ(error, why) << text;
  }
}

TEST(NodeRecord, KeyLayout) {
  EXPECT_EQ(nodes_prefix("citadel"), "/citadel/nodes/");
  EXPECT_EQ(node_key("eu-1", "game-3"), "/eu-1/nodes/game-3");
}

TEST(NodeRecord, StartedAtIsRfc3339Utc) {
  const std::string t = utc_now_rfc3339();
  ASSERT_EQ(t.size(), 20u) << t;
  EXPECT_EQ(t[4], '-');
  EXPECT_EQ(t[10], 'T');
  EXPECT_EQ(t.back(), 'Z');
}

TEST(FleetSettings, EtcdUrl) {
  auto url = parse_etcd_url("http://127.0.0.1:2379");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 2379);
  url = parse_etcd_url("http://etcd.internal/");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "etcd.internal");
  EXPECT_EQ(url->port, 2379);
  for (const char* bad : {"", "127.0.0.1:2379", "http://", "http://:2379", "http://h:",
                          "http://h:x", "http://h:65536", "http://h:1/v3", "http://u@h:1",
                          "http://[::1]:2379", "https://h:2379", "http://a:1,http://b:2"}) {
    std::string why;
    EXPECT_FALSE(parse_etcd_url(bad, &why)) << bad;
    EXPECT_FALSE(why.empty()) << bad;
  }
}

TEST(FleetSettings, KeySegments) {
  for (const char* good : {"a", "game-1", "eu_1.b", "A9"}) {
    EXPECT_EQ(key_segment_problem(good), std::nullopt) << good;
  }
  for (const char* bad : {"", ".a", "-a", "a/b", "a b", "a*", "é"}) {
    EXPECT_NE(key_segment_problem(bad), std::nullopt) << bad;
  }
  EXPECT_NE(key_segment_problem(std::string(64, 'a')), std::nullopt);
  EXPECT_EQ(key_segment_problem(std::string(63, 'a')), std::nullopt);
}

TEST(FleetSettings, LeaseTtlIsWholeSecondsInRange) {
  EXPECT_EQ(lease_ttl_problem(1000), std::nullopt);
  EXPECT_EQ(lease_ttl_problem(300000), std::nullopt);
  EXPECT_NE(lease_ttl_problem(999), std::nullopt);
  EXPECT_NE(lease_ttl_problem(301000), std::nullopt);
  EXPECT_NE(lease_ttl_problem(1500), std::nullopt);
}

TEST(FleetSettings, GeneratedNodeIdsAreValidAndDiffer) {
  std::set<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    const std::string id = generated_node_id();
    EXPECT_EQ(key_segment_problem(id), std::nullopt) << id;
    ids.insert(id);
  }
  EXPECT_GT(ids.size(), 15u);
}

FleetEntry entry(std::string id, std::string role, std::string game, bool draining = false) {
  FleetEntry e;
  e.record.id = id;
  e.record.role = std::move(role);
  e.record.game_address = std::move(game);
  e.record.draining = draining;
  return e;
}

TEST(DrainTargets, OnlyOtherLiveGatewaysWithAnAddress) {
  FleetTable table;
  table["gw-a"] = entry("gw-a", "gateway", "10.0.0.1:7777");
  table["gw-b"] = entry("gw-b", "gateway", "10.0.0.2:7777");
  table["gw-c"] = entry("gw-c", "gateway", "10.0.0.3:7777", true);  // draining too
  table["gw-d"] = entry("gw-d", "gateway", "");
  table["game-1"] = entry("game-1", "game", "10.0.0.9:7777");
  table["one"] = entry("one", "all", "10.0.0.8:7777");
  const auto targets = drain_targets(table, "gw-a");
  ASSERT_EQ(targets.size(), 1u);
  EXPECT_EQ(targets[0].node_id, "gw-b");
  EXPECT_EQ(targets[0].address, "10.0.0.2:7777");
  EXPECT_TRUE(drain_targets(FleetTable{}, "gw-a").empty());
  EXPECT_EQ(pick_drain_target({}, 42), nullptr);
}

TEST(DrainTargets, ClientsSpreadOverTheGatewaysLeftTheSameOnEveryNode) {
  FleetTable table;
  for (const char* id : {"gw-a", "gw-b", "gw-c", "gw-d"}) {
    table[id] = entry(id, "gateway", std::string(id) + ":7777");
  }
  const auto targets = drain_targets(table, "gw-a");
  ASSERT_EQ(targets.size(), 3u);
  std::map<std::string, int> share;
  for (uint64_t client = 1; client <= 3000; ++client) {
    const DrainTarget* t = pick_drain_target(targets, client);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t, pick_drain_target(targets, client));  // stable
    ++share[t->node_id];
  }
  ASSERT_EQ(share.size(), 3u);
  for (const auto& [id, n] : share) EXPECT_GT(n, 800) << id;  // about a third each
  // A target that goes keeps the others' clients where they were.
  std::vector<DrainTarget> fewer;  // gw-b went
  for (const DrainTarget& t : targets) {
    if (t.node_id != "gw-b") fewer.push_back(t);
  }
  int kept = 0, compared = 0;
  for (uint64_t client = 1; client <= 300; ++client) {
    const DrainTarget* before = pick_drain_target(targets, client);
    if (before->node_id == "gw-b") continue;
    ++compared;
    kept += pick_drain_target(fewer, client)->node_id == before->node_id ? 1 : 0;
  }
  EXPECT_EQ(kept, compared);
}

}  // namespace
}  // namespace citadel::fleet
